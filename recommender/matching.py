"""Fuzzy artist-name lookup: exact keys, ranked candidates, autocomplete.

Every name (and alias) is stored under its normalised key (see :func:`normalise_name`).
A query is resolved in three steps:

1. An exact key match wins outright (the most-listened artist first if several share a key).
2. Otherwise a character-trigram index picks a bounded set of candidate keys (those sharing
   the most trigrams with the query, by Dice overlap), and rapidfuzz scores them (the mean of
   ``WRatio`` and ``ratio``); ties go to the artist with more listeners. The cost grows with the
   candidate pool, not with the catalogue.
3. The best candidate is accepted only when it is a small edit away from the query (at most one
   edit per six characters, transpositions counting once) and no other candidate is as close;
   otherwise the candidates are offered as "did you mean". This refuses the classic
   "ratio >= 75, take the best" mistake: "jack johnson" is four edits from "jan johansson".
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from recommender.names import normalise_name, normalise_names
from recommender.results import Candidate, MatchStatus, Resolution
from recommender.strings import StringColumn

#: Keys with the most shared trigrams that rapidfuzz scores in full, per query.
CANDIDATE_POOL = 128
#: Candidates scoring below this (0-100) are not listed by ``search`` (``/matches``).
SCORE_CUTOFF = 50.0
#: Candidates scoring below this are too far off to offer as "did you mean".
SUGGEST_CUTOFF = 70.0
_PAD = "  "
_SEP = "\x00"


@dataclass
class NameIndex:
    """Sorted name keys with their artists, plus a trigram index over the keys.

    Attributes
    ----------
    keys : sequence of str
        Normalised keys, sorted; an entry's position is its entry id (a list when built, a
        :class:`~recommender.strings.StringColumn` when loaded).
    entry_artist : np.ndarray
        ``int32`` artist id of each entry.
    listeners : np.ndarray
        Listeners per artist id, for tie-breaking and autocomplete order.
    alphabet : np.ndarray
        The distinct code points of all keys, sorted: trigrams are packed from positions in it.
    gram_values : np.ndarray
        Sorted distinct trigram codes (``int64``).
    gram_indptr, gram_entries : np.ndarray
        Postings (CSR by trigram): the entries holding trigram ``g`` are
        ``gram_entries[gram_indptr[g]:gram_indptr[g + 1]]``.
    entry_grams : np.ndarray
        Number of distinct trigrams of each entry.
    """

    keys: Sequence[str]
    entry_artist: np.ndarray
    listeners: np.ndarray
    alphabet: np.ndarray
    gram_values: np.ndarray
    gram_indptr: np.ndarray
    gram_entries: np.ndarray
    entry_grams: np.ndarray

    @classmethod
    def build(
        cls,
        names: Sequence[str],
        listeners: np.ndarray,
        aliases: Sequence[tuple[str, int]] = (),
    ) -> NameIndex:
        """Index artist names (artist id = position) and extra ``(alias, artist_id)`` pairs."""
        pairs = set(zip(normalise_names(names), range(len(names)), strict=True))
        alias_names = [alias for alias, _ in aliases]
        alias_ids = [int(artist_id) for _, artist_id in aliases]
        pairs.update(zip(normalise_names(alias_names), alias_ids, strict=True))
        pairs.discard(("", -1))
        entries = [pair for pair in pairs if pair[0]]
        # By (key, artist): two stable sorts on one field each are several times faster than
        # comparing tuples.
        entries.sort(key=itemgetter(1))
        entries.sort(key=itemgetter(0))
        keys = [key for key, _ in entries]
        entry_artist = np.array([artist for _, artist in entries], dtype=np.int32)
        alphabet, gram_values, gram_indptr, gram_entries, entry_grams = _trigram_postings(keys)
        return cls(
            keys,
            entry_artist,
            np.asarray(listeners, dtype=np.int64),
            alphabet,
            gram_values,
            gram_indptr,
            gram_entries,
            entry_grams,
        )

    def to_state(self) -> dict[str, Any]:
        """Plain arrays for persistence (the keys as one string buffer)."""
        state = {name: getattr(self, name) for name in self.__dataclass_fields__}
        state["keys"] = StringColumn.from_strings(self.keys).to_state()
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> NameIndex:
        # Plain ndarray views of memory-mapped arrays: np.memmap's slicing is slow per call.
        arrays = {k: np.asarray(v).view(np.ndarray) for k, v in state.items() if k != "keys"}
        return cls(**arrays, keys=StringColumn.from_state(state["keys"]))

    def exact(self, query: str) -> list[int]:
        """Artist ids whose name or alias has the query's key, most listeners first."""
        key = normalise_name(query)
        lo = bisect.bisect_left(self.keys, key)
        hi = bisect.bisect_right(self.keys, key, lo=lo)
        return self._by_listeners(self.entry_artist[lo:hi])

    def search(
        self, query: str, limit: int = 10, score_cutoff: float = SCORE_CUTOFF
    ) -> list[tuple[int, float]]:
        """Ranked ``(artist_id, score)`` candidates for a query, best first, one per artist."""
        return [(artist, score) for artist, score, _ in self._search(query, limit, score_cutoff)]

    def _search(self, query: str, limit: int, score_cutoff: float) -> list[tuple[int, float, str]]:
        """Like :meth:`search`, with the key that scored best for each artist."""
        key = normalise_name(query)
        pool = self._candidate_entries(key) if key else np.zeros(0, dtype=np.int64)
        if pool.size == 0:
            return []
        choices = [self.keys[e] for e in pool]
        scores = _blended_scores(key, choices)
        best: dict[int, tuple[float, str]] = {}
        for position in np.flatnonzero(scores >= score_cutoff):
            artist = int(self.entry_artist[pool[position]])
            score = float(scores[position])
            if artist not in best or score > best[artist][0]:
                best[artist] = (score, choices[position])
        ranked = sorted(
            best.items(), key=lambda item: (-item[1][0], -self.listeners[item[0]], item[0])
        )
        return [(artist, score, choice) for artist, (score, choice) in ranked[:limit]]

    def resolve(self, query: str, names: Sequence[str], limit: int = 5) -> Resolution:
        """Resolve a query to one artist, or to "did you mean" candidates.

        Parameters
        ----------
        query : str
            What the user typed.
        names : sequence of str
            Display names by artist id.
        limit : int
            How many candidates to return alongside.
        """
        exact = self.exact(query)
        if len(exact) > 1:
            # Several artists share the key: the one spelled exactly as typed comes first.
            typed = query.strip().casefold()
            exact.sort(key=lambda artist: names[artist].casefold() != typed)
        if exact:
            candidates = [self._candidate(a, 100.0, names) for a in exact[:limit]]
            return Resolution(query, MatchStatus.EXACT, names[exact[0]], exact[0], candidates)
        ranked = self._search(query, limit, SUGGEST_CUTOFF)
        candidates = [self._candidate(a, s, names) for a, s, _ in ranked]
        if not ranked:
            return Resolution(query, MatchStatus.NONE)
        if _clearly_best(normalise_name(query), [key for _, _, key in ranked]):
            artist = ranked[0][0]
            return Resolution(query, MatchStatus.FUZZY, names[artist], artist, candidates)
        return Resolution(query, MatchStatus.AMBIGUOUS, candidates=candidates)

    def complete(self, prefix: str, limit: int = 25) -> list[int]:
        """Artist ids for autocomplete: keys starting with the prefix by listeners, then fuzzy."""
        key = normalise_name(prefix)
        if not key:
            return [int(a) for a in self._most_listened[:limit]]
        lo = bisect.bisect_left(self.keys, key)
        hi = bisect.bisect_left(self.keys, key + "\U0010ffff", lo=lo)
        found = self._by_listeners(self.entry_artist[lo:hi], limit)
        if len(found) < limit:
            seen = set(found)
            found += [a for a, _ in self.search(prefix, limit=limit) if a not in seen]
        return found[:limit]

    def _candidate_entries(self, key: str) -> np.ndarray:
        """Entries sharing the most trigrams with the key (Dice overlap), at most the pool size."""
        grams = np.unique(_grams_of(key, self.alphabet))
        slots = np.searchsorted(self.gram_values, grams)
        found = slots < self.gram_values.size
        found[found] = self.gram_values[slots[found]] == grams[found]
        slots = slots[found]
        if slots.size == 0:
            return np.zeros(0, dtype=np.int64)
        postings = np.concatenate(
            [self.gram_entries[self.gram_indptr[s] : self.gram_indptr[s + 1]] for s in slots]
        )
        if postings.size * 8 < len(self.keys):  # few postings: sorting them is cheapest
            entries, shared = np.unique(postings, return_counts=True)
        else:  # many: count by entry id, linear in the catalogue
            counts = np.bincount(postings, minlength=len(self.keys))
            entries = np.flatnonzero(counts)
            shared = counts[entries]
        dice = 2.0 * shared / (grams.size + self.entry_grams[entries])
        if entries.size > CANDIDATE_POOL:
            top = np.argpartition(-dice, CANDIDATE_POOL)[:CANDIDATE_POOL]
            entries = entries[top]
        return entries

    @functools.cached_property
    def _most_listened(self) -> np.ndarray:
        """The first autocomplete page for an empty prefix, computed once per index."""
        return np.lexsort((np.arange(self.listeners.size), -self.listeners))

    def _by_listeners(self, artists: np.ndarray, limit: int | None = None) -> list[int]:
        """Distinct artists, most listeners first (ties by id), at most ``limit``."""
        if limit is not None and artists.size > 4 * limit:
            # A long range (a one-letter prefix): shortlist the best by listeners first,
            # keeping everyone tied with the limit-th so the order stays exact.
            counts = self.listeners[artists]
            cut = np.partition(counts, counts.size - limit)[counts.size - limit]
            shortlist = np.unique(artists[counts >= cut])
            if shortlist.size >= limit:
                artists = shortlist
        unique = np.unique(artists)
        order = np.lexsort((unique, -self.listeners[unique]))
        return [int(a) for a in unique[order][:limit]]

    def _candidate(self, artist: int, score: float, names: Sequence[str]) -> Candidate:
        return Candidate(names[artist], float(score), artist, int(self.listeners[artist]))


