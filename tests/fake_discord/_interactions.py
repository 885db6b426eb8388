"""Interaction handles: what the fake sent, and everything the bot answered."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import FakeDiscord

# Interaction types
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

# Callback types allowed per interaction type
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9, 12},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9, 12},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}

# Kinds of ReplyEvent
CALLBACK = "callback"
EDIT_ORIGINAL = "edit_original"
DELETE_ORIGINAL = "delete_original"
FOLLOWUP = "followup"
EDIT_MESSAGE = "edit_message"
DELETE_MESSAGE = "delete_message"


@dataclass
class ReplyEvent:
    """One accepted bot request about an interaction.

    ``body`` is the JSON the bot sent (for multipart requests: the parsed
    ``payload_json``); ``message`` is a snapshot of the resulting message
    (None for autocomplete/modal/deferred-update callbacks and deletions).
    """

    kind: str
    method: str
    path: str
    body: dict | None
    message: dict | None
    files: list[dict] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)

    @property
    def callback_type(self) -> int | None:
        return (self.body or {}).get("type") if self.kind == CALLBACK else None


@dataclass
class RejectedRequest:
    """A bot request about an interaction that the fake answered with an error."""

    method: str
    path: str
    body: dict | None
    status: int
    code: int
    message: str
    errors: dict | None = None


class InteractionHandle:
    """Handle returned by ``send_slash_command`` / ``send_autocomplete`` / ``send_component``.

    All ``wait_*`` coroutines run on the fake's loop and raise ``TimeoutError``
    (with what *was* received) if nothing matching arrives in ``timeout`` seconds.
    """

    def __init__(
        self, fake: FakeDiscord, payload: dict, source_message_id: int | None = None
    ) -> None:
        self._fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.source_message_id = source_message_id
        self.dispatched_at: float | None = None
        self.sequence: int | None = None
        self.events: list[ReplyEvent] = []
        self.rejected: list[RejectedRequest] = []
        self.acknowledged = False
        self.callback_latency: float | None = None
        self.original_message_id: int | None = None
        self.followup_message_ids: list[int] = []

    def __repr__(self) -> str:
        name = (self.payload.get("data") or {}).get("name") or (self.payload.get("data") or {}).get(
            "custom_id"
        )
        kinds = [
            e.kind if e.kind != CALLBACK else f"callback:{e.callback_type}" for e in self.events
        ]
        return f"<InteractionHandle id={self.id} type={self.type} {name!r} events={kinds}>"

    # ------------------------------------------------- state (copies, safe to read from any thread)

    @property
    def data(self) -> dict:
        return copy.deepcopy(self.payload.get("data") or {})

    @property
    def callback(self) -> dict | None:
        """The callback body (``{"type": N, "data": {...}}``) or None."""
        for event in self.events:
            if event.kind == CALLBACK:
                return copy.deepcopy(event.body)
        return None

    @property
    def original(self) -> dict | None:
        """Current state of the original response message (None if none/deleted)."""
        msg = self._fake.messages.get(self.original_message_id or -1)
        return copy.deepcopy(msg) if msg is not None else None

    @property
    def followups(self) -> list[dict]:
        """Current state of the follow-up messages (those not folded into a deferred original)."""
        out = []
        for mid in self.followup_message_ids:
            msg = self._fake.messages.get(mid)
            if msg is not None:
                out.append(copy.deepcopy(msg))
        return out

    @property
    def messages(self) -> list[dict]:
        """Original (if any) followed by follow-ups, current state."""
        original = self.original
        return ([original] if original else []) + self.followups

    @property
    def choices(self) -> list[dict] | None:
        cb = self.callback
        if cb and cb.get("type") == 8:
            return (cb.get("data") or {}).get("choices", [])
        return None

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        kind: str | None = None,
        predicate: Callable[[ReplyEvent], bool] | None = None,
        timeout: float = 5.0,
    ) -> ReplyEvent:
        """First event (already received or future) matching ``kind`` and ``predicate``."""

        def check():
            for event in self.events:
                if (kind is None or event.kind == kind) and (predicate is None or predicate(event)):
                    return event
            return None

        return await self._fake.wait_until(
            check, timeout, lambda: f"{kind or 'any event'} for {self!r}{self._rejections()}"
        )

    async def wait_callback(self, timeout: float = 5.0) -> dict:
        """The interaction callback body, e.g. ``{"type": 4, "data": {"content": ...}}``."""
        return copy.deepcopy((await self.wait_for(CALLBACK, timeout=timeout)).body)

    async def wait_reply(self, timeout: float = 5.0) -> dict:
        """The first user-visible message produced for this interaction (a Discord message object).

        For a type 4/7 callback that is the callback's message; for a deferred
        (type 5/6) callback it is the first ``PATCH @original`` or follow-up.
        """

        def visible(event: ReplyEvent) -> bool:
            if event.kind == CALLBACK:
                return event.callback_type in (4, 7)
            return (
                event.kind in (EDIT_ORIGINAL, FOLLOWUP, EDIT_MESSAGE) and event.message is not None
            )

        return copy.deepcopy((await self.wait_for(predicate=visible, timeout=timeout)).message)

    async def wait_followup(self, index: int = 0, timeout: float = 5.0) -> dict:
        """The ``index``-th follow-up (POST /webhooks/{app}/{token}) as the message it produced."""

        def check():
            followups = [e for e in self.events if e.kind == FOLLOWUP]
            return followups[index] if len(followups) > index else None

        event = await self._fake.wait_until(
            check, timeout, lambda: f"follow-up #{index} for {self!r}{self._rejections()}"
        )
        return copy.deepcopy(event.message)

    async def wait_edit(self, timeout: float = 5.0) -> dict:
        """The first ``PATCH .../messages/@original`` as the resulting message."""
        return copy.deepcopy((await self.wait_for(EDIT_ORIGINAL, timeout=timeout)).message)

    async def wait_choices(self, timeout: float = 5.0) -> list[dict]:
        """Autocomplete choices (``[{"name", "value"}, ...]``) from a type 8 callback."""
        body = await self.wait_callback(timeout)
        if body.get("type") != 8:
            raise AssertionError(f"expected an autocomplete (type 8) callback, got {body!r}")
        return (body.get("data") or {}).get("choices", [])

    async def wait_modal(self, timeout: float = 5.0) -> dict:
        """Modal definition (``{"custom_id", "title", "components"}``) from a type 9 callback."""
        body = await self.wait_callback(timeout)
        if body.get("type") != 9:
            raise AssertionError(f"expected a modal (type 9) callback, got {body!r}")
        return body.get("data") or {}

    async def wait_rejection(self, timeout: float = 5.0) -> RejectedRequest:
        """The first bot request about this interaction that the fake refused (e.g. a late or
        second callback, a 2001-character message): status, Discord error code, errors."""

        def check():
            return self.rejected[0] if self.rejected else None

        return await self._fake.wait_until(
            check, timeout, lambda: f"a rejected request for {self!r}"
        )

    def _rejections(self) -> str:
        if not self.rejected:
            return ""
        return "; rejected requests: " + "; ".join(
            f"{r.method} {r.path} -> {r.status} {r.code} {r.message} {r.errors or ''}"
            for r in self.rejected
        )


def message_has_custom_id(message: dict, custom_id: str) -> dict | None:
    """Find a component by custom_id anywhere in a message's component tree."""

    def walk(components: list[Any]) -> dict | None:
        for comp in components or []:
            if not isinstance(comp, dict):
                continue
            if comp.get("custom_id") == custom_id:
                return comp
            for key in ("components",):
                found = walk(comp.get(key) or [])
                if found:
                    return found
            for key in ("accessory", "component"):
                sub = comp.get(key)
                if isinstance(sub, dict):
                    found = walk([sub])
                    if found:
                        return found
        return None

    return walk(message.get("components") or [])
