"""REST handlers of FakeDiscord: identity, application commands, interaction callbacks,
webhook follow-ups/edits, and the message store they share (mixed into FakeDiscord)."""

from __future__ import annotations

import copy
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import _payloads as P
from ._interactions import (
    ALLOWED_CALLBACKS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    CALLBACK,
    DELETE_MESSAGE,
    DELETE_ORIGINAL,
    EDIT_MESSAGE,
    EDIT_ORIGINAL,
    FOLLOWUP,
    MESSAGE_COMPONENT,
    InteractionHandle,
    ReplyEvent,
)
from ._records import CommandSync, RecordedRequest


class RestHandlers:
    """Route handlers; ``self`` is the FakeDiscord."""

    if TYPE_CHECKING:
        application_id: int
        application_flags: int
        bot_user: dict
        owner_user: dict
        guild_ids: list[int]
        channel_ids: dict[int, int]
        strict: bool
        callback_deadline: float | None
        commands: dict[int | None, dict[int, dict]]
        command_syncs: list[CommandSync]
        interactions: dict[int, InteractionHandle]
        messages: dict[int, dict]
        attachments: dict[int, bytes]
        _command_ids: dict[tuple[int | None, str, int], int]
        _tokens: dict[str, InteractionHandle]
        _snow: P.Snowflakes
        base_url: str

        def _reject(
            self,
            rec: RecordedRequest,
            handle: InteractionHandle | None,
            status: int,
            code: int,
            message: str,
            errors: dict | None = None,
        ) -> web.Response: ...
        def _invalid_body(
            self, rec: RecordedRequest, handle: InteractionHandle | None, errors: dict
        ) -> web.Response: ...
        def get_command(self, name: str, guild_id: Any = ..., type: int = 1) -> dict | None: ...
        @staticmethod
        def _payload_user(payload: dict) -> dict: ...

    # ================================================================== messages

    def _public_message(self, msg: dict) -> dict:
        return copy.deepcopy(msg)

    def _new_message(
        self, handle: InteractionHandle, body: dict, files: list[dict], *, flags: int, msg_type: int
    ) -> dict:
        mid = self._snow.next()
        user = self._payload_user(handle.payload)
        p = handle.payload
        metadata: dict[str, Any] = {
            "id": str(handle.id),
            "type": handle.type,
            "user": user,
            "authorizing_integration_owners": p.get("authorizing_integration_owners", {}),
        }
        if handle.type == MESSAGE_COMPONENT and handle.source_message_id:
            metadata["interacted_message_id"] = str(handle.source_message_id)
        msg: dict[str, Any] = {
            "id": str(mid),
            "type": msg_type,
            "content": "",
            "channel_id": p["channel_id"],
            "author": copy.deepcopy(self.bot_user),
            "attachments": [],
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts")),
            "timestamp": P.iso_now(),
            "edited_timestamp": None,
            "flags": flags,
            "components": [],
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": metadata,
        }
        if handle.type in (APPLICATION_COMMAND, AUTOCOMPLETE):
            msg["interaction"] = {
                "id": str(handle.id),
                "type": handle.type,
                "name": p["data"]["name"],
                "user": user,
            }
        if p.get("guild_id"):
            msg["guild_id"] = p["guild_id"]
        self._apply_fields(msg, body, files)
        self.messages[mid] = msg
        return msg

    def _apply_fields(self, msg: dict, body: dict, files: list[dict]) -> None:
        for key, empty in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:
                msg[key] = copy.deepcopy(body[key]) if body[key] is not None else empty
        if "attachments" in body or files:
            msg["attachments"] = self._build_attachments(msg, body.get("attachments"), files)

    def _build_attachments(
        self, msg: dict, spec: list[dict] | None, files: list[dict]
    ) -> list[dict]:
        by_index = {f["index"]: f for f in files}
        if spec is None:
            spec = [{"id": f["index"], "filename": f["filename"]} for f in files]
        existing = {a["id"]: a for a in msg.get("attachments", [])}
        out = []
        for item in spec:
            if str(item.get("id")) in existing:
                out.append(existing[str(item["id"])])
                continue
            f = by_index.get(int(item.get("id", -1))) if str(item.get("id", "")).isdigit() else None
            if f is None:
                continue
            aid = self._snow.next()
            self.attachments[aid] = f["data"]
            filename = item.get("filename") or f["filename"]
            url = f"{self.base_url}/attachments/{msg['channel_id']}/{aid}/{filename}"
            att = {
                "id": str(aid),
                "filename": filename,
                "size": len(f["data"]),
                "url": url,
                "proxy_url": url,
                "content_type": f.get("content_type"),
            }
            if item.get("description"):
                att["description"] = item["description"]
            out.append(att)
        return out

    def _edited(self, msg: dict, body: dict, files: list[dict]) -> dict:
        """A copy of ``msg`` with a PATCH body applied (not stored)."""
        new = copy.deepcopy(msg)
        self._apply_fields(new, body, files)
        if "flags" in body and body["flags"] is not None:
            keep = new["flags"] & ~P.EDITABLE_FLAGS
            new["flags"] = keep | (body["flags"] & P.EDITABLE_FLAGS)
        was_loading = bool(new["flags"] & P.FLAG_LOADING)
        new["flags"] &= ~P.FLAG_LOADING
        if not was_loading:
            new["edited_timestamp"] = P.iso_now()
        return new

    @staticmethod
    def _is_empty(msg: dict) -> bool:
        return not (
            msg.get("content")
            or msg.get("embeds")
            or msg.get("components")
            or msg.get("attachments")
        )

    # ================================================================== REST: identity

    def application_payload(self) -> dict:
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner_user,
            "team": None,
            "flags": self.application_flags,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "rpc_origins": [],
            "approximate_guild_count": len(self.guild_ids),
            "integration_types_config": {"0": {}},
            "bot": self.bot_user,
        }

    async def _r_users_me(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        return P.json_response(self.bot_user)

    async def _r_gateway(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        return P.json_response({"url": self.gateway_url})

    async def _r_gateway_bot(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        return P.json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _r_app_info(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        return P.json_response(self.application_payload())

    async def _r_app_edit(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        return P.json_response(self.application_payload() | (rec.json or {}))

    def _guild_create_payload(self, guild_id: int) -> dict:
        cid = self.channel_ids.setdefault(guild_id, self._snow.next())
        bot_member = P.member_payload(copy.deepcopy(self.bot_user))
        return P.guild_payload(
            guild_id,
            f"Fake Guild {guild_id % 10000}",
            P.guild_channel_payload(cid, guild_id),
            bot_member,
        )

    # ================================================================== REST: application commands

    def _check_app(self, rec: RecordedRequest, m: re.Match) -> web.Response | None:
        if int(m.group("app")) != self.application_id:
            return P.error_response(403, 50001, "Missing Access")
        return None

    @staticmethod
    def _scope(m: re.Match) -> int | None:
        guild = m.groupdict().get("guild")
        return int(guild) if guild else None

    def _store_command(self, scope: int | None, body: dict) -> dict:
        ctype = body.get("type", 1)
        key = (scope, body["name"], ctype)
        cid = self._command_ids.setdefault(key, self._snow.next())
        cmd = copy.deepcopy(body)
        cmd.update(
            id=str(cid),
            application_id=str(self.application_id),
            version=str(self._snow.next()),
            type=ctype,
            description=body.get("description") or "",
        )
        cmd.setdefault("default_member_permissions", None)
        cmd.setdefault("nsfw", False)
        if scope is not None:
            cmd["guild_id"] = str(scope)
        else:
            cmd.setdefault("dm_permission", True)
            cmd.setdefault("integration_types", [0])
        self.commands.setdefault(scope, {})[cid] = cmd
        return cmd

    async def _r_cmd_list(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        if (err := self._check_app(rec, m)) is not None:
            return err
        return P.json_response(list(self.commands.get(self._scope(m), {}).values()))

    async def _r_cmd_perms(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        if (err := self._check_app(rec, m)) is not None:
            return err
        return P.json_response([])

    async def _r_cmd_bulk(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        if (err := self._check_app(rec, m)) is not None:
            return err
        scope = self._scope(m)
        body = rec.json
        if not isinstance(body, list):
            resp = self._reject(
                rec,
                None,
                400,
                50035,
                "Invalid Form Body",
                P.form_error(("_root",), "BASE_TYPE_ARRAY", "Must be an array"),
            )
            self.command_syncs.append(CommandSync(scope, "PUT", body, 400))
            return resp
        errors: dict = {}
        seen: set[tuple[str, int]] = set()
        for i, cmd in enumerate(body):
            if self.strict:
                P.merge_errors(errors, P.validate_command(cmd, (str(i),)))
            key = (cmd.get("name"), cmd.get("type", 1))
            if key in seen:
                P.merge_errors(
                    errors,
                    P.form_error(
                        (str(i), "name"),
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        f"Command name {key[0]!r} is already used",
                    ),
                )
            seen.add(key)
        if self.strict and sum(1 for c in body if c.get("type", 1) == 1) > 100:
            P.merge_errors(
                errors,
                P.form_error(("_root",), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."),
            )
        if errors:
            self.command_syncs.append(CommandSync(scope, "PUT", body, 400))
            return self._reject(rec, None, 400, 50035, "Invalid Form Body", errors)
        self.commands[scope] = {}
        stored = [self._store_command(scope, cmd) for cmd in body]
        self.command_syncs.append(CommandSync(scope, "PUT", body, 200))
        return P.json_response(stored)

    async def _r_cmd_upsert(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        if (err := self._check_app(rec, m)) is not None:
            return err
        scope = self._scope(m)
        body = rec.json or {}
        if self.strict and (errors := P.validate_command(body, ())):
            self.command_syncs.append(CommandSync(scope, "POST", body, 400))
            return self._reject(rec, None, 400, 50035, "Invalid Form Body", errors)
        key = (scope, body.get("name", ""), body.get("type", 1))
        existing = self._command_ids.get(key) in self.commands.get(scope, {})
        stored = self._store_command(scope, body)
        self.command_syncs.append(CommandSync(scope, "POST", body, 200))
        return P.json_response(stored, status=200 if existing else 201)

    async def _r_cmd_one(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        if (err := self._check_app(rec, m)) is not None:
            return err
        scope = self._scope(m)
        cid = int(m.group("cmd"))
        cmd = self.commands.get(scope, {}).get(cid)
        if cmd is None:
            return P.error_response(404, 10063, "Unknown application command")
        if rec.method == "GET":
            return P.json_response(cmd)
        if rec.method == "DELETE":
            del self.commands[scope][cid]
            self.command_syncs.append(CommandSync(scope, "DELETE", {"id": str(cid)}, 204))
            return web.Response(status=204)
        merged = {
            k: v for k, v in cmd.items() if k not in ("id", "application_id", "version", "guild_id")
        }
        merged.update(rec.json or {})
        del self.commands[scope][cid]
        self._command_ids[(scope, merged["name"], merged.get("type", 1))] = cid
        stored = self._store_command(scope, merged)
        self.command_syncs.append(CommandSync(scope, "PATCH", rec.json, 200))
        return P.json_response(stored)

    # ================================================================== REST: interaction callback

    async def _r_callback(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        handle = self.interactions.get(int(m.group("iid")))
        if handle is None or handle.token != m.group("token"):
            return self._reject(rec, handle, 404, 10062, "Unknown interaction")
        if handle.acknowledged:
            return self._reject(
                rec, handle, 400, 40060, "Interaction has already been acknowledged."
            )
        latency = time.monotonic() - (handle.dispatched_at or 0)
        if self.callback_deadline is not None and latency > self.callback_deadline:
            return self._reject(
                rec,
                handle,
                404,
                10062,
                f"Unknown interaction (callback after {latency:.2f}s > {self.callback_deadline}s)",
            )
        body = rec.json if isinstance(rec.json, dict) else {}
        ctype = body.get("type")
        if ctype not in ALLOWED_CALLBACKS.get(handle.type, set()):
            return self._reject(
                rec,
                handle,
                400,
                50035,
                "Invalid Form Body",
                P.form_error(
                    ("type",),
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                    f"Callback type {ctype} is not valid for interaction type {handle.type}",
                ),
            )
        data = body.get("data") or {}
        message: dict | None = None
        ephemeral = False
        if ctype == 4:
            if self.strict and (
                errors := P.validate_message_body(data, prefix=("data",), creating=True)
            ):
                return self._invalid_body(rec, handle, errors)
            flags = (data.get("flags") or 0) & P.SENDABLE_FLAGS
            message = self._new_message(
                handle,
                data,
                rec.files,
                flags=flags,
                msg_type=20 if handle.type == APPLICATION_COMMAND else 0,
            )
            handle.original_message_id = int(message["id"])
        elif ctype == 5:
            flags = P.FLAG_LOADING | ((data.get("flags") or 0) & P.FLAG_EPHEMERAL)
            message = self._new_message(
                handle,
                {},
                [],
                flags=flags,
                msg_type=20 if handle.type == APPLICATION_COMMAND else 0,
            )
            handle.original_message_id = int(message["id"])
        elif ctype in (6, 7):
            source = self.messages.get(handle.source_message_id or -1)
            if source is None:
                return self._reject(rec, handle, 404, 10008, "Unknown Message")
            handle.original_message_id = int(source["id"])
            if ctype == 7:
                if self.strict and (
                    errors := P.validate_message_body(data, prefix=("data",), creating=False)
                ):
                    return self._invalid_body(rec, handle, errors)
                updated = self._edited(source, data, rec.files)
                if self.strict and self._is_empty(updated):
                    return self._reject(rec, handle, 400, 50006, "Cannot send an empty message")
                self.messages[int(source["id"])] = message = updated
            else:
                message = source
        elif ctype == 8:
            if self.strict and (errors := P.validate_choices(data)):
                return self._reject(rec, handle, 400, 50035, "Invalid Form Body", errors)
        elif ctype == 9:
            if self.strict:
                problems = []
                if not data.get("custom_id"):
                    problems.append(
                        P.form_error(
                            ("data", "custom_id"), "BASE_TYPE_REQUIRED", "This field is required"
                        )
                    )
                if not 1 <= len(data.get("title") or "") <= 45:
                    problems.append(
                        P.form_error(
                            ("data", "title"),
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 45 in length.",
                        )
                    )
                if not 1 <= len(data.get("components") or []) <= 5:
                    problems.append(
                        P.form_error(
                            ("data", "components"),
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 5 in length.",
                        )
                    )
                if problems:
                    errors = {}
                    for p in problems:
                        P.merge_errors(errors, p)
                    return self._reject(rec, handle, 400, 50035, "Invalid Form Body", errors)
        if message is not None:
            ephemeral = bool(message["flags"] & P.FLAG_EPHEMERAL)
        handle.acknowledged = True
        handle.callback_latency = latency
        handle.events.append(
            ReplyEvent(
                CALLBACK,
                rec.method,
                rec.path,
                copy.deepcopy(body),
                copy.deepcopy(message) if message else None,
                rec.files,
            )
        )
        if rec.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        interaction: dict[str, Any] = {"id": str(handle.id), "type": handle.type}
        resp: dict[str, Any] = {"interaction": interaction}
        if message is not None:
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=ctype == 5,
                response_message_ephemeral=ephemeral,
            )
            if ctype in (4, 5, 7):
                resp["resource"] = {"type": ctype, "message": self._public_message(message)}
        elif ctype == 12:
            interaction["activity_instance_id"] = f"i-{handle.id}"
            resp["resource"] = {"type": 12, "activity_instance": {"id": f"i-{handle.id}"}}
        return P.json_response(resp)

    # ================================================================== REST: webhooks (follow-ups,

    def _webhook_handle(
        self, rec: RecordedRequest, m: re.Match
    ) -> tuple[InteractionHandle | None, web.Response | None]:
        handle = self._tokens.get(m.group("token"))
        if handle is None or int(m.group("app")) != self.application_id:
            return None, self._reject(rec, handle, 404, 10015, "Unknown Webhook")
        return handle, None

    async def _r_followup(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        handle, err = self._webhook_handle(rec, m)
        if err is not None:
            return err
        assert handle is not None
        if not handle.acknowledged:
            return self._reject(rec, handle, 404, 10015, "Unknown Webhook")
        body = rec.json if isinstance(rec.json, dict) else {}
        if self.strict and (errors := P.validate_message_body(body, creating=True)):
            return self._invalid_body(rec, handle, errors)
        original = self.messages.get(handle.original_message_id or -1)
        if original is not None and original["flags"] & P.FLAG_LOADING:
            # Discord: the first follow-up after a "thinking" defer completes the deferred message
            message = self._edited(
                original, {k: v for k, v in body.items() if k != "flags"}, rec.files
            )
            self.messages[int(original["id"])] = message
        else:
            flags = (body.get("flags") or 0) & P.SENDABLE_FLAGS
            message = self._new_message(handle, body, rec.files, flags=flags, msg_type=0)
            handle.followup_message_ids.append(int(message["id"]))
        handle.events.append(
            ReplyEvent(
                FOLLOWUP,
                rec.method,
                rec.path,
                copy.deepcopy(body),
                copy.deepcopy(message),
                rec.files,
            )
        )
        if rec.query.get("wait") in ("1", "true", "True"):
            return P.json_response(self._public_message(message))
        return web.Response(status=204)

    async def _r_webhook_message(self, rec: RecordedRequest, m: re.Match) -> web.Response:
        handle, err = self._webhook_handle(rec, m)
        if err is not None:
            return err
        assert handle is not None
        is_original = m.group("mid") == "@original"
        mid = handle.original_message_id if is_original else int(m.group("mid"))
        if mid is not None and not is_original and mid == handle.original_message_id:
            is_original = True
        owned = mid is not None and (
            mid == handle.original_message_id or mid in handle.followup_message_ids
        )
        message = self.messages.get(mid) if owned and mid is not None else None
        if message is None:
            return self._reject(rec, handle, 404, 10008, "Unknown Message")
        if rec.method == "GET":
            return P.json_response(self._public_message(message))
        if rec.method == "DELETE":
            del self.messages[int(message["id"])]
            kind = DELETE_ORIGINAL if is_original else DELETE_MESSAGE
            handle.events.append(ReplyEvent(kind, rec.method, rec.path, None, None))
            return web.Response(status=204)
        body = rec.json if isinstance(rec.json, dict) else {}
        if self.strict and (errors := P.validate_message_body(body, creating=False)):
            return self._invalid_body(rec, handle, errors)
        updated = self._edited(message, body, rec.files)
        if self.strict and self._is_empty(updated):
            return self._reject(rec, handle, 400, 50006, "Cannot send an empty message")
        self.messages[int(message["id"])] = updated
        kind = EDIT_ORIGINAL if is_original else EDIT_MESSAGE
        handle.events.append(
            ReplyEvent(
                kind, rec.method, rec.path, copy.deepcopy(body), copy.deepcopy(updated), rec.files
            )
        )
        return P.json_response(self._public_message(updated))
