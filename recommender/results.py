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
    """One similar artist and its cosine distance (1 - cosine similarity) to the query."""

    artist: str
    distance: float
    artist_id: int
    listeners: int = 0


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


@dataclass(frozen=True, slots=True)
class SimilarResult:
    """The answer to "which artists are like this one".

    ``neighbors`` is empty when the query did not resolve to an artist; ``candidates`` then
    holds the "did you mean" suggestions.
    """

    resolution: Resolution
    neighbors: list[Neighbor] = field(default_factory=list)

    @property
    def query(self) -> str:
        return self.resolution.query

    @property
    def artist(self) -> str | None:
        return self.resolution.artist

    @property
    def candidates(self) -> list[Candidate]:
        return self.resolution.candidates

    def to_json(self) -> dict[str, Any]:
        """Return the stable JSON shape shared by the CLIs (``--json``)."""
        return {
            "query": self.query,
            "artist": self.artist,
            "candidates": [
                {"artist": c.artist, "score": round(c.score, 2)} for c in self.candidates
            ],
            "neighbors": [
                {"artist": n.artist, "distance": round(n.distance, 6)} for n in self.neighbors
            ],
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
