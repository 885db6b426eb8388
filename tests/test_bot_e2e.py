"""End to end: the real ``python -m bot`` process against the local Discord fake.

One bot process serves the whole module (start-up costs seconds); the tests talk to it as
Discord would, through tests/fake_discord on 127.0.0.1, and assert on what the bot sent
back. The model has star-shaped clusters whose neighbours and distances are known by
construction (see tests/test_bot_render.py). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_discord import FakeDiscordThread, SyncInteraction

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0
REPLY_TIMEOUT = 10.0
EPHEMERAL = 64
DEADLINE = 3.0

GRUNGE = ["Pearl Jam", "Soundgarden", "Alice in Chains", "Mudhoney"]
JAZZ = ["John Coltrane", "Bill Evans", "Gil Evans", "Herbie Hancock"]
ROLE = "<@&123456789012345678>"
BOLD = "**Bold** _Band_"
LONG = "Long " * 40


def star(core: str, satellites: list[str], prefix: str, users: int = 20, step: int = 4):
    """Every user hears ``core``; satellite ``m`` (from 1) loses ``step`` users per rank."""
    rows = []
    for u in range(users):
        rows.append((f"{prefix}{u}", core, 10))
        listened = [s for m, s in enumerate(satellites, 1) if u < users - m * step]
        rows += [(f"{prefix}{u}", s, 5) for s in listened]
    return rows


def distance(m: int) -> str:
    return f"{1 - math.sqrt((20 - 4 * m) / 20):.3f}"


def dataset(grunge: list[str]) -> list[tuple[str, str, int]]:
    rows = star("Nirvana", grunge, "g")
    rows += star("Miles Davis", JAZZ, "j")
    rows += star("@everyone", [ROLE, BOLD, LONG], "w")
    rows += star("Band 00", [f"Band {i:02d}" for i in range(1, 31)], "b", users=40, step=1)
    return rows


class BotProcess:
    """``python -m bot`` as a subprocess, its log in a file."""

    def __init__(self, fake: FakeDiscordThread, model: Path, log: Path) -> None:
        self.fake = fake
        self.model = model
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "MODEL_"))}
        return (
            env
            | self.fake.env()
            | extra
            | {
                "PYTHONPATH": str(ROOT),
                "MODEL_PATH": str(self.model),
                "MODEL_RELOAD_SECONDS": "0.2",
                "LOG_LEVEL": "INFO",
            }
        )

    def start(self, **extra: str) -> None:
        env = self.env(**extra)
        before = self.fake.fake.ready_count
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                env=env,
                cwd=self.model.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.fake.wait_until(
            lambda: self.fake.fake.ready_count > before or None,
            START_TIMEOUT,
            lambda: f"the bot to connect; its log:\n{self.log()}",
        )

    def stop(self) -> int:
        assert self.process is not None
        self.process.terminate()
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, pattern: str, timeout: float = REPLY_TIMEOUT) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.log()):
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the bot's log:\n{self.log()}")


@pytest.fixture(scope="module")
def models(build_plays_model) -> tuple[Path, Path]:
    """Model A, and model B where Nirvana's neighbours come in reverse order."""
    return (
        build_plays_model("e2e-a", dataset(GRUNGE)),
        build_plays_model("e2e-b", dataset(GRUNGE[::-1])),
    )


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDiscordThread]:
    with FakeDiscordThread() as running:
        yield running


