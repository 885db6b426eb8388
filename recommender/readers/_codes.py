"""Turn pyarrow columns into integer codes without materialising Python strings per row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def encode(
    column: pa.ChunkedArray, *, nulls: bool = False, keep: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary-encode a text column.

    Parameters
    ----------
    column : pyarrow.ChunkedArray
        Text, plain or dictionary-encoded.
    nulls : bool
        Whether the column may hold nulls; they get code -1. Without it, it must not, except
        in rows that ``keep`` leaves out.
    keep : np.ndarray, optional
        The rows to return codes for (a boolean mask over the column).

    Returns
    -------
    tuple of (np.ndarray, np.ndarray)
        ``int32`` codes, one per row, and the distinct values (``object`` array of ``str``)
        in file order of first appearance (so the same file always gives the same codes).
    """
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    unified = pa.table({"c": column}).unify_dictionaries().column("c")
    chunks = [chunk for chunk in unified.chunks if len(chunk)]
    if not chunks:
        return np.zeros(0, dtype=np.int32), np.array([], dtype=object)
    values = chunks[0].dictionary
    indices = [chunk.indices for chunk in chunks]
    if nulls or keep is not None:
        indices = [pc.fill_null(part, -1) for part in indices]
    codes = np.concatenate([part.to_numpy() for part in indices]).astype(np.int32)
    if keep is not None:
        codes = codes[keep]
    return _drop_unused(codes, np.array(values.to_pylist(), dtype=object))


def _drop_unused(
    codes: np.ndarray, values: np.ndarray, suspects: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Drop dictionary values that no row uses (rows filtered out earlier) and renumber.

    ``suspects``, when given, are the codes of the rows filtered out: only values among them
    can have lost their last row, so only they are looked for (much less work than counting
    every value when a few rows were dropped).
    """
    used = (
        _used(codes, values.shape[0])
        if suspects is None
        else _still_used(codes, suspects, values.shape[0])
    )
    if used.all():
        return codes, values
    kept = np.flatnonzero(used)
    remap = np.full(values.shape[0] + 1, -1, dtype=np.int32)  # the extra slot maps -1 to -1
    remap[kept] = np.arange(kept.shape[0], dtype=np.int32)
    return remap[codes], values[kept]


def _used(codes: np.ndarray, n_values: int) -> np.ndarray:
    present = codes if codes.size == 0 or codes.min() >= 0 else codes[codes >= 0]
    return np.bincount(present, minlength=n_values) > 0


def _still_used(codes: np.ndarray, suspects: np.ndarray, n_values: int) -> np.ndarray:
    used = np.ones(n_values, dtype=bool)
    suspects = np.unique(suspects[suspects >= 0])
    if suspects.size == 0:
        return used
    suspect = np.zeros(n_values + 1, dtype=bool)  # the extra slot: code -1 is never a suspect
    suspect[suspects] = True
    used[suspects] = False
    used[codes[suspect[codes]]] = True
    return used
