"""FakeDiscord: aiohttp server faking Discord's REST API (v9/v10) and gateway."""

from __future__ import annotations

import asyncio
import copy
import email.parser
import email.policy
import json
import logging
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import _payloads as P
from ._gateway import (
    OP_INVALID_SESSION,
    OP_RECONNECT,
    PRIVILEGED_INTENTS,
    Gateway,
    GatewayConnection,
)
from ._interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionHandle,
    RejectedRequest,
    message_has_custom_id,
)
from ._records import CommandSync, RecordedRequest
from ._rest import RestHandlers

log = logging.getLogger("fake_discord")

_DEFAULT: Any = object()  # "use the fake's default" sentinel (None means "no guild" = DM)


@dataclass
class _Override:
    method: str
    pattern: re.Pattern
    status: int
    body: Any
    remaining: int


_Handler = Callable[[RecordedRequest, "re.Match[str]"], Awaitable[web.StreamResponse]]


class FakeDiscord(RestHandlers):
    """A local fake of Discord's REST API and gateway for end-to-end bot tests.

    All methods must be called on the event loop the fake was started on
    (use ``FakeDiscordThread`` from synchronous tests).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        application_id: int | None = None,
        bot_username: str = "FakeBot",
        guild_ids: Sequence[int] | None = None,
        user_id: int | None = None,
        username: str = "tester",
        heartbeat_interval_ms: int = 41250,
        callback_deadline: float | None = 3.0,
        strict: bool = True,
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        application_flags: int = 0,
        check_auth: bool = True,
    ) -> None:
        self._snow = P.Snowflakes()
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self.token = token if token is not None else f"FAKE.{secrets.token_urlsafe(24)}"
        self.check_auth = check_auth
        self.application_id = application_id or self._snow.next()
        self.bot_user = P.user_payload(self.application_id, bot_username, bot=True) | {
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }
        self.owner_user = P.user_payload(self._snow.next(), "owner")
        self.guild_ids: list[int] = (
            list(guild_ids) if guild_ids is not None else [self._snow.next()]
        )
        self.channel_ids: dict[int, int] = {gid: self._snow.next() for gid in self.guild_ids}
        self.user_id = user_id or self._snow.next()
        self.username = username
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.callback_deadline = callback_deadline
        self.strict = strict
        self.allowed_privileged_intents = allowed_privileged_intents
        self.application_flags = application_flags

        # records
        self.requests: list[RecordedRequest] = []
        self.command_syncs: list[CommandSync] = []
        self.rejected: list[tuple[RecordedRequest, RejectedRequest]] = []
        self.presence_updates: list[Any] = []
        self.internal_errors: list[str] = []
        self.ready_count = 0

        # state
        # scope (guild id, or None for global) -> command id -> command as Discord stores it
        self.commands: dict[int | None, dict[int, dict]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self.interactions: dict[int, InteractionHandle] = {}
        self._tokens: dict[str, InteractionHandle] = {}
        self.messages: dict[int, dict] = {}
        self.attachments: dict[int, bytes] = {}
        self._dm_channels: dict[int, int] = {}
        self._overrides: list[_Override] = []

        self.gateway = Gateway(self)
        self._changed: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

    # ================================================================== lifecycle / addresses

    async def start(self) -> FakeDiscord:
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get("/attachments/{channel}/{attachment}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            self.port = sock.getsockname()[1]
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            sock.close()
            await self._runner.cleanup()
            self._runner = None
            raise
        log.info("fake discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.gateway.close_all(1001)
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeDiscord is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for DISCORD_API_BASE / ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def guild_id(self) -> int | None:
        """The default guild for interactions (first of ``guild_ids``; None if no guilds)."""
        return self.guild_ids[0] if self.guild_ids else None

    @property
    def channel_id(self) -> int | None:
        """The default channel (in the default guild)."""
        return self.channel_ids[self.guild_ids[0]] if self.guild_ids else None

    def env(self) -> dict[str, str]:
        """Environment variables for a bot subprocess."""
        return {"DISCORD_API_BASE": self.api_base, "DISCORD_TOKEN": self.token}

    # ================================================================== waiting machinery

    def _bump(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_until(
        self,
        check: Callable[[], Any],
        timeout: float = 5.0,
        describe: str | Callable[[], str] = "a condition",
    ) -> Any:
        """Return ``check()``'s first truthy value, re-evaluated after every change in the fake
        (request, gateway message, ...); raise ``TimeoutError`` after ``timeout`` seconds.

        E.g. ``await fake.wait_until(lambda: fake.find_requests("POST", r"/channels/.*"))``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                what = describe() if callable(describe) else describe
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            assert self._changed is not None, "FakeDiscord is not started"
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
            except TimeoutError:
                pass

    # ================================================================== test-facing API: gateway

    @property
    def connections(self) -> list[GatewayConnection]:
        return self.gateway.connections

    async def wait_until_ready(self, timeout: float = 10.0) -> GatewayConnection:
        """Wait until the bot has IDENTIFYed and been sent READY; returns that connection."""
        return await self.wait_until(
            lambda: self.gateway.live_connection if self.ready_count else None,
            timeout,
            lambda: f"the bot to connect and IDENTIFY ({self._summary()})",
        )

    async def request_reconnect(self, timeout: float = 10.0) -> GatewayConnection:
        """Send op 7 RECONNECT; wait for the bot's next connection to RESUME (or IDENTIFY)."""
        conn = await self.wait_until_ready(timeout)
        before = len(self.connections)
        await conn.send({"op": OP_RECONNECT, "d": None})
        return await self._wait_new_handshake(before, timeout)

    async def invalidate_session(
        self, resumable: bool = False, timeout: float = 10.0
    ) -> GatewayConnection:
        """Send op 9 INVALID_SESSION. With ``resumable=False`` discord.py reconnects to
        ``DiscordWebSocket.DEFAULT_GATEWAY`` — the bot must point that at the fake."""
        conn = await self.wait_until_ready(timeout)
        before = len(self.connections)
        if not resumable and conn.session_id in self.gateway.sessions:
            self.gateway.sessions[conn.session_id].invalidated = True
        await conn.send({"op": OP_INVALID_SESSION, "d": resumable})
        return await self._wait_new_handshake(before, timeout)

    async def drop_connection(
        self, code: int = 4000, timeout: float = 10.0
    ) -> GatewayConnection | None:
        """Close the live gateway socket from the server side with ``code``.

        Returns the bot's next completed connection, or None for non-reconnectable codes
        (4004, 4010-4014) after the socket closed.
        """
        conn = await self.wait_until_ready(timeout)
        before = len(self.connections)
        conn.closed_by_server = True
        assert conn.ws is not None
        await conn.ws.close(code=code)
        if code in (4004, 4010, 4011, 4012, 4013, 4014):
            return None
        return await self._wait_new_handshake(before, timeout)

    async def _wait_new_handshake(self, before: int, timeout: float) -> GatewayConnection:
        def check():
            for conn in self.connections[before:]:
                if conn.handshake_done and not conn.closed:
                    return conn
            return None

        return await self.wait_until(
            check, timeout, lambda: f"the bot to reconnect ({self._summary()})"
        )

    async def dispatch_event(self, event: str, data: dict, timeout: float = 10.0) -> int:
        """Dispatch any gateway event (op 0) to the bot; returns its sequence number."""
        return await self.gateway.dispatch(event, data, timeout=timeout)

    # ================================================================== test-facing API: commands

    def get_command(self, name: str, guild_id: int | None = _DEFAULT, type: int = 1) -> dict | None:
        """The synced command ``name`` as an interaction in ``guild_id`` would see it
        (guild-scoped first, then global); None if not synced."""
        guild_id = self.guild_id if guild_id is _DEFAULT else guild_id
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, {}).values():
                if cmd["name"] == name and cmd.get("type", 1) == type:
                    return cmd
        return None

    async def wait_for_commands(
        self, *names: str, guild_id: int | None = _DEFAULT, timeout: float = 10.0, type: int = 1
    ) -> dict[str, dict]:
        """Wait until the bot has synced every command in ``names``; returns name -> command."""

        if not names:
            raise ValueError("name at least one command")

        def check():
            found = {n: self.get_command(n, guild_id, type) for n in names}
            return copy.deepcopy(found) if all(found.values()) else None

        return await self.wait_until(
            check,
            timeout,
            lambda: f"commands {names} to be synced (synced: {self._synced_names()})",
        )

    def _synced_names(self) -> dict:
        return {
            str(scope): sorted(c["name"] for c in cmds.values())
            for scope, cmds in self.commands.items()
        }

    # ============================================================ test-facing API: interactions

    async def send_slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict] | None = None,
        *,
        user_id: int | None = None,
        username: str | None = None,
        guild_id: int | None = _DEFAULT,
        channel_id: int | None = None,
        locale: str = "en-US",
        resolved: dict | None = None,
        validate: bool | None = None,
        timeout: float = 10.0,
    ) -> InteractionHandle:
        """Dispatch an APPLICATION_COMMAND (type 2) interaction for synced chat command ``name``.

        ``name`` may be ``"group sub"`` for subcommands. ``options`` is ``{option: value}``
        (types taken from the synced schema) or a raw list of option dicts.
        ``guild_id=None`` sends it from a DM. Waits up to ``timeout`` for the command to be synced.
        """
        return await self._send_command(
            APPLICATION_COMMAND,
            name,
            options,
            None,
            user_id,
            username,
            guild_id,
            channel_id,
            locale,
            resolved,
            validate,
            timeout,
        )

    async def send_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict],
        focused: str | None = None,
        *,
        user_id: int | None = None,
        username: str | None = None,
        guild_id: int | None = _DEFAULT,
        channel_id: int | None = None,
        locale: str = "en-US",
        validate: bool | None = None,
        timeout: float = 10.0,
    ) -> InteractionHandle:
        """Dispatch an APPLICATION_COMMAND_AUTOCOMPLETE (type 4) interaction.

        ``focused`` names the option being typed (its value is sent as a string with
        ``focused: true``); if omitted, the single autocomplete-enabled option in ``options``.
        """
        return await self._send_command(
            AUTOCOMPLETE,
            name,
            options,
            focused,
            user_id,
            username,
            guild_id,
            channel_id,
            locale,
            None,
            validate,
            timeout,
        )

    async def send_component(
        self,
        source: InteractionHandle | dict | int,
        custom_id: str,
        values: Sequence[str] | None = None,
        *,
        component_type: int | None = None,
        user_id: int | None = None,
        username: str | None = None,
        resolved: dict | None = None,
        locale: str = "en-US",
        validate: bool | None = None,
        timeout: float = 10.0,
    ) -> InteractionHandle:
        """Dispatch a MESSAGE_COMPONENT (type 3) interaction: a click on ``custom_id``.

        ``source`` is the interaction whose reply carries the component (its newest
        message containing ``custom_id`` is used), a message dict, or a message id.
        ``component_type`` defaults to the component's type on that message (2 button,
        3 string select, ...); selects take ``values``.
        """
        validate = self.strict if validate is None else validate
        message = self._find_source_message(source, custom_id)
        comp = message_has_custom_id(message, custom_id)
        if validate:
            if comp is None:
                raise ValueError(
                    f"message {message['id']} has no component with custom_id {custom_id!r}"
                )
            if comp.get("disabled"):
                raise ValueError(f"component {custom_id!r} is disabled; a user cannot use it")
        ctype = component_type or (comp or {}).get("type") or 2
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if ctype in (3, 5, 6, 7, 8):
            data["values"] = [str(v) for v in (values or [])]
            if validate and comp is not None:
                self._check_select_values(comp, data["values"])
            if resolved:
                data["resolved"] = resolved
        elif values:
            raise ValueError("only select menus take values")
        guild_id = int(message["guild_id"]) if message.get("guild_id") else None
        payload = self._base_interaction(
            MESSAGE_COMPONENT,
            data,
            user_id=user_id,
            username=username,
            guild_id=guild_id,
            channel_id=int(message["channel_id"]),
            locale=locale,
        )
        payload["message"] = self._public_message(message)
        return await self._dispatch_interaction(payload, int(message["id"]), timeout)

    async def send_modal_submit(
        self,
        source: InteractionHandle,
        values: Mapping[str, Any],
        *,
        user_id: int | None = None,
        username: str | None = None,
        locale: str = "en-US",
        timeout: float = 10.0,
    ) -> InteractionHandle:
        """Dispatch a MODAL_SUBMIT (type 5) for the modal ``source`` was answered with (type 9).

        ``values`` maps text-input custom_id -> text (select custom_id -> list of values).
        """
        modal = await source.wait_modal(timeout)

        def convert(comp: dict) -> dict:
            ctype = comp.get("type")
            if ctype == 1:
                return {"type": 1, "components": [convert(c) for c in comp.get("components", [])]}
            if ctype == 18:
                return {"type": 18, "id": comp.get("id"), "component": convert(comp["component"])}
            out: dict[str, Any] = {"type": ctype, "id": comp.get("id")}
            if "custom_id" in comp:
                out["custom_id"] = comp["custom_id"]
                value = values.get(comp["custom_id"], comp.get("value") or "")
                if ctype == 4:
                    out["value"] = str(value)
                else:
                    out["values"] = list(value) if isinstance(value, (list, tuple)) else [value]
            elif ctype == 10:
                out["content"] = comp.get("content", "")
            return out

        data = {
            "custom_id": modal["custom_id"],
            "components": [convert(c) for c in modal.get("components", [])],
        }
        src = source.payload
        payload = self._base_interaction(
            MODAL_SUBMIT,
            data,
            user_id=user_id or int(self._payload_user(src)["id"]),
            username=username,
            guild_id=int(src["guild_id"]) if src.get("guild_id") else None,
            channel_id=int(src["channel_id"]),
            locale=locale,
        )
        if src.get("message"):
            payload["message"] = src["message"]
        return await self._dispatch_interaction(payload, source.source_message_id, timeout)

    # ================================================================== test-facing API: records

    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route is None]

    def find_requests(
        self, method: str | None = None, path: str | None = None, route: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests filtered by method, path (exact or regex full-match) and route name."""
        out = []
        for r in self.requests:
            if method and r.method != method.upper():
                continue
            if route and r.route != route:
                continue
            if path and r.path != path and not re.fullmatch(path, r.path):
                continue
            out.append(r)
        return out

    def assert_no_unknown_requests(self) -> None:
        unknown = self.unknown_requests
        if unknown:
            lines = "\n".join(f"  {r.method} {r.path} {r.json!r}" for r in unknown)
            raise AssertionError(
                f"bot called {len(unknown)} route(s) the fake does not implement:\n{lines}"
            )

    def assert_no_rejections(self) -> None:
        """Fail if the fake answered any bot request about an interaction with an error."""
        if self.rejected:
            lines = "\n".join(
                f"  {rej.method} {rej.path} -> {rej.status} {rej.code} {rej.message}"
                for _, rej in self.rejected
            )
            raise AssertionError(f"{len(self.rejected)} bot request(s) rejected:\n{lines}")

    def clear_records(self) -> None:
        """Forget recorded requests/rejections (state such as commands is kept)."""
        self.requests.clear()
        self.rejected.clear()
        self.presence_updates.clear()

    def override(
        self, method: str, path: str, status: int, body: Any = None, *, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path`` (regex, full match,
        path without /api/vN) with ``status``/``body`` instead of the normal handling."""
        self._overrides.append(_Override(method.upper(), re.compile(path), status, body, times))

    def _summary(self) -> str:
        conns = [
            f"#{c.index}:{c.kind or 'hello'}{'/closed ' + str(c.close_code) if c.closed else ''}"
            for c in self.connections
        ]
        routes = [f"{r.method} {r.path}->{r.status}" for r in self.requests[-8:]]
        return f"connections={conns} recent_requests={routes}"

    # ================================================================== interaction payloads

    def _user(self, user_id: int | None, username: str | None) -> dict:
        uid = user_id or self.user_id
        name = username or (self.username if uid == self.user_id else f"user{uid % 10000}")
        return P.user_payload(uid, name)

    @staticmethod
    def _payload_user(payload: dict) -> dict:
        return (payload.get("member") or {}).get("user") or payload["user"]

    def _base_interaction(
        self,
        itype: int,
        data: dict,
        *,
        user_id: int | None,
        username: str | None,
        guild_id: int | None,
        channel_id: int | None,
        locale: str,
    ) -> dict:
        user = self._user(user_id, username)
        payload: dict[str, Any] = {
            "id": str(self._snow.next()),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": P.new_token(),
            "version": 1,
            "app_permissions": P.DEFAULT_PERMISSIONS,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild_id is not None:
            cid = channel_id or self.channel_ids.setdefault(guild_id, self._snow.next())
            payload |= {
                "guild_id": str(guild_id),
                "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "channel_id": str(cid),
                "channel": P.guild_channel_payload(cid, guild_id)
                | {"permissions": P.DEFAULT_PERMISSIONS},
                "member": P.member_payload(user, permissions=P.DEFAULT_PERMISSIONS),
                "authorizing_integration_owners": {"0": str(guild_id)},
                "context": 0,
            }
        else:
            cid = channel_id or self._dm_channels.setdefault(int(user["id"]), self._snow.next())
            payload |= {
                "channel_id": str(cid),
                "channel": P.dm_channel_payload(cid, user) | {"permissions": P.DEFAULT_PERMISSIONS},
                "user": user,
                "authorizing_integration_owners": {"0": "0"},
                "context": 1,
            }
        return payload

    async def _send_command(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any] | list[dict] | None,
        focused: str | None,
        user_id: int | None,
        username: str | None,
        guild_id: int | None,
        channel_id: int | None,
        locale: str,
        resolved: dict | None,
        validate: bool | None,
        timeout: float,
    ) -> InteractionHandle:
        validate = self.strict if validate is None else validate
        guild_id = self.guild_id if guild_id is _DEFAULT else guild_id
        path = name.split()
        loop = asyncio.get_running_loop()
        started = loop.time()
        cmd = await self.wait_until(
            lambda: self.get_command(path[0], guild_id),
            timeout,
            lambda: (
                f"command {path[0]!r} to be synced for guild {guild_id} "
                f"(synced: {self._synced_names()})"
            ),
        )
        # walk subcommand groups / subcommands
        schema = cmd.get("options") or []
        chain: list[str] = []
        for part in path[1:]:
            sub = next((o for o in schema if o["name"] == part and o.get("type") in (1, 2)), None)
            if sub is None:
                raise ValueError(f"command {cmd['name']!r} has no subcommand {part!r}")
            chain.append(part)
            schema = sub.get("options") or []
        if validate and any(o.get("type") in (1, 2) for o in schema):
            raise ValueError(f"{name!r} is a group; name a subcommand, e.g. '{name} <sub>'")
        auto_resolved: dict[str, dict] = {}
        if isinstance(options, list):
            leaf = copy.deepcopy(options)
        else:
            leaf = self._build_options(
                schema, dict(options or {}), itype, focused, validate, guild_id, auto_resolved
            )
        # nest leaf options inside the subcommand chain
        nested = leaf
        node_schema = cmd.get("options") or []
        wrappers = []
        for part in chain:
            sub = next(o for o in node_schema if o["name"] == part)
            wrappers.append((part, sub["type"]))
            node_schema = sub.get("options") or []
        for part, otype in reversed(wrappers):
            nested = [{"name": part, "type": otype, "options": nested}]
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if nested:
            data["options"] = nested
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        for key, value in (resolved or {}).items():
            auto_resolved.setdefault(key, {}).update(value)
        if auto_resolved:
            data["resolved"] = auto_resolved
        payload = self._base_interaction(
            itype,
            data,
            user_id=user_id,
            username=username,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
        )
        remaining = max(0.1, timeout - (loop.time() - started))
        return await self._dispatch_interaction(payload, None, remaining)

    def _build_options(
        self,
        schema: list[dict],
        values: dict[str, Any],
        itype: int,
        focused: str | None,
        validate: bool,
        guild_id: int | None,
        resolved: dict[str, dict],
    ) -> list[dict]:
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ValueError(
                f"unknown option(s) {sorted(unknown)}; the synced command has {sorted(by_name)}"
            )
        if itype == AUTOCOMPLETE and focused is None:
            candidates = [n for n in values if by_name[n].get("autocomplete")]
            if len(candidates) != 1:
                raise ValueError(f"pass focused=...; autocomplete options given: {candidates}")
            focused = candidates[0]
        if itype == AUTOCOMPLETE:
            if focused not in values:
                raise ValueError(f"focused option {focused!r} has no value in options")
            if validate and not by_name[focused].get("autocomplete"):
                raise ValueError(f"option {focused!r} was not synced with autocomplete=True")
        out = []
        for opt in schema:
            oname, otype = opt["name"], opt["type"]
            if oname not in values:
                if validate and itype == APPLICATION_COMMAND and opt.get("required"):
                    raise ValueError(f"required option {oname!r} missing")
                continue
            value = values[oname]
            if oname == focused:
                out.append({"name": oname, "type": otype, "value": str(value), "focused": True})
                continue
            value = self._coerce_option(opt, value, validate)
            out.append({"name": oname, "type": otype, "value": value})
            if otype == 6:
                uid = int(value)
                user = self._user(uid, None)
                resolved.setdefault("users", {})[str(uid)] = user
                if guild_id is not None:
                    member = P.member_payload(user, permissions=P.DEFAULT_PERMISSIONS)
                    member.pop("user")
                    resolved.setdefault("members", {})[str(uid)] = member
            elif otype == 7 and guild_id is not None:
                cid = int(value)
                resolved.setdefault("channels", {})[str(cid)] = {
                    "id": str(cid),
                    "name": f"channel-{cid % 10000}",
                    "type": 0,
                    "permissions": P.DEFAULT_PERMISSIONS,
                    "parent_id": None,
                    "nsfw": False,
                    "position": 0,
                    "flags": 0,
                    "rate_limit_per_user": 0,
                    "last_message_id": None,
                }
        return out

    @staticmethod
    def _coerce_option(opt: dict, value: Any, validate: bool) -> Any:
        otype, oname = opt["type"], opt["name"]
        if otype == 3:
            value = str(value)
        elif otype == 4:
            if isinstance(value, bool) or int(value) != value:
                raise ValueError(f"option {oname!r} needs an integer, got {value!r}")
            value = int(value)
        elif otype == 10:
            if isinstance(value, bool):
                raise ValueError(f"option {oname!r} needs a number, got {value!r}")
            value = float(value) if not isinstance(value, int) else value
        elif otype == 5:
            if not isinstance(value, bool):
                raise ValueError(f"option {oname!r} needs a bool, got {value!r}")
        elif otype in (6, 7, 8, 9, 11):
            value = str(int(value))
        if not validate:
            return value
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"option {oname!r}: {value!r} is not one of the synced choices")
        if otype in (4, 10):
            if opt.get("min_value") is not None and value < opt["min_value"]:
                raise ValueError(f"option {oname!r}: {value} < min_value {opt['min_value']}")
            if opt.get("max_value") is not None and value > opt["max_value"]:
                raise ValueError(f"option {oname!r}: {value} > max_value {opt['max_value']}")
        if otype == 3:
            if opt.get("min_length") is not None and len(value) < opt["min_length"]:
                raise ValueError(f"option {oname!r}: shorter than min_length {opt['min_length']}")
            if opt.get("max_length") is not None and len(value) > opt["max_length"]:
                raise ValueError(f"option {oname!r}: longer than max_length {opt['max_length']}")
        return value

    @staticmethod
    def _check_select_values(comp: dict, values: list[str]) -> None:
        lo = comp.get("min_values", 1)
        hi = comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise ValueError(
                f"select {comp.get('custom_id')!r} takes {lo}..{hi} values, got {len(values)}"
            )
        if comp.get("type") == 3:
            allowed = {o["value"] for o in comp.get("options", [])}
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(
                    f"select {comp.get('custom_id')!r} has no option(s) {bad}; "
                    f"options: {sorted(allowed)}"
                )

    def _find_source_message(self, source: InteractionHandle | dict | int, custom_id: str) -> dict:
        if isinstance(source, InteractionHandle):
            ids = (
                [source.original_message_id] if source.original_message_id else []
            ) + source.followup_message_ids
            msgs = [self.messages[i] for i in ids if i in self.messages]
            for msg in reversed(msgs):
                if message_has_custom_id(msg, custom_id):
                    return msg
            if msgs:
                return msgs[-1]
            raise ValueError(f"{source!r} has no message to click on")
        if isinstance(source, dict):
            return self.messages.get(int(source["id"]), source)
        msg = self.messages.get(int(source))
        if msg is None:
            raise ValueError(f"unknown message id {source}")
        return msg

    async def _dispatch_interaction(
        self, payload: dict, source_message_id: int | None, timeout: float
    ) -> InteractionHandle:
        handle = InteractionHandle(self, payload, source_message_id)
        self.interactions[handle.id] = handle
        self._tokens[handle.token] = handle
        await self.wait_until(
            lambda: self.gateway.live_connection,
            timeout,
            lambda: f"a live gateway connection ({self._summary()})",
        )
        handle.dispatched_at = time.monotonic()
        handle.sequence = await self.gateway.dispatch(
            "INTERACTION_CREATE", payload, timeout=timeout
        )
        return handle

    # ================================================================== REST plumbing

    def _build_routes(self) -> list[tuple[str, re.Pattern, str, _Handler, bool]]:
        app = r"(?P<app>\d+)"
        gld = r"(?P<guild>\d+)"
        cmd = r"(?P<cmd>\d+)"
        tok = r"(?P<token>[^/]+)"
        routes: list[tuple[str, str, str, _Handler, bool]] = [
            ("GET", r"/users/@me", "get_current_user", self._r_users_me, True),
            ("GET", r"/gateway", "get_gateway", self._r_gateway, False),
            ("GET", r"/gateway/bot", "get_gateway_bot", self._r_gateway_bot, True),
            ("GET", r"/oauth2/applications/@me", "get_application_info", self._r_app_info, True),
            ("GET", r"/applications/@me", "get_current_application", self._r_app_info, True),
            ("PATCH", r"/applications/@me", "edit_current_application", self._r_app_edit, True),
            (
                "GET",
                rf"/applications/{app}/commands",
                "get_global_commands",
                self._r_cmd_list,
                True,
            ),
            (
                "PUT",
                rf"/applications/{app}/commands",
                "bulk_upsert_global_commands",
                self._r_cmd_bulk,
                True,
            ),
            (
                "POST",
                rf"/applications/{app}/commands",
                "upsert_global_command",
                self._r_cmd_upsert,
                True,
            ),
            (
                "GET",
                rf"/applications/{app}/commands/{cmd}",
                "get_global_command",
                self._r_cmd_one,
                True,
            ),
            (
                "PATCH",
                rf"/applications/{app}/commands/{cmd}",
                "edit_global_command",
                self._r_cmd_one,
                True,
            ),
            (
                "DELETE",
                rf"/applications/{app}/commands/{cmd}",
                "delete_global_command",
                self._r_cmd_one,
                True,
            ),
            (
                "GET",
                rf"/applications/{app}/guilds/{gld}/commands",
                "get_guild_commands",
                self._r_cmd_list,
                True,
            ),
            (
                "PUT",
                rf"/applications/{app}/guilds/{gld}/commands",
                "bulk_upsert_guild_commands",
                self._r_cmd_bulk,
                True,
            ),
            (
                "POST",
                rf"/applications/{app}/guilds/{gld}/commands",
                "upsert_guild_command",
                self._r_cmd_upsert,
                True,
            ),
            (
                "GET",
                rf"/applications/{app}/guilds/{gld}/commands/permissions",
                "get_guild_command_permissions",
                self._r_cmd_perms,
                True,
            ),
            (
                "GET",
                rf"/applications/{app}/guilds/{gld}/commands/{cmd}",
                "get_guild_command",
                self._r_cmd_one,
                True,
            ),
            (
                "PATCH",
                rf"/applications/{app}/guilds/{gld}/commands/{cmd}",
                "edit_guild_command",
                self._r_cmd_one,
                True,
            ),
            (
                "DELETE",
                rf"/applications/{app}/guilds/{gld}/commands/{cmd}",
                "delete_guild_command",
                self._r_cmd_one,
                True,
            ),
            (
                "POST",
                rf"/interactions/(?P<iid>\d+)/{tok}/callback",
                "create_interaction_response",
                self._r_callback,
                False,
            ),
            ("POST", rf"/webhooks/{app}/{tok}", "execute_webhook", self._r_followup, False),
            (
                "GET",
                rf"/webhooks/{app}/{tok}/messages/(?P<mid>@original|\d+)",
                "get_webhook_message",
                self._r_webhook_message,
                False,
            ),
            (
                "PATCH",
                rf"/webhooks/{app}/{tok}/messages/(?P<mid>@original|\d+)",
                "edit_webhook_message",
                self._r_webhook_message,
                False,
            ),
            (
                "DELETE",
                rf"/webhooks/{app}/{tok}/messages/(?P<mid>@original|\d+)",
                "delete_webhook_message",
                self._r_webhook_message,
                False,
            ),
        ]
        return [(m, re.compile(p), n, h, a) for m, p, n, h, a in routes]

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.attachments.get(int(request.match_info["attachment"]))
        if data is None:
            return P.error_response(404, 0, "404: Not Found")
        return web.Response(body=data)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        m = re.match(r"^/api/v(\d+)(/.*)$", request.path)
        api_version = int(m.group(1)) if m else None
        path = m.group(2) if m else request.path
        body, files = self._parse_body(request.headers.get("Content-Type", ""), raw)
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=dict(request.headers),
            json=body,
            files=files,
            raw=raw,
            api_version=api_version,
        )
        self.requests.append(rec)
        try:
            resp = await self._route(rec, m is not None)
        except Exception as exc:  # a bug in the fake: make it loud
            log.exception("fake discord handler crashed for %s %s", rec.method, rec.path)
            self.internal_errors.append(f"{rec.method} {rec.path}: {exc!r}")
            resp = P.error_response(400, 0, f"fake discord internal error: {exc!r}")
        rec.status = resp.status
        if (
            isinstance(resp, web.Response)
            and resp.body is not None
            and resp.content_type == "application/json"
        ):
            try:
                rec.response = json.loads(resp.body)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                pass
        log.debug("%s %s -> %s", rec.method, rec.path, rec.status)
        self._bump()
        return resp

    async def _route(self, rec: RecordedRequest, is_api: bool) -> web.StreamResponse:
        if is_api:
            for ov in self._overrides:
                if ov.remaining > 0 and ov.method == rec.method and ov.pattern.fullmatch(rec.path):
                    ov.remaining -= 1
                    rec.overridden = True
                    rec.route = "override"
                    if ov.body is None:
                        return web.Response(status=ov.status)
                    return P.json_response(ov.body, status=ov.status)
            for method, pattern, name, handler, needs_auth in self._routes:
                match = pattern.fullmatch(rec.path)
                if match is None or method != rec.method:
                    continue
                rec.route = name
                if needs_auth and self.check_auth and rec.authorization != f"Bot {self.token}":
                    return P.error_response(401, 0, "401: Unauthorized")
                return await handler(rec, match)
        log.warning("unknown route %s %s", rec.method, rec.path)
        return P.error_response(404, 0, "404: Not Found")

    @staticmethod
    def _parse_body(content_type: str, raw: bytes) -> tuple[Any, list[dict]]:
        if not raw:
            return None, []
        if content_type.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + raw
            )
            body: Any = None
            files: list[dict] = []
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if name == "payload_json":
                    body = json.loads(data)
                elif name and name.startswith("files["):
                    files.append(
                        {
                            "field": name,
                            "index": int(name[6:-1]),
                            "filename": part.get_filename(),
                            "content_type": part.get_content_type(),
                            "data": data,
                        }
                    )
            return body, files
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode("utf-8", "replace"), []

    def _reject(
        self,
        rec: RecordedRequest,
        handle: InteractionHandle | None,
        status: int,
        code: int,
        message: str,
        errors: dict | None = None,
    ) -> web.Response:
        rej = RejectedRequest(rec.method, rec.path, rec.json, status, code, message, errors)
        self.rejected.append((rec, rej))
        if handle is not None:
            handle.rejected.append(rej)
        log.warning("rejected %s %s: %s %s %s", rec.method, rec.path, status, message, errors or "")
        return P.error_response(status, code, message, errors)

    def _invalid_body(
        self, rec: RecordedRequest, handle: InteractionHandle | None, errors: dict
    ) -> web.Response:
        if errors.get("_empty"):
            return self._reject(rec, handle, 400, 50006, "Cannot send an empty message")
        return self._reject(rec, handle, 400, 50035, "Invalid Form Body", errors)
