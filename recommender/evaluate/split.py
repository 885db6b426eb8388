"""Splitting each user's listening into known artists and held-out artists.

A split never changes the data, only who sees what: every (user, artist) entry is either known
(a model may learn from it and the user's recommendations exclude it) or held out (what the
recommendations are scored against), never both. Users with fewer than ``min_artists`` artists
keep all of them as known: they help the models learn but are not scored. The held-out
entries are drawn with a seeded generator, so one seed gives one split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.table import ListeningTable

logger = logging.getLogger(__name__)

SPLITS = ("leave-one-out", "holdout")
#: Users with fewer artists than this are not scored (they still train the models).
DEFAULT_MIN_ARTISTS = 5
#: Share of a user's artists held out by the ``holdout`` split.
DEFAULT_HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class Split:
    """Known and held-out listening of every user, on the table's user and artist codes.

    Attributes
    ----------
    name : str
        ``leave-one-out`` or ``holdout``.
    seed : int
        The seed that drew the held-out entries.
    known : scipy.sparse.csr_matrix
        Users x artists play counts the models may learn from (every user's rows, less the
        held-out entries).
    held_out : scipy.sparse.csr_matrix
        Users x artists play counts held out; rows of users not scored are empty.
    users : np.ndarray
        ``int64`` codes of the users scored, ascending.
    fraction : float or None
        The held-out share for ``holdout``; ``None`` for ``leave-one-out``.
    min_artists : int
        Fewest artists a scored user has in the data.
    """

    name: str
    seed: int
    known: sp.csr_matrix
    held_out: sp.csr_matrix
    users: np.ndarray
    fraction: float | None
    min_artists: int

    @property
    def n_users(self) -> int:
        return int(self.known.shape[0])

    @property
    def n_artists(self) -> int:
        return int(self.known.shape[1])

    def scored_held_out(self) -> sp.csr_matrix:
        """The held-out rows of the scored users, in the order of :attr:`users`."""
        return self.held_out[self.users]

    def describe(self) -> dict[str, Any]:
        """The split's parameters and sizes, for reports."""
        return {
            "split": self.name,
            "seed": self.seed,
            "fraction": self.fraction,
            "min_artists": self.min_artists,
            "users": self.n_users,
            "artists": self.n_artists,
            "scored_users": int(self.users.size),
            "known_entries": int(self.known.nnz),
            "held_out_entries": int(self.held_out.nnz),
        }


def user_artist_plays(table: ListeningTable) -> sp.csr_matrix:
    """The users x artists play-count matrix of a table (duplicate rows summed)."""
    matrix = sp.csr_matrix(
        (table.plays.astype(np.float64), (table.user_codes, table.artist_codes)),
        shape=(table.n_users, table.n_artists),
    )
    matrix.sum_duplicates()
    return matrix


def split_listening(
    plays: sp.csr_matrix,
    name: str,
    *,
    seed: int,
    min_artists: int = DEFAULT_MIN_ARTISTS,
    fraction: float = DEFAULT_HOLDOUT_FRACTION,
    max_users: int | None = None,
    user_seed: int | None = None,
) -> Split:
    """Hold out artists of every user with at least ``min_artists`` of them.

    Parameters
    ----------
    plays : scipy.sparse.csr_matrix
        Users x artists play counts (see :func:`user_artist_plays`).
    name : {"leave-one-out", "holdout"}
        ``leave-one-out`` holds out one artist per user, drawn uniformly; ``holdout`` holds
        out ``round(fraction * artists)`` of them (at least one, and never all), drawn
        uniformly.
    seed : int
        Seed of the draws (and of the choice of scored users with ``max_users``).
    min_artists : int
        Users with fewer artists are not scored; at least 2, so a scored user always keeps
        a known artist.
    fraction : float
        The held-out share for ``holdout``, in (0, 1).
    max_users : int, optional
        Score at most this many users, drawn uniformly from the eligible ones (the others
        keep all their artists as known).
    user_seed : int, optional
        Seed of the choice of scored users with ``max_users`` (default: ``seed``); fix it to
        score the same users on splits drawn with different seeds.

    Returns
    -------
    Split
    """
    if name not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {name!r}")
    if min_artists < 2:
        raise ValueError(f"min_artists must be at least 2, got {min_artists}")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    plays = sp.csr_matrix(plays, dtype=np.float64)
    plays.sum_duplicates()
    rng = np.random.default_rng(seed)

    counts = np.diff(plays.indptr)
    users = np.flatnonzero(counts >= min_artists)
    if max_users is not None and users.size > max_users:
        chooser = rng if user_seed is None else np.random.default_rng(user_seed)
        users = np.sort(chooser.choice(users, size=max_users, replace=False))
    n_held = np.zeros(plays.shape[0], dtype=np.int64)
    if name == "leave-one-out":
        n_held[users] = 1
    else:
        rounded = np.maximum(1, np.floor(fraction * counts[users] + 0.5)).astype(np.int64)
        n_held[users] = np.minimum(rounded, counts[users] - 1)  # one known artist at least

    held = _draw_held_out(plays, n_held, rng)
    split = Split(
        name=name,
        seed=seed,
        known=_subset(plays, ~held),
        held_out=_subset(plays, held),
        users=users.astype(np.int64),
        fraction=None if name == "leave-one-out" else fraction,
        min_artists=min_artists,
    )
    logger.info(
        "%s split (seed %d): %d of %d users scored, %d entries held out, %d known",
        name,
        seed,
        users.size,
        plays.shape[0],
        split.held_out.nnz,
        split.known.nnz,
    )
    return split


def _draw_held_out(
    plays: sp.csr_matrix, n_held: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Mask over ``plays.data``: in each row, the ``n_held[row]`` entries with smallest keys."""
    rows = np.repeat(np.arange(plays.shape[0]), np.diff(plays.indptr))
    keys = rng.random(plays.nnz)
    order = np.lexsort((keys, rows))
    rank = np.empty(plays.nnz, dtype=np.int64)
    rank[order] = np.arange(plays.nnz) - plays.indptr[rows[order]]
    return rank < n_held[rows]


def _subset(plays: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """The entries of ``plays`` where ``keep`` is true, same shape."""
    rows = np.repeat(np.arange(plays.shape[0]), np.diff(plays.indptr))
    subset = sp.csr_matrix((plays.data[keep], (rows[keep], plays.indices[keep])), shape=plays.shape)
    subset.sort_indices()
    return subset
