"""Plain result objects returned by the facade and rendered by the CLIs and the bot."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class MatchStatus(StrEnum):
    """How a query string was resolved to an artist."""

    EXACT = "exact"  # equal to a name or alias after normalisation
    FUZZY = "fuzzy"  # the best candidate is clearly ahead of the rest and accepted
    AMBIGUOUS = "ambiguous"  # candidates exist but none is clearly right: "did you mean"
    NONE = "none"  # nothing came close


@dataclass(frozen=True, slots=True)
class Candidate:
    """One name candidate for a query, with its rapidfuzz score (0 to 100)."""

    artist: str
    score: float
    artist_id: int
    listeners: int = 0


@dataclass(frozen=True, slots=True)
class Neighbor:
    """One similar artist and its cosine distance (1 - cosine similarity) to the query.

    ``evidence`` says what the similarity rests on: ``"listeners"`` (shared listening; with
    support options, the distance is ``1 - supported similarity``) or ``"tags"`` (tag cosine,
    for artists with too few listeners). ``shared`` counts the listeners (or tags) the two
    share, where the model counted them.
    """

    artist: str
    distance: float
    artist_id: int
    listeners: int = 0
    shared: int | None = None
    evidence: str = "listeners"

    def to_json(self) -> dict[str, Any]:
        return {
            "artist": self.artist,
            "distance": round(self.distance, 6),
            "listeners": self.listeners,
            "shared": self.shared,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving a free-text query to one artist."""

    query: str
    status: MatchStatus
    artist: str | None = None
    artist_id: int | None = None
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.artist_id is not None


class _Answer:
    """What every answer to a query has: how the query was resolved (``resolution``)."""

    __slots__ = ()
    resolution: Resolution

    @property
    def query(self) -> str:
        return self.resolution.query

    @property
    def artist(self) -> str | None:
        return self.resolution.artist

    @property
    def candidates(self) -> list[Candidate]:
        return self.resolution.candidates

    def _candidates_json(self) -> list[dict[str, Any]]:
        return [{"artist": c.artist, "score": round(c.score, 2)} for c in self.candidates]


@dataclass(frozen=True, slots=True)
class SimilarResult(_Answer):
    """The answer to "which artists are like this one".

    ``neighbors`` is empty when the query did not resolve to an artist; ``candidates`` then
    holds the "did you mean" suggestions. ``tags`` are the artist's top tags, where the model
    has tags.
    """

    resolution: Resolution
    neighbors: list[Neighbor] = field(default_factory=list)
    tags: tuple[str, ...] = ()

    @property
    def evidence(self) -> str:
        """What the neighbours rest on (``"listeners"`` or ``"tags"``)."""
        return self.neighbors[0].evidence if self.neighbors else "listeners"

    def to_json(self) -> dict[str, Any]:
        """Return the stable JSON shape shared by the CLIs (``--json``).

        ``tags`` appears only for models built from data with tags.
        """
        payload = {
            "query": self.query,
            "artist": self.artist,
            "candidates": self._candidates_json(),
            "neighbors": [n.to_json() for n in self.neighbors],
        }
        if self.tags:
            payload["tags"] = list(self.tags)
        return payload


@dataclass(frozen=True, slots=True)
class Discovery:
    """One less-known artist like the query: its similarity, listeners and discover score."""

    artist: str
    artist_id: int
    listeners: int
    distance: float
    score: float
    shared: int | None = None
    evidence: str = "listeners"

    def to_json(self) -> dict[str, Any]:
        return {
            "artist": self.artist,
            "listeners": self.listeners,
            "distance": round(self.distance, 6),
            "score": round(self.score, 6),
            "shared": self.shared,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class DiscoverResult(_Answer):
    """The answer to "what like this one do fewer people know".

    Attributes
    ----------
    resolution : Resolution
        How the query was understood.
    listeners : int
        The query artist's listeners (0 when the query did not resolve).
    discoveries : list of Discovery
        Best score first; all with fewer listeners than the query unless ``more_popular``.
    novelty : float
        The knob the scores were computed with (see ``recommender.novelty``).
    more_popular : bool
        Whether artists with as many listeners as the query, or more, were allowed.
    tags : tuple of str
        The query artist's top tags, where the model has tags.
    """

    resolution: Resolution
    listeners: int = 0
    discoveries: list[Discovery] = field(default_factory=list)
    novelty: float = 0.0
    more_popular: bool = False
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``python -m recommender.discover --json``."""
        return {
            "query": self.query,
            "artist": self.artist,
            "listeners": self.listeners,
            "novelty": self.novelty,
            "more_popular": self.more_popular,
            "tags": list(self.tags),
            "candidates": self._candidates_json(),
            "discoveries": [d.to_json() for d in self.discoveries],
        }


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a model was built from, for ``/about`` and ``--json`` summaries."""

    format_version: int
    package_version: str
    built_at: str
    source: str
    source_format: str
    parameters: dict[str, Any]
    n_artists: int
    n_users: int
    nnz: int
    n_neighbors: int
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
