"""Name normalisation: the one function both the build (aliases) and matching use."""

from __future__ import annotations

import re
import unicodedata

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
