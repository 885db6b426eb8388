"""Spelling variants: folding by MusicBrainz id and by name key, homonyms, aliases, counts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.aliases import merge_spellings
from recommender.matching import NameIndex
from recommender.matrix import build_matrix
from recommender.names import normalise_name, normalise_names
from recommender.table import ListeningTable

# A user, a spelling, an MBID ("" = none), plays.
Row = tuple[str, str, str, int]


def table_of(rows: list[Row]) -> ListeningTable:
    """A listening table as the 360K reader gives it: one code and one MBID per spelling."""
    users = list(dict.fromkeys(r[0] for r in rows))
    names = list(dict.fromkeys(r[1] for r in rows))
    mbid_of = {}
    for _, name, mbid, _ in rows:
        mbid_of.setdefault(name, mbid)
    return ListeningTable(
        user_codes=np.array([users.index(r[0]) for r in rows], dtype=np.int32),
        artist_codes=np.array([names.index(r[1]) for r in rows], dtype=np.int32),
        plays=np.array([r[3] for r in rows], dtype=np.int64),
        artist_names=np.array(names, dtype=object),
        user_ids=np.array(users, dtype=object),
        artist_mbids=np.array([mbid_of[n] for n in names], dtype=object),
    )


def artists_of(merged) -> dict[str, set[str]]:
    """Display name -> every spelling folded into it."""
    names = list(merged.table.artist_names)
    groups = {name: {name} for name in names}
    for alias, artist in merged.aliases:
        groups[names[artist]].add(alias)
    return groups


def test_one_mbid_under_different_spellings_is_one_artist():
    rows = [
        ("u1", "The Beatles", "b1", 50),
        ("u2", "The Beatles", "b1", 30),
        ("u3", "Beatles, The", "b1", 10),  # another key, same id
        ("u1", "Beatles, The", "b1", 5),  # u1 under both spellings: one row after the matrix
        ("u4", "Radiohead", "r1", 7),
    ]
    merged = merge_spellings(table_of(rows))

    assert artists_of(merged) == {
        "The Beatles": {"The Beatles", "Beatles, The"},
        "Radiohead": {"Radiohead"},
    }
    assert merged.report.names_merged == 1
    assert merged.report.rows_merged == 1
    matrix, duplicates = build_matrix(merged.table, "plays")
    assert duplicates - merged.report.rows_merged == 0  # no duplicate row in the "file"
    beatles = list(merged.table.artist_names).index("The Beatles")
    assert matrix[beatles].toarray().ravel().tolist()[:3] == [55, 30, 10]


def test_names_differing_by_case_accents_and_punctuation_fold_without_ids():
    rows = [
        ("u1", "Sigur Rós", "", 9),
        ("u2", "sigur ros", "", 20),
        ("u3", "SIGUR-ROS!", "", 1),
        ("u1", "Björk", "", 4),
        ("u2", "Bjork", "", 3),
        ("u3", "Bjorn", "", 3),
    ]
    merged = merge_spellings(table_of(rows))

    assert artists_of(merged) == {
        "sigur ros": {"Sigur Rós", "sigur ros", "SIGUR-ROS!"},  # the most-played spelling shows
        "Björk": {"Björk", "Bjork"},
        "Bjorn": {"Bjorn"},
    }
    assert merged.report.names_merged == 3
    assert merged.report.rows_merged == 0  # no user played two spellings of one artist


def test_same_key_with_two_substantial_ids_stays_two_artists():
    rows = [(f"u{i}", "Nirvana", "grunge", 100) for i in range(8)]
    rows += [(f"v{i}", "nirvana", "sixties", 10) for i in range(3)]  # 3 of 12 listeners
    rows += [("w1", "NIRVANA", "", 4)]  # no id: joins the key's most-listened id
    rows += [("w2", "Nirvana (UK)", "sixties", 2)]  # another key, the sixties band's id
    merged = merge_spellings(table_of(rows))

    assert artists_of(merged) == {
        "Nirvana": {"Nirvana", "NIRVANA"},
        "nirvana": {"nirvana", "Nirvana (UK)"},
    }
    assert merged.report.homonym_keys == 1
    # Both stay findable under the shared key, the more listened first.
    index = NameIndex.build(list(merged.table.artist_names), np.array([9, 4]), merged.aliases)
    assert index.exact("nirvana") == [0, 1]


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        pytest.param(0.0, {"Nirvana": {"Nirvana"}, "nirvana": {"nirvana"}}, id="ids-decide"),
        pytest.param(0.1, {"Nirvana": {"Nirvana", "nirvana"}}, id="minor-id-folds"),
    ],
)
def test_a_minor_second_id(share, expected):
    rows = [(f"u{i}", "Nirvana", "grunge", 100) for i in range(19)]
    rows += [("v1", "nirvana", "obscure", 1)]  # 1 of 20 listeners
    merged = merge_spellings(table_of(rows), homonym_share=share)

    assert artists_of(merged) == expected
    assert merged.report.homonym_keys == (1 if share == 0 else 0)


def test_nothing_to_fold_keeps_the_table():
    table = table_of([("u1", "A", "", 1), ("u2", "B", "x", 2), ("u1", "C", "y", 3)])
    merged = merge_spellings(table)
    assert merged.table is table
    assert merged.aliases == []
    assert merged.report.names_merged == 0


def test_ids_follow_the_earliest_spelling():
    rows = [
        ("u1", "Zebra", "", 1),
        ("u1", "the beatles", "", 1),
        ("u2", "Alpha", "", 1),
        ("u2", "The Beatles", "", 9),
    ]
    merged = merge_spellings(table_of(rows))
    assert list(merged.table.artist_names) == ["Zebra", "The Beatles", "Alpha"]
    assert merged.aliases == [("the beatles", 1)]


def test_aliases_resolve_to_the_folded_artist():
    rows = [("u1", "The Beatles", "b", 5), ("u2", "Beatles", "b", 1), ("u3", "Fab Four", "b", 1)]
    merged = merge_spellings(table_of(rows))
    index = NameIndex.build(list(merged.table.artist_names), np.array([3]), merged.aliases)
    for query in ["beatles", "the beatles", "BEATLES", "fab four"]:
        assert index.exact(query) == [0], query


def test_tables_without_mbids_fold_by_key():
    table = table_of([("u1", "Blink-182", "", 3), ("u2", "blink 182", "", 1)])
    table.artist_mbids = None
    merged = merge_spellings(table)
    assert list(merged.table.artist_names) == ["Blink-182"]
    assert merged.table.artist_mbids is None


@pytest.mark.parametrize(
    "name",
    ["The Beatles", "!!!", "the ", "The_The", "AC/DC", "a&b", "\x1c\x1f", "", "Sigur Rós", "ТНЕ"],
)
def test_batch_keys_equal_single_keys(name):
    assert normalise_names([name]) == [normalise_name(name)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_property_batch_keys_equal_single_keys(names):
    assert normalise_names(names) == [normalise_name(n) for n in names]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(max_codepoint=127), max_size=12), max_size=8))
def test_property_batch_keys_equal_single_keys_ascii(names):
    assert normalise_names(names) == [normalise_name(n) for n in names]


@pytest.fixture(scope="module")
def sample_builds(tmp_path_factory):
    """The embedded sample built with folding (the default for 360K data) and without."""
    from recommender.pipeline import BuildOptions, build
    from recommender.progress import Stages

    folder = tmp_path_factory.mktemp("merge")
    quiet = Stages(show_progress=False)
    merged = build(BuildOptions(n_neighbors=10), folder / "merged.joblib", quiet)
    classic = build(BuildOptions(n_neighbors=10, merge_names=False), folder / "c.joblib", quiet)
    return folder, merged, classic


def test_build_counts_folded_names_and_rows_apart_from_file_duplicates(sample_builds):
    _, merged, classic = sample_builds
    assert classic.names_merged == classic.spelling_rows_merged == 0
    assert merged.names_merged == classic.artists - merged.artists > 0
    assert merged.spelling_rows_merged > 0
    # Duplicates in the file are the same whether or not spellings are folded.
    assert merged.duplicates_merged == classic.duplicates_merged
    kept = merged.rows_read - sum(merged.dropped.values())
    assert kept - merged.nonzeros == merged.duplicates_merged + merged.spelling_rows_merged


def test_folded_spellings_resolve_to_one_artist(sample_builds):
    from recommender import Recommender
    from recommender.results import MatchStatus

    folder, _, _ = sample_builds
    rec = Recommender.load(folder / "merged.joblib")
    for variants in [("the beatles", "beatles"), ("björk", "bjork"), ("2pac", "tupac")]:
        resolved = {rec.resolve(v).artist_id for v in variants}
        assert len(resolved) == 1, variants
        assert rec.resolve(variants[1]).status is MatchStatus.EXACT
    beatles = rec.resolve("beatles")
    assert beatles.artist == "the beatles"  # the most-played spelling is shown
    assert rec.aliases(beatles.artist_id) == ["beatles"]

    # Without folding, the two spellings are two artists splitting the listeners.
    classic = Recommender.load(folder / "c.joblib")
    assert len(classic.model.name_index.exact("beatles")) == 2
    assert rec.model.name_index.exact("beatles") == [beatles.artist_id]


def test_build_summary_and_no_merge_flag(tmp_path, capsys):
    from recommender import build as build_cli

    assert build_cli.main(["--output", str(tmp_path / "m.joblib"), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "spellings folded into another artist (kept as aliases)" in text
    assert "(user, artist) rows joined by folding spellings, plays summed" in text

    argv = ["--output", str(tmp_path / "c.joblib"), "--no-merge", "--json"]
    assert build_cli.main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["names_merged"] == 0
    assert report["spelling_rows_merged"] == 0
