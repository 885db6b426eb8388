"""Discord-shaped JSON builders, snowflakes, error bodies and request validation."""

from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
import time
from typing import Any

from aiohttp import web

DISCORD_EPOCH_MS = 1420070400000

# Message flags (https://discord.com/developers/docs/resources/message#message-object-message-flags)
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
SENDABLE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
)
EDITABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2

# A broad permission set (send messages, embed links, attach files, use app commands, ...)
DEFAULT_PERMISSIONS = "2248473465835073"


class Snowflakes:
    """Monotonic snowflake generator (timestamp-based like Discord's)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17)
        self._last = max(value, self._last + 1)
        return self._last


def new_token(prefix: str = "aW50ZXJhY3Rpb24") -> str:
    return f"{prefix}{secrets.token_urlsafe(48)}"


def iso_now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat()


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON response with Content-Type exactly ``application/json`` like Discord's.

    discord.py's ``json_or_text`` compares the header verbatim, so aiohttp's
    ``json_response`` (which appends ``; charset=utf-8``) would make it see a str.
    """
    body = json.dumps(data, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json"})


def error_response(
    status: int, code: int, message: str, errors: dict | None = None
) -> web.Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return json_response(body, status=status)


def form_error(path: tuple[str, ...], code: str, message: str) -> dict:
    """Build Discord's nested ``errors`` object for one field path."""
    node: dict = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        node = {key: node}
    return node


def merge_errors(target: dict, new: dict) -> dict:
    for key, value in new.items():
        if key in target and isinstance(target[key], dict) and key != "_errors":
            merge_errors(target[key], value)
        else:
            target[key] = value
    return target


# --------------------------------------------------------------------------- entities


def user_payload(user_id: int, username: str, *, bot: bool = False) -> dict:
    data: dict[str, Any] = {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": None if bot else username,
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if bot:
        data["bot"] = True
    return data


def member_payload(user: dict, *, permissions: str | None = None) -> dict:
    data: dict[str, Any] = {
        "user": user,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if permissions is not None:
        data["permissions"] = permissions
    return data


def guild_channel_payload(channel_id: int, guild_id: int, name: str = "general") -> dict:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def dm_channel_payload(channel_id: int, recipient: dict) -> dict:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [recipient],
    }


def guild_payload(guild_id: int, name: str, channel: dict, bot_member: dict) -> dict:
    """A GUILD_CREATE payload (member_count == cached members so discord.py won't chunk)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": "1",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "icon": None,
                "unicode_emoji": None,
                "position": 0,
                "permissions": DEFAULT_PERMISSIONS,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": False,
        "unavailable": False,
        "member_count": 1,
        "voice_states": [],
        "members": [bot_member],
        "channels": [channel],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


# --------------------------------------------------------------------------- validation

_CHAT_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)
_EMBED_LIMITS = {"title": 256, "description": 4096}


def _length_error(path: tuple[str, ...], limit: int) -> dict:
    return form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def validate_message_body(
    body: dict, *, prefix: tuple[str, ...] = (), creating: bool
) -> dict | None:
    """Check a message create/edit body against Discord's limits.

    Returns a Discord ``errors`` dict, or None if the body is acceptable.
    """
    errors: dict = {}
    content = body.get("content")
    if content is not None:
        if not isinstance(content, str):
            merge_errors(
                errors, form_error(prefix + ("content",), "BASE_TYPE_STRING", "Must be a string.")
            )
        elif len(content) > 2000:
            merge_errors(errors, _length_error(prefix + ("content",), 2000))
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        merge_errors(errors, _length_error(prefix + ("embeds",), 10))
    total = 0
    for i, embed in enumerate(embeds):
        path = prefix + ("embeds", str(i))
        for key, limit in _EMBED_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                merge_errors(errors, _length_error(path + (key,), limit))
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            text = (embed.get(key) or {}).get(sub) or ""
            total += len(text)
            if len(text) > limit:
                merge_errors(errors, _length_error(path + (key, sub), limit))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            merge_errors(errors, _length_error(path + ("fields",), 25))
        for j, field in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                text = field.get(key)
                fpath = path + ("fields", str(j), key)
                if not text:
                    merge_errors(
                        errors, form_error(fpath, "BASE_TYPE_REQUIRED", "This field is required")
                    )
                else:
                    total += len(text)
                    if len(text) > limit:
                        merge_errors(errors, _length_error(fpath, limit))
    if total > 6000:
        merge_errors(
            errors,
            form_error(
                prefix + ("embeds",),
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            ),
        )
    flags = body.get("flags") or 0
    if flags & ~SENDABLE_FLAGS:
        merge_errors(
            errors,
            form_error(prefix + ("flags",), "MESSAGE_FLAGS_INVALID", "Invalid message flags"),
        )
    components = body.get("components") or []
    if flags & FLAG_COMPONENTS_V2:
        if content or embeds:
            merge_errors(
                errors,
                form_error(
                    prefix + ("content",),
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    "The 'content' and 'embeds' fields cannot be used when using "
                    "MessageFlags.IS_COMPONENTS_V2",
                ),
            )
    else:
        merge_errors(errors, _validate_action_rows(components, prefix + ("components",)))
    if errors:
        return errors
    if creating and not (
        content
        or embeds
        or components
        or body.get("attachments")
        or body.get("poll")
        or body.get("sticker_ids")
    ):
        return {"_empty": True}
    return None


def _validate_action_rows(rows: list, path: tuple[str, ...]) -> dict:
    errors: dict = {}
    if len(rows) > 5:
        merge_errors(errors, _length_error(path, 5))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        rpath = path + (str(i),)
        if row.get("type") != 1:
            merge_errors(
                errors,
                form_error(
                    rpath + ("type",), "UNION_TYPE_CHOICES", "Top-level must be action rows"
                ),
            )
            continue
        children = row.get("components") or []
        kinds = {c.get("type") for c in children}
        if not children or len(children) > 5 or (kinds - {2} and len(children) > 1):
            merge_errors(
                errors,
                form_error(
                    rpath + ("components",),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "Invalid action row width",
                ),
            )
        for j, comp in enumerate(children):
            cpath = rpath + ("components", str(j))
            custom_id = comp.get("custom_id")
            if custom_id is not None:
                if len(custom_id) > 100:
                    merge_errors(errors, _length_error(cpath + ("custom_id",), 100))
                if custom_id in seen:
                    merge_errors(
                        errors,
                        form_error(
                            cpath + ("custom_id",),
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        ),
                    )
                seen.add(custom_id)
            if comp.get("type") == 2:
                if len(comp.get("label") or "") > 80:
                    merge_errors(errors, _length_error(cpath + ("label",), 80))
                link = comp.get("style") == 5
                if not link and not custom_id and comp.get("style") != 6:
                    merge_errors(
                        errors,
                        form_error(
                            cpath + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required"
                        ),
                    )
                if link and not comp.get("url"):
                    merge_errors(
                        errors,
                        form_error(
                            cpath + ("url",), "BASE_TYPE_REQUIRED", "This field is required"
                        ),
                    )
            elif comp.get("type") == 3:
                options = comp.get("options") or []
                if not 1 <= len(options) <= 25:
                    merge_errors(
                        errors,
                        form_error(
                            cpath + ("options",),
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 25 in length.",
                        ),
                    )
                for k, opt in enumerate(options):
                    for key in ("label", "value"):
                        if not opt.get(key) or len(opt[key]) > 100:
                            merge_errors(
                                errors,
                                form_error(
                                    cpath + ("options", str(k), key),
                                    "BASE_TYPE_BAD_LENGTH",
                                    "Must be between 1 and 100 in length.",
                                ),
                            )
    return errors


def validate_choices(data: dict) -> dict | None:
    choices = (data or {}).get("choices")
    if choices is None:
        return form_error(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
    errors: dict = {}
    if len(choices) > 25:
        merge_errors(errors, _length_error(("data", "choices"), 25))
    for i, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            merge_errors(
                errors,
                form_error(
                    ("data", "choices", str(i), "name"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                ),
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            merge_errors(errors, _length_error(("data", "choices", str(i), "value"), 100))
        elif value is None:
            merge_errors(
                errors,
                form_error(
                    ("data", "choices", str(i), "value"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                ),
            )
    return errors or None


def validate_command(cmd: dict, path: tuple[str, ...]) -> dict:
    """Validate one application command (or option) definition from a sync body."""
    errors: dict = {}
    ctype = cmd.get("type", 1)
    name = cmd.get("name") or ""
    if ctype == 1:
        if not _CHAT_NAME.match(name) or name != name.lower():
            merge_errors(
                errors,
                form_error(
                    path + ("name",),
                    "APPLICATION_COMMAND_INVALID_NAME",
                    f"Command name is invalid: {name!r}",
                ),
            )
        description = cmd.get("description") or ""
        if not 1 <= len(description) <= 100:
            merge_errors(
                errors,
                form_error(
                    path + ("description",),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                ),
            )
        merge_errors(errors, _validate_options(cmd.get("options") or [], path + ("options",)))
    elif not 1 <= len(name) <= 32:
        merge_errors(
            errors,
            form_error(
                path + ("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
            ),
        )
    return errors


def _validate_options(options: list, path: tuple[str, ...]) -> dict:
    errors: dict = {}
    if len(options) > 25:
        merge_errors(errors, _length_error(path, 25))
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        opath = path + (str(i),)
        name = opt.get("name") or ""
        if not _CHAT_NAME.match(name) or name != name.lower():
            merge_errors(
                errors,
                form_error(
                    opath + ("name",), "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}"
                ),
            )
        if name in names:
            merge_errors(
                errors,
                form_error(
                    opath + ("name",),
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Option names must be unique",
                ),
            )
        names.add(name)
        description = opt.get("description") or ""
        if not 1 <= len(description) <= 100:
            merge_errors(
                errors,
                form_error(
                    opath + ("description",),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                ),
            )
        if opt.get("type") in (1, 2):
            merge_errors(errors, _validate_options(opt.get("options") or [], opath + ("options",)))
            continue
        if opt.get("required"):
            if seen_optional:
                merge_errors(
                    errors,
                    form_error(
                        opath + ("required",),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    ),
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            merge_errors(errors, _length_error(opath + ("choices",), 25))
        if choices and opt.get("autocomplete"):
            merge_errors(
                errors,
                form_error(
                    opath + ("autocomplete",),
                    "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                    "Autocomplete cannot be set if there are choices",
                ),
            )
    return errors
