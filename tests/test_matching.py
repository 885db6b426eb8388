"""Name matching on real artist names: exact keys, typos, "did you mean", autocomplete."""

from __future__ import annotations

import numpy as np
import pytest
from rapidfuzz import fuzz, process, utils

from recommender.matching import NameIndex
from recommender.matrix import build_matrix, listeners
from recommender.names import normalise_name
from recommender.readers import read_hetrec2011
from recommender.results import MatchStatus


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("The Beatles", "beatles"),
        ("BEATLES!", "beatles"),
        ("Sigur Rós", "sigur ros"),
        ("  Mötley   Crüe ", "motley crue"),
        ("Guns N' Roses", "guns n roses"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("AC/DC", "ac dc"),
        ("!!!", "!!!"),
        ("The The", "the"),
        ("東方神起", "東方神起"),
    ],
)
def test_normalise_name(name, key):
    assert normalise_name(name) == key


@pytest.fixture(scope="module")
def hetrec_index(hetrec_dir):
    table = read_hetrec2011(hetrec_dir)
    matrix, _ = build_matrix(table)
    names = [str(n) for n in table.artist_names]
    return NameIndex.build(names, listeners(matrix)), names


@pytest.mark.parametrize(
    ("query", "status", "artist"),
    [
        ("arctic monkeys", MatchStatus.EXACT, "Arctic Monkeys"),
        ("beatles", MatchStatus.EXACT, "The Beatles"),
        ("BJORK", MatchStatus.EXACT, "Björk"),
        ("sigur ros", MatchStatus.EXACT, "Sigur Rós"),
        ("artic monkeys", MatchStatus.FUZZY, "Arctic Monkeys"),
        ("red hot chilli peppers", MatchStatus.FUZZY, "Red Hot Chili Peppers"),
        ("metalica", MatchStatus.FUZZY, "Metallica"),
        ("radiohed", MatchStatus.FUZZY, "Radiohead"),
        ("coldpaly", MatchStatus.FUZZY, "Coldplay"),
        ("eminen", MatchStatus.FUZZY, "Eminem"),
        ("jak johnson", MatchStatus.FUZZY, "Jack Johnson"),
        ("daft pnk", MatchStatus.FUZZY, "Daft Punk"),
    ],
)
def test_real_names_resolve(hetrec_index, query, status, artist):
    index, names = hetrec_index
    resolution = index.resolve(query, names)
    assert (resolution.status, resolution.artist) == (status, artist)


def test_classic_rule_mistake_is_not_repeated(hetrec_index):
    """The classic rule (ratio >= 75, take the best) answers "jack johnson" with another artist."""
    index, names = hetrec_index
    without_jack = [n for n in names if n != "Jack Johnson"] + ["Jan Johansson"]
    listeners_ = np.ones(len(without_jack), dtype=np.int64)
    small = NameIndex.build(without_jack, listeners_)
    best, score, _ = process.extractOne(
        "jack johnson", without_jack, scorer=fuzz.ratio, processor=utils.default_process
    )
    assert score >= 75  # the classic rule would answer with this wrong artist...
    resolution = small.resolve("jack johnson", without_jack)
    assert resolution.status is not MatchStatus.FUZZY  # ...we only offer it
    assert resolution.artist is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [("chili peppers", "Red Hot Chili Peppers"), ("britney", "Britney Spears")],
)
def test_partial_names_are_offered_not_guessed(hetrec_index, query, expected):
    index, names = hetrec_index
    resolution = index.resolve(query, names)
    assert resolution.status is MatchStatus.AMBIGUOUS
    assert resolution.candidates[0].artist == expected


def test_nonsense_matches_nothing(hetrec_index):
    index, names = hetrec_index
    assert index.resolve("xyzzy qwrtp", names).status is MatchStatus.NONE


def test_search_quality_matches_full_wratio_scan(hetrec_index):
    """The bounded candidate pool finds what a full WRatio scan puts first, for typos."""
    index, names = hetrec_index
    rng = np.random.default_rng(11)
    popular = np.argsort(-index.listeners)[:300]
    agree = 0
    for artist in popular:
        key = normalise_name(names[artist])
        if len(key) < 5:
            continue
        at = int(rng.integers(1, len(key) - 1))
        typo = key[:at] + key[at + 1 :]  # drop one character
        ours = [a for a, _ in index.search(typo, limit=5)]
        agree += int(artist in ours)
    assert agree / 300 > 0.9


def test_same_key_prefers_more_listeners():
    index = NameIndex.build(["Nirvana", "NIRVANA", "Nirvana!"], np.array([5, 900, 20]))
    assert index.exact("nirvana") == [1, 2, 0]
    resolution = index.resolve("Nirvana!!", ["Nirvana", "NIRVANA", "Nirvana!"])
    assert resolution.artist_id == 1
    assert [c.artist_id for c in resolution.candidates] == [1, 2, 0]


def test_same_key_prefers_the_spelling_typed():
    names = ["the cloplystryn smire", "cloplystryn smire"]
    index = NameIndex.build(names, np.array([5, 100]))
    assert index.resolve("The Cloplystryn Smire", names).artist_id == 0
    assert index.resolve("cloplystryn smire", names).artist_id == 1
    assert index.resolve("Cloplystryn  Smire!", names).artist_id == 1  # neither typed: listeners


def test_aliases_resolve_to_their_artist():
    index = NameIndex.build(["The Beatles", "Oasis"], np.array([10, 5]), aliases=[("fab four", 0)])
    assert index.exact("Fab Four") == [0]


def test_autocomplete_prefix_by_listeners_then_fuzzy():
    names = ["Radiohead", "Radio Dept.", "Radiorama", "Portishead", "Massive Attack"]
    index = NameIndex.build(names, np.array([1000, 50, 10, 700, 600]))

    assert index.complete("radio", 2) == [0, 1]
    assert index.complete("radio", 25)[:3] == [0, 1, 2]
    assert index.complete("", 2) == [0, 3]  # most listened first
    assert 3 in index.complete("portishaed", 5)  # typo falls back to fuzzy


def test_autocomplete_shortlist_keeps_the_exact_order():
    rng = np.random.default_rng(4)
    names = [f"s{i:05d}" for i in range(3000)] + ["t1", "t2"]
    listeners_ = rng.integers(1, 40, len(names))  # many ties around the cut
    index = NameIndex.build(names, listeners_)
    expected = sorted(range(3000), key=lambda a: (-listeners_[a], a))[:25]
    assert index.complete("s", 25) == expected


def test_autocomplete_is_bounded(hetrec_index):
    index, _ = hetrec_index
    assert len(index.complete("a", 25)) == 25
    assert len(index.complete("", 25)) == 25


def test_state_round_trip_keeps_answers(hetrec_index):
    index, names = hetrec_index
    copy = NameIndex.from_state(index.to_state())
    for query in ["artic monkeys", "beatles", "xyzzy", "britney"]:
        assert copy.resolve(query, names) == index.resolve(query, names)
