"""The one class the command line and the bot use: ``Recommender``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.errors import QueryError
from recommender.model import Model
from recommender.neighbors import EVIDENCE, query_row
from recommender.novelty import (
    DEFAULT_NOVELTY,
    MIN_SHARED,
    POOL_FACTOR,
    Ranked,
    check_novelty,
    rank_discoveries,
)
from recommender.results import (
    Candidate,
    DiscoverResult,
    Discovery,
    MatchStatus,
    ModelInfo,
    Neighbor,
    Resolution,
    SimilarResult,
)
from recommender.store import load_model
from recommender.strings import StringColumn
from recommender.support import CoListeners
from recommender.tags import tag_neighbors

#: Most name candidates returned by ``matches`` and autocomplete (Discord shows 25).
MAX_LIMIT = 25
#: Top tags shown with a result.
TAGS_SHOWN = 5


class Recommender:
    """Answers similar-artist and name queries from one loaded model.

    Parameters
    ----------
    model : Model
        A built model, usually from :meth:`load`.

    Examples
    --------
    >>> rec = Recommender.load("artifacts/model.joblib")  # doctest: +SKIP
    >>> [n.artist for n in rec.similar("arctic monkeys", k=3).neighbors]  # doctest: +SKIP
    ['the strokes', 'the kooks', 'franz ferdinand']
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self._co_listeners: CoListeners | None = None
        self._tag_vectors: sp.csr_matrix | None = None
        self._aliases: dict[int, list[str]] | None = None

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Load the model at ``path`` (raises ``ModelError`` with a rebuild hint if unusable)."""
        return cls(load_model(path))

    @property
    def n_artists(self) -> int:
        return self.model.n_artists

    def about(self) -> ModelInfo:
        """What the model was built from: dataset, filters, sizes, build time."""
        return self.model.info

    def resolve(self, query: str) -> Resolution:
        """Resolve free text to one artist, or to "did you mean" candidates."""
        return self.model.name_index.resolve(query, self.model.artist_names)

    def similar(self, query: str, k: int = 10) -> SimilarResult:
        """The ``k`` artists most similar to the one ``query`` names.

        Parameters
        ----------
        query : str
            An artist name, typed loosely.
        k : int
            How many neighbours (at least 1). More than were precomputed is allowed and is
            computed on demand.

        Returns
        -------
        SimilarResult
            Neighbours nearest first, with the artist's top tags where the model has tags;
            none when the query did not resolve.
        """
        _check_k(k)
        resolution = self.resolve(query)
        if resolution.artist_id is None:
            return SimilarResult(resolution)
        artist_id = resolution.artist_id
        tags = tuple(self.tags(artist_id))
        return SimilarResult(resolution, self.neighbors(artist_id, k), tags)

    def neighbors(self, artist_id: int, k: int) -> list[Neighbor]:
        """The ``k`` nearest artists to ``artist_id`` (only those sharing a listener).

        Artists with too few listeners may have tag neighbours instead (``evidence`` says
        which); more than were precomputed are ranked on demand by the same rules.
        """
        _check_k(k)
        ids, distances, shared = self._row(artist_id, k)
        evidence = self.model.neighbors.evidence_of(artist_id)
        counts = [None] * len(ids) if shared is None else [int(n) for n in shared]
        return [
            self._neighbor(int(i), float(d), n, evidence)
            for i, d, n in zip(ids, distances, counts, strict=True)
        ]

    def discover(
        self,
        query: str,
        k: int = 10,
        *,
        novelty: float = DEFAULT_NOVELTY,
        more_popular: bool = False,
    ) -> DiscoverResult:
        """Artists like the one ``query`` names that fewer people listen to.

        Candidates are the artist's ``POOL_FACTOR * k`` nearest neighbours that share at least
        ``MIN_SHARED`` listeners with it (all co-listened artists when fewer than ``k`` of
        those are less known), ranked by
        ``similarity * (listeners of the query / listeners) ** novelty``; see
        :mod:`recommender.novelty`.

        Parameters
        ----------
        query : str
            An artist name, typed loosely.
        k : int
            How many artists (at least 1).
        novelty : float
            0 ranks by similarity alone; higher values favour less-known artists more.
        more_popular : bool
            Also allow artists with as many listeners as the query or more.

        Returns
        -------
        DiscoverResult
            Best first, each with its listeners; empty when the query did not resolve or
            nothing less known shares its listeners.
        """
        _check_k(k)
        novelty = _check_novelty(novelty)
        resolution = self.resolve(query)
        if resolution.artist_id is None:
            return DiscoverResult(resolution, novelty=novelty, more_popular=more_popular)
        return self._discover(resolution, resolution.artist_id, k, novelty, more_popular)

    def discoveries(
        self,
        artist_id: int,
        k: int = 10,
        *,
        novelty: float = DEFAULT_NOVELTY,
        more_popular: bool = False,
    ) -> DiscoverResult:
        """:meth:`discover` for an artist given by id (a "did you mean" choice)."""
        _check_k(k)
        novelty = _check_novelty(novelty)
        name = self.artist_name(artist_id)
        resolution = Resolution(name, MatchStatus.EXACT, name, artist_id)
        return self._discover(resolution, artist_id, k, novelty, more_popular)

    def _discover(
        self, resolution: Resolution, artist_id: int, k: int, novelty: float, more_popular: bool
    ) -> DiscoverResult:
        listeners = np.asarray(self.model.listeners)
        own = int(listeners[artist_id])
        evidence = self.model.neighbors.evidence_of(artist_id)

        def rank(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, Ranked]:
            ids, distances, shared = self._row(artist_id, size)
            if shared is None and evidence == EVIDENCE[0]:
                # Not stored for this weighting: count them for the few candidates.
                shared = self._counter().count(
                    np.full(ids.size, artist_id), ids, 1.0 - distances.astype(np.float64)
                )
            ranked = rank_discoveries(
                ids,
                distances,
                listeners,
                own,
                k,
                novelty=novelty,
                more_popular=more_popular,
                shared=shared,
                min_shared=MIN_SHARED if evidence == EVIDENCE[0] else 1,
            )
            return ids, distances, shared, ranked

        ids, distances, shared, ranked = rank(POOL_FACTOR * k)
        if ranked.order.size < k and ids.size == POOL_FACTOR * k:
            ids, distances, shared, ranked = rank(self.n_artists)
        discoveries = [
            Discovery(
                self.model.artist_names[int(ids[p])],
                int(ids[p]),
                int(listeners[ids[p]]),
                float(distances[p]),
                float(score),
                None if shared is None else int(shared[p]),
                evidence,
            )
            for p, score in zip(ranked.order, ranked.scores, strict=True)
        ]
        tags = tuple(self.tags(artist_id))
        return DiscoverResult(resolution, own, discoveries, novelty, more_popular, tags)

    def tags(self, artist_id: int, limit: int = TAGS_SHOWN) -> list[str]:
        """The artist's most given tags, most users first; empty without tags."""
        if self.model.tags is None:
            return []
        return self.model.tags.top(artist_id, limit)

    def aliases(self, artist_id: int) -> list[str]:
        """Other spellings folded into the artist (searchable like its name)."""
        if self._aliases is None:
            self._aliases = {}
            for alias, artist in self.model.aliases:
                self._aliases.setdefault(artist, []).append(alias)
        return list(self._aliases.get(artist_id, []))

    def matches(self, query: str, limit: int = 10) -> list[Candidate]:
        """Name candidates for ``query`` with their scores (0 to 100), best first."""
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}.")
        index = self.model.name_index
        exact = index.exact(query)
        ranked = [(a, 100.0) for a in exact]
        seen = set(exact)
        ranked += [(a, s) for a, s in index.search(query, limit=limit) if a not in seen]
        return [self._candidate(a, s) for a, s in ranked[:limit]]

    def complete(self, prefix: str, limit: int = MAX_LIMIT) -> list[str]:
        """Artist names for autocomplete: names starting with ``prefix`` first, most listened."""
        ids = self.model.name_index.complete(prefix, min(limit, MAX_LIMIT))
        return [self.model.artist_names[i] for i in ids]

    def catalogue_fingerprint(self) -> str:
        """Eight hex digits that change whenever the artist id -> name mapping changes.

        Two models with the same fingerprint give every artist id the same name, so ids kept
        elsewhere (the bot's buttons) stay meaningful across a rebuild of the same data.
        """
        digest = hashlib.blake2b(digest_size=4)
        names = self.model.artist_names
        if isinstance(names, StringColumn):
            digest.update(names.offsets.tobytes())
            digest.update(names.buffer.tobytes())
        else:
            encoded = [name.encode("utf-8", "surrogatepass") for name in names]
            digest.update(np.cumsum([0, *map(len, encoded)], dtype=np.int64).tobytes())
            digest.update(b"".join(encoded))
        return digest.hexdigest()

    def artist_name(self, artist_id: int) -> str:
        return self.model.artist_names[artist_id]

    def _row(self, artist_id: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Ids, distances and shared counts of the ``k`` nearest, from the table or on demand."""
        table = self.model.neighbors
        if k <= table.k:
            ids, distances = table.row(artist_id, k)
            return ids, distances, table.shared_row(artist_id, k)
        if table.evidence_of(artist_id) == EVIDENCE[1]:
            return self._tag_row(artist_id, k)
        return query_row(
            self.model.matrix, artist_id, k, support=self.model.support, counter=self._counter()
        )

    def _counter(self) -> CoListeners:
        if self._co_listeners is None:
            self._co_listeners = CoListeners(self.model.matrix)
        return self._co_listeners

    def _tag_row(self, artist_id: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert self.model.tags is not None  # rows with tag evidence exist only with tags
        if self._tag_vectors is None:
            self._tag_vectors = self.model.tags.vectors()
        ids, distances, shared = tag_neighbors(self._tag_vectors, np.array([artist_id]), k)
        valid = ids[0] >= 0
        return ids[0][valid], distances[0][valid], shared[0][valid]

    def _neighbor(
        self,
        artist_id: int,
        distance: float,
        shared: int | None = None,
        evidence: str = "listeners",
    ) -> Neighbor:
        listeners = int(self.model.listeners[artist_id])
        name = self.model.artist_names[artist_id]
        return Neighbor(name, distance, artist_id, listeners, shared, evidence)

    def _candidate(self, artist_id: int, score: float) -> Candidate:
        listeners = int(np.asarray(self.model.listeners)[artist_id])
        return Candidate(self.model.artist_names[artist_id], score, artist_id, listeners)


def _check_novelty(novelty: float) -> float:
    try:
        return check_novelty(novelty)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"novelty must be a number of at least 0, got {novelty!r}.") from exc


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise QueryError(f"k must be a whole number of at least 1, got {k!r}.")
