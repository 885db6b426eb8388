"""The Discord side without a network: command definitions, embeds, button ids, the error
hook's replies, cooldowns and the hash-gated command sync."""

from __future__ import annotations

import asyncio
import json
import re
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

with warnings.catch_warnings():
    # discord.voice_client imports audioop, deprecated since 3.11 (the suite turns warnings
    # into errors)
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord
    from discord import app_commands

from bot import answers, commands, embeds, errors, markup, sync
from bot.embeds import ChoiceId
from bot.render import Button, Field, Message, ShowSimilar, Tone, similar_message
from recommender.errors import ModelError, QueryError
from recommender.results import Candidate, MatchStatus, Neighbor, Resolution, SimilarResult


def make_tree() -> app_commands.CommandTree:
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    commands.register(tree)
    return tree


# --------------------------------------------------------------------------- command definitions


def test_commands_have_one_line_descriptions_and_described_options() -> None:
    payloads = {p["name"]: p for p in sync.command_payloads(make_tree(), None)}

    assert sorted(payloads) == ["about", "discover", "matches", "similar"]
    for payload in payloads.values():
        description = payload["description"]
        assert "\n" not in description
        assert len(description) <= 100
        assert re.fullmatch(r"[A-Z][a-z]+ .+\.", description)  # "Show ...", "List ...", "Tell ..."
        for option in payload.get("options", []):
            assert option["description"]
            assert option["description"] != "…"


def test_option_types_are_the_validation() -> None:
    payloads = {p["name"]: p for p in sync.command_payloads(make_tree(), None)}
    similar = {o["name"]: o for o in payloads["similar"]["options"]}
    matches = {o["name"]: o for o in payloads["matches"]["options"]}

    assert similar["k"]["type"] == 4  # integer
    assert (similar["k"]["min_value"], similar["k"]["max_value"]) == (1, 25)
    assert not similar["k"]["required"]
    for artist in (similar["artist"], matches["artist"]):
        assert artist["type"] == 3
        assert artist["required"]
        assert artist["autocomplete"]
        assert (artist["min_length"], artist["max_length"]) == (1, 100)


# --------------------------------------------------------------------------- embeds and buttons


def test_embeds_of_hostile_results_stay_within_discord_limits() -> None:
    name = "**@everyone** <@&123456789012345678> _" * 40
    neighbors = [Neighbor(f"{i}{name}", i / 30, i) for i in range(25)]
    resolution = Resolution(name, MatchStatus.EXACT, name, 99)
    message = similar_message(SimilarResult(resolution, neighbors), 25)

    embed = embeds.to_embed(message)

    assert len(embed) <= markup.EMBED_TOTAL
    assert len(embed.title) <= markup.EMBED_TITLE
    assert len(embed.description) <= markup.EMBED_DESCRIPTION
    assert embed.colour == embeds.COLOURS[Tone.RESULT]


def test_send_kwargs_never_allow_mentions_and_keep_ephemeral() -> None:
    message = Message("t", "d", fields=(Field("a", "b"),), footer="f", ephemeral=True)

    kwargs = embeds.send_kwargs(message)

    assert kwargs["ephemeral"] is True
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}
    assert kwargs["embed"].to_dict()["fields"] == [{"name": "a", "value": "b", "inline": False}]
    assert "view" not in kwargs
    assert embeds.edit_kwargs(message)["view"] is None  # editing removes old buttons


def test_choice_ids_round_trip_and_fit_100_characters() -> None:
    widest = ChoiceId("deadbeef", 9_999_999_999, 25, 99_999_999_999_999_999_999)

    custom_id = widest.encode()

    assert len(custom_id) <= markup.CUSTOM_ID
    match = embeds.CHOICE_TEMPLATE.fullmatch(custom_id)
    assert match is not None
    assert ChoiceId.from_match(match) == widest


@pytest.mark.parametrize(
    "choice",
    [ChoiceId("nothex!!", 1, 3, 4), ChoiceId("deadbeef", 1, 100, 4)],
    ids=["model", "k"],
)
def test_a_choice_id_outside_the_template_is_refused(choice: ChoiceId) -> None:
    with pytest.raises(ValueError, match="does not fit the template"):
        choice.encode()


