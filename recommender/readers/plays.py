"""Reader for plain user/artist/plays files (CSV or TSV with a header)."""

from __future__ import annotations

import logging
from pathlib import Path

from recommender.errors import InputError
from recommender.readers._delimited import DelimitedSpec, file_opener
from recommender.readers._stream import read_coded
from recommender.table import DropCounts, ListeningTable

logger = logging.getLogger(__name__)

#: Header names accepted for each column, compared case-insensitively.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "user": ("user", "user_id", "userid", "user_name", "username", "listener"),
    "artist": ("artist", "artist_name", "artistname", "artname", "name", "band"),
    "plays": ("plays", "playcount", "play_count", "count", "weight", "scrobbles", "listens"),
}
_DELIMITERS = ("\t", ",", ";", "|")


def read_plays(
    path: str | Path, *, delimiter: str | None = None, strict: bool = False
) -> ListeningTable:
    """Read a generic listening file: one row per (user, artist) with a play count.

    Parameters
    ----------
    path : str or Path
        A text file whose first line is a header naming a user, an artist and a plays column
        (see ``COLUMN_ALIASES``); other columns are ignored.
    delimiter : str, optional
        The field separator; detected from the header (tab, comma, semicolon or bar) if not
        given. Comma- and semicolon-separated files may quote fields with ``"``.
    strict : bool
        Stop at the first malformed row instead of counting it.

    Returns
    -------
    ListeningTable
        Without countries (plain files carry no profiles).
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(
            f"{file}: no such file. Expected a CSV or TSV file with a header "
            "naming user, artist and plays columns."
        )
    header = _first_line(file)
    delimiter = delimiter or _detect_delimiter(header, file)
    fields = header.split(delimiter)
    columns = _resolve_columns(fields, file)

    drops = DropCounts()
    spec = DelimitedSpec(
        columns={columns["user"]: "dict", columns["artist"]: "dict", columns["plays"]: "plays"},
        delimiter=delimiter,
        quoted=delimiter != "\t",
        required={columns["user"]: "missing user", columns["artist"]: "missing artist name"},
    )
    coded = read_coded(file_opener(file), str(file), spec, drops, strict=strict)
    user_codes, user_ids = coded.codes[columns["user"]], coded.values[columns["user"]]
    artist_codes, artist_names = coded.codes[columns["artist"]], coded.values[columns["artist"]]
    rows_read = coded.rows_read
    logger.info("%s: %d rows read, %d kept", file, rows_read, user_codes.shape[0])
    return ListeningTable(
        user_codes=user_codes,
        artist_codes=artist_codes,
        plays=coded.plays,
        artist_names=artist_names,
        user_ids=user_ids,
        rows_read=rows_read,
        dropped=drops,
        source=str(file),
    )


def _first_line(file: Path) -> str:
    try:
        with file.open("r", encoding="utf-8", newline="") as handle:
            line = handle.readline()
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{file}: the header is not UTF-8 text. Convert the file to UTF-8 "
            "first, for example with `iconv`."
        ) from exc
    except OSError as exc:
        raise InputError(f"{file}: cannot be read ({exc.strerror}).") from exc
    if not line.strip():
        raise InputError(
            f"{file}: the file is empty or starts with a blank line. Expected a "
            "header such as `user<TAB>artist<TAB>plays`."
        )
    return line.rstrip("\r\n").lstrip("\ufeff")


def _detect_delimiter(header: str, file: Path) -> str:
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] < 2:
        raise InputError(
            f"{file}: cannot tell the delimiter from the header {header!r}. "
            "Expected at least three columns (user, artist, plays) separated by "
            "tab, comma, semicolon or bar; give it with --delimiter."
        )
    return best


def _resolve_columns(fields: list[str], file: Path) -> dict[str, str]:
    """Map user/artist/plays to the header's own column names."""
    lowered = {f.strip().strip('"').lower(): f for f in fields}
    columns = {}
    for role, aliases in COLUMN_ALIASES.items():
        match = next((lowered[a] for a in aliases if a in lowered), None)
        if match is None:
            raise InputError(
                f"{file}: no {role} column in the header {fields}. Expected one "
                f"named {' or '.join(aliases[:3])} (or rename a column)."
            )
        columns[role] = match.strip().strip('"')
    return columns
