"""Streaming read of large listening files straight into integer codes.

:func:`read_coded` reads a file batch by batch with pyarrow's streaming CSV reader, keeps
only each batch's dictionary indices and plays, and merges the batches' dictionaries a group
of batches at a time (one hash pass over each group's distinct values), then once over the
groups. The whole file is never held as one arrow table, which keeps peak memory near the size
of the integer codes. A large plain file is memory-mapped and cut at line ends into one byte
range per core; each range streams on its own thread, and the ranges' groups are merged in file
order, so the codes are the same as those of one stream.

It gives exactly what :func:`~recommender.readers._delimited.read_rows` followed by
:func:`~recommender.readers._codes.encode` gives, and falls back to that path for ``--strict``
(which needs line numbers) and for plays that are not all integers.
"""

from __future__ import annotations

import logging
import mmap
import os
from concurrent.futures import ThreadPoolExecutor
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

_CsvOptions = tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]

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
        ``int32`` plays of each kept row, all from 1 to ``MAX_PLAYS`` (which ``int32`` holds).
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
    codes, values, plays = streamed.finish()
    text = list(codes)
    del streamed

    keep = _judge(codes, plays, spec, drops)
    if keep is not None:
        plays = plays[keep]
        for name in text:
            dropped = codes[name][~keep]
            codes[name], values[name] = _drop_unused(codes[name][keep], values[name], dropped)
    return Coded(codes, values, plays.astype(np.int32, copy=False), rows_read)


#: Batches whose dictionaries are merged together before the next ones arrive: a bound on
#: how many per-batch dictionaries (the bulk of a streaming read's memory) are held at once.
_GROUP_BATCHES = 16
#: Plain files at least this large are parsed as several line-aligned byte ranges at once, a
#: thread each: pyarrow's streaming reader parses on one core, and parsing is most of a read.
PARALLEL_MIN_BYTES = 64 << 20
#: At most this many ranges: beyond a few cores the merge of their dictionaries dominates.
MAX_WORKERS = 8


class _TextColumn:
    """One text column's codes, unified a group of batches at a time to bound memory."""

    def __init__(self) -> None:
        self._indices: list[np.ndarray] = []
        self._dictionaries: list[pa.Array] = []
        self.groups: list[tuple[np.ndarray, pa.Array]] = []

    def add(self, indices: np.ndarray, dictionary: pa.Array) -> None:
        self._indices.append(indices)
        self._dictionaries.append(dictionary)
        if len(self._indices) >= _GROUP_BATCHES:
            self.fold()

    def fold(self) -> None:
        """Unify the batches added since the last fold into one group."""
        if self._indices:
            self.groups.append(_unify(self._indices, self._dictionaries))
            self._indices, self._dictionaries = [], []