def _blended_scores(key: str, choices: list[str]) -> np.ndarray:
    """Mean of rapidfuzz's ``WRatio`` and plain ``ratio`` for each choice (0 to 100).

    ``WRatio`` alone rates any name contained in the query at 90 ("coldpaly" scores "cold"
    above "coldplay"); averaging with the whole-string ``ratio`` ranks the intended name first
    while a partial match still surfaces as a candidate.
    """
    weighted = process.cdist([key], choices, scorer=fuzz.WRatio, dtype=np.float32)[0]
    plain = process.cdist([key], choices, scorer=fuzz.ratio, dtype=np.float32)[0]
    return (weighted + plain) / 2.0


def _clearly_best(key: str, ranked_keys: list[str]) -> bool:
    """Whether the best candidate is a small edit away and no other candidate is as close."""
    budget = max(1, len(key) // 6)
    distances = [OSA.distance(key, candidate) for candidate in ranked_keys[:5]]
    best = distances[0]
    return best <= budget and all(d > best for d in distances[1:])


def _grams_of(key: str, alphabet: np.ndarray) -> np.ndarray:
    """The packed trigrams of one key (grams with a character the index lacks are left out)."""
    codes = np.frombuffer((_PAD + key + " ").encode("utf-32-le"), dtype=np.uint32)
    positions = np.searchsorted(alphabet, codes)
    known = positions < alphabet.size
    known[known] = alphabet[positions[known]] == codes[known]
    usable = known[:-2] & known[1:-1] & known[2:]
    bits = _char_bits(alphabet)
    return _pack(positions[:-2], positions[1:-1], positions[2:], bits)[usable]


def _char_bits(alphabet: np.ndarray) -> int:
    return max(1, int(alphabet.size).bit_length())


def _pack(a: np.ndarray, b: np.ndarray, c: np.ndarray, bits: int) -> np.ndarray:
    a, b, c = (x.astype(np.int64) for x in (a, b, c))
    return (a << (2 * bits)) | (b << bits) | c


def _trigram_postings(
    keys: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised trigram index over all keys at once (no per-key Python loop over grams).

    Characters are renumbered densely (the alphabet), so a trigram and its entry id fit one
    ``int64``: a single sort then dedups the (trigram, entry) pairs and groups them by trigram.
    """
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return (
            empty.astype(np.uint32),
            empty,
            np.zeros(1, dtype=np.int64),
            empty.astype(np.int32),
            empty,
        )
    text = _SEP.join(_PAD + key + " " for key in keys) + _SEP
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    separator = codes == ord(_SEP)
    entry_of = np.cumsum(separator) - separator
    alphabet = np.flatnonzero(np.bincount(codes[~separator])).astype(np.uint32)
    dense = np.searchsorted(alphabet, codes)
    valid = ~(separator[:-2] | separator[1:-1] | separator[2:])
    bits = _char_bits(alphabet)
    entry_bits = max(1, len(keys).bit_length())
    if 3 * bits + entry_bits > 62:
        raise ValueError(f"too many distinct characters ({alphabet.size}) for the name index")
    grams = _pack(dense[:-2][valid], dense[1:-1][valid], dense[2:][valid], bits)
    entries = entry_of[:-2][valid].astype(np.int64)

    pairs = np.sort((grams << entry_bits) | entries)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    pair_grams = pairs >> entry_bits
    pair_entries = (pairs & ((1 << entry_bits) - 1)).astype(np.int32)
    starts = np.flatnonzero(np.r_[True, pair_grams[1:] != pair_grams[:-1]])
    gram_indptr = np.r_[starts, pairs.size].astype(np.int64)
    entry_grams = np.bincount(pair_entries, minlength=len(keys)).astype(np.int32)
    return alphabet, pair_grams[starts], gram_indptr, pair_entries, entry_grams
