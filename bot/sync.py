"""Register the slash commands with Discord only when they changed.

Discord rate-limits command registration and global changes take a while to spread, so the
bot does not sync on every start. It hashes the command definitions it would send and keeps
the hash per application and scope in a small JSON file next to the model
(``artifacts/.command-hash``). It syncs when the hash differs, when ``--sync`` forces it, or
the first time it runs for a scope. With ``DISCORD_GUILD_ID`` the scope is that one server,
where changes show at once; without it, the commands are global.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

logger = logging.getLogger(__name__)


def command_payloads(
    tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """The JSON ``tree.sync(guild=guild)`` sends, in a stable order."""
    payloads = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    return sorted(payloads, key=lambda p: (p.get("type", 1), p["name"]))


def payload_hash(payloads: list[dict[str, Any]]) -> str:
    text = json.dumps(payloads, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scope_key(application_id: int | None, guild_id: int | None) -> str:
    return f"{application_id}:{'guild/' + str(guild_id) if guild_id else 'global'}"


def read_hashes(path: Path) -> dict[str, str]:
    """The stored hashes by scope; an absent or unreadable file counts as none stored."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable command hash file %s: %s", path, exc)
        return {}
    if not isinstance(stored, dict):
        return {}
    return {str(k): str(v) for k, v in stored.items()}


def write_hashes(path: Path, hashes: dict[str, str]) -> None:
    """Write the hashes atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(hashes, file, indent=2, sort_keys=True)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


async def sync_commands(
    tree: app_commands.CommandTree,
    *,
    guild_id: int | None,
    hash_path: Path,
    force: bool = False,
) -> bool:
    """Sync the tree's commands to one guild or globally if they changed; True if synced.

    A failed sync is logged and not recorded, so the next start tries again; the bot keeps
    running with whatever Discord already has.
    """
    guild = discord.Object(guild_id) if guild_id else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    where = f"guild {guild_id}" if guild_id else "all servers (global)"
    digest = payload_hash(command_payloads(tree, guild))
    key = scope_key(tree.client.application_id, guild_id)
    hashes = read_hashes(hash_path)
    if not force and hashes.get(key) == digest:
        logger.info("commands unchanged for %s; not syncing (use --sync to force)", where)
        return False

    try:
        synced = await tree.sync(guild=guild)
    except discord.HTTPException as exc:
        logger.error("could not sync the commands to %s: %s", where, exc)
        return False
    hashes[key] = digest
    try:
        write_hashes(hash_path, hashes)
    except OSError as exc:
        logger.warning("synced, but could not save the command hash to %s: %s", hash_path, exc)
    logger.info("synced %d commands to %s", len(synced), where)
    return True