def _finish(groups: list[tuple[np.ndarray, pa.Array]]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of every row (-1 where empty) and the distinct values, in file order.

    Every value of a batch's dictionary occurs in that batch, so no value goes unused.
    """
    indices, dictionaries = [c for c, _ in groups], [d for _, d in groups]
    groups.clear()  # the merge frees each group's codes once copied
    codes, dictionary = _unify(indices, dictionaries)
    return codes, np.array(dictionary.to_pylist(), dtype=object)


@dataclass
class _Streamed:
    columns: dict[str, _TextColumn]
    plays: list[np.ndarray]  # per batch: int32 or int64, or float64 with NaN for empty plays

    @classmethod
    def empty(cls, spec: DelimitedSpec) -> _Streamed:
        return cls({n: _TextColumn() for n, k in spec.columns.items() if k == "dict"}, [])

    def finish(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """Codes and values of each text column, and the plays, of every row in file order."""
        columns, self.columns = self.columns, {}
        for column in columns.values():
            column.fold()
        # The merges release the GIL for most of their work: one thread per column.
        with ThreadPoolExecutor(max(1, len(columns))) as pool:
            finished = list(pool.map(_finish, [column.groups for column in columns.values()]))
        names = list(columns)
        del columns
        plays, self.plays = _concatenate_plays(self.plays), []
        codes = {name: codes for name, (codes, _) in zip(names, finished, strict=True)}
        values = {name: values for name, (_, values) in zip(names, finished, strict=True)}
        return codes, values, plays

    @classmethod
    def join(cls, parts: list[_Streamed]) -> _Streamed:
        """One stream of consecutive parts of a file (in file order)."""
        joined = cls({name: _TextColumn() for name in parts[0].columns}, [])
        for part in parts:
            for name, column in part.columns.items():
                column.fold()
                joined.columns[name].groups.extend(column.groups)
            joined.plays.extend(part.plays)
        return joined


def _stream(opener: Opener, spec: DelimitedSpec, bad_rows: _BadRows) -> _Streamed:
    options = csv_options(spec, bad_rows, plays_as_text=False)
    native = getattr(opener, "path", None)
    if native is not None:
        workers = _workers(native, spec)
        mapped = _map(native) if workers > 1 else None
        if mapped is not None:
            return _stream_ranges(mapped, native, spec, options, workers)
        # A plain file: pyarrow reads it natively (faster than through a Python file object);
        # progress is then estimated from the rows read and the file's mean row length.
        streamed = _Streamed.empty(spec)
        row_bytes = _mean_row_bytes(native) if spec.progress else 0.0
        for batch in pacsv.open_csv(str(native), *options):
            _keep_codes(batch, spec, streamed)
            if spec.progress:
                spec.progress(int(batch.num_rows * row_bytes))
    else:
        streamed = _Streamed.empty(spec)
        with opener() as raw:
            source = _CountingReader(raw, spec.progress) if spec.progress else raw
            for batch in pacsv.open_csv(source, *options):
                _keep_codes(batch, spec, streamed)
    pa.default_memory_pool().release_unused()
    return streamed


def _workers(path: Path, spec: DelimitedSpec) -> int:
    """How many byte ranges to parse at once: one per core for a large headerless file.

    A file with a header, with quoted fields (a line break may sit inside quotes) or in
    another encoding than UTF-8 is read as one stream, and so is every file where the OS
    cannot be told to drop mapped pages already parsed (the whole file would count in the
    process's memory).
    """
    if spec.column_names is None or spec.quoted or spec.encoding.lower() not in {"utf8", "utf-8"}:
        return 1
    if not (hasattr(mmap.mmap, "madvise") and hasattr(mmap, "MADV_DONTNEED")):
        return 1
    if path.stat().st_size < PARALLEL_MIN_BYTES:
        return 1
    return min(_cores(), MAX_WORKERS)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _map(path: Path) -> mmap.mmap | None:
    """The file mapped read-only, or ``None`` where it cannot be (it is then streamed).

    The mapping is not closed explicitly: an error's traceback may still hold a view of it;
    it is unmapped when the last view goes.
    """
    try:
        with path.open("rb") as file:
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        logger.info("%s: not memory-mapped (%s); reading it as one stream", path, exc)
        return None


def _stream_ranges(
    mapped: mmap.mmap, path: Path, spec: DelimitedSpec, options: _CsvOptions, workers: int
) -> _Streamed:
    """Parse ``workers`` line-aligned byte ranges of a memory-mapped file in parallel."""
    ranges = _line_ranges(mapped, workers)
    row_bytes = _mean_row_bytes(path)
    with ThreadPoolExecutor(len(ranges)) as pool:
        parts = list(
            pool.map(lambda span: _stream_range(mapped, span, row_bytes, spec, options), ranges)
        )
    pa.default_memory_pool().release_unused()
    return _Streamed.join(parts)


def _line_ranges(mapped: mmap.mmap, parts: int) -> list[tuple[int, int]]:
    """``parts`` (or fewer) non-empty byte ranges covering the file, each ending at a line end."""
    size = len(mapped)
    cuts = [0]
    for part in range(1, parts):
        # The line end at or after the even cut (a cut already at a line start stays put).
        newline = mapped.find(b"\n", max(cuts[-1], size * part // parts - 1))
        if newline < 0:
            break
        cuts.append(newline + 1)
    cuts.append(size)
    return [(start, end) for start, end in zip(cuts, cuts[1:], strict=False) if end > start]


def _stream_range(
    mapped: mmap.mmap,
    span: tuple[int, int],
    row_bytes: float,
    spec: DelimitedSpec,
    options: _CsvOptions,
) -> _Streamed:
    """One range's codes. Pages already parsed are handed back to the OS as the read goes
    (the data stays in the page cache), so the mapping does not count whole in the RSS."""
    start, end = span
    streamed = _Streamed.empty(spec)
    released = start - start % mmap.PAGESIZE
    view = pa.py_buffer(mapped).slice(start, end - start)
    rows = 0
    for batch in pacsv.open_csv(pa.BufferReader(view), *options):
        _keep_codes(batch, spec, streamed)
        rows += batch.num_rows
        if spec.progress:
            spec.progress(int(batch.num_rows * row_bytes))
        parsed = min(end, start + int(rows * row_bytes) - 2 * options[0].block_size)
        released = _release(mapped, released, parsed)
    del view
    _release(mapped, released, end)
    return streamed


def _release(mapped: mmap.mmap, start: int, end: int) -> int:
    """Drop the pages of ``[start, end)`` from this process; returns where released ends."""
    end -= end % mmap.PAGESIZE
    if end > start:
        mapped.madvise(mmap.MADV_DONTNEED, start, end - start)
    return max(start, end)


def _mean_row_bytes(path: Path) -> float:
    with path.open("rb") as file:
        head = file.read(1 << 16)
    return len(head) / max(1, head.count(b"\n"))


def _keep_codes(batch: pa.RecordBatch, spec: DelimitedSpec, streamed: _Streamed) -> None:
    for name, column in streamed.columns.items():
        values = batch.column(name)
        column.add(pc.fill_null(values.indices, -1).to_numpy(), values.dictionary)
    plays = batch.column(str(spec.plays_column)).to_numpy(zero_copy_only=False)
    if plays.dtype.kind == "i" and plays.size and plays.min() >= 0 and plays.max() <= MAX_PLAYS:
        plays = plays.astype(np.int32)  # half the memory while the whole file is held
    streamed.plays.append(plays)


def _unify(indices: list[np.ndarray], dictionaries: list[pa.Array]) -> tuple[np.ndarray, pa.Array]:
    """Codes into one merged dictionary (file order of first appearance; -1 stays -1).

    Empties ``indices`` as it goes, so each part's codes are freed once copied.
    """
    if not indices:
        return np.zeros(0, dtype=np.int32), pa.array([], pa.string())
    starts = np.cumsum([0] + [len(d) for d in dictionaries])
    encoded = pc.dictionary_encode(pa.concat_arrays(dictionaries))
    global_of = encoded.indices.to_numpy().astype(np.int32)
    codes = np.empty(sum(part.shape[0] for part in indices), dtype=np.int32)
    at = 0
    for start, stop in zip(starts[:-1], starts[1:], strict=True):
        local = indices.pop(0)
        lookup = np.append(global_of[start:stop], np.int32(-1))  # local -1 takes the last: -1
        np.take(lookup, local, out=codes[at : at + local.shape[0]])
        at += local.shape[0]
        del local
    return codes, encoded.dictionary


def _concatenate_plays(parts: list[np.ndarray]) -> np.ndarray:
    """All plays in one array: integers, or float64 with NaN if any batch had empty plays."""
    if all(part.dtype.kind == "i" for part in parts):
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)
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
    plays = np.zeros(0) if rows.plays is None else rows.plays
    return Coded(codes, values, plays.astype(np.int32), rows.rows_read)
