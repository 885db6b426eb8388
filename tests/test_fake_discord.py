"""Tests of the Discord fake (tests/fake_discord) driven by a real, in-process discord.py bot."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
import threading
import warnings
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import yarl

with warnings.catch_warnings():
    # discord.voice_client imports audioop, deprecated on 3.11+ (pytest runs with -W error)
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord
    import discord.gateway
    import discord.http
    import discord.utils
    from discord import app_commands
    from discord.ext import commands

from fake_discord import FakeDiscord, FakeDiscordThread

TEST_TIMEOUT = 10.0
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
ARTISTS = ["Radiohead", "Radio Moscow", "Portishead", "Massive Attack", "Bjork"]


# --------------------------------------------------------------------------- the bot under test


class PickView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="More", custom_id="more", style=discord.ButtonStyle.primary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(
            content="More artists: Portishead, Bjork", view=None
        )

    @discord.ui.select(
        custom_id="pick",
        options=[discord.SelectOption(label=a, value=a.lower()) for a in ARTISTS[:3]],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    comment = discord.ui.TextInput(label="Comment", custom_id="comment")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.comment.value}", ephemeral=True)


class FakeBot(commands.Bot):
    """A small bot exercising the API surface the real bot will use."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.2
        )
        self.test_guild = discord.Object(guild_id)
        self.seen: list[discord.Interaction] = []
        self.errors: list[BaseException] = []
        self._add_commands()

    async def setup_hook(self) -> None:
        # The recipe the real bot must follow: gateway URL from GET /gateway/bot.
        _, url, _ = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await self.tree.sync()
        self.tree.copy_global_to(guild=self.test_guild)
        await self.tree.sync(guild=self.test_guild)

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command(name="similar", description="Artists similar to one you like")
        @app_commands.describe(artist="An artist", count="How many")
        async def similar(
            interaction: discord.Interaction, artist: str, count: app_commands.Range[int, 1, 10] = 3
        ):
            self.seen.append(interaction)
            where = "dm" if interaction.guild_id is None else "guild"
            await interaction.response.send_message(
                f"Similar to {artist} ({count}, {where}): Portishead, Massive Attack",
                view=PickView(),
            )

        @similar.autocomplete("artist")
        async def artist_autocomplete(interaction: discord.Interaction, current: str):
            return [
                app_commands.Choice(name=a, value=a)
                for a in ARTISTS
                if current.lower() in a.lower()
            ]

        @tree.command(name="slow", description="Deferred answer")
        async def slow(interaction: discord.Interaction, artist: str, edit: bool = False):
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.05)
            if edit:
                await interaction.edit_original_response(content=f"edited result for {artist}")
                original = await interaction.original_response()  # GET @original
                await interaction.followup.send(f"original said: {original.content}")
                await interaction.delete_original_response()
            else:
                await interaction.followup.send(f"slow result for {artist}")
                second = await interaction.followup.send("and a second message", ephemeral=True)
                await second.edit(content="and an edited second message")

        @tree.command(name="huge", description="Replies with too much text")
        async def huge(interaction: discord.Interaction):
            try:
                await interaction.response.send_message("x" * 2001)
            except discord.HTTPException as exc:
                self.errors.append(exc)

        @tree.command(name="late", description="Answers after the 3s window")
        async def late(interaction: discord.Interaction):
            await asyncio.sleep(1.6)
            try:
                await interaction.response.send_message("too late")
            except discord.HTTPException as exc:
                self.errors.append(exc)

        @tree.command(name="lookup", description="Calls an unimplemented route")
        async def lookup(interaction: discord.Interaction):
            try:
                await self.fetch_channel(1234)
            except discord.HTTPException as exc:
                self.errors.append(exc)
            await interaction.response.send_message("done", ephemeral=True)

        group = app_commands.Group(name="artist", description="Artist tools")

        @group.command(name="info", description="Artist info")
        async def info(interaction: discord.Interaction, name: str):
            await interaction.response.send_message(f"info about {name}")

        tree.add_command(group)

        @tree.command(name="chart", description="Sends a picture")
        async def chart(interaction: discord.Interaction):
            picture = discord.File(io.BytesIO(PNG_BYTES), filename="chart.png")
            embed = discord.Embed(title="Neighbours").set_image(url="attachment://chart.png")
            await interaction.response.send_message("here", file=picture, embed=embed)

        @tree.command(name="feedback", description="Opens a form")
        async def feedback(interaction: discord.Interaction):
            await interaction.response.send_modal(FeedbackModal())


