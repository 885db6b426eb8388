"""Spelling variants: fold the names of one artist into one row, keep the others as aliases.

Listening data names artists by free text, so one artist can arrive under several spellings
("The Beatles", "Beatles", "the beatles") and its listeners are then split across rows that
are each other's nearest neighbours. Two names are folded into one artist when

* they carry the same MusicBrainz id (the reader's most frequent id for each spelling), or
* they share a :func:`~recommender.names.normalise_name` key: they differ only by case,
  accents, whitespace, punctuation, ``&``/``and`` or a leading "the".

The relation is transitive (names are the nodes of a graph, and each artist is a connected
component), so a spelling that shares a key with one name and an id with another joins both.

Homonyms. Two different artists can share a key ("Nirvana" the grunge band and "nirvana" the
1960s band, under their own ids). A key whose spellings carry two distinct ids is left
unfolded: its spellings fold only by id, and a spelling without an id joins the key's
most-listened id. Ids are trusted over spelling because the alternative folds obscure artists
into famous namesakes: on the synthetic whole catalogue (where every id is a distinct artist),
folding a key whenever its second id held under 10% of the listeners merged 5,603 distinct
artists, nearly all of them the rare ones a whole-catalogue model is for. A mis-tagged
spelling then stays a separate, findable artist, the milder mistake. ``homonym_share`` can
relax this: a key then stays unfolded only when two ids each hold at least that share of its
listeners. One exact spelling is never split (the readers already give it one artist code and
one id), as in the classic analysis.

Each artist is shown under its most-played spelling; the others stay searchable as aliases.
Artist ids follow the first appearance of each artist's earliest spelling, so a table in which
nothing folds keeps its ids, and a build with merging off reproduces the classic analysis.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from recommender.names import normalise_names
from recommender.table import ListeningTable

logger = logging.getLogger(__name__)

#: A key's spellings stay apart by id when two ids each hold at least this share of its
#: listeners; 0 keeps any two ids apart (see the module docstring).
HOMONYM_SHARE = 0.0


@dataclass(frozen=True)
class MergeReport:
    """What folding spellings did.

    Attributes
    ----------
    artists_before, artists_after : int
        Distinct artist names read, and artists left after folding.
    rows_merged : int
        (user, artist) rows that became duplicates because two of the user's spellings were
        folded into one artist (their plays are summed by the matrix). Duplicate rows already
        in the file are not counted here.
    homonym_keys : int
        Keys left unfolded because two MusicBrainz ids each carry substantial listeners.
    """

    artists_before: int
    artists_after: int
    rows_merged: int
    homonym_keys: int

    @property
    def names_merged(self) -> int:
        """Spellings folded into another artist's row (now aliases)."""
        return self.artists_before - self.artists_after


@dataclass(frozen=True)
class Merged:
    """A table with spellings folded, its aliases, and the report.

    ``aliases`` holds ``(spelling, artist_id)`` for every spelling other than the display name,
    ready for :meth:`~recommender.matching.NameIndex.build`.
    """

    table: ListeningTable
    aliases: list[tuple[str, int]]
    report: MergeReport


