"""A local fake of Discord's REST API and gateway for end-to-end tests of a discord.py bot.

Pure aiohttp (does not import discord.py). Written against discord.py 2.7.1.

Pointing the bot at the fake (bot side, when DISCORD_API_BASE is set)
------------------------------------------------------------------
discord.py reads REST from ``discord.http.Route.BASE``, but a plain ``Client``/``Bot``
NEVER asks the API for the gateway address: it connects to the class attribute
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (wss://gateway.discord.gg/), and
falls back to it again after a non-resumable INVALID_SESSION. So the bot must do both::

    api_base = os.environ.get("DISCORD_API_BASE")
    if api_base:
        discord.http.Route.BASE = api_base          # before login()/start()

    class MyBot(commands.Bot):
        async def setup_hook(self):                  # runs after login, before the gateway
            if os.environ.get("DISCORD_API_BASE"):
                _, url, _ = await self.http.get_bot_gateway()   # GET /gateway/bot -> the fake
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            ... sync commands ...

(``AutoShardedClient``/``AutoShardedBot`` call GET /gateway/bot themselves.)
discord.py negotiates ``compress=zlib-stream`` unless the ``zstandard`` package (or Python
3.14's ``compression.zstd``) is importable, in which case it uses ``zstd-stream``; the
fake implements both (zstd needs one of those libraries in the test process too).

Test side
---------
Synchronous pytest (bot as a subprocess)::

    from fake_discord import FakeDiscordThread

    with FakeDiscordThread() as fake:                      # fake.stop() on exit
        # fake.env() = {"DISCORD_API_BASE": ..., "DISCORD_TOKEN": ...}
        bot = subprocess.Popen([...], env=os.environ | fake.env())
        fake.wait_until_ready(timeout=15)                  # bot IDENTIFYed, READY sent
        fake.wait_for_commands("similar", timeout=15)      # bot synced /similar
        h = fake.send_slash_command("similar", {"artist": "Radiohead"})
        msg = h.wait_reply(timeout=10)                     # a Discord message dict
        click = fake.send_component(h, "next_page")       # button on h's reply
        click.wait_callback()                              # {"type": 7, "data": {...}}
        fake.assert_no_unknown_requests()

On FakeDiscordThread every coroutine method of FakeDiscord, and of the handles it returns,
is a blocking call with the same signature (bounded by its ``timeout`` + 5 s);
``fake.run(coro, timeout)`` runs anything else on the fake's loop; ``fake.fake`` is the
FakeDiscord itself.

Async (same API, awaited, on the loop that started the fake)::

    async with FakeDiscord() as fake: ...

Importing discord.py inside a pytest process with ``filterwarnings = error`` fails on its
``audioop`` DeprecationWarning; import it under ``warnings.catch_warnings()`` (see
tests/test_fake_discord.py). The fake itself does not import discord.py.

``FakeDiscord(...)`` options: ``token`` (default random; REST ``Authorization: Bot <token>``
and IDENTIFY are checked), ``application_id``, ``bot_username``, ``guild_ids`` (guilds the
bot is in — sent as GUILD_CREATE after READY; the first is the default guild for
interactions; ``[]`` makes DMs the default), ``user_id``/``username`` (default invoking
user), ``callback_deadline`` (default 3.0 s like Discord: a later callback gets 404 "Unknown
interaction"; None disables), ``strict`` (default True: validate bodies against Discord
limits — 2000-char content, 10 embeds/6000 chars, 5 action rows, 25 choices, command-name
rules... — and reject with Discord's 400 errors; also validates test-side inputs such as
option values and clicked custom_ids), ``allowed_privileged_intents``,
``heartbeat_interval_ms``.

Attributes: ``api_base``, ``gateway_url``, ``token``, ``application_id``, ``guild_id``,
``channel_id``, ``user_id``, ``env()``.

Driving the bot (all async; bounded by ``timeout``; raise ``TimeoutError`` saying what was seen):
  ``wait_until_ready()``, ``wait_for_commands(*names, guild_id=...)``,
  ``send_slash_command(name, options={opt: value} | [raw options], user_id=, guild_id=
  (None = DM), channel_id=, locale=, resolved=)`` — ``name`` may be "group sub"; option
  types come from the synced schema; data.id / data.guild_id are the synced command's,
  ``send_autocomplete(name, options, focused=None)``,
  ``send_component(handle | message | message_id, custom_id, values=None, component_type=None)``,
  ``send_modal_submit(handle_that_opened_modal, {custom_id: value})``,
  ``request_reconnect()`` (op 7; returns the bot's next completed connection — check
  ``.resumed``/``.identified``), ``invalidate_session(resumable=False)``,
  ``drop_connection(code=4000)``, ``dispatch_event(name, data)``,
  ``wait_until(check, timeout, describe)`` (first truthy ``check()``, re-evaluated on every
  request / gateway message). Note: after a non-resumable INVALID_SESSION discord.py waits
  5 s before re-IDENTIFYing, so give that a timeout of >= 8 s.

InteractionHandle (returned by send_*): ``payload`` (the INTERACTION_CREATE data sent),
``id``, ``token``, ``events`` (accepted bot requests: ReplyEvent(kind, body, message),
kinds callback/edit_original/followup/edit_message/delete_*), ``rejected`` (requests the
fake refused, e.g. double ack, late callback, invalid body), ``callback``, ``original``,
``followups``, ``messages``, ``choices``, ``callback_latency``, and
  ``wait_callback()`` -> ``{"type": 1..12, "data": {...}}``,
  ``wait_reply()`` -> first user-visible message (type 4/7 callback, or for deferred
  responses the first @original edit / follow-up) as a Discord message dict,
  ``wait_edit()``, ``wait_followup(index=0)``, ``wait_choices()``, ``wait_modal()``,
  ``wait_for(kind=None, predicate=None)``, ``wait_rejection()``.
Deferred "thinking" (type 5) responses are completed by the first follow-up, like Discord.

Records: ``requests`` (RecordedRequest: method, path without /api/vN, query, headers incl.
Authorization, json — for multipart the parsed payload_json —, files, route, status,
response), ``find_requests(method, path_regex, route)``, ``unknown_requests`` /
``assert_no_unknown_requests()`` (unimplemented routes get 404 {"message": "404: Not Found",
"code": 0}), ``rejected`` / ``assert_no_rejections()``, ``command_syncs``, ``commands``
(scope -> id -> command), ``connections`` (GatewayConnection: query, compression, kind
identify/resume, identify payload incl. intents, heartbeats, frame counts, close_code),
``internal_errors`` (bugs in the fake), ``clear_records()``,
``override(method, path_regex, status, body, times=1)`` to inject errors.
"""

from ._gateway import GatewayConnection
from ._interactions import InteractionHandle, RejectedRequest, ReplyEvent
from ._thread import FakeDiscordThread, SyncInteraction
from .server import CommandSync, FakeDiscord, RecordedRequest

__all__ = [
    "CommandSync",
    "FakeDiscord",
    "FakeDiscordThread",
    "GatewayConnection",
    "InteractionHandle",
    "RecordedRequest",
    "RejectedRequest",
    "ReplyEvent",
    "SyncInteraction",
]