# --------------------------------------------------------------------------- harness


@contextlib.asynccontextmanager
async def running_bot(fake: FakeDiscord, wait: bool = True) -> AsyncIterator[FakeBot]:
    """Run FakeBot against ``fake``; restore discord.py globals after.

    With ``wait`` (fake on the same loop) waits until the bot is connected and synced.
    """
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    bot = FakeBot(fake.guild_id)
    task = asyncio.create_task(bot.start(fake.token))
    try:
        if wait:
            waiter = asyncio.ensure_future(fake.wait_for_commands("similar", "slow", timeout=5))
            await asyncio.wait([waiter, task], return_when=asyncio.FIRST_COMPLETED)
            if task.done():  # the bot died during start-up: show why
                waiter.cancel()
                task.result()
                raise AssertionError("bot stopped during start-up")
            await waiter
            await fake.wait_until_ready(timeout=5)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def run_with_bot(
    scenario: Callable[[FakeDiscord, FakeBot], Awaitable[None]], **fake_kwargs: Any
) -> None:
    async def main() -> None:
        async with FakeDiscord(**fake_kwargs) as fake:
            async with running_bot(fake) as bot:
                await scenario(fake, bot)
            assert not fake.internal_errors, fake.internal_errors

    asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT))


# --------------------------------------------------------------------------- tests


def test_login_ready_sync_and_compression() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        calls = [(r.method, r.path) for r in fake.requests]
        assert calls[:3] == [
            ("GET", "/users/@me"),
            ("GET", "/oauth2/applications/@me"),
            ("GET", "/gateway/bot"),
        ]
        assert all(r.authorization == f"Bot {fake.token}" for r in fake.requests)
        assert all(r.api_version == 10 for r in fake.requests)
        fake.assert_no_unknown_requests()

        # command sync recorded, with ids the bot now knows
        scopes = {(s.guild_id, s.method, s.status) for s in fake.command_syncs}
        assert scopes == {(None, "PUT", 200), (fake.guild_id, "PUT", 200)}
        put = fake.find_requests(
            "PUT", rf"/applications/{fake.application_id}/guilds/\d+/commands"
        )[0]
        assert {c["name"] for c in put.json} == {
            "similar",
            "slow",
            "huge",
            "late",
            "lookup",
            "artist",
            "chart",
            "feedback",
        }
        similar = fake.get_command("similar")
        assert similar["guild_id"] == str(fake.guild_id)
        assert [o["name"] for o in similar["options"]] == ["artist", "count"]
        assert similar["options"][0]["autocomplete"] is True

        # the bot is connected and knows who it is
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        assert bot.user is not None
        assert bot.user.id == fake.application_id
        assert bot.application_id == fake.application_id

        conn = fake.connections[0]
        assert conn.identified
        assert conn.identify["token"] == fake.token
        assert conn.identify["intents"] == discord.Intents.default().value
        assert conn.query["v"] == "10"
        assert conn.query["encoding"] == "json"
        # transport compression: whatever discord.py negotiated (zlib-stream here) is in use
        expected = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
        assert conn.query["compress"] == expected == conn.compression
        assert conn.binary_frames_sent == conn.frames_sent >= 3  # HELLO, READY, GUILD_CREATE
        await fake.wait_until(lambda: conn.heartbeats, 3, "a heartbeat")
        assert "GUILD_CREATE" in [t for _, t in conn.sent_ops]
        assert bot.get_guild(fake.guild_id) is not None

    run_with_bot(scenario)


