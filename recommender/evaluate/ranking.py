"""Top-n of every row of a sparse score matrix, ties broken by the smaller artist id."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: Scores equal to this many decimals count as ties (broken by artist id), as in the build.
TIE_DECIMALS = 12
#: Cells of the dense rows used to find each row's n-th best score (bounds their memory).
_DENSE_CELLS = 4_000_000


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
    scores = sp.csr_matrix(scores, dtype=np.float64)
    n_rows = scores.shape[0]
    rounded = sp.csr_matrix(
        (np.round(scores.data, TIE_DECIMALS), scores.indices, scores.indptr), shape=scores.shape
    )
    rows = np.repeat(np.arange(n_rows), np.diff(scores.indptr))
    # Only entries at least as good as their row's n-th best can rank (ties kept).
    keep = (rounded.data > 0) & (rounded.data >= _nth_best(rounded, n)[rows])
    rows, cols = rows[keep], scores.indices[keep]
    values, keys = scores.data[keep], rounded.data[keep]

    order = np.lexsort((cols, -keys, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows, side="left")
    top = rank < n

    ids = np.full((n_rows, n), -1, dtype=np.int32)
    best = np.zeros((n_rows, n), dtype=np.float64)
    ids[rows[top], rank[top]] = cols[top]
    best[rows[top], rank[top]] = values[top]
    return ids, best


def drop_entries(scores: sp.csr_matrix, exclude: sp.csr_matrix) -> sp.csr_matrix:
    """``scores`` without the entries where ``exclude`` (same shape) stores a non-zero."""
    scores = sp.csr_matrix(scores)
    pattern = sp.csr_matrix(exclude, dtype=np.float64, copy=True)
    pattern.data[:] = 1.0
    kept = sp.csr_matrix(scores - scores.multiply(pattern))
    kept.eliminate_zeros()
    return kept


def _nth_best(scores: sp.csr_matrix, n: int) -> np.ndarray:
    """Each row's ``n``-th largest value (0 for rows with at most ``n`` entries)."""
    nth = np.zeros(scores.shape[0], dtype=np.float64)
    crowded = np.flatnonzero(np.diff(scores.indptr) > n)
    chunk = max(1, _DENSE_CELLS // max(1, scores.shape[1]))
    for start in range(0, crowded.size, chunk):
        rows = crowded[start : start + chunk]
        dense = scores[rows].toarray()
        nth[rows] = -np.partition(-dense, n - 1, axis=1)[:, n - 1]
    return nth
