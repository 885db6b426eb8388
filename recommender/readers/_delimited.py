"""Shared reading of delimited text files with pyarrow: counting, never hiding, bad rows.

Every reader goes through :func:`read_delimited`, which reads the needed columns with
pyarrow's multi-threaded CSV reader, sets aside rows with the wrong number of fields, and
checks the plays column (numeric, whole, not negative, not absurdly large). What it sets aside
is counted by reason in a :class:`~recommender.table.DropCounts`; with ``strict`` the first
bad row raises :class:`~recommender.errors.MalformedRowError` naming file and line instead.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from recommender.errors import InputError, MalformedRowError
from recommender.table import DropCounts

logger = logging.getLogger(__name__)

#: Bytes pyarrow parses at a time (one batch of a streaming read).
BLOCK_SIZE = 8 << 20
#: More plays than this for one (user, artist) row is taken as corrupt data, not listening.
#: Below 2**31, so that a row's plays are held as ``int32``.
MAX_PLAYS = 1_000_000_000

DICTIONARY = pa.dictionary(pa.int32(), pa.string())

Opener = Callable[[], AbstractContextManager[BinaryIO]]


@dataclass
class DelimitedSpec:
    """How to read one delimited file.

    ``column_names`` names every field of a row when the file has no header; with a header,
    leave it ``None`` and the header names are used. ``columns`` maps each column to keep to
    its type: ``"dict"`` (dictionary-encoded text), ``"text"`` or ``"plays"``. ``required``
    maps columns that must not be empty to the reason counted when they are.
    """

    columns: dict[str, str]
    column_names: list[str] | None = None
    delimiter: str = "\t"
    quoted: bool = False
    encoding: str = "utf8"
    required: dict[str, str] = field(default_factory=dict)
    progress: Callable[[int], None] | None = field(default=None, repr=False)

    @property
    def plays_column(self) -> str | None:
        """The name of the column read as plays, if any."""
        return next((name for name, kind in self.columns.items() if kind == "plays"), None)


@dataclass
class Rows:
    """A file's rows as read, with the verdict on each rather than a filtered copy.

    Attributes
    ----------
    table : pyarrow.Table
        Every row that split into the expected fields, bad values included.
    rows_read : int
        Data rows in the file.
    keep : np.ndarray or None
        Which rows of ``table`` are usable; ``None`` when all are.
    plays : np.ndarray or None
        ``int64`` plays of the kept rows (all >= 1), when the spec has a plays column.
    """

    table: pa.Table
    rows_read: int
    keep: np.ndarray | None
    plays: np.ndarray | None


def read_rows(
    opener: Opener, path: str, spec: DelimitedSpec, drops: DropCounts, *, strict: bool = False
) -> Rows:
    """Read ``spec.columns`` of a delimited file and judge every row, copying nothing.

    Parameters
    ----------
    opener : callable
        Returns a context manager giving a binary file object; called again if the file must
        be re-read (only when the plays column holds text that is not a number).
    path : str
        How the file is named in messages (a path, or ``archive.tar.gz:member``).
    spec : DelimitedSpec
        Columns, delimiter and quoting.
    drops : DropCounts
        Receives the rows set aside, by reason.
    strict : bool
        Raise on the first malformed row instead of counting it.

    Returns
    -------
    Rows
        Large readers apply ``keep`` to their own arrays, which avoids a filtered copy of the
        whole table for a handful of bad rows.
    """
    table, bad_rows = _read_with_fallback(opener, path, spec, strict)
    bad_rows.report(drops)
    rows_seen = table.num_rows + bad_rows.total
    if rows_seen == 0:
        raise InputError(f"{path}: the file has no data rows. Expected {_describe(spec)}.")
    keep, plays = _judge_values(table, path, spec, drops, bad_rows if strict else None)
    return Rows(table, rows_seen, keep, plays)


def read_delimited(
    opener: Opener, path: str, spec: DelimitedSpec, drops: DropCounts, *, strict: bool = False
) -> tuple[pa.Table, int]:
    """Like :func:`read_rows`, returning only the usable rows and the data rows seen.

    The table's plays column (if any) is ``int64``, all >= 1; required columns are never null.
    """
    rows = read_rows(opener, path, spec, drops, strict=strict)
    table = rows.table if rows.keep is None else rows.table.filter(pa.array(rows.keep))
    if rows.plays is not None:
        name = str(spec.plays_column)
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(rows.plays))
    return table, rows.rows_read


def _read_with_fallback(
    opener: Opener, path: str, spec: DelimitedSpec, strict: bool
) -> tuple[pa.Table, _BadRows]:
    """Read with plays as int64 (fast); re-read them as text if some are not integers."""
    bad_rows = _BadRows(path, strict)
    try:
        return _read(opener, spec, bad_rows, plays_as_text=strict, strict=strict), bad_rows
    except pa.ArrowKeyError as exc:
        raise InputError(
            f"{path}: {exc}. Expected {_describe(spec)}; check the header and the delimiter."
        ) from exc
    except pa.ArrowInvalid as exc:
        if strict or "conversion error to int64" not in str(exc):
            raise _input_error(path, exc) from exc
    bad_rows = _BadRows(path, strict)
    try:
        return _read(opener, spec, bad_rows, plays_as_text=True, strict=strict), bad_rows
    except pa.ArrowInvalid as exc:
        raise _input_error(path, exc) from exc


def _read(
    opener: Opener, spec: DelimitedSpec, bad_rows: _BadRows, *, plays_as_text: bool, strict: bool
) -> pa.Table:
    options = csv_options(spec, bad_rows, plays_as_text=plays_as_text, threads=not strict)
    with opener() as raw:
        source = _CountingReader(raw, spec.progress) if spec.progress else raw
        return pacsv.read_csv(source, *options)


def csv_options(
    spec: DelimitedSpec, bad_rows: _BadRows, *, plays_as_text: bool, threads: bool = True
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """pyarrow's read, parse and convert options for a spec (bad rows go to ``bad_rows``)."""
    types = {name: _arrow_type(kind, plays_as_text) for name, kind in spec.columns.items()}
    read_options = pacsv.ReadOptions(
        column_names=spec.column_names,
        encoding=spec.encoding,
        use_threads=threads,
        block_size=BLOCK_SIZE,
    )
    parse_options = pacsv.ParseOptions(
        delimiter=spec.delimiter,
        quote_char='"' if spec.quoted else False,
        ignore_empty_lines=False,
        invalid_row_handler=bad_rows.handle,
    )
    convert_options = pacsv.ConvertOptions(
        column_types=types,
        include_columns=list(spec.columns),
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=False,
    )
    return read_options, parse_options, convert_options


