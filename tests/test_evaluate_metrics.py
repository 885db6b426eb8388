"""Ranking metrics, coverage, popularity and intervals on hand-made cases with known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.evaluate import metrics

# Two users over 10 artists. User 0 held out {1, 9}; user 1 held out {4}.
RANKED = np.array([[3, 1, 7, -1], [2, 5, 4, 0]])
HELD_OUT = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 0, 1], [1, 9, 4])), shape=(2, 10))
N_HELD = np.array([2, 1])


@pytest.fixture
def hits() -> np.ndarray:
    return metrics.hit_matrix(RANKED, HELD_OUT)


def test_hit_matrix_marks_held_out_artists_only(hits):
    np.testing.assert_array_equal(hits, [[False, True, False, False], [False, False, True, False]])


def test_padding_never_hits():
    # Artist 9 is held out for user 0 and -1 must not wrap around to it.
    held = sp.csr_matrix(([1.0], ([0], [9])), shape=(1, 10))
    assert not metrics.hit_matrix(np.array([[-1, -1]]), held).any()


@pytest.mark.parametrize(
    ("k", "expected"), [(1, [0.0, 0.0]), (2, [1.0, 0.0]), (3, [1.0, 1.0])], ids=["@1", "@2", "@3"]
)
def test_hit_rate(hits, k, expected):
    np.testing.assert_array_equal(metrics.hit_rate(hits, k), expected)


def test_ndcg_by_hand(hits):
    # User 0: hit at rank 2 of 2 held out -> (1/log2 3) / (1 + 1/log2 3).
    # User 1: hit at rank 3 of 1 held out -> (1/log2 4) / 1.
    expected = [(1 / math.log2(3)) / (1 + 1 / math.log2(3)), 0.5]
    np.testing.assert_allclose(metrics.ndcg(hits, N_HELD, 3), expected)


def test_average_precision_by_hand(hits):
    # User 0: precision 1/2 at its hit, over min(2, 3) = 2; user 1: 1/3 at its hit, over 1.
    np.testing.assert_allclose(metrics.average_precision(hits, N_HELD, 3), [0.25, 1 / 3])


def test_recall_by_hand(hits):
    np.testing.assert_allclose(metrics.recall(hits, N_HELD, 4), [0.5, 1.0])
    np.testing.assert_allclose(metrics.recall(hits, N_HELD, 1), [0.0, 0.0])


def test_a_perfect_list_scores_one():
    held = sp.csr_matrix(([1.0, 1.0], ([0, 0], [4, 5])), shape=(1, 10))
    ranked = np.array([[5, 4, 0]])
    hits = metrics.hit_matrix(ranked, held)

    assert metrics.ndcg(hits, np.array([2]), 3)[0] == pytest.approx(1.0)
    assert metrics.average_precision(hits, np.array([2]), 3)[0] == pytest.approx(1.0)
    # A cutoff below the held-out count: a list of hits only is still perfect...
    assert metrics.ndcg(hits, np.array([2]), 1)[0] == pytest.approx(1.0)
    # ...but with 5 held out and a miss at rank 3, AP@3 is (1 + 1) / 3.
    assert metrics.average_precision(hits, np.array([5]), 3)[0] == pytest.approx(2 / 3)


def test_coverage_counts_distinct_artists_and_ignores_padding():
    assert metrics.coverage(RANKED, 2, 10) == pytest.approx(0.4)  # {3, 1, 2, 5}
    assert metrics.coverage(RANKED, 4, 10) == pytest.approx(0.7)  # {3, 1, 7, 2, 5, 4, 0}


def test_popularity_percentiles_are_mid_ranks():
    # Sorted listeners 0, 5, 5, 10: below-or-half-equal shares of 4 artists.
    np.testing.assert_allclose(
        metrics.popularity_percentiles(np.array([0, 5, 5, 10])), [12.5, 50.0, 50.0, 87.5]
    )


def test_mean_percentile_per_user_and_empty_lists():
    percentiles = np.array([12.5, 50.0, 50.0, 87.5])
    values = metrics.mean_percentile(np.array([[3, 1, 0], [-1, -1, -1]]), percentiles, 2)

    assert values[0] == pytest.approx(68.75)
    assert math.isnan(values[1])


def test_normal_interval_by_hand():
    interval = metrics.normal_interval(np.array([0.0, 1.0, 1.0, 1.0]))

    # Sample standard deviation 0.5, standard error 0.25, z = 1.959964 for 95%.
    assert interval.mean == pytest.approx(0.75)
    assert interval.half_width == pytest.approx(1.959964 * 0.25, rel=1e-6)
    assert interval.n == 4


def test_normal_interval_ignores_nan_and_handles_tiny_samples():
    assert metrics.normal_interval(np.array([np.nan, 2.0])) == metrics.Interval(2.0, 2.0, 2.0, 1)
    empty = metrics.normal_interval(np.array([np.nan]))
    assert empty.n == 0
    assert empty.to_json() == {"mean": None, "low": None, "high": None, "n": 0}
