"""Neighbour similarities for the evaluation, against dense brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.evaluate.methods import Method, SplitData, weight_catalogue
from recommender.evaluate.similarity import (
    SimilarityOptions,
    asymmetric_similarities,
    neighbor_similarities,
)
from recommender.evaluate.split import split_listening
from recommender.filters import FilterOptions, apply_filters
from recommender.matrix import normalise_rows
from recommender.table import ListeningTable
from recommender.weighting import apply_weighting


def random_artist_users(seed: int, n_artists: int = 30, n_users: int = 25) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_artists, n_users)) < 0.2) * rng.integers(1, 60, (n_artists, n_users))
    return sp.csr_matrix(dense.astype(np.float64))


def brute_force(
    weighted: np.ndarray, k: int, *, alpha: float = 0.5, shrinkage: float = 0.0
) -> np.ndarray:
    """Dense top-k similarity matrix: every pair scored, ranked by (-score, id)."""
    norms = np.sqrt((weighted**2).sum(axis=1))
    dots = weighted @ weighted.T
    shared = (weighted > 0).astype(float) @ (weighted > 0).T.astype(float)
    result = np.zeros_like(dots)
    for j in range(len(weighted)):
        if norms[j] == 0:
            continue
        scores = {}
        for i in range(len(weighted)):
            if i == j or norms[i] == 0 or dots[j, i] <= 0:
                continue
            score = dots[j, i] / (norms[j] ** (2 * alpha) * norms[i] ** (2 - 2 * alpha))
            if shrinkage:
                score *= shared[j, i] / (shared[j, i] + shrinkage)
            scores[i] = score
        for i in sorted(scores, key=lambda a: (-round(scores[a], 12), a))[:k]:
            result[j, i] = scores[i]
    return result


@pytest.mark.parametrize("weighting", ["binary", "log1p", "bm25"])
@pytest.mark.parametrize("k", [1, 5])
def test_plain_cosine_equals_brute_force(weighting, k):
    weighted = apply_weighting(random_artist_users(1), weighting)
    similarity = neighbor_similarities(weighted, SimilarityOptions(k=k), backend="scipy")

    np.testing.assert_allclose(
        similarity.toarray(), brute_force(weighted.toarray(), k), rtol=0, atol=1e-6
    )


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 10_000),
    st.sampled_from([0.5, 0.7, 1.0]),
    st.sampled_from([0.0, 3.0]),
    st.sampled_from(["binary", "log1p"]),
)
def test_asymmetric_cosine_with_support_equals_brute_force(seed, alpha, shrinkage, weighting):
    weighted = apply_weighting(random_artist_users(seed, 12, 10), weighting)
    options = SimilarityOptions(k=4, asymmetry=alpha, shrinkage=shrinkage)
    similarity = asymmetric_similarities(normalise_rows(weighted), weighted, options)

    expected = brute_force(weighted.toarray(), 4, alpha=alpha, shrinkage=shrinkage)
    np.testing.assert_allclose(similarity.toarray(), expected, rtol=1e-9, atol=1e-12)


def test_asymmetric_cosine_by_hand():
    # Artist 0 has 2 listeners, artist 1 has 4, sharing 2; alpha = 1 is the share of the
    # known artist's listeners who also play the candidate.
    binary = sp.csr_matrix(np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]))
    options = SimilarityOptions(k=1, asymmetry=1.0)
    similarity = neighbor_similarities(binary, options).toarray()

    assert similarity[0, 1] == pytest.approx(2 / 2)
    assert similarity[1, 0] == pytest.approx(2 / 4)


def test_shrinkage_goes_through_the_build_and_matches_brute_force():
    weighted = apply_weighting(random_artist_users(4), "binary")
    options = SimilarityOptions(k=5, shrinkage=10.0)
    similarity = neighbor_similarities(weighted, options, backend="scipy")

    expected = brute_force(weighted.toarray(), 5, shrinkage=10.0)
    np.testing.assert_allclose(similarity.toarray(), expected, rtol=0, atol=1e-6)


def test_weighting_ignores_artists_without_known_plays():
    plays = random_artist_users(2)
    plays = sp.csr_matrix(sp.vstack([plays, sp.csr_matrix((3, plays.shape[1]))]))
    weighted = weight_catalogue(plays, "tfidf")

    np.testing.assert_allclose(
        weighted[:30].toarray(), apply_weighting(plays[:30], "tfidf").toarray()
    )
    assert weighted[30:].nnz == 0


def test_popularity_threshold_keeps_the_artists_the_build_filter_keeps():
    plays = random_artist_users(3).T.tocsr()  # users x artists
    split = split_listening(plays, "leave-one-out", seed=0, min_artists=3)
    data = SplitData(split, n=5, seed=0)
    threshold = int(np.median(np.asarray(split.known.sum(axis=0)).ravel()))

    kept = np.flatnonzero(data.listeners(threshold) > 0)
    users, artists = split.known.nonzero()
    table = ListeningTable(
        user_codes=users.astype(np.int32),
        artist_codes=artists.astype(np.int32),
        plays=np.asarray(split.known[users, artists]).ravel().astype(np.int64),
        artist_names=np.array([str(a) for a in range(split.n_artists)], dtype=object),
        user_ids=np.array([str(u) for u in range(split.n_users)], dtype=object),
    )
    filtered = apply_filters(table, FilterOptions(min_artist_plays=threshold))
    np.testing.assert_array_equal(kept, filtered.artist_names.astype(int))


def test_similarity_tables_are_cached_per_distinct_table():
    plays = random_artist_users(5).T.tocsr()
    data = SplitData(split_listening(plays, "leave-one-out", seed=0, min_artists=3), 5, 0)

    first = data.similarity(Method("reference"))
    assert data.similarity(Method("scoring", row_normalise=True)) is first
    assert data.similarity(Method("neighbours", k=10)) is not first


def test_query_artists_are_known_seeded_and_shared_by_methods():
    plays = random_artist_users(6).T.tocsr()
    split = split_listening(plays, "leave-one-out", seed=4, min_artists=3)
    data, again = SplitData(split, 5, 4), SplitData(split, 5, 4)

    known = data.known_scored.toarray() > 0
    assert known[np.arange(known.shape[0]), data.query_artists].all()
    np.testing.assert_array_equal(data.query_artists, again.query_artists)