def test_slash_command_answered_and_components_routed() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        h = await fake.send_slash_command("similar", {"artist": "Radiohead", "count": 5})
        assert h.payload["data"]["id"] == fake.get_command("similar")["id"]
        assert h.payload["data"]["guild_id"] == str(fake.guild_id)
        assert h.payload["data"]["options"] == [
            {"name": "artist", "type": 3, "value": "Radiohead"},
            {"name": "count", "type": 4, "value": 5},
        ]
        callback = await h.wait_callback(timeout=5)
        assert callback["type"] == 4
        assert (
            callback["data"]["content"]
            == "Similar to Radiohead (5, guild): Portishead, Massive Attack"
        )
        assert callback["data"]["components"][0]["components"][0]["custom_id"] == "more"
        assert h.callback_latency is not None
        assert h.callback_latency < 3
        reply = await h.wait_reply()
        assert reply["content"].startswith("Similar to Radiohead")
        assert reply["type"] == 20
        inter = bot.seen[-1]
        assert inter.user.id == fake.user_id
        assert inter.guild_id == fake.guild_id
        assert inter.channel is not None
        assert inter.channel.id == fake.channel_id

        # select menu on the reply -> ephemeral message
        pick = await fake.send_component(h, "pick", ["portishead"])
        assert pick.payload["data"] == {
            "custom_id": "pick",
            "component_type": 3,
            "values": ["portishead"],
        }
        assert pick.payload["message"]["id"] == reply["id"]
        picked = await pick.wait_callback()
        assert picked == {
            "type": 4,
            "data": {"tts": False, "content": "picked portishead", "flags": 64},
        }
        assert (await pick.wait_reply())["flags"] & 64

        # button on the reply -> message updated in place (type 7)
        click = await fake.send_component(h, "more")
        assert click.payload["data"] == {"custom_id": "more", "component_type": 2}
        updated = await click.wait_reply()
        assert (await click.wait_callback())["type"] == 7
        assert updated["id"] == reply["id"]
        assert updated["content"] == "More artists: Portishead, Bjork"
        assert updated["components"] == []
        assert h.original["content"] == "More artists: Portishead, Bjork"
        # the button is gone now: a user can no longer click it
        with pytest.raises(ValueError, match="no component"):
            await fake.send_component(h, "more")
        fake.assert_no_rejections()
        fake.assert_no_unknown_requests()

    run_with_bot(scenario)


def test_deferred_followup_and_edit() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        h = await fake.send_slash_command("slow", {"artist": "Bjork"})
        assert (await h.wait_callback())["type"] == 5
        first = await h.wait_reply(timeout=5)
        assert first["content"] == "slow result for Bjork"
        # the first follow-up completed the "thinking" message; the second is a new message
        assert first["id"] == str(h.original_message_id)
        assert not first["flags"] & 128
        second = await h.wait_followup(index=1)
        assert second["content"] == "and a second message"
        assert second["flags"] & 64
        edit = await h.wait_for("edit_message")
        assert edit.body["content"] == "and an edited second message"
        assert edit.message["id"] == second["id"]
        assert edit.message["edited_timestamp"] is not None
        assert [m["content"] for m in h.messages] == [
            "slow result for Bjork",
            "and an edited second message",
        ]
        posts = fake.find_requests("POST", rf"/webhooks/{fake.application_id}/{h.token}")
        assert len(posts) == 2
        assert posts[0].query["wait"] == "1"
        assert posts[0].authorization is None

        h2 = await fake.send_slash_command("slow", {"artist": "Bjork", "edit": True})
        edited = await h2.wait_edit()
        assert edited["content"] == "edited result for Bjork"
        assert edited["id"] == str(h2.original_message_id)
        assert (await h2.wait_followup())["content"] == "original said: edited result for Bjork"
        await h2.wait_for("delete_original")
        assert h2.original is None
        assert [e.kind for e in h2.events] == [
            "callback",
            "edit_original",
            "followup",
            "delete_original",
        ]
        assert fake.find_requests("GET", rf"/webhooks/\d+/{h2.token}/messages/@original")
        fake.assert_no_rejections()
        fake.assert_no_unknown_requests()

    run_with_bot(scenario)