def test_did_you_mean_buttons_become_dynamic_buttons() -> None:
    candidates = [Candidate("x" * 200, 80.0, 3), Candidate("Gil Evans", 79.0, 4)]
    message = similar_message(
        SimilarResult(Resolution("q", MatchStatus.AMBIGUOUS, candidates=candidates)), 7
    )

    view = commands.view_for(message, "0123abcd", owner=42)

    assert view is not None
    assert view.timeout is None
    rows = view.to_components()
    buttons = [c for row in rows for c in row["components"]]
    assert [b["custom_id"] for b in buttons] == [
        "similar:0123abcd:3:7:42",
        "similar:0123abcd:4:7:42",
    ]
    assert len(buttons[0]["label"]) == markup.BUTTON_LABEL
    assert all(isinstance(item, commands.ChoiceButton) for item in view.children)
    assert commands.view_for(Message("no buttons"), "0123abcd", 42) is None


def test_a_message_with_buttons_keeps_them_in_order() -> None:
    buttons = tuple(Button(f"n{i}", ShowSimilar(i, 1)) for i in range(3))

    view = commands.view_for(Message("t", buttons=buttons), "0123abcd", 1)

    assert [item.item.label for item in view.children] == ["n0", "n1", "n2"]


# --------------------------------------------------------------------------- error hook


class Bucket(app_commands.Cooldown):
    pass


@pytest.mark.parametrize(
    ("error", "title", "text"),
    [
        (
            app_commands.CommandOnCooldown(Bucket(5, 15), 2.2),
            "Slow down a little",
            "You can ask again in 3 s.",
        ),
        (QueryError("k must be a whole number"), "That did not work", "k must be a whole number"),
        (
            app_commands.CommandInvokeError(commands.similar, QueryError("bad k")),
            "That did not work",
            "bad k",
        ),
        (ModelError("/srv/secret/model.joblib is damaged"), "The model is unavailable", "logs"),
        (app_commands.NoPrivateMessage(), "Not available here", "cannot use this command here"),
    ],
    ids=["cooldown", "query", "wrapped", "model-hides-path", "check"],
)
def test_expected_errors_become_friendly_private_replies(
    error: Exception, title: str, text: str
) -> None:
    message = errors.friendly(error)

    assert message is not None
    assert message.title == title
    assert text in message.description
    assert message.ephemeral
    assert "/srv/secret" not in message.description


@pytest.mark.parametrize(
    "error",
    [ZeroDivisionError("x"), app_commands.CommandInvokeError(commands.about, KeyError("k"))],
    ids=["bare", "wrapped"],
)
def test_unexpected_errors_get_no_friendly_text(error: Exception) -> None:
    assert errors.friendly(error) is None
    assert errors.APOLOGY.ephemeral


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_allows_the_rate_then_says_how_long_to_wait() -> None:
    clock = Clock()
    cooldowns = errors.UserCooldowns(rate=3, per=10.0, clock=clock)

    assert [cooldowns.hit(1)[1] for _ in range(3)] == [None, None, None]
    _, retry_after = cooldowns.hit(1)
    assert retry_after == pytest.approx(10.0)
    assert cooldowns.hit(2)[1] is None  # other users are not affected

    clock.now += 10.5
    assert cooldowns.hit(1)[1] is None


def test_idle_users_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "_PRUNE_AT", 10)
    clock = Clock()
    cooldowns = errors.UserCooldowns(rate=2, per=5.0, clock=clock)
    for user in range(10):
        cooldowns.hit(user)

    clock.now += 6
    cooldowns.hit(99)

    assert set(cooldowns._buckets) == {99}


# --------------------------------------------------------------------------- command sync


class Recorder:
    """Stands in for ``tree.sync``: records scopes, optionally failing once."""

    def __init__(self, tree: app_commands.CommandTree, fail: bool = False) -> None:
        self.tree = tree
        self.fail = fail
        self.calls: list[int | None] = []

    async def __call__(self, *, guild: discord.abc.Snowflake | None = None) -> list[object]:
        self.calls.append(guild.id if guild else None)
        if self.fail:
            self.fail = False
            raise discord.HTTPException(FakeResponse(), "boom")
        return self.tree.get_commands(guild=guild)


class FakeResponse:
    status = 500
    reason = "Server Error"


def run_sync(tree: app_commands.CommandTree, path: Path, **kwargs: object) -> bool:
    return asyncio.run(sync.sync_commands(tree, hash_path=path, **kwargs))  # type: ignore[arg-type]


