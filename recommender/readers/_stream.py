"""Streaming read of large listening files straight into integer codes.

:func:`read_coded` reads a file batch by batch with pyarrow's streaming CSV reader, keeps
only each batch's dictionary indices and plays, and merges the batches' dictionaries a group
of batches at a time (one hash pass over each group's distinct values), then once over the
groups. The whole file is never held as one arrow table, which keeps peak memory near the size
of the integer codes.

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
        streamed = _stream(opener, spec, bad_rows)
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
    rows_read = sum(len(part) for part in streamed.plays) + bad_rows.total
    if rows_read == 0:
        raise InputError(f"{path}: the file has no data rows. Expected {_describe(spec)}.")
    plays = _concatenate_plays(streamed.plays)
    codes, values = {}, {}
    for name, column in streamed.columns.items():
        codes[name], values[name] = column.finish()
    text = list(codes)
    del streamed

    keep = _judge(codes, plays, spec, drops)
    if keep is not None:
        plays = plays[keep]
        for name in text:
            codes[name], values[name] = _drop_unused(codes[name][keep], values[name])
    return Coded(codes, values, plays.astype(np.int64, copy=False), rows_read)


#: Batches whose dictionaries are merged together before the next ones arrive: a bound on
#: how many per-batch dictionaries (the bulk of a streaming read's memory) are held at once.
_GROUP_BATCHES = 16


class _TextColumn:
    """One text column's codes, unified a group of batches at a time to bound memory."""

    def __init__(self) -> None:
        self._indices: list[np.ndarray] = []
        self._dictionaries: list[pa.Array] = []
        self._groups: list[tuple[np.ndarray, pa.Array]] = []

    def add(self, indices: np.ndarray, dictionary: pa.Array) -> None:
        self._indices.append(indices)
        self._dictionaries.append(dictionary)
        if len(self._indices) >= _GROUP_BATCHES:
            self._fold()

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """Codes of every row (-1 where empty) and the distinct values, in file order."""
        self._fold()
        groups, self._groups = self._groups, []
        codes, dictionary = _unify([c for c, _ in groups], [d for _, d in groups])
        return _drop_unused(codes, np.array(dictionary.to_pylist(), dtype=object))

    def _fold(self) -> None:
        if self._indices:
            self._groups.append(_unify(self._indices, self._dictionaries))
            self._indices, self._dictionaries = [], []


@dataclass
class _Streamed:
    columns: dict[str, _TextColumn]
    plays: list[np.ndarray]  # per batch: int64, or float64 with NaN where plays were empty


def _stream(opener: Opener, spec: DelimitedSpec, bad_rows: _BadRows) -> _Streamed:
    options = csv_options(spec, bad_rows, plays_as_text=False)
    streamed = _Streamed({n: _TextColumn() for n, k in spec.columns.items() if k == "dict"}, [])
    native = getattr(opener, "path", None)
    if native is not None:
        # A plain file: pyarrow reads it natively (faster than through a Python file object);
        # progress is then estimated from the rows read and the file's mean row length.
        reader = pacsv.open_csv(str(native), *options)
        row_bytes = _mean_row_bytes(native) if spec.progress else 0.0
        for batch in reader:
            _keep_codes(batch, spec, streamed)
            if spec.progress:
                spec.progress(int(batch.num_rows * row_bytes))
    else:
        with opener() as raw:
            source = _CountingReader(raw, spec.progress) if spec.progress else raw
            for batch in pacsv.open_csv(source, *options):
                _keep_codes(batch, spec, streamed)
    pa.default_memory_pool().release_unused()
    return streamed


def _mean_row_bytes(path: Path) -> float:
    with path.open("rb") as file:
        head = file.read(1 << 16)
    return len(head) / max(1, head.count(b"\n"))


def _keep_codes(batch: pa.RecordBatch, spec: DelimitedSpec, streamed: _Streamed) -> None:
    for name, column in streamed.columns.items():
        values = batch.column(name)
        column.add(pc.fill_null(values.indices, -1).to_numpy(), values.dictionary)
    streamed.plays.append(batch.column(str(spec.plays_column)).to_numpy(zero_copy_only=False))


def _unify(indices: list[np.ndarray], dictionaries: list[pa.Array]) -> tuple[np.ndarray, pa.Array]:
    """Codes into one merged dictionary (file order of first appearance; -1 stays -1)."""
    if not indices:
        return np.zeros(0, dtype=np.int32), pa.array([], pa.string())
    starts = np.cumsum([0] + [len(d) for d in dictionaries])
    encoded = pc.dictionary_encode(pa.concat_arrays(dictionaries))
    global_of = encoded.indices.to_numpy().astype(np.int32)
    codes = np.empty(sum(part.shape[0] for part in indices), dtype=np.int32)
    at = 0
    for local, start in zip(indices, starts[:-1], strict=True):
        part = codes[at : at + local.shape[0]]
        present = local >= 0
        part[~present] = -1
        part[present] = global_of[start + local[present]]
        at += local.shape[0]
    return codes, encoded.dictionary


def _concatenate_plays(parts: list[np.ndarray]) -> np.ndarray:
    """All plays in one array: int64, or float64 with NaN if any batch had empty plays."""
    if all(part.dtype.kind == "i" for part in parts):
        return np.concatenate(parts).astype(np.int64, copy=False) if parts else np.zeros(0, int)
    return np.concatenate([part.astype(np.float64) for part in parts])


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