def test_autocomplete_subcommand_and_dm() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        ac = await fake.send_autocomplete("similar", {"artist": "radio"})
        assert ac.payload["type"] == 4
        assert ac.payload["data"]["options"] == [
            {"name": "artist", "type": 3, "value": "radio", "focused": True}
        ]
        choices = await ac.wait_choices()
        assert choices == [
            {"name": "Radiohead", "value": "Radiohead"},
            {"name": "Radio Moscow", "value": "Radio Moscow"},
        ]

        sub = await fake.send_slash_command("artist info", {"name": "Bjork"})
        assert sub.payload["data"]["options"] == [
            {"name": "info", "type": 1, "options": [{"name": "name", "type": 3, "value": "Bjork"}]}
        ]
        assert (await sub.wait_reply())["content"] == "info about Bjork"

        dm = await fake.send_slash_command(
            "similar", {"artist": "Bjork"}, guild_id=None, user_id=4242
        )
        assert "guild_id" not in dm.payload
        assert dm.payload["user"]["id"] == "4242"
        assert dm.payload["data"]["id"] == fake.get_command("similar", guild_id=None)["id"]
        assert "(3, dm)" in (await dm.wait_reply())["content"]

        with pytest.raises(ValueError, match="max_value"):
            await fake.send_slash_command("similar", {"artist": "x", "count": 11})
        with pytest.raises(ValueError, match="unknown option"):
            await fake.send_slash_command("similar", {"artits": "x"})
        fake.assert_no_rejections()

    run_with_bot(scenario)


def test_reconnect_resume_and_reidentify() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        first = fake.connections[0]
        resumed = await fake.request_reconnect(timeout=5)
        assert resumed.index == 1
        assert resumed.resumed
        assert resumed.resume["session_id"] == first.session_id
        assert resumed.resume["token"] == fake.token
        assert (
            resumed.resume["seq"] == fake.gateway.sessions[first.session_id].seq - 1
        )  # all but RESUMED
        assert resumed.compression == first.compression
        assert first.closed
        h = await fake.send_slash_command("similar", {"artist": "Portishead"})
        assert (await h.wait_reply())["content"].startswith("Similar to Portishead")

        # non-resumable invalid session: discord.py re-IDENTIFYs via DEFAULT_GATEWAY (the fake)
        fresh = await fake.invalidate_session(resumable=False, timeout=8)
        assert fresh.identified
        assert fresh.session_id != first.session_id
        h = await fake.send_slash_command("similar", {"artist": "Bjork"})
        assert (await h.wait_reply())["content"].startswith("Similar to Bjork")
        assert fake.ready_count == 2

    run_with_bot(scenario)


def test_rejections_late_callback_and_unknown_routes() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        huge = await fake.send_slash_command("huge")
        rejection = await huge.wait_rejection()
        assert (rejection.status, rejection.code) == (400, 50035)
        assert "content" in rejection.errors["data"]
        assert huge.callback is None

        late = await fake.send_slash_command("late")
        assert (await late.wait_rejection()).code == 10062
        with pytest.raises(TimeoutError, match="Unknown interaction"):
            await late.wait_callback(timeout=0.2)

        lookup = await fake.send_slash_command("lookup")
        await lookup.wait_callback()
        assert [(r.method, r.path, r.status) for r in fake.unknown_requests] == [
            ("GET", "/channels/1234", 404)
        ]
        with pytest.raises(AssertionError, match="/channels/1234"):
            fake.assert_no_unknown_requests()
        codes = sorted(getattr(e, "status", 0) for e in bot.errors)
        assert codes == [400, 404, 404]

    run_with_bot(scenario, callback_deadline=1.2)


