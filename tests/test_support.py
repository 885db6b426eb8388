"""Support: shared-listener counts, minimum support and shrinkage, against dense references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.matrix import build_matrix, normalise_rows
from recommender.neighbors import compute_neighbors, query_neighbors, query_row
from recommender.readers import read_hetrec2011
from recommender.support import CoListeners, SupportOptions, is_binary


def matrix_of(artists: list[dict[int, int]], n_users: int) -> sp.csr_matrix:
    """Artist x user play counts from ``{user: plays}`` per artist."""
    rows = [a for a, users in enumerate(artists) for _ in users]
    cols = [u for users in artists for u in sorted(users)]
    data = [users[u] for users in artists for u in sorted(users)]
    return sp.csr_matrix((np.array(data, float), (rows, cols)), shape=(len(artists), n_users))


def dense_reference(
    weighted: sp.csr_matrix, k: int, support: SupportOptions
) -> tuple[list[list[int]], list[list[float]], list[list[int]]]:
    """Rank every pair densely: cosine, shared listeners, supported score, ties by id."""
    normalised = normalise_rows(weighted).toarray()
    cosine = normalised @ normalised.T
    pattern = (weighted.toarray() > 0).astype(float)
    shared = pattern @ pattern.T
    scores = cosine * (shared / (shared + support.shrinkage)) if support.shrinkage else cosine
    scores = np.where(shared >= support.min_support, scores, 0.0)
    all_ids, all_distances, all_shared = [], [], []
    for artist in range(cosine.shape[0]):
        others = [j for j in range(cosine.shape[0]) if j != artist and scores[artist, j] > 1e-12]
        others.sort(key=lambda j: (-round(scores[artist, j], 9), j))
        top = others[:k]
        all_ids.append(top)
        all_distances.append([1 - scores[artist, j] for j in top])
        all_shared.append([int(shared[artist, j]) for j in top])
    return all_ids, all_distances, all_shared


def assert_matches_reference(weighted, k, support, backend):
    table = compute_neighbors(normalise_rows(weighted), k, backend=backend, support=support)
    ref_ids, ref_distances, ref_shared = dense_reference(weighted, k, support)
    for artist in range(weighted.shape[0]):
        ids, distances = table.row(artist, k)
        np.testing.assert_allclose(distances, ref_distances[artist], atol=1e-6)
        # Equal up to ties: every neighbour strictly ahead of the last one is the same.
        cut = distances[-1] - 1e-6 if distances.size else 0
        assert set(ids[distances < cut]) == {
            j for j, d in zip(ref_ids[artist], ref_distances[artist], strict=True) if d < cut
        }
        # Shared listeners are counted for every weighting, ties included.
        pattern = (weighted.toarray() > 0).astype(int)
        assert table.shared_row(artist, k).tolist() == (pattern[ids] @ pattern[artist]).tolist()


# Known answers: artist 0 has 4 listeners. Artist 1 shares all 4 but has 100 listeners (cosine
# 4/20 = 0.2); artist 2 shares one listener and has only that one (cosine 1/2 = 0.5); artist 3
# shares 3 of its 4 listeners (cosine 3/4).
KNOWN_USERS = [set(range(4)), set(range(100)), {0}, {1, 2, 3, 200}]


def known_matrix() -> sp.csr_matrix:
    return matrix_of([dict.fromkeys(users, 1) for users in KNOWN_USERS], 201)


@pytest.mark.parametrize("backend", ["scipy", "numba"])
@pytest.mark.parametrize(
    ("support", "expected"),
    [
        pytest.param(SupportOptions(), [3, 2, 1], id="plain-cosine"),
        pytest.param(SupportOptions(min_support=2), [3, 1], id="min-support-2"),
        pytest.param(SupportOptions(min_support=4), [1], id="min-support-4"),
        # 0.5 * 1/(1+5) = 0.083; 3/sqrt(16) * 3/8 = 0.281; 0.2 * 4/9 = 0.089
        pytest.param(SupportOptions(shrinkage=5), [3, 1, 2], id="shrinkage-5"),
    ],
)
def test_known_answers(backend, support, expected):
    table = compute_neighbors(normalise_rows(known_matrix()), 3, backend=backend, support=support)
    ids, _ = table.row(0, 3)
    assert ids.tolist() == expected


def test_shrunk_distance_and_shared_listeners():
    table = compute_neighbors(normalise_rows(known_matrix()), 3, support=SupportOptions(1, 5.0))
    ids, distances = table.row(0, 3)
    np.testing.assert_allclose(distances, [1 - 0.75 * 3 / 8, 1 - 0.2 * 4 / 9, 1 - 0.5 / 6])
    assert table.shared_row(0, 3).tolist() == [3, 4, 1]


def test_default_options_are_plain_cosine():
    matrix = normalise_rows(known_matrix())
    plain = compute_neighbors(matrix, 3)
    again = compute_neighbors(matrix, 3, support=SupportOptions())
    np.testing.assert_array_equal(plain.ids, again.ids)
    np.testing.assert_array_equal(plain.distances, again.distances)
    assert plain.shared_row(0, 3).tolist() == [3, 1, 4]


@pytest.mark.parametrize("backend", ["scipy", "numba"])
@pytest.mark.parametrize("weighting", ["binary", "plays"])
@pytest.mark.parametrize(
    "support",
    [SupportOptions(min_support=3), SupportOptions(shrinkage=4.0), SupportOptions(2, 10.0)],
    ids=["min3", "shrink4", "min2-shrink10"],
)
def test_equals_dense_reference_on_generated_listening(backend, weighting, support):
    rng = np.random.default_rng(11)
    n_artists, n_users = 120, 150
    popularity = rng.pareto(1.2, n_artists) + 0.05
    artists: list[dict[int, int]] = [{} for _ in range(n_artists)]
    for user in range(n_users):
        size = int(rng.integers(2, 15))
        picks = rng.choice(n_artists, size=size, replace=False, p=popularity / popularity.sum())
        for artist in picks:
            artists[artist][user] = int(rng.lognormal(2, 1)) + 1
    weighted = matrix_of(artists, n_users)
    weighted = weighted[np.diff(weighted.indptr) > 0]
    if weighting == "binary":
        weighted.data[:] = 1.0
    assert_matches_reference(weighted, 8, support, backend)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.integers(0, 9), st.integers(1, 5), min_size=1, max_size=6),
        min_size=2,
        max_size=20,
    ),
    st.integers(1, 5),
    st.integers(1, 3),
    st.sampled_from([0.0, 1.0, 7.5]),
)
def test_property_equals_dense_reference(artists, k, min_support, shrinkage):
    weighted = matrix_of(artists, 10)
    support = SupportOptions(min_support, shrinkage)
    assert_matches_reference(weighted, k, support, "numba")
    assert_matches_reference(weighted, k, support, "scipy")


def test_counting_on_the_pattern_equals_counting_from_cosine():
    rng = np.random.default_rng(2)
    plays = sp.random(60, 90, density=0.1, random_state=rng, format="csr")
    plays.data = np.ceil(plays.data * 20)
    binary = plays.copy()
    binary.data[:] = 1.0
    by_pattern, by_cosine = CoListeners(normalise_rows(plays)), CoListeners(normalise_rows(binary))
    assert not by_pattern.binary
    assert by_cosine.binary
    rows, cols = np.divmod(np.arange(60 * 60), 60)
    cosine = (normalise_rows(binary) @ normalise_rows(binary).T).toarray()[rows, cols]
    expected = (binary @ binary.T).toarray()[rows, cols]
    np.testing.assert_array_equal(by_pattern.count(rows, cols, cosine), expected)
    np.testing.assert_array_equal(by_cosine.count(rows, cols, cosine), expected)


def test_plays_rows_of_one_value_are_binary():
    same = sp.csr_matrix(np.array([[3.0, 3.0, 0.0], [0.0, 0.0, 7.0]]))
    mixed = sp.csr_matrix(np.array([[3.0, 1.0, 0.0], [0.0, 0.0, 7.0]]))
    assert is_binary(normalise_rows(same))
    assert not is_binary(normalise_rows(mixed))


@pytest.mark.parametrize("binary", [True, False])
def test_on_demand_uses_the_same_support(binary):
    rng = np.random.default_rng(4)
    plays = sp.random(70, 100, density=0.08, random_state=rng, format="csr")
    plays.data = np.ceil(plays.data * 9) if not binary else np.ones_like(plays.data)
    normalised = normalise_rows(plays)
    support = SupportOptions(2, 3.0)
    table = compute_neighbors(normalised, 25, support=support)
    for artist in range(70):
        ids, distances, shared = query_row(normalised, artist, 25, support=support)
        expected_ids, expected_distances = table.row(artist, 25)
        assert ids.tolist() == expected_ids.tolist()
        np.testing.assert_allclose(distances, expected_distances, atol=1e-6)
        assert shared.tolist() == table.shared_row(artist, 25).tolist()
        plain_ids, _ = query_neighbors(normalised, artist, 25, support=support)
        assert plain_ids.tolist() == ids.tolist()


@pytest.mark.parametrize(
    ("options", "message"),
    [({"min_support": 0}, "min_support must be at least 1"), ({"shrinkage": -1}, "shrinkage")],
)
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        SupportOptions(**options)


def test_rare_artists_get_supported_neighbours_on_real_hetrec(hetrec_dir):
    table = read_hetrec2011(hetrec_dir)
    matrix, _ = build_matrix(table)
    normalised = normalise_rows(matrix)
    listeners = np.diff(matrix.indptr)
    plain = compute_neighbors(normalised, 10)
    supported = compute_neighbors(normalised, 10, support=SupportOptions(2, 10.0))
    # Artists with 3 to 9 listeners: plain cosine fills their lists with one-listener artists
    # that happen to share a user; with support every neighbour shares at least two listeners.
    rare = np.flatnonzero((listeners >= 3) & (listeners < 10))
    plain_singletons = listeners[plain.ids[rare][plain.ids[rare] >= 0]] == 1
    kept = supported.ids[rare]
    assert plain_singletons.mean() > 0.3
    assert (listeners[kept[kept >= 0]] == 1).sum() == 0
    assert (supported.shared[rare][kept >= 0] >= 2).all()
