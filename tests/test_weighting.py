"""Weighting schemes on tiny matrices whose weights are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.matrix import build_matrix
from recommender.table import ListeningTable
from recommender.weighting import WEIGHTINGS, apply_weighting, user_idf

# 3 artists (rows) x 2 users (columns). User 0 played every artist, user 1 only artist 0.
PLAYS = sp.csr_matrix(np.array([[4.0, 9.0], [1.0, 0.0], [7.0, 0.0]]))


def test_binary_plays_and_log1p():
    np.testing.assert_array_equal(apply_weighting(PLAYS, "binary").toarray(), PLAYS.toarray() > 0)
    np.testing.assert_array_equal(apply_weighting(PLAYS, "plays").toarray(), PLAYS.toarray())
    np.testing.assert_allclose(apply_weighting(PLAYS, "log1p").toarray(), np.log1p(PLAYS.toarray()))


def test_user_idf_by_hand():
    # User 0 played all 3 artists: log(3/3) = 0; user 1 played one: log(3/1).
    np.testing.assert_allclose(user_idf(PLAYS), [0.0, math.log(3)])


def test_tfidf_by_hand():
    weighted = apply_weighting(PLAYS, "tfidf")

    expected = np.zeros((3, 2))
    expected[0, 1] = math.log1p(9) * math.log(3)
    np.testing.assert_allclose(weighted.toarray(), expected)
    assert weighted.nnz == PLAYS.nnz  # zero weights stay as entries: listeners are unchanged


def test_bm25_by_hand():
    k1, b = 1.2, 0.75
    weighted = apply_weighting(PLAYS, "bm25", k1=k1, b=b)

    # Artist lengths (total plays) 13, 1, 7: mean 7. Only user 1's cell has a non-zero idf.
    damping = (1 - b) + b * 13 / 7
    expected = math.log(3) * 9 * (k1 + 1) / (9 + k1 * damping)
    assert weighted[0, 1] == pytest.approx(expected)
    assert weighted[0, 0] == 0.0
    assert weighted.nnz == PLAYS.nnz


def test_bm25_without_length_damping_saturates_plays_only():
    plays = sp.csr_matrix(np.array([[3.0, 0.0], [0.0, 1.0], [5.0, 0.0]]))
    weighted = apply_weighting(plays, "bm25", k1=2.0, b=0.0)

    idf = np.log([3 / 2, 3 / 1])
    expected = np.array([[3 * 3 / (3 + 2) * idf[0], 0], [0, 1 * 3 / (1 + 2) * idf[1]], [0, 0]])
    expected[2, 0] = 5 * 3 / (5 + 2) * idf[0]
    np.testing.assert_allclose(weighted.toarray(), expected)


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_every_weighting_keeps_the_pattern_and_the_input(weighting):
    before = PLAYS.copy()
    weighted = apply_weighting(PLAYS, weighting)

    assert weighted.dtype == np.float64
    np.testing.assert_array_equal(weighted.indptr, PLAYS.indptr)
    np.testing.assert_array_equal(weighted.indices, PLAYS.indices)
    assert (weighted.data >= 0).all()
    np.testing.assert_array_equal(PLAYS.toarray(), before.toarray())  # input untouched


def test_unknown_weighting_is_refused():
    with pytest.raises(ValueError, match="weighting must be one of .*got 'idf'"):
        apply_weighting(PLAYS, "idf")


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_build_matrix_delegates_after_summing_duplicates(weighting):
    # (user 0, artist 1) appears twice: its plays are summed before weighting.
    table = ListeningTable(
        user_codes=np.array([0, 0, 0, 1, 1], dtype=np.int32),
        artist_codes=np.array([0, 1, 1, 1, 2], dtype=np.int32),
        plays=np.array([5, 2, 3, 8, 1], dtype=np.int64),
        artist_names=np.array(["a", "b", "c"], dtype=object),
        user_ids=np.array(["u0", "u1"], dtype=object),
    )
    matrix, duplicates = build_matrix(table, weighting)
    summed = sp.csr_matrix(np.array([[5.0, 0.0], [5.0, 8.0], [0.0, 1.0]]))

    assert duplicates == 1
    np.testing.assert_allclose(matrix.toarray(), apply_weighting(summed, weighting).toarray())