def test_raw_gateway_protocol_zlib() -> None:
    """Speak the protocol by hand: HELLO, IDENTIFY, READY, heartbeat ACK, op 7, bad token."""

    async def main() -> None:
        async with FakeDiscord(guild_ids=[]) as fake, aiohttp.ClientSession() as session:
            url = f"{fake.gateway_url}?v=10&encoding=json&compress=zlib-stream"
            async with session.ws_connect(url) as ws:
                inflate = zlib.decompressobj()

                async def recv() -> dict:
                    msg = await ws.receive(timeout=3)
                    assert msg.type == aiohttp.WSMsgType.BINARY
                    assert msg.data.endswith(b"\x00\x00\xff\xff")
                    return json.loads(inflate.decompress(msg.data))

                hello = await recv()
                assert hello["op"] == 10
                assert hello["d"]["heartbeat_interval"] > 0
                await ws.send_json({"op": 1, "d": None})
                assert (await recv())["op"] == 11
                await ws.send_json(
                    {"op": 2, "d": {"token": fake.token, "intents": 1, "properties": {}}}
                )
                ready = await recv()
                assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
                assert ready["d"]["resume_gateway_url"] == fake.gateway_url
                assert ready["d"]["application"] == {"id": str(fake.application_id), "flags": 0}
                await fake.wait_until_ready(2)
                await fake.dispatch_event("CUSTOM_EVENT", {"x": 1})
                assert (await recv())["s"] == 2
                await fake.gateway.send_op(7)
                assert (await recv())["op"] == 7
            async with session.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws:
                assert (
                    json.loads((await ws.receive(timeout=3)).data)["op"] == 10
                )  # uncompressed: text
                await ws.send_json(
                    {"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}}
                )
                closing = await ws.receive(timeout=3)
                assert closing.type == aiohttp.WSMsgType.CLOSE
                assert closing.data == 4004

    asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT))


def test_zstd_stream_when_available() -> None:
    zstandard = pytest.importorskip("zstandard")

    async def main() -> None:
        async with FakeDiscord() as fake, aiohttp.ClientSession() as session:
            async with session.ws_connect(
                f"{fake.gateway_url}?v=10&encoding=json&compress=zstd-stream"
            ) as ws:
                d = zstandard.ZstdDecompressor().decompressobj()
                msg = await ws.receive(timeout=3)
                assert msg.type == aiohttp.WSMsgType.BINARY
                assert json.loads(d.decompress(msg.data))["op"] == 10

    asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT))


def test_thread_runner_with_bot_in_another_thread() -> None:
    """The synchronous API used by subprocess-style tests (bot here runs in its own thread)."""
    with FakeDiscordThread() as fake:
        stop = threading.Event()
        failures: list[BaseException] = []

        def bot_thread() -> None:
            async def main() -> None:
                async with running_bot(fake.fake, wait=False):
                    while not stop.is_set():
                        await asyncio.sleep(0.02)

            try:
                asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT))
            except BaseException as exc:  # surfaced below
                failures.append(exc)

        thread = threading.Thread(target=bot_thread, daemon=True)
        thread.start()
        try:
            conn = fake.wait_until_ready(timeout=5)
            assert conn.identified
            fake.wait_for_commands("similar", timeout=5)
            h = fake.send_slash_command("similar", {"artist": "Massive Attack"}, timeout=5)
            assert h.wait_reply(timeout=5)["content"].startswith("Similar to Massive Attack")
            click = fake.send_component(h, "more")
            assert click.wait_callback(timeout=5)["type"] == 7
            assert fake.request_reconnect(timeout=5).resumed
            assert fake.run(fake.fake.wait_until_ready(1)).resumed
        finally:
            stop.set()
            thread.join(TEST_TIMEOUT)
        assert not failures, failures
        fake.assert_no_unknown_requests()


