"""The one class the command line and the bot use: ``Recommender``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.errors import QueryError
from recommender.model import Model
from recommender.neighbors import query_neighbors
from recommender.results import Candidate, ModelInfo, Neighbor, Resolution, SimilarResult
from recommender.store import load_model

#: Most name candidates returned by ``matches`` and autocomplete (Discord shows 25).
MAX_LIMIT = 25


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
            Neighbours nearest first; none when the query did not resolve.
        """
        _check_k(k)
        resolution = self.resolve(query)
        if resolution.artist_id is None:
            return SimilarResult(resolution)
        return SimilarResult(resolution, self.neighbors(resolution.artist_id, k))

    def neighbors(self, artist_id: int, k: int) -> list[Neighbor]:
        """The ``k`` nearest artists to ``artist_id`` (only those sharing a listener)."""
        _check_k(k)
        if k <= self.model.neighbors.k:
            ids, distances = self.model.neighbors.row(artist_id, k)
        else:
            ids, distances = query_neighbors(self.model.matrix, artist_id, k)
        return [self._neighbor(int(i), float(d)) for i, d in zip(ids, distances, strict=True)]

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

    def artist_name(self, artist_id: int) -> str:
        return self.model.artist_names[artist_id]

    def _neighbor(self, artist_id: int, distance: float) -> Neighbor:
        listeners = int(self.model.listeners[artist_id])
        return Neighbor(self.model.artist_names[artist_id], distance, artist_id, listeners)

    def _candidate(self, artist_id: int, score: float) -> Candidate:
        listeners = int(np.asarray(self.model.listeners)[artist_id])
        return Candidate(self.model.artist_names[artist_id], score, artist_id, listeners)


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise QueryError(f"k must be a whole number of at least 1, got {k!r}.")
