"""Deterministic query workloads: names to look up, typo'd names, autocomplete prefixes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
EDITS = ("drop", "swap", "substitute")


@dataclass(frozen=True, slots=True)
class Typo:
    """A query with one typing mistake, and the name it was meant to be."""

    query: str
    artist: str
    edit: str


def sample_names(names: Sequence[str], n: int, seed: int, min_length: int = 4) -> list[str]:
    """Pick ``n`` distinct names (uniformly, reproducibly) long enough to carry a typo."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(names))
    picked: list[str] = []
    for index in order:
        name = names[index]
        if len(name.strip()) >= min_length:
            picked.append(name)
            if len(picked) == n:
                break
    return picked


def with_typo(name: str, rng: np.random.Generator) -> Typo:
    """Apply one edit (drop, swap or substitute a letter) away from the first character.

    The first letter is kept, as people rarely mistype it, and the edit never touches a space,
    so word boundaries survive.
    """
    letters = [i for i in range(1, len(name)) if not name[i].isspace()]
    edit = EDITS[int(rng.integers(0, len(EDITS)))]
    if not letters:
        return Typo(name, name, "none")
    at = letters[int(rng.integers(0, len(letters)))]
    if edit == "swap" and at + 1 < len(name) and not name[at + 1].isspace():
        if name[at] != name[at + 1]:
            return Typo(name[:at] + name[at + 1] + name[at] + name[at + 2 :], name, edit)
        edit = "substitute"
    if edit == "drop":
        return Typo(name[:at] + name[at + 1 :], name, edit)
    replacement = _LETTERS[int(rng.integers(0, len(_LETTERS)))]
    if replacement == name[at]:
        replacement = _LETTERS[(_LETTERS.index(replacement) + 1) % len(_LETTERS)]
    return Typo(name[:at] + replacement + name[at + 1 :], name, "substitute")


def typos(names: Sequence[str], seed: int) -> list[Typo]:
    """One typo'd query per name, the same for the same names and seed."""
    rng = np.random.default_rng(seed)
    return [with_typo(name, rng) for name in names]


def prefixes(names: Sequence[str], seed: int) -> list[tuple[str, str]]:
    """(prefix, full name) pairs: what a user has typed so far, one to eight characters."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 9, size=len(names))
    return [(name[: int(n)], name) for name, n in zip(names, lengths, strict=True)]