def test_sync_only_when_the_definitions_or_the_scope_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree()
    recorder = Recorder(tree)
    monkeypatch.setattr(tree, "sync", recorder)
    path = tmp_path / "artifacts" / ".command-hash"

    assert run_sync(tree, path, guild_id=None)  # first start: sync and remember
    assert not run_sync(tree, path, guild_id=None)  # unchanged: no request
    assert run_sync(tree, path, guild_id=None, force=True)  # --sync
    assert run_sync(tree, path, guild_id=77)  # a guild is its own scope
    assert not run_sync(tree, path, guild_id=77)

    monkeypatch.setattr(commands.similar, "description", "Show the artists like one you name.")
    assert run_sync(tree, path, guild_id=None)  # definitions changed

    assert recorder.calls == [None, None, 77, None]
    stored = json.loads(path.read_text())
    assert set(stored) == {"None:global", "None:guild/77"}


def test_a_failed_sync_is_not_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = make_tree()
    recorder = Recorder(tree, fail=True)
    monkeypatch.setattr(tree, "sync", recorder)
    path = tmp_path / ".command-hash"

    assert not run_sync(tree, path, guild_id=None)
    assert not path.exists()
    assert run_sync(tree, path, guild_id=None)
    assert recorder.calls == [None, None]


def test_an_unreadable_hash_file_means_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree()
    recorder = Recorder(tree)
    monkeypatch.setattr(tree, "sync", recorder)
    path = tmp_path / ".command-hash"
    path.write_text("{not json")

    assert run_sync(tree, path, guild_id=None)
    assert recorder.calls == [None]


# --------------------------------------------------------------------------- replying in time


class StubInteraction:
    """Records how a handler replies: the parts of ``discord.Interaction`` the bot uses."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.done = False
        self.user = SimpleNamespace(id=42)
        loaded = SimpleNamespace(fingerprint="0123abcd", recommender=None)
        self.client = SimpleNamespace(holder=SimpleNamespace(current=loaded))
        self.response = SimpleNamespace(
            is_done=lambda: self.done,
            defer=self._record("defer", acknowledges=True),
            send_message=self._record("send_message", acknowledges=True),
            edit_message=self._record("edit_message", acknowledges=True),
        )
        self.followup = SimpleNamespace(send=self._record("followup"))
        self.edit_original_response = self._record("edit_original")

    def _record(self, name: str, acknowledges: bool = False):
        async def call(**kwargs: object) -> None:
            self.calls.append((name, kwargs))
            self.done = self.done or acknowledges

        return call


def answer_after(seconds: float):
    def work(loaded: object) -> answers.Answer:
        time.sleep(seconds)
        return answers.Answer(Message("Done"))

    return work


@pytest.mark.parametrize(
    ("seconds", "edit", "expected"),
    [
        (0.0, False, [("send_message", {})]),
        (0.3, False, [("defer", {"thinking": True}), ("followup", {})]),
        (0.0, True, [("edit_message", {})]),
        (0.3, True, [("defer", {}), ("edit_original", {})]),
    ],
    ids=["fast-reply", "slow-reply", "fast-edit", "slow-edit"],
)
def test_slow_work_is_deferred_before_the_deadline(
    monkeypatch: pytest.MonkeyPatch, seconds: float, edit: bool, expected: list
) -> None:
    monkeypatch.setattr(commands, "DEFER_AFTER", 0.05)
    interaction = StubInteraction()

    asyncio.run(commands.answer_command(interaction, "/x", answer_after(seconds), edit=edit))

    assert [name for name, _ in interaction.calls] == [name for name, _ in expected]
    for (_, sent), (_, wanted) in zip(interaction.calls, expected, strict=True):
        for key, value in wanted.items():
            assert sent[key] == value
    reply = interaction.calls[-1][1]
    assert reply["embed"].title == "Done"
    assert reply["allowed_mentions"].to_dict() == {"parse": []}


def test_a_private_answer_is_sent_ephemeral() -> None:
    interaction = StubInteraction()

    asyncio.run(commands.answer_command(interaction, "choose", answer_after(0), private=True))

    assert interaction.calls[0][1]["ephemeral"] is True


def test_an_error_after_deferring_still_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "DEFER_AFTER", 0.05)
    interaction = StubInteraction()

    def fail(loaded: object) -> answers.Answer:
        time.sleep(0.2)
        raise QueryError("k must be a whole number from 1 to 25, got 0.")

    with pytest.raises(QueryError, match="got 0"):
        asyncio.run(commands.answer_command(interaction, "/x", fail))
    assert [name for name, _ in interaction.calls] == ["defer"]  # the hook then follows up
