"""Records of what the bot did (shared by the server and its REST handlers)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    """One HTTP request the bot made (every request is recorded, known route or not)."""

    method: str
    path: str  # without the /api/vN prefix, e.g. "/users/@me"
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[dict]
    raw: bytes = field(repr=False)
    api_version: int | None
    route: str | None = None  # route name, None = unknown route (answered 404)
    status: int | None = None
    response: Any = None
    overridden: bool = False
    at: float = field(default_factory=time.monotonic)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")


@dataclass
class CommandSync:
    guild_id: int | None
    method: str
    body: Any
    status: int
    at: float = field(default_factory=time.monotonic)
