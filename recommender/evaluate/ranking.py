"""Top-n of every row of a sparse score matrix, ties broken by the smaller artist id."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: Scores equal to this many decimals count as ties (broken by artist id), as in the build.
TIE_DECIMALS = 12


def top_n(scores: sp.csr_matrix, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best columns of each row; only positive scores rank.

    Parameters
    ----------
    scores : scipy.sparse.csr_matrix
        One row per user (or artist), one column per artist.
    n : int
        How many to keep per row.

    Returns
    -------
    tuple of (np.ndarray, np.ndarray)
        ``int32`` artist ids and ``float64`` scores, shape (rows, n), best first; padded with
        -1 and 0 where a row has fewer than ``n`` positive scores.
    """
    scores = sp.csr_matrix(scores)
    n_rows = scores.shape[0]
    rows = np.repeat(np.arange(n_rows), np.diff(scores.indptr))
    keep = scores.data > 0
    rows, cols, values = rows[keep], scores.indices[keep], scores.data[keep]

    order = np.lexsort((cols, -np.round(values, TIE_DECIMALS), rows))
    rows, cols, values = rows[order], cols[order], values[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows, side="left")
    top = rank < n

    ids = np.full((n_rows, n), -1, dtype=np.int32)
    best = np.zeros((n_rows, n), dtype=np.float64)
    ids[rows[top], rank[top]] = cols[top]
    best[rows[top], rank[top]] = values[top]
    return ids, best


def drop_entries(scores: sp.csr_matrix, exclude: sp.csr_matrix) -> sp.csr_matrix:
    """``scores`` without the entries where ``exclude`` (same shape) stores anything."""
    scores = sp.csr_matrix(scores, copy=True)
    width = np.int64(scores.shape[1])
    exclude_rows = np.repeat(np.arange(exclude.shape[0], dtype=np.int64), np.diff(exclude.indptr))
    score_rows = np.repeat(np.arange(scores.shape[0], dtype=np.int64), np.diff(scores.indptr))
    dropped = np.isin(score_rows * width + scores.indices, exclude_rows * width + exclude.indices)
    scores.data[dropped] = 0.0
    scores.eliminate_zeros()
    return scores
