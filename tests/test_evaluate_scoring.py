"""Recommending for users: hand-made cases, and a property test against a dense reference."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.evaluate.ranking import drop_entries, top_n
from recommender.evaluate.scoring import (
    ScoringOptions,
    recommend_by_similarity,
    recommend_popular,
    recommend_random,
)

# Neighbour lists of 5 artists: row j holds j's neighbours (not symmetric on purpose).
SIMILARITY = sp.csr_matrix(
    np.array(
        [
            [0.0, 0.9, 0.5, 0.0, 0.0],
            [0.9, 0.0, 0.0, 0.4, 0.0],
            [0.5, 0.0, 0.0, 0.0, 0.2],
            [0.0, 0.4, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.2, 0.0, 0.0],
        ]
    )
)
LISTENERS = np.array([10, 40, 5, 20, 1])


def known_rows(*rows: list[int], n_artists: int = 5) -> sp.csr_matrix:
    data = [(r, a) for r, artists in enumerate(rows) for a in artists]
    users, artists = zip(*data, strict=True) if data else ((), ())
    return sp.csr_matrix((np.ones(len(data)), (users, artists)), shape=(len(rows), n_artists))


def test_summed_similarity_by_hand():
    # User knows artists 0 and 1: scores 2 -> 0.5, 3 -> 0.4 (0 and 1 are known, 4 unreached).
    ranked = recommend_by_similarity(SIMILARITY, known_rows([0, 1]), 4, listeners=LISTENERS)
    np.testing.assert_array_equal(ranked, [[2, 3, -1, -1]])


def test_one_query_artist_ranks_its_neighbour_list():
    # User knows 0 and 1 and asks from 1: its list is 0 (known, left out), then 3.
    ranked = recommend_by_similarity(
        SIMILARITY, known_rows([0, 1]), 3, listeners=LISTENERS, queries=np.array([1])
    )
    np.testing.assert_array_equal(ranked, [[3, -1, -1]])


def test_row_normalisation_by_hand():
    # Rows scaled to sum 1: from 0, artist 2 gets 0.5/1.4; from 1, artist 3 gets 0.4/1.3.
    options = ScoringOptions(row_normalise=True)
    ranked = recommend_by_similarity(
        SIMILARITY, known_rows([0, 1]), 2, listeners=LISTENERS, options=options
    )
    assert 0.5 / 1.4 > 0.4 / 1.3
    np.testing.assert_array_equal(ranked, [[2, 3]])


def test_popularity_damping_by_hand():
    # User knows 0: 1 -> 0.9 / 40**1, 2 -> 0.5 / 5**1: damping turns the order around.
    plain = recommend_by_similarity(SIMILARITY, known_rows([0]), 2, listeners=LISTENERS)
    damped = recommend_by_similarity(
        SIMILARITY,
        known_rows([0]),
        2,
        listeners=LISTENERS,
        options=ScoringOptions(popularity_damping=1.0),
    )
    np.testing.assert_array_equal(plain, [[1, 2]])
    np.testing.assert_array_equal(damped, [[2, 1]])


def test_ties_break_by_smaller_artist_id():
    similarity = sp.csr_matrix(np.array([[0, 0.3, 0.3, 0.3], [0] * 4, [0] * 4, [0] * 4]))
    ranked = recommend_by_similarity(
        similarity, known_rows([0], n_artists=4), 3, listeners=np.ones(4)
    )
    np.testing.assert_array_equal(ranked, [[1, 2, 3]])


def test_most_popular_skips_known_and_unlistened_artists():
    listeners = np.array([10, 40, 10, 20, 0])
    ranked = recommend_popular(listeners, known_rows([1], [], [0, 1, 2, 3]), 4)

    np.testing.assert_array_equal(
        ranked, [[3, 0, 2, -1], [1, 3, 0, 2], [-1, -1, -1, -1]]
    )  # ties (0 and 2) by smaller id; artist 4 has no listener


def test_random_is_seeded_and_never_repeats_or_recommends_known():
    catalogue = np.ones(30, dtype=bool)
    catalogue[25:] = False
    known = known_rows(*[list(range(u, u + 10)) for u in range(12)], n_artists=30)

    first = recommend_random(catalogue, known, 8, seed=5)
    again = recommend_random(catalogue, known, 8, seed=5)
    other = recommend_random(catalogue, known, 8, seed=6)

    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    for user, row in enumerate(first):
        assert len(set(row)) == 8
        assert not set(row) & set(range(user, user + 10))
        assert (row < 25).all()


def test_top_n_only_ranks_positive_scores_and_pads():
    ids, scores = top_n(sp.csr_matrix(np.array([[0.0, -1.0, 2.0, 0.5]])), 3)
    np.testing.assert_array_equal(ids, [[2, 3, -1]])
    np.testing.assert_array_equal(scores, [[2.0, 0.5, 0.0]])


def test_drop_entries_removes_exactly_the_excluded_cells():
    scores = sp.csr_matrix(np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 6.0]]))
    exclude = sp.csr_matrix(np.array([[0.0, 7.0, 0.0], [1.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(
        drop_entries(scores, exclude).toarray(), [[1.0, 0.0, 3.0], [0.0, 0.0, 6.0]]
    )


def dense_reference(
    similarity: np.ndarray, known: np.ndarray, n: int, listeners: np.ndarray, beta: float
) -> np.ndarray:
    """Plain Python: sum, damp, drop known, sort by (-score, id), keep positive scores."""
    ranked = np.full((known.shape[0], n), -1)
    for user, row in enumerate(known):
        scores = (row > 0).astype(float) @ similarity
        if beta:
            scores = np.where(listeners > 0, scores / np.maximum(listeners, 1) ** beta, 0.0)
        candidates = [a for a in range(len(scores)) if scores[a] > 0 and row[a] == 0]
        candidates.sort(key=lambda a: (-round(scores[a], 12), a))
        ranked[user, : min(n, len(candidates))] = candidates[:n]
    return ranked


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 9).flatmap(
        lambda n_artists: st.tuples(
            st.lists(
                st.lists(
                    st.sampled_from([0.0, 0.0, 0.25, 0.5, 1.0]),
                    min_size=n_artists,
                    max_size=n_artists,
                ),
                min_size=n_artists,
                max_size=n_artists,
            ),
            st.lists(
                st.lists(st.booleans(), min_size=n_artists, max_size=n_artists),
                min_size=1,
                max_size=6,
            ),
            st.lists(st.integers(0, 50), min_size=n_artists, max_size=n_artists),
        )
    ),
    st.integers(1, 6),
    st.sampled_from([0.0, 0.5]),
)
def test_recommendations_equal_the_dense_reference_and_skip_known(case, n, beta):
    similarity, known, listeners = (np.array(x, dtype=float) for x in case)
    np.fill_diagonal(similarity, 0.0)
    ranked = recommend_by_similarity(
        sp.csr_matrix(similarity),
        sp.csr_matrix(known),
        n,
        listeners=listeners,
        options=ScoringOptions(popularity_damping=beta),
    )

    np.testing.assert_array_equal(ranked, dense_reference(similarity, known, n, listeners, beta))
    for row, artists in zip(known, ranked, strict=True):
        assert not row[artists[artists >= 0]].any()


@pytest.mark.parametrize("n", [1, 3])
def test_most_popular_never_recommends_known_artists(n):
    rng = np.random.default_rng(0)
    known = sp.csr_matrix(rng.random((20, 15)) < 0.4)
    ranked = recommend_popular(rng.integers(0, 30, 15), known, n)
    for row, artists in zip(known.toarray(), ranked, strict=True):
        assert not row[artists[artists >= 0]].any()