def merge_spellings(table: ListeningTable, *, homonym_share: float = HOMONYM_SHARE) -> Merged:
    """Fold spelling variants of one artist into one artist code (see the module docstring).

    Parameters
    ----------
    table : ListeningTable
        Rows as read; ``artist_mbids`` is used where present (read 360K with
        ``with_mbids=True``), otherwise only name keys fold.
    homonym_share : float
        Share of a key's listeners that two ids must each hold for the key to stay unfolded.

    Returns
    -------
    Merged
        The folded table (plays of a user's folded spellings stay separate rows, for the
        matrix to sum), the aliases and the counts.
    """
    n_names = table.n_artists
    keys = np.asarray(normalise_names(table.artist_names), dtype=object)
    key_ids, key_of = _codes(keys)
    name_listeners = np.bincount(table.artist_codes, minlength=n_names)
    name_plays = table.artist_plays()

    mbids = table.artist_mbids
    if mbids is None:
        mbids = np.full(n_names, "", dtype=object)
    mbid_values, mbid_of = _codes(np.asarray(mbids, dtype=object))
    has_mbid = mbid_values[mbid_of] != ""
    mbid_of = np.where(has_mbid, mbid_of, -1)

    contested, dominant = _homonyms(key_of, mbid_of, name_listeners, key_ids.size, homonym_share)
    blank = key_ids == ""  # a blank key says nothing about who the artist is
    contested |= blank
    dominant[blank] = -1
    artist_of = _components(key_of, mbid_of, contested, dominant, key_ids.size, mbid_values.size)
    homonym_keys = int(np.count_nonzero(contested & ~blank))
    n_artists = int(artist_of.max()) + 1 if n_names else 0
    if n_artists == n_names:
        report = MergeReport(n_names, n_names, 0, homonym_keys)
        return Merged(table, [], report)

    display = _display_names(artist_of, name_plays, n_artists)
    is_alias = np.ones(n_names, dtype=bool)
    is_alias[display] = False
    artist_codes = artist_of[table.artist_codes].astype(np.int32)
    rows_merged = _rows_merged(table, artist_codes, is_alias, n_artists)
    folded = ListeningTable(
        user_codes=table.user_codes,
        artist_codes=artist_codes,
        plays=table.plays,
        artist_names=table.artist_names[display],
        user_ids=table.user_ids,
        user_countries=table.user_countries,
        artist_mbids=None if table.artist_mbids is None else table.artist_mbids[display],
        rows_read=table.rows_read,
        dropped=table.dropped,
        source=table.source,
        artist_tags=None
        if table.artist_tags is None
        else table.artist_tags.fold(artist_of, n_artists),
    )
    aliases = [(str(table.artist_names[i]), int(artist_of[i])) for i in np.flatnonzero(is_alias)]
    report = MergeReport(n_names, n_artists, rows_merged, homonym_keys)
    logger.info(
        "spellings: %d names folded into %d artists (%d rows merged, %d homonym keys kept apart)",
        n_names,
        n_artists,
        rows_merged,
        report.homonym_keys,
    )
    return Merged(folded, aliases, report)


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the code of each entry (a hash dictionary encoding)."""
    encoded = pc.dictionary_encode(pa.array(values, pa.string()))
    distinct = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    return distinct, encoded.indices.to_numpy().astype(np.int64)


def _homonyms(
    key_of: np.ndarray,
    mbid_of: np.ndarray,
    listeners: np.ndarray,
    n_keys: int,
    share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Which keys hold two substantial ids, and each key's most-listened id (-1 if none)."""
    contested = np.zeros(n_keys, dtype=bool)
    dominant = np.full(n_keys, -1, dtype=np.int64)
    with_id = np.flatnonzero(mbid_of >= 0)
    if with_id.size == 0:
        return contested, dominant
    key_listeners = np.bincount(key_of, weights=listeners, minlength=n_keys)
    pairs = key_of[with_id] * (int(mbid_of.max()) + 1) + mbid_of[with_id]
    pair_values, pair_of = np.unique(pairs, return_inverse=True)
    pair_listeners = np.bincount(pair_of, weights=listeners[with_id])
    pair_key = pair_values // (int(mbid_of.max()) + 1)
    pair_mbid = pair_values % (int(mbid_of.max()) + 1)

    substantial = pair_listeners >= share * key_listeners[pair_key]
    substantial &= pair_listeners > 0
    contested = np.bincount(pair_key[substantial], minlength=n_keys) >= 2
    # The most-listened id of each key: the last of each key's run, sorted by listeners.
    order = np.lexsort((-pair_mbid, pair_listeners, pair_key))
    last = np.r_[pair_key[order][1:] != pair_key[order][:-1], True]
    dominant[pair_key[order][last]] = pair_mbid[order][last]
    return contested, dominant


def _components(
    key_of: np.ndarray,
    mbid_of: np.ndarray,
    contested: np.ndarray,
    dominant: np.ndarray,
    n_keys: int,
    n_mbids: int,
) -> np.ndarray:
    """Artist of each name: connected components over names, keys and ids, numbered in order."""
    n_names = key_of.size
    names = np.arange(n_names)
    by_key = ~contested[key_of]
    # An unidentified spelling of a contested key joins that key's most-listened id.
    joins = np.where((mbid_of < 0) & ~by_key, dominant[key_of], mbid_of)
    by_mbid = joins >= 0
    sources = np.concatenate([names[by_key], names[by_mbid]])
    targets = np.concatenate([n_names + key_of[by_key], n_names + n_keys + joins[by_mbid]])
    size = n_names + n_keys + n_mbids
    graph = sp.csr_matrix(
        (np.ones(sources.size, dtype=np.int8), (sources, targets)), shape=(size, size)
    )
    _, labels = connected_components(graph, directed=False)
    labels = labels[:n_names]

    # Number the artists by their earliest spelling, so unfolded names keep their codes.
    first = np.full(int(labels.max()) + 1 if n_names else 0, n_names, dtype=np.int64)
    np.minimum.at(first, labels, names)
    used = first < n_names
    renumber = np.full(first.size, -1, dtype=np.int64)
    renumber[np.flatnonzero(used)[np.argsort(first[used], kind="stable")]] = np.arange(
        int(used.sum())
    )
    return renumber[labels]


def _display_names(artist_of: np.ndarray, plays: np.ndarray, n_artists: int) -> np.ndarray:
    """The most-played spelling of each artist (the earliest one on a tie)."""
    names = np.arange(artist_of.size)
    order = np.lexsort((names, -plays, artist_of))
    first = np.r_[True, artist_of[order][1:] != artist_of[order][:-1]]
    display = np.empty(n_artists, dtype=np.int64)
    display[artist_of[order][first]] = order[first]
    return display


def _rows_merged(
    table: ListeningTable,
    artist_codes: np.ndarray,
    is_alias: np.ndarray,
    n_artists: int,
) -> int:
    """Rows that now repeat a (user, artist) pair only because their spellings were folded.

    Such a pair needs two spellings of one artist from one user, so at least one of them is
    an alias: only the users with an alias row are looked at.
    """
    alias_rows = is_alias[table.artist_codes]
    if not alias_rows.any():
        return 0
    users = np.zeros(table.n_users, dtype=bool)
    users[table.user_codes[alias_rows]] = True
    folded = np.zeros(n_artists, dtype=bool)
    folded[artist_codes[alias_rows]] = True
    rows = np.flatnonzero(users[table.user_codes] & folded[artist_codes])
    user_codes = table.user_codes[rows].astype(np.int64)
    before = np.unique(user_codes * table.n_artists + table.artist_codes[rows])
    after = np.unique(user_codes * n_artists + artist_codes[rows])
    return int(before.size - after.size)
