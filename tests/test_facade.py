"""The facade the bot and the CLIs share: similar, matches, complete, about."""

from __future__ import annotations

import pytest

from recommender import QueryError, Recommender
from recommender.pipeline import BuildOptions, build
from recommender.progress import Stages
from recommender.results import MatchStatus


@pytest.fixture(scope="module")
def rec(tmp_path_factory) -> Recommender:
    path = tmp_path_factory.mktemp("facade") / "model.joblib"
    build(BuildOptions(n_neighbors=10), path, Stages(show_progress=False))
    return Recommender.load(path)


def test_similar_on_the_sample_makes_musical_sense(rec):
    result = rec.similar("arctic monkeys", 5)
    assert result.resolution.status is MatchStatus.EXACT
    names = [n.artist for n in result.neighbors]
    assert len(names) == 5
    assert {"the strokes", "franz ferdinand", "the kooks"} & set(names)
    assert "arctic monkeys" not in names


def test_more_than_precomputed_is_computed_on_demand(rec):
    short = rec.similar("metallica", 10).neighbors
    long = rec.similar("metallica", 40).neighbors
    assert len(long) == 40
    assert [n.artist for n in long[:10]] == [n.artist for n in short]
    assert [n.distance for n in long] == sorted(n.distance for n in long)
    assert all(n.artist != "metallica" for n in long)


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_bad_k(rec, k):
    with pytest.raises(QueryError, match="k must be a whole number of at least 1"):
        rec.similar("metallica", k)


def test_unresolved_query_has_no_neighbours(rec):
    result = rec.similar("zzqxv wvvq", 5)
    assert result.resolution.status is MatchStatus.NONE
    assert result.neighbors == []
    assert result.to_json()["artist"] is None


def test_matches_lists_exact_first_then_scored(rec):
    candidates = rec.matches("radiohead", 5)
    assert candidates[0].artist == "radiohead"
    assert candidates[0].score == 100.0
    assert all(c.score <= 100 for c in candidates)
    with pytest.raises(QueryError, match="limit must be between 1 and 25"):
        rec.matches("radiohead", 26)


def test_complete_returns_at_most_25_names(rec):
    names = rec.complete("the", 50)
    assert 0 < len(names) <= 25
    assert all(isinstance(n, str) for n in names)
    assert rec.complete("metall", 5)[0] == "metallica"


def test_about_describes_the_build(rec):
    info = rec.about()
    assert info.n_artists == rec.n_artists
    assert info.n_neighbors == 10
    assert info.to_json()["source_format"] == "lastfm360k"
