"""The bot's pure layer: escaping and limits, rendering, and the command logic on a real model.

The model is built from star-shaped clusters whose neighbours are known by construction: in
``star(core, satellites, users=20, step=4)`` every user listens to the core, and satellite
``m`` (from 1) is listened to by the first ``20 - 4m`` users, so with binary weighting the
core's cosine distance to satellite ``m`` is ``1 - sqrt((20 - 4m) / 20)``.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import answers, markup
from bot.markup import DISCORD, PLAIN
from bot.render import (
    MIN_NAME_LIMIT,
    Message,
    ShowSimilar,
    Tone,
    about_message,
    autocomplete_choices,
    closeness_bar,
    did_you_mean_message,
    format_distance,
    matches_message,
    neighbors_message,
    similar_message,
)
from recommender.errors import QueryError
from recommender.facade import Recommender
from recommender.results import (
    Candidate,
    MatchStatus,
    ModelInfo,
    Neighbor,
    Resolution,
    SimilarResult,
)

HOSTILE = (
    "**Bold** _x_ ~~s~~ `c` |spoil| > q [l](https://example.com) @everyone <@&123456789012345678>"
)
LONG = "Long " * 80


def star(core: str, satellites: list[str], prefix: str, users: int = 20, step: int = 4):
    rows = []
    for u in range(users):
        rows.append((f"{prefix}{u}", core, 10))
        rows += [
            (f"{prefix}{u}", s, 5) for m, s in enumerate(satellites, 1) if u < users - m * step
        ]
    return rows


def star_distance(m: int, users: int = 20, step: int = 4) -> float:
    return 1 - math.sqrt((users - m * step) / users)


GRUNGE = ["Pearl Jam", "Soundgarden", "Alice in Chains", "Mudhoney"]
JAZZ = ["John Coltrane", "Bill Evans", "Gil Evans", "Herbie Hancock"]
BANDS = [f"Band {i:02d}" for i in range(1, 31)]


@pytest.fixture(scope="module")
def recommender(build_plays_model) -> Recommender:
    rows = star("Nirvana", GRUNGE, "g")
    rows += star("Miles Davis", JAZZ, "j")
    rows += star("@everyone", [HOSTILE, LONG], "w")
    rows += star("Band 00", BANDS, "b", users=40, step=1)
    return Recommender.load(build_plays_model("bot-render", rows))


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def neighbor(name: str, distance: float, artist_id: int = 0) -> Neighbor:
    return Neighbor(name, distance, artist_id, listeners=3)


def exact(artist: str) -> Resolution:
    return Resolution(artist, MatchStatus.EXACT, artist, 0, [Candidate(artist, 100.0, 0, 5)])


def assert_fits(message: Message) -> None:
    assert len(message.title) <= markup.EMBED_TITLE
    assert len(message.description) <= markup.EMBED_DESCRIPTION
    assert len(message.footer) <= markup.EMBED_FOOTER
    assert len(message.fields) <= markup.EMBED_FIELDS
    for field in message.fields:
        assert 0 < len(field.name) <= markup.FIELD_NAME
        assert 0 < len(field.value) <= markup.FIELD_VALUE
    assert message.size <= markup.EMBED_TOTAL
    assert len(message.buttons) <= markup.BUTTONS_PER_ROW * markup.ACTION_ROWS
    assert all(0 < len(b.label) <= markup.BUTTON_LABEL for b in message.buttons)


# --------------------------------------------------------------------------- escaping, cutting


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("**bold**", r"\*\*bold\*\*"),
        ("a_b", r"a\_b"),
        ("@everyone", r"\@everyone"),
        ("<@&123456789012345678>", r"\<\@&123456789012345678\>"),
        ("`code`", r"\`code\`"),
        ("> quote", r"\> quote"),
        ("[x](https://e.com)", r"\[x\]\(https\://e.com\)"),
        ("two\nlines\t here", "two lines here"),
        ("AC/DC", "AC/DC"),
    ],
    ids=["bold", "underscore", "everyone", "role", "code", "quote", "link", "newline", "plain"],
)
def test_discord_names_are_escaped_and_on_one_line(text: str, escaped: str) -> None:
    assert DISCORD.name(text, 100) == escaped
    assert PLAIN.name(text, 100) == markup.one_line(text)


@given(text=st.text(max_size=300), limit=st.integers(min_value=1, max_value=300))
def test_escape_cut_fits_and_keeps_a_prefix(text: str, limit: int) -> None:
    shown = markup.escape_cut(text, limit)
    flat = markup.one_line(text)

    assert len(shown) <= limit
    assert not re.search(r"(?<!\\)(\\\\)*\\$", shown)  # never ends inside an escape
    if shown.endswith(markup.ELLIPSIS) and unescape(shown) != flat:
        assert flat.startswith(unescape(shown[: -len(markup.ELLIPSIS)]))
    else:
        assert unescape(shown) == flat


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("abc", 3, "abc"), ("abcd", 3, "ab…"), ("a\n\nb", 5, "a b"), ("ab  cdef", 4, "ab…")],
    ids=["fits", "cut", "whitespace", "no-trailing-space"],
)
def test_cut(text: str, limit: int, expected: str) -> None:
    assert markup.cut(text, limit) == expected


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("distance", "bar", "shown"),
    [
        (0.0, "██████████", "0.000"),
        (-1e-9, "██████████", "0.000"),
        (0.26, "███████░░░", "0.260"),
        (0.1234, "█████████░", "0.123"),
        (1.0, "░░░░░░░░░░", "1.000"),
    ],
    ids=["same", "below-zero", "quarter", "three-decimals", "nothing-shared"],
)
def test_distance_and_closeness_bar(distance: float, bar: str, shown: str) -> None:
    assert closeness_bar(distance) == bar
    assert format_distance(distance) == shown


def test_neighbors_are_ranked_with_distance_and_bar() -> None:
    result = SimilarResult(
        exact("Nirvana"), [neighbor("Pearl Jam", 0.1056), neighbor("Mudhoney", 0.5528)]
    )

    message = similar_message(result, 2, DISCORD)

    assert message.title == "Artists like Nirvana"
    assert message.description.splitlines() == [
        "` 1. █████████░ 0.106` **Pearl Jam**",
        "` 2. ████░░░░░░ 0.553` **Mudhoney**",
    ]
    assert not message.ephemeral
    assert message.tone is Tone.RESULT


@pytest.mark.parametrize("style", [DISCORD, PLAIN], ids=["discord", "plain"])
def test_25_hostile_neighbours_fit_every_limit(style: markup.Markup) -> None:
    name = (HOSTILE + " ") * 12
    neighbors = [neighbor(f"{i} {name}", i / 25, i) for i in range(25)]
    result = SimilarResult(exact(name), neighbors)

    message = similar_message(result, 25, style)

    assert_fits(message)
    lines = message.description.splitlines()
    assert len(lines) == 25
    assert all(f"{i + 1:>2}. " in line for i, line in enumerate(lines))
    if style is DISCORD:
        names = [re.fullmatch(r"`[^`]*` \*\*(.*)\*\*", line)[1] for line in lines]
        assert not any(re.search(r"(?<!\\)[@<*_`~|\[]", name) for name in names)
        assert all(r"\@everyone \<\@&" in name for name in names)


def test_a_list_that_cannot_fit_drops_trailing_items_rather_than_break_the_limit() -> None:
    from bot.render import ranked_lines

    text = ranked_lines(50, lambda i, limit: "x" * (MIN_NAME_LIMIT + 190), budget=1000)

    assert len(text) <= 1000
    assert len(text.splitlines()) == 4


def test_fuzzy_match_says_what_it_matched_and_the_alternatives() -> None:
    candidates = [Candidate("Nirvana", 93.0, 0), Candidate("Nirvana UK", 80.0, 1)]
    resolution = Resolution("nirvanna", MatchStatus.FUZZY, "Nirvana", 0, candidates)

    message = similar_message(SimilarResult(resolution, [neighbor("Pearl Jam", 0.1)]), 10)

    header = message.description.split("\n\n")[0]
    assert header == "Showing **Nirvana** for “nirvanna”. Also close: Nirvana UK."
    assert "**Pearl Jam**" in message.description


def test_ambiguous_offers_one_button_per_candidate_keeping_k() -> None:
    candidates = [Candidate("Bill Evans", 88.0, 7, 16), Candidate(LONG, 85.0, 9, 1)]
    resolution = Resolution("bil evans", MatchStatus.AMBIGUOUS, candidates=candidates)

    message = similar_message(SimilarResult(resolution), 4)

    assert message.title == "Did you mean…?"
    assert [b.action for b in message.buttons] == [ShowSimilar(7, 4), ShowSimilar(9, 4)]
    assert message.buttons[0].label == "Bill Evans"
    assert message.buttons[1].label.endswith(markup.ELLIPSIS)
    assert "1. **Bill Evans** · 16 listeners" in message.description
    assert "1 listener" in message.description
    assert not message.ephemeral  # the chosen answer replaces it for everyone
    assert_fits(message)


def test_unknown_name_is_a_kind_private_notice_pointing_at_matches() -> None:
    message = similar_message(SimilarResult(Resolution("@everyone zzz", MatchStatus.NONE)), 10)

    assert message.ephemeral
    assert message.tone is Tone.NOTICE
    assert "`/matches`" in message.description
    assert r"“\@everyone zzz”" in message.description


def test_an_artist_without_neighbours_says_so() -> None:
    message = neighbors_message("Loner", [])

    assert "No other artist shares a listener with **Loner**" in message.description


def test_did_you_mean_never_offers_more_buttons_than_discord_allows() -> None:
    candidates = [Candidate(f"Name {i}", 80.0, i) for i in range(40)]

    message = did_you_mean_message("name", candidates, 10)

    assert len(message.buttons) == 25
    assert_fits(message)


def test_matches_lists_scores_and_listeners() -> None:
    candidates = [Candidate("Björk", 100.0, 1, 1234), Candidate("Bjorn", 71.25, 2, 1)]

    message = matches_message("bjork", candidates)

    assert message.title == "Names close to “bjork”"
    assert message.description.splitlines() == [
        "`100.0` **Björk** · 1,234 listeners",
        "` 71.2` **Bjorn** · 1 listener",
    ]
    assert not message.ephemeral


def test_matches_without_candidates_is_a_private_notice() -> None:
    message = matches_message("qqq", [])

    assert message.ephemeral
    assert "No artist name is close to “qqq”" in message.description


def test_about_shows_the_file_name_not_the_path_and_fits() -> None:
    info = ModelInfo(
        format_version=1,
        package_version="0.1.0",
        built_at="2026-01-02T03:04:05+00:00",
        source="/home/someone/data/user_artists.dat",
        source_format="hetrec2011",
        parameters={
            "min_artist_plays": 40000,
            "countries": ["Germany"] * 200,
            "weighting": "binary",
        },
        n_artists=17632,
        n_users=1892,
        nnz=92834,
        n_neighbors=50,
    )

    message = about_message(info)

    values = {field.name: field.value for field in message.fields}
    assert values["Dataset"] == r"user\_artists.dat (hetrec2011)"
    assert "/home/someone" not in str(message)
    assert values["Artists"] == "17,632"
    assert values["Users"] == "1,892"
    assert values["Built"].startswith(r"2026\-01\-02 03\:04")
    assert "at least 40,000 plays per artist" in values["Filters"]
    assert_fits(message)


def test_notice_text_is_cut_to_the_limits() -> None:
    from bot.render import notice_message

    message = notice_message("t" * 300, "d" * 5000)

    assert message.ephemeral
    assert_fits(message)


def test_autocomplete_choices_fit_discord() -> None:
    names = [LONG, LONG + "b", "  ", *[f"Band {i}" for i in range(40)]]

    choices = autocomplete_choices(names)

    assert len(choices) == 25
    assert choices[0].name == choices[0].value
    assert len(choices[0].name) == 100
    assert choices[0].name.endswith(markup.ELLIPSIS)
    assert [c.value for c in choices[1:3]] == ["Band 0", "Band 1"]  # duplicate cut, blank skipped
    assert all(1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100 for c in choices)


# --------------------------------------------------------------------------- command logic


def test_similar_ranks_the_known_neighbours(recommender: Recommender) -> None:
    answer = answers.similar(recommender, "nirvana", 4)

    assert answer.artist == "Nirvana"
    lines = answer.message.description.splitlines()
    assert [re.search(r"\*\*(.+)\*\*", line)[1] for line in lines] == GRUNGE
    shown = [float(re.search(r"(\d\.\d{3})`", line)[1]) for line in lines]
    assert shown == [round(star_distance(m), 3) for m in range(1, 5)]


@pytest.mark.parametrize("k", [0, 26, -1, True, 2.5, "3"], ids=repr)
def test_k_outside_1_to_25_is_refused(recommender: Recommender, k: object) -> None:
    with pytest.raises(QueryError, match="k must be a whole number from 1 to 25"):
        answers.similar(recommender, "nirvana", k)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [1, 25])
def test_k_bounds_are_accepted(recommender: Recommender, k: int) -> None:
    lines = answers.similar(recommender, "band 00", k).message.description.splitlines()

    assert len(lines) == k


@pytest.mark.parametrize(
    ("query", "error"),
    [("   ", "Type an artist name"), ("x" * 101, "at most 100 characters, got 101")],
    ids=["blank", "too-long"],
)
def test_bad_queries_are_refused(recommender: Recommender, query: str, error: str) -> None:
    with pytest.raises(QueryError, match=error):
        answers.similar(recommender, query)


def test_typo_is_accepted_and_shown(recommender: Recommender) -> None:
    answer = answers.similar(recommender, "Nirvanna", 3)

    assert answer.artist == "Nirvana"
    assert answer.message.description.startswith("Showing **Nirvana** for “Nirvanna”.")


def test_ambiguous_name_offers_both_and_a_choice_shows_its_neighbours(
    recommender: Recommender,
) -> None:
    answer = answers.similar(recommender, "Bil Evans", 3)

    assert answer.artist is None
    labels = [button.label for button in answer.message.buttons]
    assert {"Bill Evans", "Gil Evans"} <= set(labels)

    action = answer.message.buttons[labels.index("Gil Evans")].action
    chosen = answers.choose(recommender, action.artist_id, action.k)
    assert chosen.artist == "Gil Evans"
    assert chosen.message.title == "Artists like Gil Evans"
    assert len(chosen.message.description.splitlines()) == 3


def test_unknown_name_is_not_found(recommender: Recommender) -> None:
    answer = answers.similar(recommender, "qqqqzzzz")

    assert answer.artist is None
    assert answer.message.title == "No artist found"


def test_choose_refuses_an_id_outside_the_model(recommender: Recommender) -> None:
    with pytest.raises(QueryError, match="not in the current model"):
        answers.choose(recommender, recommender.n_artists, 3)


def test_hostile_names_from_the_model_are_escaped(recommender: Recommender) -> None:
    answer = answers.similar(recommender, "@everyone", 2)

    assert answer.message.title == r"Artists like \@everyone"
    assert "<@&" not in answer.message.description
    assert "**Bold**" not in answer.message.description
    assert r"\*\*Bold\*\*" in answer.message.description
    assert_fits(answer.message)


def test_matches_and_about_on_the_model(recommender: Recommender) -> None:
    found = answers.matches(recommender, "miles davis")
    about = answers.about(recommender, PLAIN)

    assert found.artist == "Miles Davis"
    assert found.message.description.startswith("`100.0` **Miles Davis**")
    fields = {field.name: field.value for field in about.message.fields}
    assert fields["Dataset"] == "plays.csv (plays)"
    assert fields["Artists"] == str(recommender.n_artists)


def test_complete_gives_25_choices_within_100_characters(recommender: Recommender) -> None:
    bands = answers.complete(recommender, "band")
    long = answers.complete(recommender, "long long")

    assert len(bands) == 25
    assert all(c.value.startswith("Band ") for c in bands)
    assert long[0].name == markup.cut(LONG, 100)
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in bands + long)


def test_the_model_path_fixture_builds_a_real_file(build_plays_model) -> None:
    path = build_plays_model("bot-tiny", star("A", ["B"], "u", users=4, step=1))

    assert isinstance(path, Path)
    assert Recommender.load(path).similar("a", 1).neighbors[0].artist == "B"


# --------------------------------------------------------------------------- real names


@pytest.fixture(scope="module")
def hetrec(hetrec_model: Path) -> Recommender:
    return Recommender.load(hetrec_model)


def test_every_real_name_fits_every_place_it_is_shown(hetrec: Recommender) -> None:
    for name in hetrec.model.artist_names:
        shown = DISCORD.name(name, 100)
        assert len(shown) <= 100
        assert markup.one_line(name).startswith(unescape(shown).removesuffix(markup.ELLIPSIS))
        assert 0 < len(markup.cut(name, markup.BUTTON_LABEL)) <= markup.BUTTON_LABEL
    choices = autocomplete_choices(hetrec.model.artist_names)
    assert len(choices) == 25


@pytest.mark.parametrize(
    ("query", "title"),
    [("*nsync", r"Artists like \*NSYNC"), ("l'arc~en~ciel", r"Artists like L'Arc\~en\~Ciel")],
    ids=["asterisk", "tilde"],
)
def test_real_names_with_markdown_are_shown_literally(
    hetrec: Recommender, query: str, title: str
) -> None:
    answer = answers.similar(hetrec, query, 25)

    assert answer.message.title == title
    assert len(answer.message.description.splitlines()) == 25
    assert_fits(answer.message)


def test_a_loose_real_query_offers_the_intended_artist(hetrec: Recommender) -> None:
    answer = answers.similar(hetrec, "guns roses")

    assert answer.message.buttons[0].label == "Guns N' Roses"


def test_real_autocomplete_is_fast(hetrec: Recommender) -> None:
    for prefix in ["", "a", "the", "radio", "björk", "zzzz", "x" * 100]:
        started = time.perf_counter()
        choices = answers.complete(hetrec, prefix)
        assert time.perf_counter() - started < 0.5  # Discord allows 3 s for the whole reply
        assert len(choices) <= 25
