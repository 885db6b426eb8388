"""Recommendations for the scored users: by summed similarity, by popularity, at random.

Every recommender here leaves out the user's known artists and only recommends artists of the
catalogue the models learnt from (artists with at least one known listener).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.evaluate.ranking import drop_entries, top_n

#: Users scored per sparse product (bounds the memory of one block of scores).
_USER_BLOCK = 256


@dataclass(frozen=True)
class ScoringOptions:
    """How summed similarities become a user's ranking.

    Attributes
    ----------
    row_normalise : bool
        Scale each artist's neighbour similarities to sum to 1, so every known artist has the
        same say however similar its neighbours are.
    popularity_damping : float
        ``beta``: divide a candidate's score by its listeners ``** beta``; 0 is off.
    """

    row_normalise: bool = False
    popularity_damping: float = 0.0


def recommend_by_similarity(
    similarity: sp.csr_matrix,
    known: sp.csr_matrix,
    n: int,
    *,
    listeners: np.ndarray,
    options: ScoringOptions | None = None,
    queries: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Rank unseen artists by their summed similarity to each user's known artists.

    Parameters
    ----------
    similarity : scipy.sparse.csr_matrix
        Artists x artists: row ``j`` holds the neighbours of artist ``j`` with similarities.
    known : scipy.sparse.csr_matrix
        Scored users x artists; any stored entry is a known artist.
    n : int
        Recommendations per user.
    listeners : np.ndarray
        Known listeners of each artist (for popularity damping).
    options : ScoringOptions, optional
        Row normalisation and popularity damping; off by default (the plain sum).
    queries : np.ndarray, optional
        One known artist per user to score from instead of all of them: the ranking is then
        that artist's neighbour list (what a similar-artists query shows), known artists
        still left out.
    progress : callable, optional
        Called with the number of users finished, block by block.

    Returns
    -------
    np.ndarray
        ``int32`` artist ids, shape (users, n), best first; -1 pads a list with fewer
        candidates (an artist with no similarity to any known artist is never recommended).
    """
    options = options or ScoringOptions()
    similarity = sp.csr_matrix(similarity, dtype=np.float64)
    if options.row_normalise:
        similarity = _normalise_rows_to_sum(similarity)
    damping = None
    if options.popularity_damping:
        damping = np.zeros(len(listeners), dtype=np.float64)
        listened = listeners > 0
        damping[listened] = listeners[listened] ** -options.popularity_damping
    indicator = _indicator(known)
    sources = indicator if queries is None else _one_per_row(queries, known.shape[1])

    ranked = np.full((known.shape[0], n), -1, dtype=np.int32)
    for start in range(0, known.shape[0], _USER_BLOCK):
        stop = min(start + _USER_BLOCK, known.shape[0])
        scores = (sources[start:stop] @ similarity).tocsr()
        if damping is not None:
            scores.data *= damping[scores.indices]
        scores = drop_entries(scores, indicator[start:stop])
        ranked[start:stop], _ = top_n(scores, n)
        if progress is not None:
            progress(stop - start)
    return ranked


def recommend_popular(listeners: np.ndarray, known: sp.csr_matrix, n: int) -> np.ndarray:
    """The ``n`` most-listened artists each user does not know (ties by smaller id)."""
    order = np.lexsort((np.arange(len(listeners)), -listeners))
    order = order[listeners[order] > 0]
    ranked = np.full((known.shape[0], n), -1, dtype=np.int32)
    for start in range(0, known.shape[0], _USER_BLOCK):
        block = known[start : start + _USER_BLOCK]
        candidates = order[: n + int(np.diff(block.indptr).max(initial=0))]
        ranked[start : start + block.shape[0]] = _first_unknown(candidates, block, n)
    return ranked


def recommend_random(
    catalogue: np.ndarray, known: sp.csr_matrix, n: int, *, seed: int
) -> np.ndarray:
    """``n`` artists drawn uniformly from the catalogue each user does not know.

    Parameters
    ----------
    catalogue : np.ndarray
        Boolean mask of the artists that may be recommended.
    known : scipy.sparse.csr_matrix
        Scored users x artists; any stored entry is a known artist.
    n : int
        Recommendations per user.
    seed : int
        Seed of the draws.
    """
    rng = np.random.default_rng(seed)
    artists = np.flatnonzero(catalogue)
    known = sp.csr_matrix(known)
    ranked = np.full((known.shape[0], n), -1, dtype=np.int32)
    for user in range(known.shape[0]):
        seen = known.indices[known.indptr[user] : known.indptr[user + 1]]
        draws = rng.choice(artists, size=min(n + seen.size, artists.size), replace=False)
        unseen = draws[~np.isin(draws, seen)][:n]
        ranked[user, : unseen.size] = unseen
    return ranked


def _first_unknown(candidates: np.ndarray, known: sp.csr_matrix, n: int) -> np.ndarray:
    """For each user (row of ``known``), the first ``n`` candidates not known (-1 if fewer)."""
    n_users = known.shape[0]
    n_artists = np.int64(known.shape[1])
    known_rows = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(known.indptr))
    keys = np.arange(n_users, dtype=np.int64)[:, None] * n_artists + candidates[None, :]
    is_known = np.isin(keys, known_rows * n_artists + known.indices)
    first = np.argsort(is_known, axis=1, kind="stable")[:, :n]
    ranked = np.full((n_users, n), -1, dtype=np.int32)
    picked = candidates[first]
    picked[np.take_along_axis(is_known, first, axis=1)] = -1
    ranked[:, : picked.shape[1]] = picked
    return ranked


def _indicator(known: sp.csr_matrix) -> sp.csr_matrix:
    """1 wherever ``known`` stores an entry."""
    known = sp.csr_matrix(known)
    return sp.csr_matrix(
        (np.ones(known.nnz, dtype=np.float64), known.indices, known.indptr), shape=known.shape
    )


def _one_per_row(artists: np.ndarray, n_artists: int) -> sp.csr_matrix:
    """A users x artists indicator with one artist per user."""
    rows = np.arange(artists.size)
    return sp.csr_matrix((np.ones(artists.size), (rows, artists)), shape=(artists.size, n_artists))


def _normalise_rows_to_sum(similarity: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(similarity.sum(axis=1)).ravel()
    scale = np.zeros_like(sums)
    scale[sums > 0] = 1.0 / sums[sums > 0]
    return sp.csr_matrix(sp.diags(scale) @ similarity)
