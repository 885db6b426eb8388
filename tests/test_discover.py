"""Discover: less-known artists like the query, the novelty knob, the CLI, never more popular."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    # discord.voice_client imports audioop, deprecated since 3.11 (the suite turns warnings
    # into errors)
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord
    from discord import app_commands

from bot import answers, commands, console, markup, sync
from bot.embeds import CHOICE_TEMPLATE, ChoiceId
from bot.render import ShowDiscoveries, ShowSimilar, Tone
from recommender import QueryError, Recommender, cli
from recommender import build as build_cli
from recommender import discover as discover_cli
from recommender.novelty import rank_discoveries

# The query "q" has 20 listeners (users 0-19). By construction (binary cosine = shared /
# sqrt(listeners * listeners)):
#   a: users 0-9      10 listeners, cosine 10/sqrt(200) = 0.707
#   b: users 0-3       4 listeners, cosine 4/sqrt(80)   = 0.447
#   c: users 0-1       2 listeners, cosine 2/sqrt(40)   = 0.316
#   e: users 0-14 + 5 others, 20 listeners (as many as q), cosine 15/20 = 0.75
#   p1..p5: users 0-19 + 10 others each, 30 listeners, cosine 20/sqrt(600) = 0.816
#   d: user 0          1 listener,  cosine 1/sqrt(20) = 0.224: one shared listener is noise,
#                      never a discovery (with novelty 1 it would score 4.47, above them all)
LISTENERS = {"a": range(10), "b": range(4), "c": range(2), "d": range(1)}


def rows() -> list[tuple[str, str, int]]:
    out = [(f"u{u}", "q", 5) for u in range(20)]
    for name, users in LISTENERS.items():
        out += [(f"u{u}", name, 3) for u in users]
    out += [(f"u{u}", "e", 2) for u in range(15)] + [(f"e{u}", "e", 2) for u in range(5)]
    for i in range(1, 6):
        out += [(f"u{u}", f"p{i}", 1) for u in range(20)]
        out += [(f"p{i}-{u}", f"p{i}", 1) for u in range(10)]
    return out


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """The rows above built with plain cosine (the answers are cosines), whatever the defaults."""
    folder = tmp_path_factory.mktemp("discover")
    source = folder / "plays.csv"
    source.write_text(
        "user,artist,plays\n" + "".join(f"{u},{a},{p}\n" for u, a, p in rows()), encoding="utf-8"
    )
    output = folder / "model.joblib"
    argv = ["--format", "plays", "--input", str(source), "--output", str(output)]
    plain = ["--min-support", "1", "--shrinkage", "0", "--no-progress"]
    assert build_cli.main([*argv, *plain]) == 0
    return output


@pytest.fixture(scope="module")
def rec(model_path) -> Recommender:
    return Recommender.load(model_path)


def names(result) -> list[str]:
    return [d.artist for d in result.discoveries]


@pytest.mark.parametrize(
    ("novelty", "expected"),
    [
        pytest.param(0.0, ["a", "b", "c"], id="similarity-alone"),
        # 0.707 * 2 = 1.41; 0.447 * 5 = 2.24; 0.316 * 10 = 3.16
        pytest.param(1.0, ["c", "b", "a"], id="obscurity-first"),
    ],
)
def test_known_answers(rec, novelty, expected):
    result = rec.discover("q", 10, novelty=novelty)
    assert names(result) == expected
    assert result.listeners == 20
    assert [d.listeners for d in result.discoveries] == [len(LISTENERS[n]) for n in expected]


def test_scores_are_similarity_boosted_by_listener_ratio(rec):
    result = rec.discover("q", 3, novelty=1.0)
    for found in result.discoveries:
        expected = (1 - found.distance) * 20 / found.listeners
        assert found.score == pytest.approx(expected)
    np.testing.assert_allclose(
        [1 - d.distance for d in result.discoveries],
        [2 / np.sqrt(40), 4 / np.sqrt(80), 10 / np.sqrt(200)],
        atol=1e-6,
    )
    assert [d.shared for d in result.discoveries] == [2, 4, 10]


def test_never_as_popular_unless_asked(rec):
    assert "e" not in names(rec.discover("q", 10, novelty=0))  # as many listeners: not "less"
    allowed = rec.discover("q", 3, novelty=0, more_popular=True)
    assert names(allowed) == ["p1", "p2", "p3"]  # cosine 0.816, ties by id
    assert allowed.more_popular


def test_pool_of_more_popular_neighbours_falls_back_to_every_co_listened_artist(rec):
    # k=1: the 5 nearest are p1..p5, all more popular; every co-listened artist is ranked.
    assert [n.artist for n in rec.similar("q", 5).neighbors] == ["p1", "p2", "p3", "p4", "p5"]
    assert names(rec.discover("q", 1, novelty=0)) == ["a"]


def test_one_shared_listener_is_not_enough(rec):
    assert "d" not in names(rec.discover("q", 10, novelty=3.0))
    assert "d" in [n.artist for n in rec.similar("q", 20).neighbors]


def test_least_known_artist_has_nothing_to_discover(rec):
    result = rec.discover("c", 5)  # d is less known but shares only user 0
    assert result.resolution.resolved
    assert result.discoveries == []


def test_unresolved_query(rec):
    result = rec.discover("zzqxv wvvq", 5)
    assert not result.resolution.resolved
    assert result.discoveries == []
    assert result.to_json()["artist"] is None


@pytest.mark.parametrize("novelty", [-0.1, float("nan"), float("inf"), "lots"])
def test_bad_novelty(rec, novelty):
    with pytest.raises(QueryError, match="novelty must be a number of at least 0"):
        rec.discover("q", 3, novelty=novelty)


@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_bad_k(rec, k):
    with pytest.raises(QueryError, match="k must be a whole number"):
        rec.discover("q", k)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 500), min_size=1, max_size=40),
    st.integers(1, 500),
    st.integers(1, 15),
    st.floats(0, 3),
)
def test_property_never_returns_more_popular(candidate_listeners, query_listeners, k, novelty):
    listeners = np.array(candidate_listeners)
    ids = np.arange(listeners.size)
    distances = np.linspace(0.1, 0.9, listeners.size)
    ranked = rank_discoveries(ids, distances, listeners, query_listeners, k, novelty=novelty)
    assert (listeners[ids[ranked.order]] < query_listeners).all()
    assert ranked.order.size == min(k, int((listeners < query_listeners).sum()))
    assert (np.diff(ranked.scores) <= 1e-12).all()


def test_cli_text(model_path, capsys):
    argv = ["q", "-k", "2", "--novelty", "1", "--model", str(model_path)]
    assert discover_cli.main(argv) == cli.EXIT_OK
    text = capsys.readouterr().out
    assert text.startswith("Less known than q (20 listeners):")
    assert "  1: c  2 listeners  similarity 0.316  score 3.162" in text
    assert "score = similarity x (listeners of the query / listeners) ^ 1" in text


def test_cli_json(model_path, capsys):
    argv = ["q", "-k", "3", "--novelty", "0", "--model", str(model_path), "--json"]
    assert discover_cli.main(argv) == cli.EXIT_OK
    payload = json.loads(capsys.readouterr().out)
    assert payload["artist"] == "q"
    assert payload["listeners"] == 20
    assert [d["artist"] for d in payload["discoveries"]] == ["a", "b", "c"]
    assert [d["listeners"] for d in payload["discoveries"]] == [10, 4, 2]
    assert payload["more_popular"] is False


def test_cli_more_popular_and_not_found(model_path, capsys):
    argv = ["q", "-k", "1", "--more-popular", "--model", str(model_path), "--json"]
    assert discover_cli.main(argv) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["discoveries"][0]["listeners"] == 30
    assert discover_cli.main(["zzqxv", "--model", str(model_path)]) == cli.EXIT_NOT_FOUND


@pytest.mark.parametrize("novelty", ["-1", "nan", "x"])
def test_cli_bad_novelty_is_a_usage_error(model_path, capsys, novelty):
    with pytest.raises(SystemExit) as exited:
        discover_cli.main(["q", "--novelty", novelty, "--model", str(model_path)])
    assert exited.value.code == cli.EXIT_USAGE
    assert "argument --novelty" in capsys.readouterr().err


# --------------------------------------------------------------------------- the bot's /discover


def test_bot_answer_lists_listeners_and_similarity(rec):
    message = answers.discover(rec, "q", 3, markup.PLAIN).message
    assert message.title == "Less known than q"
    lines = message.description.splitlines()
    assert lines == [
        " 1. ███████░░░ 0.707 a · 10 listeners",
        " 2. ████░░░░░░ 0.447 b · 4 listeners",
        " 3. ███░░░░░░░ 0.316 c · 2 listeners",
    ]
    assert message.footer.startswith("Fewer listeners than q (20 listeners).")
    assert answers.discover(rec, "q", 3).artist == "q"


def test_bot_did_you_mean_buttons_show_discoveries(rec):
    message = answers.discover(rec, "p", 4, markup.PLAIN).message
    assert message.title == "Did you mean…?"
    assert [b.label for b in message.buttons] == ["p1", "p2", "p3", "p4", "p5"]
    assert all(isinstance(b.action, ShowDiscoveries) for b in message.buttons)
    assert {b.action.k for b in message.buttons} == {4}

    chosen = answers.choose_discoveries(rec, message.buttons[0].action.artist_id, 4, markup.PLAIN)
    assert chosen.message.title == "Less known than p1"
    assert "a · 10 listeners" in chosen.message.description  # q has 20 listeners, p1 has 30
    with pytest.raises(QueryError, match="run /discover again"):
        answers.choose_discoveries(rec, 10_000, 4)


def test_bot_nothing_to_discover_and_not_found(rec):
    empty = answers.discover(rec, "c", 5).message
    assert empty.tone is Tone.NOTICE
    assert "No less-known artist shares enough listeners" in empty.description
    missing = answers.discover(rec, "zzqxv wvvq", 5).message
    assert missing.title == "No artist found"
    assert missing.ephemeral


@pytest.mark.parametrize("k", [0, 26])
def test_bot_k_is_checked(rec, k):
    with pytest.raises(QueryError, match="k must be a whole number from 1 to 25"):
        answers.discover(rec, "q", k)


def test_discover_button_ids_round_trip():
    discover = ChoiceId.for_action(ShowDiscoveries(42, 7), "0123abcd", 99)
    similar = ChoiceId.for_action(ShowSimilar(42, 7), "0123abcd", 99)
    assert discover.encode() == "discover:0123abcd:42:7:99"
    assert similar.encode() == "similar:0123abcd:42:7:99"
    again = ChoiceId.from_match(CHOICE_TEMPLATE.fullmatch(discover.encode()))
    assert again == discover
    assert again.command == "discover"


def test_discover_slash_command_options():
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    commands.register(tree)
    payload = {p["name"]: p for p in sync.command_payloads(tree, None)}["discover"]
    options = {o["name"]: o for o in payload["options"]}
    assert payload["description"] == "Show artists like one you name that fewer people listen to."
    assert options["artist"]["autocomplete"]
    assert options["artist"]["required"]
    assert (options["k"]["min_value"], options["k"]["max_value"]) == (1, 25)
    assert not options["k"]["required"]


def test_console_discover_and_numbered_choice(model_path):
    stdin = io.StringIO("/discover artist:q k:2\ndiscover p k:3\n1\n")
    stdout = io.StringIO()
    assert console.run(model_path, stdin, stdout) == 0
    text = stdout.getvalue()
    assert "Less known than q\n" in text
    assert " 2. ████░░░░░░ 0.447 b · 4 listeners" in text
    assert "Did you mean…?" in text
    assert "Less known than p1\n" in text  # the number picked p1's discoveries
    assert "/discover artist:<name> [k:<n>]" in console.HELP
