"""The artist x user sparse matrix, weighted and L2-normalised (never dense)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.table import ListeningTable
from recommender.weighting import WEIGHTINGS, apply_weighting


def build_matrix(table: ListeningTable, weighting: str = "binary") -> tuple[sp.csr_matrix, int]:
    """Build the artist x user CSR matrix from integer codes.

    Duplicate (user, artist) rows are merged by summing their plays (so with binary weighting
    a duplicate counts once).

    Parameters
    ----------
    table : ListeningTable
        The filtered listening rows.
    weighting : {"binary", "plays", "log1p", "tfidf", "bm25"}
        ``binary``: 1 where the user played the artist at all; ``plays``: the play count;
        the others are described in :mod:`recommender.weighting`.

    Returns
    -------
    tuple of (scipy.sparse.csr_matrix, int)
        The ``float64`` matrix (artists are rows, users columns, indices sorted) and the
        number of duplicate rows that were merged.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    shape = (table.n_artists, table.n_users)
    matrix = sp.csr_matrix(
        (table.plays.astype(np.float64), (table.artist_codes, table.user_codes)), shape=shape
    )
    matrix.sum_duplicates()
    duplicates = table.n_rows - matrix.nnz
    return apply_weighting(matrix, weighting), duplicates


def normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Scale every row to unit L2 norm (rows of zeros stay zero), as a new float64 matrix."""
    normalised = matrix.astype(np.float64, copy=True)
    squares = np.zeros(normalised.shape[0], dtype=np.float64)
    filled = np.diff(normalised.indptr) > 0
    if filled.any():  # summed row by row from the stored values, with no second matrix
        starts = normalised.indptr[:-1][filled]
        squares[filled] = np.add.reduceat(np.square(normalised.data), starts)
    norms = np.sqrt(squares, where=squares > 0, out=np.ones_like(squares))
    normalised.data /= np.repeat(norms, np.diff(normalised.indptr))
    return normalised


def listeners(matrix: sp.csr_matrix) -> np.ndarray:
    """Number of distinct users per artist (row)."""
    return np.diff(matrix.indptr).astype(np.int64)
