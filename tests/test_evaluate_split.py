"""Splits: no held-out artist leaks into the known set, and one seed gives one split."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.evaluate.split import split_listening, user_artist_plays
from recommender.table import ListeningTable


def random_plays(n_users: int = 40, n_artists: int = 60, seed: int = 0) -> sp.csr_matrix:
    """Users with 1 to 30 artists each, plays from 1 to 500."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for user in range(n_users):
        artists = rng.choice(n_artists, size=rng.integers(1, 31), replace=False)
        rows += [user] * artists.size
        cols += artists.tolist()
    plays = rng.integers(1, 500, size=len(rows)).astype(np.float64)
    return sp.csr_matrix((plays, (rows, cols)), shape=(n_users, n_artists))


PLAYS = random_plays()


@pytest.mark.parametrize("name", ["leave-one-out", "holdout"])
def test_split_never_leaks_held_out_artists_into_known(name):
    split = split_listening(PLAYS, name, seed=3)

    assert split.known.multiply(split.held_out).nnz == 0
    np.testing.assert_array_equal((split.known + split.held_out).toarray(), PLAYS.toarray())
    known_keys = set(zip(*split.known.nonzero(), strict=True))
    assert not known_keys & set(zip(*split.held_out.nonzero(), strict=True))


def test_leave_one_out_holds_one_artist_of_each_eligible_user():
    split = split_listening(PLAYS, "leave-one-out", seed=1, min_artists=5)
    counts = np.diff(PLAYS.indptr)
    held = np.diff(split.held_out.indptr)

    np.testing.assert_array_equal(split.users, np.flatnonzero(counts >= 5))
    np.testing.assert_array_equal(held[split.users], 1)
    assert held.sum() == split.users.size  # users with fewer than 5 artists keep them all
    assert (np.diff(split.known.indptr)[split.users] >= 4).all()


def test_holdout_holds_a_rounded_fifth_at_least_one():
    split = split_listening(PLAYS, "holdout", seed=1, fraction=0.2, min_artists=5)
    counts = np.diff(PLAYS.indptr)[split.users]
    held = np.diff(split.held_out.indptr)[split.users]

    np.testing.assert_array_equal(held, np.maximum(1, np.floor(0.2 * counts + 0.5)))
    assert split.describe()["held_out_entries"] == held.sum()


def test_a_large_holdout_still_leaves_a_known_artist():
    split = split_listening(PLAYS, "holdout", seed=0, fraction=0.95, min_artists=2)
    assert (np.diff(split.known.indptr)[split.users] >= 1).all()


@pytest.mark.parametrize("name", ["leave-one-out", "holdout"])
def test_same_seed_same_split_other_seed_other_split(name):
    first = split_listening(PLAYS, name, seed=7)
    again = split_listening(PLAYS, name, seed=7)
    other = split_listening(PLAYS, name, seed=8)

    assert (first.held_out != again.held_out).nnz == 0
    assert (first.known != again.known).nnz == 0
    assert (first.held_out != other.held_out).nnz > 0


def test_held_out_artist_is_drawn_uniformly():
    # One user with 4 artists, split 4,000 times: each artist is held out about 1,000 times.
    plays = sp.csr_matrix(np.array([[5.0, 1.0, 9.0, 2.0]]))
    drawn = [split_listening(plays, "leave-one-out", seed=s, min_artists=2) for s in range(4000)]
    counts = np.bincount([s.held_out.indices[0] for s in drawn], minlength=4)

    assert counts.min() > 880
    assert counts.max() < 1120


def test_max_users_scores_a_seeded_subset_and_leaves_the_rest_known():
    split = split_listening(PLAYS, "leave-one-out", seed=2, max_users=5)
    again = split_listening(PLAYS, "leave-one-out", seed=2, max_users=5)

    assert split.users.size == 5
    np.testing.assert_array_equal(split.users, again.users)
    assert split.held_out.nnz == 5
    assert split.scored_held_out().shape == (5, PLAYS.shape[1])

    # A fixed user seed scores the same users whatever seed draws the held-out artists.
    first, second = (
        split_listening(PLAYS, "holdout", seed=s, max_users=5, user_seed=9) for s in (1, 2)
    )
    np.testing.assert_array_equal(first.users, second.users)
    assert (first.held_out != second.held_out).nnz > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "k-fold"}, "split must be one of"),
        ({"name": "holdout", "min_artists": 1}, "min_artists must be at least 2"),
        ({"name": "holdout", "fraction": 1.0}, "fraction must be between 0 and 1"),
    ],
    ids=["name", "min-artists", "fraction"],
)
def test_bad_split_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_listening(PLAYS, seed=0, **kwargs)


def test_user_artist_plays_sums_duplicate_rows():
    table = ListeningTable(
        user_codes=np.array([0, 0, 1], dtype=np.int32),
        artist_codes=np.array([1, 1, 0], dtype=np.int32),
        plays=np.array([3, 4, 2], dtype=np.int64),
        artist_names=np.array(["a", "b"], dtype=object),
        user_ids=np.array(["u", "v"], dtype=object),
    )
    np.testing.assert_array_equal(user_artist_plays(table).toarray(), [[0, 7], [2, 0]])
