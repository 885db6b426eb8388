"""Neighbours equal brute-force cosine kNN (scikit-learn) on generated and real data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors

from recommender.matrix import build_matrix, normalise_rows
from recommender.neighbors import compute_neighbors, query_neighbors
from recommender.readers import read_hetrec2011

# Artists as sets of users, with cosine distances known by construction (binary weighting):
#   a0 = {0,1,2,3}; a1 = same users (distance 0); a2 = {0,1}: 1 - 2/sqrt(8) = 0.29289;
#   a3 = {4,5} shares no user with a0; a4 = {3,4}: 1 - 1/sqrt(8) = 0.64645.
KNOWN = [{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1}, {4, 5}, {3, 4}]


def binary_matrix(artists: list[set[int]], n_users: int | None = None) -> sp.csr_matrix:
    rows = [a for a, users in enumerate(artists) for _ in users]
    cols = [u for users in artists for u in sorted(users)]
    n_users = n_users or (max(cols) + 1)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(artists), n_users))


@pytest.mark.parametrize("backend", ["scipy", "numba"])
def test_known_distances_and_order(backend):
    table = compute_neighbors(normalise_rows(binary_matrix(KNOWN)), 4, backend=backend)

    ids, distances = table.row(0, 4)
    assert ids.tolist() == [1, 2, 4]  # a3 shares no listener: not a neighbour
    np.testing.assert_allclose(distances, [0.0, 1 - 2 / np.sqrt(8), 1 - 1 / np.sqrt(8)], atol=1e-7)
    assert table.ids[0, 3] == -1
    assert np.isinf(table.distances[0, 3])


@pytest.mark.parametrize("backend", ["scipy", "numba"])
def test_artist_never_its_own_neighbour_and_ties_go_to_smaller_id(backend):
    # a0..a3 all have the same single listener: every pair is at distance 0.
    table = compute_neighbors(
        normalise_rows(binary_matrix([{0}, {0}, {0}, {0}])), 2, backend=backend
    )

    assert table.ids.tolist() == [[1, 2], [0, 2], [0, 1], [0, 1]]


def brute_force(matrix: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's brute-force cosine kNN with the artist itself removed."""
    model = NearestNeighbors(metric="cosine", algorithm="brute").fit(matrix)
    distances, ids = model.kneighbors(matrix, n_neighbors=min(k + 1, matrix.shape[0]))
    out_ids, out_distances = [], []
    for row, (row_ids, row_distances) in enumerate(zip(ids, distances, strict=True)):
        keep = row_ids != row
        out_ids.append(row_ids[keep][:k])
        out_distances.append(row_distances[keep][:k])
    return np.array(out_ids), np.array(out_distances)


def assert_equals_brute_force(matrix: sp.csr_matrix, k: int, backend: str) -> None:
    ours = compute_neighbors(normalise_rows(matrix), k, backend=backend)
    ref_ids, ref_distances = brute_force(matrix, k)
    for artist in range(matrix.shape[0]):
        ids, distances = ours.row(artist, k)
        n = ids.size
        # Ours lists only co-listened artists (distance < 1); sklearn pads with distance 1.
        assert np.all(ref_distances[artist, n:] > 1 - 1e-9)
        np.testing.assert_allclose(distances, ref_distances[artist, :n], atol=1e-6)
        if n:
            # Sets equal up to ties: everything strictly closer than our last one must match.
            boundary = distances[-1] - 1e-6
            assert set(ids[distances < boundary]) == set(
                ref_ids[artist, :n][ref_distances[artist, :n] < boundary]
            )


@pytest.mark.parametrize("backend", ["scipy", "numba"])
@pytest.mark.parametrize("weighting", ["binary", "plays"])
def test_equals_brute_force_on_generated_listening(backend, weighting):
    rng = np.random.default_rng(7)
    n_artists, n_users = 300, 400
    # Taste structure: users pick mostly from one of five artist groups, with a long tail.
    group = rng.integers(0, 5, n_users)
    rows, cols, plays = [], [], []
    for user in range(n_users):
        picks = rng.choice(60, size=rng.integers(3, 25), replace=False) + 60 * group[user]
        noise = rng.choice(n_artists, size=2, replace=False)
        for artist in np.concatenate([picks, noise]):
            rows.append(artist)
            cols.append(user)
            plays.append(int(rng.lognormal(3, 1.2)) + 1)
    from recommender.table import ListeningTable

    table = ListeningTable(
        user_codes=np.array(cols, dtype=np.int32),
        artist_codes=np.array(rows, dtype=np.int32),
        plays=np.array(plays, dtype=np.int64),
        artist_names=np.array([f"a{i}" for i in range(n_artists)], dtype=object),
        user_ids=np.array([f"u{i}" for i in range(n_users)], dtype=object),
    )
    matrix, _ = build_matrix(table, weighting)
    assert_equals_brute_force(matrix, 20, backend)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sets(st.integers(0, 11), min_size=1, max_size=6), min_size=2, max_size=25),
    st.integers(1, 8),
)
def test_property_equals_brute_force(artists, k):
    matrix = binary_matrix(artists, n_users=12)
    assert_equals_brute_force(matrix, k, "scipy")
    assert_equals_brute_force(matrix, k, "numba")