def test_modal_and_file_attachment() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        h = await fake.send_slash_command("feedback")
        modal = await h.wait_modal()
        assert modal["custom_id"]
        assert modal["title"] == "Feedback"
        submit = await fake.send_modal_submit(h, {"comment": "great picks"})
        assert submit.payload["type"] == 5
        reply = await submit.wait_reply()
        assert reply["content"] == "thanks: great picks"
        assert reply["flags"] & 64

        chart = await fake.send_slash_command("chart")
        msg = await chart.wait_reply()
        assert msg["content"] == "here"
        assert msg["embeds"][0]["image"]["url"] == "attachment://chart.png"
        [att] = msg["attachments"]
        assert (att["filename"], att["size"]) == ("chart.png", len(PNG_BYTES))
        assert fake.attachments[int(att["id"])] == PNG_BYTES
        [req] = fake.find_requests(
            "POST", route="create_interaction_response", path=rf".*/{chart.id}/.*"
        )
        assert req.headers["Content-Type"].startswith("multipart/form-data")
        assert req.files[0]["filename"] == "chart.png"
        assert req.json["type"] == 4
        async with aiohttp.ClientSession() as session, session.get(att["url"]) as resp:
            assert await resp.read() == PNG_BYTES
        fake.assert_no_rejections()

    run_with_bot(scenario)


def test_rest_auth_override_and_drop() -> None:
    async def scenario(fake: FakeDiscord, bot: FakeBot) -> None:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{fake.api_base}/users/@me") as resp:
                assert resp.status == 401
                assert resp.headers["Content-Type"] == "application/json"
                assert await resp.json() == {"message": "401: Unauthorized", "code": 0}
            fake.override("GET", "/users/@me", 503, {"message": "down", "code": 0})
            auth = {"Authorization": f"Bot {fake.token}"}
            async with session.get(f"{fake.api_base}/users/@me", headers=auth) as resp:
                assert resp.status == 503
            async with session.get(f"{fake.api_base}/users/@me", headers=auth) as resp:
                assert (await resp.json())["id"] == str(fake.application_id)
            async with session.get(f"{fake.base_url}/nope") as resp:
                assert resp.status == 404
        assert [r.overridden for r in fake.find_requests("GET", "/users/@me")][-2:] == [True, False]

        # a server-side close with a resumable code: the bot resumes
        resumed = await fake.drop_connection(4000, timeout=5)
        assert resumed is not None
        assert resumed.resumed
        h = await fake.send_slash_command("similar", {"artist": "Bjork"})
        assert (await h.wait_reply())["content"].startswith("Similar to Bjork")

    run_with_bot(scenario)


SUBPROCESS_BOT = textwrap.dedent(
    """
    import os

    import discord
    import yarl
    from discord import app_commands

    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]


    class Bot(discord.Client):
        def __init__(self):
            super().__init__(intents=discord.Intents.default())
            self.tree = app_commands.CommandTree(self)

        async def setup_hook(self):
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            await self.tree.sync()


    bot = Bot()


    @bot.tree.command(name="ping", description="Replies pong")
    async def ping(interaction: discord.Interaction, word: str = "pong"):
        await interaction.response.send_message(word)


    bot.run(os.environ["DISCORD_TOKEN"], log_handler=None)
    """
)


def test_subprocess_bot_with_sync_api(tmp_path) -> None:
    """The intended use: sync test, bot in its own process configured by fake.env()."""
    script = tmp_path / "bot.py"
    script.write_text(SUBPROCESS_BOT)
    log_path = tmp_path / "bot.log"
    with FakeDiscordThread() as fake, log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(script)], env=os.environ | fake.env(), stdout=log, stderr=log
        )
        try:
            fake.wait_for_commands("ping", guild_id=None, timeout=8)
            h = fake.send_slash_command("ping", {"word": "hello"}, timeout=5)
            assert h.wait_reply(timeout=5)["content"] == "hello"
            assert "guild_id" not in h.payload["data"]  # global command
            assert fake.request_reconnect(timeout=5).resumed
            fake.assert_no_unknown_requests()
            fake.assert_no_rejections()
        except BaseException:
            print(log_path.read_text(errors="replace"))
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
