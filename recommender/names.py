"""Name normalisation: the one function both the build (aliases) and matching use."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LEADING_THE = re.compile(r"^the\s+")


def normalise_name(name: str) -> str:
    """Return the key under which an artist name is looked up.

    Folds case, strips accents, turns ``&`` into ``and``, replaces punctuation with spaces,
    collapses whitespace and drops a leading "the", so that "The Beatles", "beatles" and
    "BEATLES!" share one key. Names made only of punctuation (the band "!!!") keep their
    case-folded text so they still have a key.

    Parameters
    ----------
    name : str
        An artist name as it appears in the data or in a query.

    Returns
    -------
    str
        The normalised key; empty only for an empty or blank name.
    """
    folded = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = _NON_WORD.sub(" ", stripped.replace("&", " and ")).strip()
    if not words:
        return " ".join(name.casefold().split())
    without_the = _LEADING_THE.sub("", words)
    return without_the or words


def normalise_names(names: Sequence[str] | np.ndarray) -> list[str]:
    """:func:`normalise_name` for many names at once, with the same result for each.

    Pure-ASCII names (most of a catalogue) go through pyarrow's vectorised string kernels,
    where case folding is lower-casing and accents cannot occur; other names, and the rare
    names made only of punctuation, go through :func:`normalise_name` one by one. The tests
    hold both paths equal on arbitrary text.
    """
    text = pa.array(names if isinstance(names, np.ndarray) else list(names), pa.string())
    if len(text) == 0:
        return []
    keys = _ascii_keys(text).to_numpy(zero_copy_only=False)
    slow = pc.invert(pc.string_is_ascii(text)).to_numpy(zero_copy_only=False) | (keys == "")
    for position in np.flatnonzero(slow):
        keys[position] = normalise_name(text[int(position)].as_py())
    return keys.tolist()


def _ascii_keys(text: pa.Array) -> pa.Array:
    """The steps of :func:`normalise_name` that are exact for ASCII text with a word in it."""
    words = pc.replace_substring(pc.ascii_lower(text), "&", " and ")
    words = pc.ascii_trim(pc.replace_substring_regex(words, r"[^a-z0-9]+", " "), " ")
    without_the = pc.replace_substring_regex(words, r"^the +", "")
    return pc.if_else(pc.equal(pc.binary_length(without_the), 0), words, without_the)