def _arrow_type(kind: str, plays_as_text: bool) -> pa.DataType:
    if kind == "plays":
        return pa.string() if plays_as_text else pa.int64()
    return DICTIONARY if kind == "dict" else pa.string()


def _judge_values(
    table: pa.Table,
    path: str,
    spec: DelimitedSpec,
    drops: DropCounts,
    strict_rows: _BadRows | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Which rows miss a required field or have unusable plays, counted by reason.

    Returns the rows to keep (``None``: all) and the kept rows' plays. With ``strict_rows``
    (strict mode) raise instead, for the earliest bad line of the file: a row with the wrong
    number of fields or a row with a bad value, whichever comes first.
    """
    plays_valid = strict_rows is None and _plays_all_valid(table, spec)
    if plays_valid and not any(table.column(c).null_count for c in spec.required):
        # The common case: whole-number plays in range and no field missing.
        plays = spec.plays_column
        return None, None if plays is None else table.column(plays).to_numpy()
    reasons, labels, values = _row_reasons(table, spec, plays_valid)
    if strict_rows is not None:
        _raise_first(table, path, spec, reasons, labels, strict_rows)
    bad = reasons != 0
    keep = None
    if bad.any():
        for code, label in labels.items():
            drops.add(label, int(np.count_nonzero(reasons == code)))
        keep = ~bad
        values = None if values is None else values[keep]
    return keep, None if values is None else values.astype(np.int64)


def _plays_all_valid(table: pa.Table, spec: DelimitedSpec) -> bool:
    """Whether every plays value was read as a whole number from 1 to ``MAX_PLAYS``."""
    if spec.plays_column is None:
        return True
    column = table.column(spec.plays_column)
    if not pa.types.is_integer(column.type) or column.null_count or table.num_rows == 0:
        return False
    extremes = pc.min_max(column)
    return extremes["min"].as_py() >= 1 and extremes["max"].as_py() <= MAX_PLAYS


def _row_reasons(
    table: pa.Table, spec: DelimitedSpec, plays_valid: bool = False
) -> tuple[np.ndarray, dict[int, str], np.ndarray | None]:
    """A reason code per row (0: fine), the codes' labels, and the plays.

    With ``plays_valid`` (already checked in range) the plays are not examined row by row.
    """
    reasons = np.zeros(table.num_rows, dtype=np.int8)
    labels = dict(_PLAYS_REASONS)
    values = None
    plays = spec.plays_column
    if plays is not None and plays_valid:
        values = table.column(plays).to_numpy()
    elif plays is not None:
        values = _plays_values(table.column(plays))
        reasons = _plays_reasons(values)
    for code, (column, label) in enumerate(spec.required.items(), start=len(labels) + 1):
        labels[code] = label
        missing = table.column(column).is_null().to_numpy(zero_copy_only=False)
        reasons[missing & (reasons == 0)] = code
    # An empty line parses as a row of empty fields: name it for what it is.
    labels[0x7F] = "empty line"
    if table.num_columns and not (plays_valid and plays is not None):
        # (A row with valid plays has a non-empty field, so it is no empty line.)
        empty = np.logical_and.reduce(
            [c.is_null().to_numpy(zero_copy_only=False) for c in table.columns]
        )
        reasons[empty] = 0x7F
    return reasons, labels, values


def _raise_first(
    table: pa.Table,
    path: str,
    spec: DelimitedSpec,
    reasons: np.ndarray,
    labels: dict[int, str],
    bad_rows: _BadRows,
) -> None:
    bad = np.flatnonzero(reasons)
    if bad.size:
        first = int(bad[0])
        line = first + 1 + (0 if spec.column_names else 1)
        for skipped in sorted(bad_rows.skipped_lines):  # skipped rows shift later lines
            if skipped <= line:
                line += 1
        if bad_rows.error is None or bad_rows.error.line is None or line < bad_rows.error.line:
            row = {name: table.column(name)[first].as_py() for name in table.column_names}
            raise MalformedRowError(path, line, labels[int(reasons[first])], str(row))
    if bad_rows.error is not None:
        raise bad_rows.error


def _plays_values(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_string(column.type):
        return _parse_plays_text(column)
    return column.to_numpy().astype(np.float64)


_PLAYS_REASONS = {
    1: "plays missing or not a number",
    2: "plays not a whole number",
    3: "negative plays",
    4: f"plays above {MAX_PLAYS:,}",
    5: "zero plays",
}


def _plays_reasons(values: np.ndarray) -> np.ndarray:
    reasons = np.zeros(values.shape[0], dtype=np.int8)
    finite = np.isfinite(values)
    reasons[~finite] = 1
    with np.errstate(invalid="ignore"):
        reasons[finite & (values != np.floor(values))] = 2
        reasons[(reasons == 0) & (values < 0)] = 3
        reasons[(reasons == 0) & (values > MAX_PLAYS)] = 4
        reasons[(reasons == 0) & (values == 0)] = 5
    return reasons


def _parse_plays_text(column: pa.ChunkedArray) -> np.ndarray:
    """Parse plays written as text; anything that is not a number becomes NaN."""
    text = pc.utf8_trim_whitespace(column)
    numeric = pc.match_substring_regex(text, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    numeric = pc.fill_null(numeric, False)
    parsed = pc.cast(pc.if_else(numeric, text, pa.scalar("nan")), pa.float64())
    return parsed.to_numpy()


class _BadRows:
    """Collects rows pyarrow could not split into the expected fields."""

    def __init__(self, path: str, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.empty_lines = 0
        self.wrong_fields = 0
        self.first: tuple[int | None, str] | None = None
        self.error: MalformedRowError | None = None
        self.skipped_lines: list[int] = []

    def handle(self, row: pacsv.InvalidRow) -> str:
        if row.text.strip() == "":
            self.empty_lines += 1
        else:
            self.wrong_fields += 1
        if self.first is None:
            self.first = (row.number, row.text)
            reason = (
                f"expected {row.expected_columns} fields separated by the delimiter, "
                f"got {row.actual_columns}"
            )
            self.error = MalformedRowError(self.path, row.number, reason, row.text)
        if self.strict and row.number is not None:
            # Keep reading: a bad value on an earlier line must win (see _drop_bad_values).
            self.skipped_lines.append(row.number)
        return "skip"

    @property
    def total(self) -> int:
        return self.empty_lines + self.wrong_fields

    def report(self, drops: DropCounts) -> None:
        drops.add("empty line", self.empty_lines)
        drops.add("wrong number of fields", self.wrong_fields)
        if self.wrong_fields and self.first is not None:
            logger.warning(
                "%s: %d rows with the wrong number of fields skipped (first: %r)",
                self.path,
                self.wrong_fields,
                self.first[1][:120],
            )


class _CountingReader(io.RawIOBase):
    """A file wrapper that reports each chunk's size, for progress bars."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None]) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self._progress(len(chunk))
        return chunk

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def file_opener(path: Path) -> Opener:
    """An opener for a plain file that turns OS errors into :class:`InputError`."""

    @contextmanager
    def open_file() -> Iterator[BinaryIO]:
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror}).") from exc
        with handle:
            yield handle

    open_file.path = path  # type: ignore[attr-defined]  # lets readers open it natively
    return open_file


def _describe(spec: DelimitedSpec) -> str:
    names = spec.column_names or list(spec.columns)
    sep = "tab" if spec.delimiter == "\t" else repr(spec.delimiter)
    return f"{sep}-separated rows with the fields {', '.join(names)}"


def _input_error(path: str, exc: pa.ArrowInvalid) -> InputError:
    text = str(exc)
    if "Empty CSV file" in text:
        return InputError(f"{path}: the file is empty. Expected a dataset file with data rows.")
    if "invalid UTF8" in text:
        return InputError(
            f"{path}: the file is not valid UTF-8 text ({text}). Convert it first, for example "
            "`iconv -f latin1 -t utf-8 IN > OUT`."
        )
    return InputError(f"{path}: could not be read as a delimited file: {text}")
