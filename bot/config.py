"""The bot's settings, from the environment and an optional ``.env`` file.

Every setting is listed, with a comment, in ``.env.example``. Variables already set in the
environment win over the file. Values are checked here, once; a bad one raises
:class:`ConfigError` with a message that names the variable and says what it expects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from recommender.store import DEFAULT_MODEL_PATH

DEFAULT_ENV_FILE = Path(".env")
DEFAULT_RELOAD_SECONDS = 10.0
#: The command hash lives next to the model, so each deployment keeps its own.
COMMAND_HASH_NAME = ".command-hash"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Config:
    """Settings for one run of the bot.

    Attributes
    ----------
    token : str or None
        ``DISCORD_TOKEN``; without it ``python -m bot`` opens the offline console.
    model_path : Path
        ``MODEL_PATH``, the model file the bot serves and watches for rebuilds.
    guild_id : int or None
        ``DISCORD_GUILD_ID``: register the commands in this one server (instant), not globally.
    api_base : str or None
        ``DISCORD_API_BASE``: the REST API root, for a proxy or a test server.
    log_level : int or None
        ``LOG_LEVEL`` as a ``logging`` level; None when unset (the bot then logs INFO, the
        console WARNING).
    reload_seconds : float
        ``MODEL_RELOAD_SECONDS``: how often to look for a rebuilt model; 0 turns it off.
    """

    token: str | None = None
    model_path: Path = DEFAULT_MODEL_PATH
    guild_id: int | None = None
    api_base: str | None = None
    log_level: int | None = None
    reload_seconds: float = DEFAULT_RELOAD_SECONDS

    @property
    def command_hash_path(self) -> Path:
        return self.model_path.parent / COMMAND_HASH_NAME


def load_config(
    environ: Mapping[str, str] | None = None, env_file: Path | None = DEFAULT_ENV_FILE
) -> Config:
    """Read the settings from ``environ`` (default ``os.environ``) over ``env_file``.

    Parameters
    ----------
    environ : mapping, optional
        Variables that win over the file.
    env_file : Path or None
        A dotenv file; read only if it exists. None reads no file.

    Raises
    ------
    ConfigError
        A value is malformed (a guild id that is not a number, an unknown log level, ...).
    """
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    return Config(
        token=get("DISCORD_TOKEN"),
        model_path=Path(get("MODEL_PATH") or DEFAULT_MODEL_PATH),
        guild_id=_guild_id(get("DISCORD_GUILD_ID")),
        api_base=_api_base(get("DISCORD_API_BASE")),
        log_level=_log_level(get("LOG_LEVEL")),
        reload_seconds=_reload_seconds(get("MODEL_RELOAD_SECONDS")),
    )


def _guild_id(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) == 0:
        raise ConfigError(
            f"DISCORD_GUILD_ID must be a server id (digits only; in Discord: right-click the "
            f"server, Copy Server ID), got {text!r}. Leave it empty to register commands globally."
        )
    return int(text)


def _api_base(text: str | None) -> str | None:
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"DISCORD_API_BASE must be an http(s) URL such as http://127.0.0.1:8080/api/v10, "
            f"got {text!r}. Leave it empty to use Discord itself."
        )
    return text.rstrip("/")


def _log_level(text: str | None) -> int | None:
    if text is None:
        return None
    level = logging.getLevelName(text.upper())
    if not isinstance(level, int):
        raise ConfigError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {text!r}.")
    return level


def _reload_seconds(text: str | None) -> float:
    if text is None:
        return DEFAULT_RELOAD_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also refuses NaN
        raise ConfigError(
            f"MODEL_RELOAD_SECONDS must be a number of seconds (0 turns reloading off), "
            f"got {text!r}."
        )
    return seconds
