"""Identifiers and artist names for the synthetic Last.fm 360K data set.

Everything here is vectorised over whole arrays: user ids, MusicBrainz ids and artist names
are built from random bytes and word tables with numpy, never one string at a time.
"""

from __future__ import annotations

import numpy as np

_HEX_PAIRS = np.array([list(f"{i:02x}".encode()) for i in range(256)], dtype=np.uint8)

_ONSETS = np.array(
    "b bl br c ch cl cr d dr f fl fr g gl gr h j k kr l m n p pl pr qu r s sc sh sk sl sm sn "
    "sp st str sw t th tr v w wh z".split()
)
_VOWELS = np.array("a e i o u a e i o ai ea ee ie oo ou y".split())
_CODAS = np.array(["", "", "", "n", "r", "s", "l", "m", "x", "th", "ck", "nd", "st", "rk", "ng"])
_ACCENTS = {"a": "ä", "o": "ö", "u": "ü", "e": "é"}
_CYRILLIC = np.array("ка ли ма но ра се та ви до жи зо ку лю мы пе ро сун тё фи ха".split())
_LINKS = (" and the ", " & ", " vs ", " of ")
_PREFIXES = ("the ", "dj ", "mc ", "los ", "die ")
_SUFFIXES = (" band", " trio", " orchestra", " project", " collective", " ensemble")

# Name shapes and how often each occurs; ASCII is lower-case as in the real file.
_SHAPES = np.array([0.30, 0.24, 0.14, 0.07, 0.06, 0.05, 0.05, 0.04, 0.03, 0.02])
_VOCABULARY = 40_000


def hex_ids(rng: np.random.Generator, n: int, n_bytes: int) -> np.ndarray:
    """Return ``n`` random lower-case hex strings of ``2 * n_bytes`` characters (dtype S)."""
    raw = rng.integers(0, 256, size=(n, n_bytes), dtype=np.uint8)
    return _HEX_PAIRS[raw].reshape(n, 2 * n_bytes).view(f"S{2 * n_bytes}").ravel()


def user_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` distinct SHA-1-like user ids, sorted as in the real file."""
    ids = np.unique(hex_ids(rng, n, 20))
    while ids.size < n:  # a collision among 160 random bits: practically never
        ids = np.unique(np.concatenate([ids, hex_ids(rng, n - ids.size, 20)]))
    return ids


def musicbrainz_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` random version-4 UUID strings (dtype S36)."""
    digits = hex_ids(rng, n, 16).view(np.uint8).reshape(n, 32).copy()
    digits[:, 12] = ord("4")
    digits[:, 16] = np.frombuffer(b"89ab", dtype=np.uint8)[rng.integers(0, 4, size=n)]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for start, stop, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        out[:, at : at + stop - start] = digits[:, start:stop]
    return out.view("S36").ravel()


def _pick(rng: np.random.Generator, table: np.ndarray, n: int) -> np.ndarray:
    return table[rng.integers(0, table.size, size=n)]


def _words(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` distinct pronounceable words of one to three syllables."""
    syllables = np.strings.add(_pick(rng, _ONSETS, 3 * n), _pick(rng, _VOWELS, 3 * n))
    syllables = syllables.reshape(3, n)
    codas = _pick(rng, _CODAS, n)
    length = rng.choice(3, size=n, p=[0.25, 0.55, 0.20]) + 1
    word = syllables[0]
    word = np.where(length >= 2, np.strings.add(word, syllables[1]), word)
    word = np.where(length >= 3, np.strings.add(word, syllables[2]), word)
    words = np.unique(np.strings.add(word, codas))
    return rng.permutation(words)[:n].astype(np.dtypes.StringDType())


def _zipf_pick(rng: np.random.Generator, table: np.ndarray, n: int) -> np.ndarray:
    """Pick words with a Zipf-like bias so that common words recur across names."""
    ranks = np.floor(table.size ** rng.random(n)).astype(np.int64) - 1
    return table[np.clip(ranks, 0, table.size - 1)]


def _accented(text: np.ndarray) -> np.ndarray:
    for plain, accent in _ACCENTS.items():
        text = np.strings.replace(text, plain, accent, count=1)
    return np.strings.replace(text, "ä", "Ä", count=1)


def _cyrillic(rng: np.random.Generator, n: int) -> np.ndarray:
    first = np.strings.add(_pick(rng, _CYRILLIC, n), _pick(rng, _CYRILLIC, n))
    second = np.strings.add(_pick(rng, _CYRILLIC, n), _pick(rng, _CYRILLIC, n))
    return np.strings.add(np.strings.add(first, " "), second)


def _candidate_names(rng: np.random.Generator, vocabulary: np.ndarray, n: int) -> np.ndarray:
    """Return ``n`` names (not yet distinct) in the shapes of real artist names."""
    w1, w2, w3 = (_zipf_pick(rng, vocabulary, n) for _ in range(3))
    shape = rng.choice(_SHAPES.size, size=n, p=_SHAPES / _SHAPES.sum())
    number = rng.integers(2, 100, size=n).astype(str)
    add = np.strings.add
    number = number.astype(np.dtypes.StringDType())
    two = add(add(w1, " "), w2)
    shapes = [
        w1,
        two,
        add(_pick(rng, np.array(_PREFIXES[:1]), n), two),
        add(add(two, " "), w3),
        add(_pick(rng, np.array(_PREFIXES), n), w1),
        add(add(w1, _pick(rng, np.array(_LINKS), n)), w2),
        add(w1, _pick(rng, np.array(_SUFFIXES), n)),
        add(add(w1, " "), number),
        _accented(two),
        _cyrillic(rng, n),
    ]
    names = shapes[0]
    for index in range(1, len(shapes)):
        names = np.where(shape == index, shapes[index], names)
    return names


def artist_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` distinct artist names in random order (numpy unicode array)."""
    vocabulary = _words(rng, _VOCABULARY)
    names = np.unique(_candidate_names(rng, vocabulary, n + n // 4 + 100))
    while names.size < n:
        extra = _candidate_names(rng, vocabulary, 2 * (n - names.size) + 100)
        names = np.unique(np.concatenate([names, extra]))
    return rng.permutation(names)[:n]