@pytest.fixture(scope="module")
def bot(
    fake: FakeDiscordThread, models: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("e2e-served")
    served = folder / "model.joblib"
    shutil.copyfile(models[0], served)
    process = BotProcess(fake, served, folder / "bot.log")
    process.start()
    fake.wait_for_commands("similar", "matches", "about", timeout=START_TIMEOUT)
    yield process
    code = process.stop()
    assert code == 0, process.log()
    fake.assert_no_unknown_requests()
    assert fake.internal_errors == []


def install(source: Path, target: Path) -> None:
    """Replace the served model atomically, as ``python -m recommender.build`` does."""
    temporary = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def embed_of(message: dict) -> dict:
    assert len(message["embeds"]) == 1
    return message["embeds"][0]


def names_and_distances(description: str) -> list[tuple[str, str]]:
    return re.findall(r"(\d\.\d{3})` \*\*(.+?)\*\*$", description, flags=re.MULTILINE)


_users = itertools.count(1)


def user() -> int:
    """A new user id: the per-user cooldown then only shows where a test wants it."""
    return 500_000 + next(_users)


def send(fake: FakeDiscordThread, command: str, options: dict | None = None) -> SyncInteraction:
    return fake.send_slash_command(command, options or {}, user_id=user())


def similar(fake: FakeDiscordThread, artist: str, k: int = 4) -> dict:
    return send(fake, "similar", {"artist": artist, "k": k}).wait_callback(timeout=REPLY_TIMEOUT)


# --------------------------------------------------------------------------- commands


def test_similar_replies_with_ranked_neighbours_and_distances(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    handle = send(fake, "similar", {"artist": "nirvana", "k": 4})

    callback = handle.wait_callback(timeout=REPLY_TIMEOUT)

    assert callback["type"] == 4
    data = callback["data"]
    assert data["allowed_mentions"] == {"parse": []}
    assert not (data.get("flags") or 0) & EPHEMERAL
    embed = data["embeds"][0]
    assert embed["title"] == "Artists like Nirvana"
    assert [(n, d) for d, n in names_and_distances(embed["description"])] == [
        (name, distance(m)) for m, name in enumerate(GRUNGE, 1)
    ]
    assert "` 1. █████████░ 0.106` **Pearl Jam**" in embed["description"]
    assert handle.callback_latency < DEADLINE
    bot.wait_log(r"/similar query='nirvana' artist='Nirvana' \d+ ms")
    assert " INFO discord." not in bot.log()  # discord.py's own loggers stay at WARNING


def test_a_typo_shows_what_it_matched(fake: FakeDiscordThread, bot: BotProcess) -> None:
    embed = embed_of(similar(fake, "Nirvanna", 2)["data"])

    assert embed["description"].startswith("Showing **Nirvana** for “Nirvanna”.")
    assert [n for _, n in names_and_distances(embed["description"])] == GRUNGE[:2]


def test_an_unknown_name_is_a_private_kind_notice(fake: FakeDiscordThread, bot: BotProcess) -> None:
    data = similar(fake, "qqqqzzzz")["data"]

    assert data["flags"] & EPHEMERAL
    assert embed_of(data)["title"] == "No artist found"
    assert "`/matches`" in embed_of(data)["description"]


def test_names_from_the_data_never_mention_or_format(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    data = similar(fake, "@everyone", 3)["data"]

    assert data["allowed_mentions"] == {"parse": []}
    embed = embed_of(data)
    assert embed["title"] == r"Artists like \@everyone"
    assert r"\<\@&123456789012345678\>" in embed["description"]
    assert r"\*\*Bold\*\* \_Band\_" in embed["description"]
    assert not re.search(r"(?<!\\)<@", embed["description"])


def test_matches_lists_scores(fake: FakeDiscordThread, bot: BotProcess) -> None:
    handle = send(fake, "matches", {"artist": "gil evans"})

    data = handle.wait_callback(timeout=REPLY_TIMEOUT)["data"]

    embed = embed_of(data)
    assert embed["title"] == "Names close to “gil evans”"
    first = embed["description"].splitlines()[0]
    assert first == "`100.0` **Gil Evans** · 8 listeners"
    assert "**Bill Evans**" in embed["description"]
    assert data["allowed_mentions"] == {"parse": []}


def test_about_tells_what_the_model_was_built_from(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    handle = send(fake, "about")

    fields = {
        f["name"]: f["value"] for f in embed_of(handle.wait_reply(timeout=REPLY_TIMEOUT))["fields"]
    }

    assert fields["Dataset"] == "plays.csv (plays)"
    assert fields["Artists"] == str(5 + 5 + 4 + 31)
    assert fields["Users"] == str(20 + 20 + 20 + 40)


def test_autocomplete_offers_25_names_within_100_characters(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    bands = fake.send_autocomplete("similar", {"artist": "band"}, user_id=user())
    long = fake.send_autocomplete("matches", {"artist": "long long"}, user_id=user())

    choices = bands.wait_choices(timeout=REPLY_TIMEOUT)
    long_choices = long.wait_choices(timeout=REPLY_TIMEOUT)

    assert len(choices) == 25
    assert all(c["name"].startswith("Band ") for c in choices)
    assert long_choices[0]["name"] == LONG[:99].rstrip() + "…"  # 200 characters, cut
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices + long_choices)
    assert bands.callback_latency < DEADLINE


def test_did_you_mean_click_edits_the_message_in_place(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    asker = user()
    handle = fake.send_slash_command("similar", {"artist": "Bil Evans", "k": 2}, user_id=asker)
    asked = handle.wait_reply(timeout=REPLY_TIMEOUT)
    assert embed_of(asked)["title"] == "Did you mean…?"
    buttons = {b["label"]: b["custom_id"] for row in asked["components"] for b in row["components"]}
    assert {"Bill Evans", "Gil Evans"} <= set(buttons)

    someone_else = fake.send_component(handle, buttons["Bill Evans"], user_id=user())
    private = someone_else.wait_callback(timeout=REPLY_TIMEOUT)
    click = fake.send_component(handle, buttons["Gil Evans"], user_id=asker)
    edited = click.wait_callback(timeout=REPLY_TIMEOUT)

    assert private["type"] == 4
    assert private["data"]["flags"] & EPHEMERAL  # another user's click does not edit it
    assert embed_of(private["data"])["title"] == "Artists like Bill Evans"
    assert edited["type"] == 7
    assert edited["data"]["components"] == []
    assert edited["data"]["allowed_mentions"] == {"parse": []}
    message = handle.original
    assert embed_of(message)["title"] == "Artists like Gil Evans"
    assert len(names_and_distances(embed_of(message)["description"])) == 2
    assert message["components"] == []
    bot.wait_log(r"choose query=None artist='Gil Evans' \d+ ms")


def test_cooldown_answers_privately_with_the_wait(fake: FakeDiscordThread, bot: BotProcess) -> None:
    spammer = user()
    callbacks = [
        fake.send_slash_command("about", user_id=spammer).wait_callback(timeout=REPLY_TIMEOUT)
        for _ in range(6)
    ]

    assert all(embed_of(c["data"])["title"] == "About this model" for c in callbacks[:5])
    refused = callbacks[5]["data"]
    assert refused["flags"] & EPHEMERAL
    assert embed_of(refused)["title"] == "Slow down a little"
    assert re.fullmatch(r"You can ask again in \d+ s\.", embed_of(refused)["description"])


def test_an_unexpected_error_is_logged_and_the_user_gets_an_apology(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    # Discord refuses the first reply: the command fails in a way the bot did not expect.
    body = {"message": "Invalid Form Body", "code": 50035}
    fake.override("POST", r"/interactions/\d+/[^/]+/callback", 400, body, times=1)
    handle = send(fake, "similar", {"artist": "nirvana", "k": 1})

    apology = handle.wait_callback(timeout=REPLY_TIMEOUT)

    assert apology["data"]["flags"] & EPHEMERAL
    assert embed_of(apology["data"])["title"] == "Sorry, something went wrong"
    bot.wait_log(r"ERROR bot\.errors: unexpected error in /similar\nTraceback")
    assert similar(fake, "nirvana", 1)["type"] == 4  # and the bot keeps running


# --------------------------------------------------------------------------- gateway, load


def test_a_reconnect_request_resumes_and_commands_keep_working(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    connection = fake.request_reconnect(timeout=START_TIMEOUT)

    assert connection.resumed
    embed = embed_of(similar(fake, "miles davis", 1)["data"])
    assert embed["title"] == "Artists like Miles Davis"


def test_a_burst_of_100_interactions_is_answered_within_the_deadline(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    queries = ["Nirvana", "Miles Davis", "Band 00", "Nirvanna"]
    titles = [f"Artists like {name}" for name in ["Nirvana", "Miles Davis", "Band 00", "Nirvana"]]
    raw = fake.fake

    async def burst() -> list:
        sends = [
            raw.send_slash_command("similar", {"artist": queries[i % 4], "k": 5}, user_id=user())
            for i in range(100)
        ]
        handles = await asyncio.gather(*sends)
        await asyncio.gather(*(h.wait_callback(timeout=REPLY_TIMEOUT) for h in handles))
        return handles

    handles = fake.run(burst(), timeout=60)

    latencies = sorted(h.callback_latency for h in handles)
    print(
        f"burst of 100: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[94] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    assert latencies[-1] < DEADLINE
    for i, handle in enumerate(handles):
        assert handle.callback["type"] == 4
        assert embed_of(handle.callback["data"])["title"] == titles[i % 4]
    assert not [r for _, r in fake.rejected]


# --------------------------------------------------------------------------- hot reload, restart


def test_a_rebuilt_model_is_served_and_a_broken_one_refused(
    fake: FakeDiscordThread, bot: BotProcess, models: tuple[Path, Path]
) -> None:
    def nirvana_first() -> str:
        return names_and_distances(embed_of(similar(fake, "nirvana", 1)["data"])["description"])[0][
            1
        ]

    def wait_for_first(expected: str) -> None:
        deadline = time.monotonic() + REPLY_TIMEOUT
        while nirvana_first() != expected:
            assert time.monotonic() < deadline, f"still not {expected!r}:\n{bot.log()}"
            time.sleep(0.2)

    asker = user()
    handle = fake.send_slash_command("similar", {"artist": "Bil Evans", "k": 1}, user_id=asker)
    asked = handle.wait_reply(timeout=REPLY_TIMEOUT)
    button = next(b for row in asked["components"] for b in row["components"])
    assert nirvana_first() == GRUNGE[0]

    install(models[1], bot.model)
    wait_for_first(GRUNGE[-1])  # model B, without a restart
    bot.wait_log(r"reloaded .*model\.joblib")
    stale = fake.send_component(handle, button["custom_id"], user_id=asker)
    notice = stale.wait_callback(timeout=REPLY_TIMEOUT)["data"]
    assert notice["flags"] & EPHEMERAL  # B numbers its artists differently: no wrong answer
    assert embed_of(notice)["title"] == "The model was updated"

    broken = bot.model.with_name("broken.joblib")
    broken.write_bytes(b"\x80\x04 truncated")
    install(broken, bot.model)
    bot.wait_log(r"refused the new model file")
    time.sleep(0.6)  # several more checks of the same broken file
    assert [nirvana_first() for _ in range(3)] == [GRUNGE[-1]] * 3
    assert len(re.findall("refused the new model file", bot.log())) == 1

    install(models[0], bot.model)  # the next good build is picked up again
    wait_for_first(GRUNGE[0])
    click = fake.send_component(handle, button["custom_id"], user_id=asker)
    assert click.wait_callback(timeout=REPLY_TIMEOUT)["type"] == 7  # A's buttons work again


def test_a_restart_does_not_resync_and_old_buttons_still_work(
    fake: FakeDiscordThread, bot: BotProcess
) -> None:
    asker = user()
    handle = fake.send_slash_command("similar", {"artist": "Bil Evans", "k": 1}, user_id=asker)
    asked = handle.wait_reply(timeout=REPLY_TIMEOUT)
    button = next(b for row in asked["components"] for b in row["components"])
    syncs = len(fake.command_syncs)

    assert bot.stop() == 0
    bot.start()
    click = fake.send_component(handle, button["custom_id"], user_id=asker)

    assert click.wait_callback(timeout=REPLY_TIMEOUT)["type"] == 7
    assert embed_of(handle.original)["title"] == f"Artists like {button['label']}"
    assert len(fake.command_syncs) == syncs  # definitions unchanged: nothing sent
    assert "commands unchanged for all servers (global); not syncing" in bot.log()


def test_a_guild_id_syncs_to_that_guild_once(fake: FakeDiscordThread, bot: BotProcess) -> None:
    guild = str(fake.guild_id)
    syncs = len(fake.command_syncs)

    assert bot.stop() == 0
    bot.start(DISCORD_GUILD_ID=guild)
    fake.wait_for_commands("similar", guild_id=fake.guild_id, timeout=START_TIMEOUT)
    answered = similar(fake, "nirvana", 1)
    assert bot.stop() == 0
    bot.start(DISCORD_GUILD_ID=guild)

    assert [s.guild_id for s in fake.command_syncs[syncs:]] == [fake.guild_id]
    assert embed_of(answered["data"])["title"] == "Artists like Nirvana"
    assert f"commands unchanged for guild {guild}; not syncing" in bot.log()


def test_a_refused_token_is_one_line(fake: FakeDiscordThread, bot: BotProcess) -> None:
    env = bot.env() | {"DISCORD_TOKEN": "not.the.token"}

    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=env,
        cwd=bot.model.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "error: Discord refused DISCORD_TOKEN; copy the bot token again from the Developer "
        "Portal (Bot > Reset Token) into .env."
    )
    assert "Traceback" not in done.stderr
