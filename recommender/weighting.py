"""Weighting schemes: what value a cell of the artist x user play-count matrix carries.

Every scheme maps a cell's (summed) play count to a weight and keeps the sparsity pattern, so
the number of listeners of an artist is the same under every scheme. TF-IDF and BM25 read the
matrix as text retrieval reads documents and terms: an artist is a document and its listeners
are its terms, so a user who listens to a large share of the catalogue says less about any one
artist (a small inverse document frequency) than a user with a narrow taste.

``binary``
    1 wherever the user played the artist (cosine then counts shared listeners).
``plays``
    The play count itself.
``log1p``
    ``log(1 + plays)``: more plays count for more, with diminishing returns.
``tfidf``
    ``log(1 + plays) * idf(user)`` with ``idf(user) = log(n_artists / artists of the user)``.
``bm25``
    ``idf(user) * plays * (k1 + 1) / (plays + k1 * (1 - b + b * length / mean length))`` where
    ``length`` is the artist's total plays: plays saturate (``k1``) and artists with many
    plays overall are damped (``b``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

WEIGHTINGS = ("binary", "plays", "log1p", "tfidf", "bm25")
#: BM25 saturation: a cell reaches half its ceiling at ``k1`` plays (before length damping).
BM25_K1 = 1.2
#: BM25 length damping: 0 ignores an artist's total plays, 1 divides by them fully.
BM25_B = 0.75


def apply_weighting(
    plays: sp.csr_matrix, weighting: str, *, k1: float = BM25_K1, b: float = BM25_B
) -> sp.csr_matrix:
    """Weight an artist x user play-count matrix.

    Parameters
    ----------
    plays : scipy.sparse.csr_matrix
        Artists are rows, users columns; every stored value is a play count of at least 1
        (duplicates already summed).
    weighting : {"binary", "plays", "log1p", "tfidf", "bm25"}
        The scheme (see the module docstring).
    k1, b : float
        BM25's saturation and length damping; only ``bm25`` reads them.

    Returns
    -------
    scipy.sparse.csr_matrix
        A new ``float64`` matrix with the same shape and pattern (a weight can be 0, kept as
        an explicit entry, when a user listened to every artist).

    Raises
    ------
    ValueError
        For a weighting not in :data:`WEIGHTINGS`.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    weighted = sp.csr_matrix(plays, dtype=np.float64, copy=True)
    if weighting == "binary":
        weighted.data[:] = 1.0
    elif weighting == "log1p":
        weighted.data = np.log1p(weighted.data)
    elif weighting == "tfidf":
        weighted.data = np.log1p(weighted.data) * user_idf(weighted)[weighted.indices]
    elif weighting == "bm25":
        weighted.data = _bm25(weighted, k1, b)
    return weighted


def user_idf(matrix: sp.csr_matrix) -> np.ndarray:
    """Inverse document frequency of each user (column): ``log(n_artists / artists played)``.

    Users who played nothing get 0 (they carry no entry to weight anyway).
    """
    artists_played = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
    idf = np.zeros(matrix.shape[1], dtype=np.float64)
    played = artists_played > 0
    idf[played] = np.log(matrix.shape[0] / artists_played[played])
    return idf


def _bm25(plays: sp.csr_matrix, k1: float, b: float) -> np.ndarray:
    """BM25 weight of every stored cell, in ``plays.data`` order."""
    length = np.asarray(plays.sum(axis=1)).ravel()
    listened = length > 0
    mean_length = length[listened].mean() if listened.any() else 1.0
    damping = (1.0 - b) + b * length / mean_length
    row_damping = np.repeat(damping, np.diff(plays.indptr))
    saturated = plays.data * (k1 + 1.0) / (plays.data + k1 * row_damping)
    return saturated * user_idf(plays)[plays.indices]
