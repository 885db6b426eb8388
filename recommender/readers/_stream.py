"""Streaming read of large listening files straight into integer codes.

:func:`read_coded` reads a file batch by batch with pyarrow's streaming CSV reader, keeps
only each batch's dictionary indices and plays, and unifies the batches' dictionaries once at
the end (one hash pass over the distinct values of each batch). The whole file is never held
as one arrow table, which keeps peak memory near the size of the integer codes.

It gives exactly what :func:`~recommender.readers._delimited.read_rows` followed by
:func:`~recommender.readers._codes.encode` gives, and falls back to that path for ``--strict``
(which needs line numbers) and for plays that are not all integers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from recommender.errors import InputError
from recommender.readers._codes import _drop_unused, encode
from recommender.readers._delimited import (
    _PLAYS_REASONS,
    MAX_PLAYS,
    DelimitedSpec,
    Opener,
    _BadRows,
    _CountingReader,
    _describe,
    _input_error,
    _plays_reasons,
    csv_options,
    read_rows,
)
from recommender.table import DropCounts

logger = logging.getLogger(__name__)

_EMPTY_LINE = 0x7F


@dataclass
class Coded:
    """Usable rows as codes: one ``int32`` code array per text column, and the plays.

    Attributes
    ----------
    codes : dict of str to np.ndarray
        Per text column, the code of each kept row into ``values[column]``.
    values : dict of str to np.ndarray
        Per text column, its distinct values (``object`` arrays of ``str``) in file order; a
        column that may be empty has code -1 where it is.
    plays : np.ndarray
        ``int64`` plays of each kept row, all from 1 to ``MAX_PLAYS``.
    rows_read : int
        Data rows in the file.
    """

    codes: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    plays: np.ndarray
    rows_read: int


def read_coded(
    opener: Opener, path: str, spec: DelimitedSpec, drops: DropCounts, *, strict: bool = False
) -> Coded:
    """Read a file whose columns are text (``"dict"``) and ``"plays"`` into codes.

    Rows missing a ``spec.required`` column, or with unusable plays, are dropped and counted
    in ``drops`` by reason, as :func:`read_rows` does; text columns not required may be empty
    (code -1).
    """
    if strict:
        return _coded_from_table(opener, path, spec, drops, strict=True)
    bad_rows = _BadRows(path, strict=False)
    try:
        batches = _stream(opener, spec, bad_rows)
    except pa.ArrowKeyError as exc:
        raise InputError(
            f"{path}: {exc}. Expected {_describe(spec)}; check the header and the delimiter."
        ) from exc
    except pa.ArrowInvalid as exc:
        if "conversion error to int64" not in str(exc):
            raise _input_error(path, exc) from exc
        logger.info("%s: plays are not all integers; reading them as text", path)
        return _coded_from_table(opener, path, spec, drops, strict=False)

    bad_rows.report(drops)
    rows_read = sum(len(b.plays) for b in batches) + bad_rows.total
    if rows_read == 0:
        raise InputError(f"{path}: the file has no data rows. Expected {_describe(spec)}.")
    text = [name for name, kind in spec.columns.items() if kind == "dict"]
    plays = _concatenate_plays(batches)
    codes, values = {}, {}
    for name in text:
        # One column at a time, releasing its batch arrays as soon as they are unified.
        indices = [b.indices.pop(name) for b in batches]
        dictionaries = [b.dictionaries.pop(name) for b in batches]
        codes[name], values[name] = _unify(indices, dictionaries)
        del indices, dictionaries
    del batches

    keep = _judge(codes, plays, spec, drops)
    if keep is not None:
        plays = plays[keep]
        for name in text:
            codes[name], values[name] = _drop_unused(codes[name][keep], values[name])
    return Coded(codes, values, plays.astype(np.int64, copy=False), rows_read)


@dataclass
class _Batch:
    indices: dict[str, np.ndarray]
    dictionaries: dict[str, pa.Array]
    plays: np.ndarray  # int64 when the batch had no empty plays, else float64 with NaN


def _stream(opener: Opener, spec: DelimitedSpec, bad_rows: _BadRows) -> list[_Batch]:
    options = csv_options(spec, bad_rows, plays_as_text=False)
    batches = []
    native = getattr(opener, "path", None)
    if native is not None:
        # A plain file: pyarrow reads it natively (faster than through a Python file object);
        # progress is then estimated from the rows read and the file's mean row length.
        reader = pacsv.open_csv(str(native), *options)
        row_bytes = _mean_row_bytes(native) if spec.progress else 0.0
        for batch in reader:
            batches.append(_keep_codes(batch, spec))
            if spec.progress:
                spec.progress(int(batch.num_rows * row_bytes))
    else:
        with opener() as raw:
            source = _CountingReader(raw, spec.progress) if spec.progress else raw
            reader = pacsv.open_csv(source, *options)
            for batch in reader:
                batches.append(_keep_codes(batch, spec))
    pa.default_memory_pool().release_unused()
    return batches


def _mean_row_bytes(path: Path) -> float:
    with path.open("rb") as file:
        head = file.read(1 << 16)
    return len(head) / max(1, head.count(b"\n"))


def _keep_codes(batch: pa.RecordBatch, spec: DelimitedSpec) -> _Batch:
    indices, dictionaries = {}, {}
    for name, kind in spec.columns.items():
        if kind == "dict":
            column = batch.column(name)
            indices[name] = pc.fill_null(column.indices, -1).to_numpy()
            dictionaries[name] = column.dictionary
    plays = batch.column(str(spec.plays_column)).to_numpy(zero_copy_only=False)
    return _Batch(indices, dictionaries, plays)


def _unify(
    indices: list[np.ndarray], dictionaries: list[pa.Array]
) -> tuple[np.ndarray, np.ndarray]:
    """Global codes (file order of first appearance; -1 stays -1) and distinct values."""
    if not indices:
        return np.zeros(0, dtype=np.int32), np.array([], dtype=object)
    starts = np.cumsum([0] + [len(d) for d in dictionaries])
    encoded = pc.dictionary_encode(pa.concat_arrays(dictionaries))
    global_of = encoded.indices.to_numpy().astype(np.int32)
    codes = np.empty(sum(part.shape[0] for part in indices), dtype=np.int32)
    at = 0
    for local, start in zip(indices, starts[:-1], strict=True):
        stop = at + local.shape[0]
        np.copyto(codes[at:stop], np.where(local >= 0, global_of[start + np.maximum(local, 0)], -1))
        at = stop
    values = np.array(encoded.dictionary.to_pylist(), dtype=object)
    return _drop_unused(codes, values)


def _concatenate_plays(batches: list[_Batch]) -> np.ndarray:
    """All plays in one array (releasing the batches' own): int64, or float64 if any is empty."""
    integer = all(b.plays.dtype.kind == "i" for b in batches)
    plays = np.concatenate([b.plays if integer else b.plays.astype(np.float64) for b in batches])
    for batch in batches:
        batch.plays = plays[:0]
    return plays.astype(np.int64, copy=False) if integer else plays


def _judge(
    codes: dict[str, np.ndarray], plays: np.ndarray, spec: DelimitedSpec, drops: DropCounts
) -> np.ndarray | None:
    """Rows to keep (``None``: all), counting the others by reason as ``read_rows`` does."""
    labels = dict(_PLAYS_REASONS)
    reasons = np.zeros(plays.shape[0], dtype=np.int8)
    integer = plays.dtype.kind == "i"
    if not integer or (plays.size and (plays.min() < 1 or plays.max() > MAX_PLAYS)):
        reasons = _plays_reasons(plays.astype(np.float64))
    for code, (name, label) in enumerate(spec.required.items(), start=len(labels) + 1):
        labels[code] = label
        reasons[(codes[name] < 0) & (reasons == 0)] = code
    if not integer:
        labels[_EMPTY_LINE] = "empty line"
        empty = np.isnan(plays)
        for column in codes.values():
            empty &= column < 0
        reasons[empty] = _EMPTY_LINE
    bad = reasons != 0
    if not bad.any():
        return None
    for code, label in labels.items():
        drops.add(label, int(np.count_nonzero(reasons == code)))
    return ~bad


def _coded_from_table(
    opener: Opener, path: str, spec: DelimitedSpec, drops: DropCounts, *, strict: bool
) -> Coded:
    """The same result through the whole-table reader (strict mode, plays as text)."""
    rows = read_rows(opener, path, spec, drops, strict=strict)
    codes, values = {}, {}
    for name, kind in spec.columns.items():
        if kind == "dict":
            codes[name], values[name] = encode(rows.table.column(name), nulls=True, keep=rows.keep)
    plays = rows.plays if rows.plays is not None else np.zeros(0, dtype=np.int64)
    return Coded(codes, values, plays, rows.rows_read)