def test_backends_agree_exactly_on_real_hetrec(hetrec_dir):
    matrix, _ = build_matrix(read_hetrec2011(hetrec_dir))
    normalised = normalise_rows(matrix)

    reference = compute_neighbors(normalised, 50, backend="scipy")
    fast = compute_neighbors(normalised, 50, backend="numba")

    # Rows where a tie crosses the product's cut are redone exactly, so the tables are equal.
    np.testing.assert_array_equal(fast.ids, reference.ids)
    np.testing.assert_allclose(fast.distances, reference.distances, atol=1e-6)


def test_equals_brute_force_on_real_hetrec(hetrec_dir):
    table = read_hetrec2011(hetrec_dir)
    matrix, _ = build_matrix(table)
    # Every artist with at least 20 listeners, against the whole catalogue.
    ours = compute_neighbors(normalise_rows(matrix), 10)
    model = NearestNeighbors(metric="cosine", algorithm="brute").fit(matrix)
    queries = np.flatnonzero(np.diff(matrix.indptr) >= 20)
    ref_distances, ref_ids = model.kneighbors(matrix[queries], n_neighbors=11)
    for row, artist in enumerate(queries):
        keep = ref_ids[row] != artist
        expected = ref_distances[row][keep][:10]
        ids, distances = ours.row(artist, 10)
        np.testing.assert_allclose(distances, expected[: ids.size], atol=1e-6)

    names = list(table.artist_names)
    ids, distances = ours.row(names.index("Arctic Monkeys"), 3)
    assert [names[i] for i in ids] == ["The Strokes", "The Kooks", "Franz Ferdinand"]
    np.testing.assert_allclose(distances, [0.438, 0.521, 0.522], atol=5e-4)


def test_query_on_demand_matches_the_table():
    rng = np.random.default_rng(3)
    matrix = sp.random(80, 120, density=0.08, random_state=rng, format="csr")
    matrix.data[:] = 1.0
    normalised = normalise_rows(matrix)
    table = compute_neighbors(normalised, 30)
    for artist in range(80):
        ids, distances = query_neighbors(normalised, artist, 30)
        expected_ids, expected_distances = table.row(artist, 30)
        np.testing.assert_allclose(distances, expected_distances, atol=1e-6)
        assert ids.tolist() == expected_ids.tolist()


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of"):
        compute_neighbors(normalise_rows(binary_matrix(KNOWN)), 2, backend="faiss")


@pytest.mark.parametrize(("min_support", "shrinkage"), [(1, 0.0), (1, 10.0), (3, 10.0)])
def test_binary_fast_path_gives_the_general_kernels_table_bit_for_bit(min_support, shrinkage):
    from recommender.topk import by_listeners, top_k, uniform_row_weights

    rng = np.random.default_rng(11)
    n_artists, n_users = 400, 600
    # Popularity and activity both skewed, so counts, ties and heap cut-offs all occur.
    artists = np.minimum((rng.pareto(1.0, 20_000) * 8).astype(int), n_artists - 1)
    users = np.minimum((rng.pareto(1.0, 20_000) * 30).astype(int), n_users - 1)
    binary = sp.csr_matrix((np.ones(artists.size), (artists, users)), shape=(n_artists, n_users))
    binary.data[:] = 1.0
    matrix = normalise_rows(binary)
    matrix.sort_indices()
    transposed = matrix.T.tocsr()
    weights = uniform_row_weights(matrix)
    assert weights is not None
    renumbered, labels = by_listeners(transposed, n_artists)
    assert not np.array_equal(labels, np.arange(n_artists))  # the renumbering is exercised

    options = {"min_support": min_support, "shrinkage": shrinkage}
    general = top_k(matrix, transposed, 0, n_artists, 15, **options)
    fast = top_k(matrix, renumbered, 0, n_artists, 15, **options, row_weights=weights,
                 labels=labels)  # fmt: skip
    for got, want in zip(fast, general, strict=True):
        np.testing.assert_array_equal(got, want)


def test_uniform_row_weights_only_for_rows_of_one_value():
    from recommender.topk import uniform_row_weights

    binary = normalise_rows(binary_matrix([{0, 1}, set(), {2}], n_users=3))
    np.testing.assert_allclose(uniform_row_weights(binary), [1 / np.sqrt(2), 0.0, 1.0])
    plays = normalise_rows(sp.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 2.0]])))
    assert uniform_row_weights(plays) is None
