"""Reader for the Last.fm Dataset 360K (Celma, 2010): archive, folder or plays file."""

from __future__ import annotations

import functools
import logging
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recommender.errors import InputError
from recommender.readers._delimited import DelimitedSpec, Opener, file_opener, read_delimited
from recommender.readers._stream import read_coded
from recommender.table import DropCounts, ListeningTable

logger = logging.getLogger(__name__)

PLAYS_FILE = "usersha1-artmbid-artname-plays.tsv"
PROFILE_FILE = "usersha1-profile.tsv"
PLAYS_FIELDS = ["user", "mbid", "artist", "plays"]
PROFILE_FIELDS = ["user", "gender", "age", "country", "signup"]

_EXPECTED = (
    "the 360K archive (lastfm-dataset-360K.tar.gz), the folder holding "
    f"{PLAYS_FILE} and {PROFILE_FILE}, or the plays file itself"
)


@dataclass(frozen=True)
class _Source:
    plays: Opener
    plays_name: str
    plays_size: int
    profiles: Opener | None
    profiles_name: str | None


def read_lastfm360k(
    path: str | Path,
    *,
    strict: bool = False,
    with_profiles: bool = True,
    with_mbids: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ListeningTable:
    """Read the 360K plays (and, where present, the user profiles).

    Parameters
    ----------
    path : str or Path
        The original ``lastfm-dataset-360K.tar.gz`` (read straight from the archive), the
        folder holding both TSV files, or ``usersha1-artmbid-artname-plays.tsv`` alone.
    strict : bool
        Stop at the first malformed row instead of counting it.
    with_profiles : bool
        Read users' countries from ``usersha1-profile.tsv`` when it is there.
    with_mbids : bool
        Keep each artist's MusicBrainz id (the most frequent one per name).
    progress : callable, optional
        Called with the number of bytes of the plays file read so far, chunk by chunk.

    Returns
    -------
    ListeningTable
        ``user_countries`` is ``None`` when no profile file was available.
    """
    source = _locate(Path(path))
    drops = DropCounts()
    columns = {"user": "dict", "artist": "dict", "plays": "plays"}
    if with_mbids:
        columns["mbid"] = "dict"
    spec = DelimitedSpec(
        columns=columns,
        column_names=PLAYS_FIELDS,
        progress=progress,
        required={"user": "missing user", "artist": "missing artist name"},
    )
    coded = read_coded(source.plays, source.plays_name, spec, drops, strict=strict)
    rows_read = coded.rows_read
    user_codes, user_ids = coded.codes["user"], coded.values["user"]
    artist_codes, artist_names = coded.codes["artist"], coded.values["artist"]
    mbids = None
    if with_mbids:
        mbids = _artist_mbids(
            coded.codes["mbid"], coded.values["mbid"], artist_codes, artist_names.shape[0]
        )
    plays = coded.plays
    del coded
    countries = None
    if with_profiles and source.profiles is not None:
        countries = _read_countries(source.profiles, str(source.profiles_name), user_ids, strict)

    logger.info("%s: %d rows read, %d kept", source.plays_name, rows_read, plays.shape[0])
    return ListeningTable(
        user_codes=user_codes,
        artist_codes=artist_codes,
        plays=plays,
        artist_names=artist_names,
        user_ids=user_ids,
        user_countries=countries,
        artist_mbids=mbids,
        rows_read=rows_read,
        dropped=drops,
        source=str(path),
    )


def plays_size(path: str | Path) -> int:
    """Size in bytes of the plays file behind ``path`` (for progress bars)."""
    return _locate(Path(path)).plays_size


def _locate(path: Path) -> _Source:
    if not path.exists():
        raise InputError(f"{path}: no such file or folder. Expected {_EXPECTED}.")
    stat = path.stat()
    return _locate_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _locate_cached(path: Path, mtime_ns: int, size: int) -> _Source:
    """Find the files once per (path, version): listing a .tar.gz decompresses it."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder. Expected {_EXPECTED}.")
    if path.is_dir():
        return _in_folder(path)
    if path.name.endswith((".tar.gz", ".tgz", ".tar")):
        return _in_archive(path)
    return _Source(file_opener(path), str(path), path.stat().st_size, None, None)


def _in_folder(folder: Path) -> _Source:
    for candidate in (folder, folder / "lastfm-dataset-360K"):
        plays = candidate / PLAYS_FILE
        if plays.is_file():
            profiles = candidate / PROFILE_FILE
            has_profiles = profiles.is_file()
            return _Source(
                file_opener(plays),
                str(plays),
                plays.stat().st_size,
                file_opener(profiles) if has_profiles else None,
                str(profiles) if has_profiles else None,
            )
    found = ", ".join(sorted(p.name for p in folder.iterdir())[:10]) or "nothing"
    raise InputError(
        f"{folder}: no {PLAYS_FILE} in this folder (found: {found}). Expected {_EXPECTED}."
    )


def _in_archive(archive: Path) -> _Source:
    try:
        with tarfile.open(archive) as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(
            f"{archive}: not a readable tar archive ({exc}). Expected {_EXPECTED}."
        ) from exc
    if PLAYS_FILE not in members:
        names = ", ".join(sorted(members)[:10]) or "no files"
        raise InputError(
            f"{archive}: the archive has no {PLAYS_FILE} (it holds: {names}). Expected {_EXPECTED}."
        )
    plays = members[PLAYS_FILE]
    profiles = members.get(PROFILE_FILE)
    return _Source(
        _member_opener(archive, plays.name),
        f"{archive}:{plays.name}",
        plays.size,
        _member_opener(archive, profiles.name) if profiles else None,
        f"{archive}:{profiles.name}" if profiles else None,
    )


def _member_opener(archive: Path, member: str) -> Opener:
    @contextmanager
    def open_member() -> Iterator[BinaryIO]:
        with tarfile.open(archive) as tar:
            handle = tar.extractfile(member)
            if handle is None:
                raise InputError(f"{archive}:{member} is not a regular file in the archive.")
            with handle:
                yield handle

    return open_member


def _read_countries(opener: Opener, name: str, user_ids: np.ndarray, strict: bool) -> np.ndarray:
    """Country of each user (``None`` where the profile file has none)."""
    drops = DropCounts()
    spec = DelimitedSpec(columns={"user": "text", "country": "text"}, column_names=PROFILE_FIELDS)
    table, _ = read_delimited(opener, name, spec, drops, strict=strict)
    if drops.total:
        logger.warning(
            "%s: %d malformed profile rows skipped: %s",
            name,
            drops.total,
            drops.as_dict(),
        )
    named = table.filter(pc.is_valid(table.column("user")))
    # The first profile of a user wins, as index_in finds the first match.
    position = pc.index_in(pa.array(user_ids, pa.string()), value_set=named.column("user"))
    countries = named.column("country").take(position)
    return np.asarray(countries.to_numpy(zero_copy_only=False), dtype=object)


def _artist_mbids(
    mbid_codes: np.ndarray, mbid_values: np.ndarray, artist_codes: np.ndarray, n_artists: int
) -> np.ndarray:
    """The most frequent non-empty MusicBrainz id of each artist name ("" if none).

    Ties go to the id seen first in the file. Counting is pyarrow's hash aggregation, so no
    Python object is made per row.
    """
    result = np.full(n_artists, "", dtype=object)
    named = mbid_codes >= 0
    if not named.any():
        return result
    pairs = pa.table({"artist": artist_codes[named], "mbid": mbid_codes[named]})
    counts = pairs.group_by(["artist", "mbid"]).aggregate([([], "count_all")])
    artist = counts.column("artist").to_numpy()
    mbid = counts.column("mbid").to_numpy()
    rows = counts.column("count_all").to_numpy()
    order = np.lexsort((mbid, -rows, artist))
    first = order[np.r_[True, artist[order][1:] != artist[order][:-1]]]
    result[artist[first]] = mbid_values[mbid[first]]
    return result
