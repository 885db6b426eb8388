"""The methods compared: item-kNN variants, two baselines, and implicit's models as anchors.

A :class:`Method` is plain parameters; :func:`recommend` runs one on a :class:`SplitData`,
which holds what every method of one split shares (the known matrix, listeners, a cache of
neighbour tables). The item-kNN methods differ in four places:

* the training matrix: popularity threshold (``min_artist_plays``, as the build's filter:
  artists whose total known plays fall below it are left out) and weighting;
* the neighbour table: ``k``, support (shrinkage, minimum shared listeners), asymmetry;
* the scoring: row normalisation and popularity damping (see :mod:`.scoring`), or one known
  artist's neighbour list instead of the sum over all (what a similar-artists query shows).

The threshold never changes the split: artists below it are left out of the model only, so
a user whose held-out artist was left out counts as a miss, as it would for the build.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.evaluate.anchors import recommend_implicit
from recommender.evaluate.scoring import (
    ScoringOptions,
    recommend_by_similarity,
    recommend_popular,
    recommend_random,
)
from recommender.evaluate.similarity import SimilarityOptions, neighbor_similarities
from recommender.evaluate.split import Split
from recommender.weighting import apply_weighting

logger = logging.getLogger(__name__)

KINDS = ("knn", "popular", "random", "implicit")
#: Groups in report order.
GROUPS = (
    "reference",
    "weighting",
    "neighbours",
    "popularity threshold",
    "similarity",
    "scoring",
    "combined",
    "one artist",
    "baseline",
    "anchor",
)
DEFAULT_NEIGHBOR_COUNTS = (10, 20, 50, 100, 200, 400)


@dataclass(frozen=True)
class Method:
    """One recommender configuration.

    Attributes
    ----------
    group : str
        Where it sits in the report (one of :data:`GROUPS`).
    kind : {"knn", "popular", "random", "implicit"}
        Item-kNN by summed similarity, a baseline, or an implicit model (``model``).
    weighting, k, min_artist_plays : str, int, int
        Training matrix and neighbours (``k`` also for implicit's item-item models).
    shrinkage, min_support, asymmetry : float, int, float
        Neighbour table options (see :class:`.similarity.SimilarityOptions`).
    row_normalise, popularity_damping : bool, float
        Scoring options (see :class:`.scoring.ScoringOptions`).
    one_artist : bool
        Recommend from one known artist per user (drawn with the split's seed, the same for
        every method) instead of all: this scores the neighbour lists themselves, as a
        similar-artists query shows them.
    model : str
        implicit's model for ``kind="implicit"``: ``cosine``, ``bm25`` or ``als``.
    """

    group: str
    kind: str = "knn"
    weighting: str = "binary"
    k: int = 50
    min_artist_plays: int = 0
    shrinkage: float = 0.0
    min_support: int = 1
    asymmetry: float = 0.5
    row_normalise: bool = False
    popularity_damping: float = 0.0
    one_artist: bool = False
    model: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.group not in GROUPS:
            raise ValueError(f"group must be one of {GROUPS}, got {self.group!r}")

    @property
    def name(self) -> str:
        """A short label built from the parameters that differ from plain cosine."""
        if self.kind == "popular":
            return "most popular"
        if self.kind == "random":
            return "random"
        if self.kind == "implicit":
            return self._implicit_name()
        parts = [f"{self.weighting} cosine k={self.k}"]
        if self.min_artist_plays:
            parts.append(f"min plays {self.min_artist_plays:,}")
        if self.asymmetry != 0.5:
            parts.append(f"asym {self.asymmetry:g}")
        if self.shrinkage:
            parts.append(f"shrink {self.shrinkage:g}")
        if self.min_support > 1:
            parts.append(f"support {self.min_support}")
        if self.row_normalise:
            parts.append("row-norm")
        if self.popularity_damping:
            parts.append(f"pop-damp {self.popularity_damping:g}")
        if self.one_artist:
            parts.append("from one artist")
        return ", ".join(parts)

    def _implicit_name(self) -> str:
        if self.model == "als":
            return "implicit ALS" + ("" if self.weighting == "binary" else f", {self.weighting}")
        return f"implicit {'BM25' if self.model == 'bm25' else self.model} k={self.k}"

    @property
    def similarity(self) -> SimilarityOptions:
        return SimilarityOptions(self.k, self.shrinkage, self.min_support, self.asymmetry)

    @property
    def scoring(self) -> ScoringOptions:
        return ScoringOptions(self.row_normalise, self.popularity_damping)

    def parameters(self) -> dict[str, Any]:
        return asdict(self)


#: Plain binary cosine with the build's default 50 neighbours: the model every row compares to.
REFERENCE = Method("reference")
#: The combination the evaluation proposes as the build's default (see the README's table).
PROPOSED = Method("combined", k=200, shrinkage=10.0, row_normalise=True, popularity_damping=0.15)

#: What the "one artist" rows are compared with: the plain table, read from one artist.
ONE_ARTIST_REFERENCE = Method("one artist", one_artist=True)


def reference_for(method: Method) -> Method:
    """The method a row's paired difference is taken against."""
    return ONE_ARTIST_REFERENCE if method.one_artist else REFERENCE


@dataclass
class SplitData:
    """What all methods evaluated on one split share.

    Parameters
    ----------
    split : Split
        The split.
    n : int
        Recommendations per user.
    seed : int
        Seed for the random baseline and ALS.
    backend : str
        Neighbour backend (see :func:`recommender.neighbors.compute_neighbors`).
    """

    split: Split
    n: int
    seed: int
    backend: str = "auto"
    artist_plays: sp.csr_matrix = field(init=False)
    known_scored: sp.csr_matrix = field(init=False)
    query_artists: np.ndarray = field(init=False)
    _similarities: dict[tuple[Any, ...], sp.csr_matrix] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.artist_plays = self.split.known.T.tocsr()
        self.known_scored = self.split.known[self.split.users]
        self.query_artists = _one_known_artist(self.known_scored, self.seed)

    def training(self, min_artist_plays: int) -> sp.csr_matrix:
        """Artist x user known plays, artists below the popularity threshold emptied."""
        totals = np.asarray(self.artist_plays.sum(axis=1)).ravel()
        keep = totals >= min_artist_plays
        if keep.all():
            return self.artist_plays
        return sp.csr_matrix(sp.diags(keep.astype(np.float64)) @ self.artist_plays)

    def listeners(self, min_artist_plays: int = 0) -> np.ndarray:
        """Known listeners per artist (0 for artists below the threshold)."""
        return np.diff(self.training(min_artist_plays).indptr).astype(np.int64)

    def similarity(
        self, method: Method, progress: Callable[[int], None] | None = None
    ) -> sp.csr_matrix:
        """The method's neighbour matrix, computed once per distinct table."""
        key = (method.weighting, method.min_artist_plays, method.similarity)
        if key not in self._similarities:
            weighted = weight_catalogue(self.training(method.min_artist_plays), method.weighting)
            self._similarities[key] = neighbor_similarities(
                weighted, method.similarity, backend=self.backend, progress=progress
            )
        return self._similarities[key]


def recommend(
    method: Method, data: SplitData, progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """Recommendations of ``method`` for every scored user of the split.

    Returns
    -------
    np.ndarray
        ``int32`` artist ids, shape (scored users, n), best first, -1 padded.
    """
    known = data.known_scored
    if method.kind == "popular":
        return recommend_popular(data.listeners(), known, data.n)
    if method.kind == "random":
        return recommend_random(data.listeners() > 0, known, data.n, seed=data.seed)
    if method.kind == "implicit":
        return recommend_implicit(
            method.model,
            data.split.known,
            data.split.users,
            data.n,
            k=method.k,
            weighting=method.weighting,
            seed=data.seed,
        )
    similarity = data.similarity(method, progress)
    return recommend_by_similarity(
        similarity,
        known,
        data.n,
        listeners=data.listeners(method.min_artist_plays),
        options=method.scoring,
        queries=data.query_artists if method.one_artist else None,
    )


def _one_known_artist(known: sp.csr_matrix, seed: int) -> np.ndarray:
    """One known artist of each user, drawn uniformly (a seed apart from the split's)."""
    rng = np.random.default_rng([seed, 1])
    counts = np.diff(known.indptr)
    offsets = np.floor(rng.random(known.shape[0]) * counts).astype(np.int64)
    return known.indices[known.indptr[:-1] + np.minimum(offsets, np.maximum(counts - 1, 0))]


def weight_catalogue(artist_plays: sp.csr_matrix, weighting: str) -> sp.csr_matrix:
    """Weight only the artists with known plays, as a build on the known rows would.

    TF-IDF counts the catalogue's artists, so artists left without rows (held out by
    everyone, or below the threshold) must not count; they stay as empty rows.
    """
    present = np.flatnonzero(np.diff(artist_plays.indptr) > 0)
    if present.size == artist_plays.shape[0]:
        return apply_weighting(artist_plays, weighting)
    weighted = apply_weighting(artist_plays[present], weighting)
    scatter = sp.csr_matrix(
        (np.ones(present.size), (present, np.arange(present.size))),
        shape=(artist_plays.shape[0], present.size),
    )
    return sp.csr_matrix(scatter @ weighted)


def standard_methods(
    *,
    neighbor_counts: Sequence[int] = DEFAULT_NEIGHBOR_COUNTS,
    thresholds: Sequence[int] = (),
    anchors: bool = True,
) -> list[Method]:
    """The comparison: one knob at a time around :data:`REFERENCE`, the combination, baselines.

    Parameters
    ----------
    neighbor_counts : sequence of int
        ``k`` values of the neighbours group (the reference's 50 is not repeated).
    thresholds : sequence of int
        ``min_artist_plays`` values of the popularity threshold group (0 is not repeated).
    anchors : bool
        Include implicit's models.
    """
    methods = [REFERENCE]
    methods += [Method("weighting", weighting=w) for w in ("plays", "log1p", "tfidf", "bm25")]
    methods += [Method("neighbours", k=k) for k in neighbor_counts if k != REFERENCE.k]
    methods += [Method("popularity threshold", min_artist_plays=t) for t in thresholds if t > 0]
    methods += [
        Method("similarity", shrinkage=10.0),
        Method("similarity", min_support=2),
        Method("similarity", asymmetry=0.6),
        Method("scoring", row_normalise=True),
        Method("scoring", popularity_damping=0.15),
    ]
    methods += [PROPOSED, *_ablations(PROPOSED)]
    methods += [
        ONE_ARTIST_REFERENCE,
        Method("one artist", shrinkage=10.0, one_artist=True),
        Method("one artist", min_support=2, one_artist=True),
        Method("one artist", asymmetry=0.6, one_artist=True),
        Method("one artist", k=PROPOSED.k, shrinkage=PROPOSED.shrinkage, one_artist=True),
    ]
    methods += [Method("baseline", kind="popular"), Method("baseline", kind="random")]
    if anchors:
        methods += [
            Method("anchor", kind="implicit", model="cosine"),
            Method("anchor", kind="implicit", model="bm25"),
            Method("anchor", kind="implicit", model="als"),
            Method("anchor", kind="implicit", model="als", weighting="log1p"),
        ]
    return methods


def _ablations(method: Method) -> list[Method]:
    """``method`` with each of its knobs turned back to plain cosine, one at a time."""
    variants = []
    if method.k != REFERENCE.k:
        variants.append(replace(method, k=REFERENCE.k))
    if method.weighting != REFERENCE.weighting:
        variants.append(replace(method, weighting=REFERENCE.weighting))
    if method.shrinkage:
        variants.append(replace(method, shrinkage=0.0))
    if method.asymmetry != 0.5:
        variants.append(replace(method, asymmetry=0.5))
    if method.row_normalise:
        variants.append(replace(method, row_normalise=False))
    if method.popularity_damping:
        variants.append(replace(method, popularity_damping=0.0))
    return variants
