"""The listening table: what every reader returns and every filter takes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from recommender.tags import ArtistTags


@dataclass
class DropCounts:
    """Rows set aside while reading and filtering, counted by reason (never silently)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str, n: int) -> None:
        if n:
            self.counts[reason] += int(n)

    def merge(self, other: DropCounts) -> None:
        self.counts.update(other.counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items(), key=lambda item: (-item[1], item[0])))


#: Rows summed at once by :meth:`ListeningTable.artist_plays`.
_SUM_ROWS = 1 << 21


@dataclass
class ListeningTable:
    """Listening events as integer codes, one row per (user, artist) record.

    Attributes
    ----------
    user_codes, artist_codes : np.ndarray
        ``int32`` codes into ``user_ids`` and ``artist_names``, one per row.
    plays : np.ndarray
        Integer play counts, one per row, all >= 1 (``int32`` from the streaming readers:
        a row holds at most ``MAX_PLAYS``; sums are taken in ``float64``).
    artist_names : np.ndarray
        Display name of each artist code (``object`` array of ``str``).
    user_ids : np.ndarray
        The dataset's identifier of each user code (``object`` array of ``str``).
    user_countries : np.ndarray or None
        Country of each user code (``None`` inside where unknown), or ``None`` when the
        dataset carries no profiles at all.
    artist_mbids : np.ndarray or None
        MusicBrainz id of each artist code where the dataset has one (empty string if not).
    rows_read : int
        Data rows seen in the source files, before anything was dropped.
    dropped : DropCounts
        Rows set aside so far, by reason.
    source : str
        Where the rows came from, for the build metadata.
    artist_tags : ArtistTags or None
        Tag counts per artist code, where the dataset carries tags (HetRec 2011).
    """

    user_codes: np.ndarray
    artist_codes: np.ndarray
    plays: np.ndarray
    artist_names: np.ndarray
    user_ids: np.ndarray
    user_countries: np.ndarray | None = None
    artist_mbids: np.ndarray | None = None
    rows_read: int = 0
    dropped: DropCounts = field(default_factory=DropCounts)
    source: str = ""
    artist_tags: ArtistTags | None = None

    @property
    def n_rows(self) -> int:
        return int(self.plays.shape[0])

    @property
    def n_users(self) -> int:
        return int(self.user_ids.shape[0])

    @property
    def n_artists(self) -> int:
        return int(self.artist_names.shape[0])

    def artist_plays(self) -> np.ndarray:
        """Total plays of each artist code (``float64``, exact below 2**53).

        Summed a slice of rows at a time: ``np.bincount`` converts its weights to ``float64``,
        and a copy of every row's plays is the largest temporary of a full-scale build.
        """
        totals = np.zeros(self.n_artists, dtype=np.float64)
        for start in range(0, self.n_rows, _SUM_ROWS):
            stop = start + _SUM_ROWS
            totals += np.bincount(
                self.artist_codes[start:stop],
                weights=self.plays[start:stop],
                minlength=self.n_artists,
            )
        return totals

    def take(self, mask: np.ndarray) -> ListeningTable:
        """Keep the rows where ``mask`` is true, then drop codes no row uses any more."""
        user_codes, user_keep = _compact(self.user_codes[mask], self.n_users)
        artist_codes, artist_keep = _compact(self.artist_codes[mask], self.n_artists)
        return ListeningTable(
            user_codes=user_codes,
            artist_codes=artist_codes,
            plays=self.plays[mask],
            artist_names=self.artist_names[artist_keep],
            user_ids=self.user_ids[user_keep],
            user_countries=None if self.user_countries is None else self.user_countries[user_keep],
            artist_mbids=None if self.artist_mbids is None else self.artist_mbids[artist_keep],
            rows_read=self.rows_read,
            dropped=self.dropped,
            source=self.source,
            artist_tags=None if self.artist_tags is None else self.artist_tags.take(artist_keep),
        )


def _compact(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber ``codes`` to 0..m-1 in their original order; return new codes and kept codes."""
    used = np.zeros(size, dtype=bool)
    used[codes] = True
    kept = np.flatnonzero(used)
    remap = np.full(size, -1, dtype=np.int32)
    remap[kept] = np.arange(kept.size, dtype=np.int32)
    return remap[codes], kept
