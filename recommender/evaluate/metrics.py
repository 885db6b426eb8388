"""Ranking metrics per user, catalogue coverage, popularity, and confidence intervals.

Recommendations are an ``int`` array ``ranked`` of shape (users, n): artist ids best first,
padded with -1 where a method had fewer than ``n`` candidates. Held-out artists are the rows
of a sparse users x artists matrix in the same user order. Per-user scores are averaged over
users; their confidence intervals use the normal approximation (mean +- z * standard error),
which is sound for the thousands of users of a real split.

Definitions, for a user with held-out set ``H`` and list ``R`` cut at ``k``:

* hit rate: 1 when ``R`` holds any artist of ``H``, else 0;
* nDCG: ``sum 1 / log2(rank + 1)`` over the hits in ``R``, divided by the same sum for a list
  that starts with ``min(|H|, k)`` hits;
* average precision: the mean of precision@rank over the ranks of the hits in ``R``, divided
  by ``min(|H|, k)`` (so a list that places all it can at the top scores 1);
* recall: hits in ``R`` divided by ``|H|``;
* catalogue coverage: distinct artists in all users' lists cut at ``k``, over the catalogue;
* popularity percentile: the mean, over ``R``, of each artist's mid-rank percentile of
  listeners in the catalogue (0: the least listened, 100: the most).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import scipy.sparse as sp

#: Two-sided confidence level of every interval.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval.

    Attributes
    ----------
    mean, low, high : float
        The estimate and the interval's ends (all ``nan`` with no values).
    n : int
        How many values (users) it rests on.
    """

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "mean": _finite(self.mean),
            "low": _finite(self.low),
            "high": _finite(self.high),
            "n": self.n,
        }


def normal_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean of ``values`` with a normal-approximation confidence interval (``nan`` ignored).

    Parameters
    ----------
    values : np.ndarray
        One score per user.
    confidence : float
        Two-sided level, e.g. 0.95.

    Returns
    -------
    Interval
        ``mean +- z * s / sqrt(n)`` with ``s`` the sample standard deviation; a single value
        gets a zero-width interval.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(values.mean())
    if values.size == 1:
        return Interval(mean, mean, mean, 1)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    half = z * float(values.std(ddof=1)) / np.sqrt(values.size)
    return Interval(mean, mean - half, mean + half, int(values.size))


def hit_matrix(ranked: np.ndarray, held_out: sp.csr_matrix) -> np.ndarray:
    """Boolean array shaped like ``ranked``: whether each recommendation was held out.

    Parameters
    ----------
    ranked : np.ndarray
        Recommended artist ids per user (rows), -1 for padding.
    held_out : scipy.sparse.csr_matrix
        Held-out artists of the same users, row for row.
    """
    n_users, n = ranked.shape
    n_artists = np.int64(held_out.shape[1])
    held_rows = np.repeat(np.arange(held_out.shape[0], dtype=np.int64), np.diff(held_out.indptr))
    held_keys = held_rows * n_artists + held_out.indices
    keys = np.arange(n_users, dtype=np.int64)[:, None] * n_artists + ranked
    return np.isin(keys, held_keys) & (ranked >= 0)


def hit_rate(hits: np.ndarray, k: int) -> np.ndarray:
    """1.0 for each user with a hit in the first ``k``, else 0.0."""
    return hits[:, :k].any(axis=1).astype(np.float64)


def ndcg(hits: np.ndarray, n_held: np.ndarray, k: int) -> np.ndarray:
    """Normalised discounted cumulative gain at ``k`` of each user (binary relevance)."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits[:, :k].astype(np.float64) @ discounts[: hits[:, :k].shape[1]]
    ideal = np.cumsum(discounts)[np.minimum(n_held, k) - 1]
    return dcg / ideal


def average_precision(hits: np.ndarray, n_held: np.ndarray, k: int) -> np.ndarray:
    """Average precision at ``k`` of each user, over ``min(held out, k)``."""
    top = hits[:, :k].astype(np.float64)
    precision = np.cumsum(top, axis=1) / np.arange(1, top.shape[1] + 1)
    return (precision * top).sum(axis=1) / np.minimum(n_held, k)


def recall(hits: np.ndarray, n_held: np.ndarray, k: int) -> np.ndarray:
    """Share of each user's held-out artists found in the first ``k``."""
    return hits[:, :k].sum(axis=1) / n_held


def coverage(ranked: np.ndarray, k: int, n_artists: int) -> float:
    """Share of the catalogue's ``n_artists`` recommended to anyone in a first ``k``."""
    top = ranked[:, :k]
    return float(np.unique(top[top >= 0]).size / n_artists)


def popularity_percentiles(listeners: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of each artist's listeners: ``100 * (fewer + equal / 2) / n``."""
    listeners = np.asarray(listeners)
    ordered = np.sort(listeners)
    fewer = np.searchsorted(ordered, listeners, side="left")
    equal = np.searchsorted(ordered, listeners, side="right") - fewer
    return 100.0 * (fewer + equal / 2) / listeners.size


def mean_percentile(ranked: np.ndarray, percentiles: np.ndarray, k: int) -> np.ndarray:
    """Mean popularity percentile of each user's first ``k`` (``nan`` for an empty list)."""
    top = ranked[:, :k]
    valid = top >= 0
    values = np.where(valid, percentiles[np.where(valid, top, 0)], 0.0)
    counts = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, values.sum(axis=1) / counts, np.nan)


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
