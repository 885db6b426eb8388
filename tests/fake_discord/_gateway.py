"""The fake gateway: HELLO/IDENTIFY/RESUME/heartbeats, transport compression, dispatch."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger("fake_discord.gateway")

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE_STATE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11

# Privileged intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)


class _ZlibStream:
    name = "zlib-stream"

    def __init__(self) -> None:
        self._c = zlib.compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)


class _ZstdStream:
    """zstd-stream: one zstd frame per connection, each message flushed as a block."""

    name = "zstd-stream"

    def __init__(self) -> None:
        try:
            import zstandard

            self._c = zstandard.ZstdCompressor().compressobj()
            self._flush = lambda: self._c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            self._compress = self._c.compress
        except ImportError:
            from compression.zstd import ZstdCompressor  # type: ignore[import-not-found]  # Python 3.14+

            c = ZstdCompressor()
            self._compress = lambda data: c.compress(data, mode=ZstdCompressor.FLUSH_BLOCK)
            self._flush = lambda: b""

    def compress(self, data: bytes) -> bytes:
        return self._compress(data) + self._flush()


def zstd_available() -> bool:
    try:
        import zstandard  # noqa: F401

        return True
    except ImportError:
        try:
            import compression.zstd  # type: ignore[import-not-found]  # noqa: F401

            return True
        except ImportError:
            return False


@dataclass
class GatewayConnection:
    """One websocket connection (what tests inspect via ``fake.connections``)."""

    index: int
    path: str
    query: dict[str, str]
    compression: str | None
    opened_at: float = field(default_factory=time.monotonic)
    kind: str | None = None  # "identify" | "resume" | "resume_failed"
    session_id: str | None = None
    identify: dict | None = None
    resume: dict | None = None
    heartbeats: int = 0
    last_heartbeat_seq: int | None = None
    frames_sent: int = 0
    binary_frames_sent: int = 0
    raw_bytes_sent: int = 0
    wire_bytes_sent: int = 0
    received: list[dict] = field(default_factory=list)
    sent_ops: list[tuple[int, str | None]] = field(default_factory=list)
    handshake_done: bool = False
    closed: bool = False
    close_code: int | None = None
    closed_by_server: bool = False
    # internals
    ws: web.WebSocketResponse | None = field(default=None, repr=False)
    compressor: Any = field(default=None, repr=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def identified(self) -> bool:
        return self.kind == "identify" and self.handshake_done

    @property
    def resumed(self) -> bool:
        return self.kind == "resume" and self.handshake_done

    async def send(self, payload: dict) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        async with self.lock:
            if self.ws is None or self.ws.closed:
                raise ConnectionError("gateway connection is closed")
            if self.compressor is not None:
                wire = self.compressor.compress(data)
                await self.ws.send_bytes(wire)
                self.binary_frames_sent += 1
            else:
                wire = data
                await self.ws.send_str(data.decode())
            self.frames_sent += 1
            self.raw_bytes_sent += len(data)
            self.wire_bytes_sent += len(wire)
            self.sent_ops.append((payload.get("op"), payload.get("t")))


@dataclass
class GatewaySession:
    session_id: str
    seq: int = 0
    connection: GatewayConnection | None = None
    buffer: list[dict] = field(default_factory=list)
    invalidated: bool = False
    identify: dict | None = None


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.current: GatewaySession | None = None

    # ------------------------------------------------------------------ helpers

    @property
    def live_connection(self) -> GatewayConnection | None:
        session = self.current
        if session is None or session.connection is None:
            return None
        conn = session.connection
        if conn.closed or not conn.handshake_done:
            return None
        return conn

    async def dispatch(self, event: str, data: dict, *, timeout: float) -> int:
        """Send a DISPATCH to the current session; waits (bounded) for a live connection."""

        def ready():
            return self.live_connection

        conn = await self.fake.wait_until(
            ready, timeout, lambda: f"no live, identified gateway connection to dispatch {event}"
        )
        session = self.current
        assert session is not None
        return await self._dispatch_on(session, conn, event, data)

    async def _dispatch_on(
        self, session: GatewaySession, conn: GatewayConnection | None, event: str, data: Any
    ) -> int:
        session.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        del session.buffer[:-1000]
        if conn is not None and not conn.closed:
            try:
                await conn.send(payload)
            except (ConnectionError, ConnectionResetError, RuntimeError) as exc:
                log.debug("dispatch %s not delivered now (%s); kept for RESUME", event, exc)
        return session.seq

    async def send_op(self, op: int, d: Any = None) -> GatewayConnection:
        conn = self.live_connection
        if conn is None:
            raise RuntimeError("no live gateway connection")
        await conn.send({"op": op, "d": d})
        return conn

    async def close_all(self, code: int = 1001) -> None:
        for conn in self.connections:
            if conn.ws is not None and not conn.ws.closed:
                conn.closed_by_server = True
                try:
                    await asyncio.wait_for(conn.ws.close(code=code), 2.0)
                except (TimeoutError, ConnectionError):
                    pass

    # ------------------------------------------------------------------ the websocket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        fake = self.fake
        query = dict(request.query)
        compress = query.get("compress")
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(
            index=len(self.connections), path=request.path, query=query, compression=compress, ws=ws
        )
        self.connections.append(conn)
        fake._bump()
        log.debug("gateway connection #%d %s", conn.index, query)
        try:
            if compress == "zlib-stream":
                conn.compressor = _ZlibStream()
            elif compress == "zstd-stream" and zstd_available():
                conn.compressor = _ZstdStream()
            elif compress:
                problem = f"bot asked for compress={compress!r}, which the fake cannot produce"
                if compress == "zstd-stream":
                    problem += " (install zstandard in the test process, like the bot's)"
                fake.internal_errors.append(problem)
                return await self._close(conn, 4000, problem)
            if query.get("encoding", "json") != "json":
                return await self._close(conn, 4002, "only encoding=json is supported")
            if query.get("v", "10") not in ("9", "10"):
                return await self._close(conn, 4012, "Invalid API version")

            await conn.send(
                {"op": OP_HELLO, "d": {"heartbeat_interval": fake.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    raw = (
                        msg.data
                        if isinstance(msg.data, str)
                        else msg.data.decode("utf-8", "replace")
                    )
                    try:
                        payload = json.loads(raw)
                    except ValueError:
                        return await self._close(conn, 4002, "Error while decoding payload.")
                    conn.received.append(payload)
                    stop = await self._on_payload(conn, payload)
                    fake._bump()
                    if stop:
                        break
                elif msg.type == WSMsgType.ERROR:
                    break
        except Exception:  # pragma: no cover - surfaced via fake.internal_errors
            log.exception("gateway handler crashed")
            fake.internal_errors.append(f"gateway connection #{conn.index} crashed")
        finally:
            conn.closed = True
            conn.close_code = conn.close_code or ws.close_code
            for session in self.sessions.values():
                if session.connection is conn:
                    session.connection = None
            fake._bump()
            log.debug("gateway connection #%d closed (%s)", conn.index, conn.close_code)
        return ws

    async def _close(
        self, conn: GatewayConnection, code: int, reason: str
    ) -> web.WebSocketResponse:
        log.info("closing gateway connection #%d: %s %s", conn.index, code, reason)
        conn.closed_by_server = True
        conn.close_code = code
        assert conn.ws is not None
        await conn.ws.close(code=code, message=reason.encode())
        return conn.ws

    async def _on_payload(self, conn: GatewayConnection, payload: dict) -> bool:
        """Handle one client payload; return True when the connection was closed."""
        fake = self.fake
        op = payload.get("op")
        d = payload.get("d")
        if op == OP_HEARTBEAT:
            conn.heartbeats += 1
            conn.last_heartbeat_seq = d
            await conn.send({"op": OP_HEARTBEAT_ACK})
            return False
        if op == OP_IDENTIFY:
            if conn.kind is not None:
                await self._close(conn, 4005, "Already authenticated.")
                return True
            return await self._identify(conn, d or {})
        if op == OP_RESUME:
            if conn.kind is not None:
                await self._close(conn, 4005, "Already authenticated.")
                return True
            return await self._resume(conn, d or {})
        if conn.kind is None:
            await self._close(conn, 4003, "Not authenticated.")
            return True
        if op == OP_PRESENCE:
            fake.presence_updates.append(d)
        elif op == OP_REQUEST_MEMBERS:
            session = self.sessions.get(conn.session_id or "")
            if session is not None:
                guild_ids = d.get("guild_id") if isinstance(d, dict) else None
                for gid in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
                    chunk = {
                        "guild_id": str(gid),
                        "members": [],
                        "chunk_index": 0,
                        "chunk_count": 1,
                        "not_found": [],
                    }
                    if isinstance(d, dict) and d.get("nonce") is not None:
                        chunk["nonce"] = d["nonce"]
                    await self._dispatch_on(session, conn, "GUILD_MEMBERS_CHUNK", chunk)
        elif op == OP_VOICE_STATE:
            pass
        else:
            await self._close(conn, 4001, f"Unknown opcode {op}")
            return True
        return False

    async def _identify(self, conn: GatewayConnection, d: dict) -> bool:
        fake = self.fake
        conn.identify = d
        conn.kind = "identify"
        if fake.token is not None and d.get("token") != fake.token:
            await self._close(conn, 4004, "Authentication failed.")
            return True
        intents = d.get("intents")
        if intents is None:
            await self._close(conn, 4013, "Invalid intent(s).")
            return True
        if intents & PRIVILEGED_INTENTS & ~fake.allowed_privileged_intents:
            await self._close(conn, 4014, "Disallowed intent(s).")
            return True
        session = GatewaySession(session_id=secrets.token_hex(16), identify=d)
        self.sessions[session.session_id] = session
        if self.current is not None:
            self.current.invalidated = True
        self.current = session
        session.connection = conn
        conn.session_id = session.session_id
        guild_ids = fake.guild_ids
        ready = {
            "v": 10,
            "user": fake.bot_user,
            "user_settings": {},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "guilds": [{"id": str(gid), "unavailable": True} for gid in guild_ids],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "shard": d.get("shard") or [0, 1],
            "application": {"id": str(fake.application_id), "flags": fake.application_flags},
            "auth": {},
            "_trace": ['["fake-discord-gateway",{"micros":0}]'],
        }
        await self._dispatch_on(session, conn, "READY", ready)
        conn.handshake_done = True
        for gid in guild_ids:
            await self._dispatch_on(session, conn, "GUILD_CREATE", fake._guild_create_payload(gid))
        fake.ready_count += 1
        return False

    async def _resume(self, conn: GatewayConnection, d: dict) -> bool:
        fake = self.fake
        conn.resume = d
        session = self.sessions.get(d.get("session_id") or "")
        token_ok = fake.token is None or d.get("token") == fake.token
        if session is None or session.invalidated or not token_ok:
            conn.kind = "resume_failed"
            await conn.send({"op": OP_INVALID_SESSION, "d": False})
            return False
        conn.kind = "resume"
        old = session.connection
        if old is not None and old is not conn and old.ws is not None and not old.ws.closed:
            old.closed_by_server = True
            await old.ws.close(code=4000, message=b"resumed elsewhere")
        session.connection = conn
        conn.session_id = session.session_id
        self.current = session
        last_seq = d.get("seq") or 0
        for payload in list(session.buffer):
            if payload["s"] > last_seq:
                await conn.send(payload)
        await self._dispatch_on(
            session, conn, "RESUMED", {"_trace": ['["fake-discord-gateway",{"micros":0}]']}
        )
        conn.handshake_done = True
        return False
