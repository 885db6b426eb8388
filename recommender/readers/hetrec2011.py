"""Reader for HetRec 2011 Last.fm 2K: ``user_artists.dat`` plus ``artists.dat`` (and tags).

Where the folder also holds ``user_taggedartists.dat`` (userID, artistID, tagID, day, month,
year) and ``tags.dat`` (tagID, tagValue; ISO-8859-1), the table carries each artist's tag
counts: how many users gave it each tag.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.errors import InputError
from recommender.readers._delimited import DelimitedSpec, file_opener, read_delimited
from recommender.table import DropCounts, ListeningTable
from recommender.tags import ArtistTags

logger = logging.getLogger(__name__)

USER_ARTISTS_FILE = "user_artists.dat"
ARTISTS_FILE = "artists.dat"
TAGGED_FILE = "user_taggedartists.dat"
TAGS_FILE = "tags.dat"


def read_hetrec2011(
    path: str | Path, *, strict: bool = False, with_tags: bool = True
) -> ListeningTable:
    """Read HetRec 2011 Last.fm 2K listening counts with artist names.

    Parameters
    ----------
    path : str or Path
        The folder holding ``user_artists.dat`` (userID, artistID, weight) and
        ``artists.dat`` (id, name, url, pictureURL), both tab-separated with a header.
    strict : bool
        Stop at the first malformed row instead of counting it.
    with_tags : bool
        Read the artists' tags where ``user_taggedartists.dat`` and ``tags.dat`` are present.

    Returns
    -------
    ListeningTable
        One artist per HetRec artist id; no countries (the set has no profiles);
        ``artist_tags`` set when tags were read.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(
            f"{folder}: not a folder. Expected the HetRec 2011 Last.fm 2K folder holding "
            f"{USER_ARTISTS_FILE} and {ARTISTS_FILE}."
        )
    for name in (USER_ARTISTS_FILE, ARTISTS_FILE):
        if not (folder / name).is_file():
            raise InputError(
                f"{folder}: no {name} here. Expected the HetRec 2011 Last.fm 2K "
                f"folder holding {USER_ARTISTS_FILE} and {ARTISTS_FILE}."
            )

    drops = DropCounts()
    listens, rows_read = _read_user_artists(folder / USER_ARTISTS_FILE, drops, strict)
    names = _read_artist_names(folder / ARTISTS_FILE, strict)

    known = np.isin(listens["artistID"], names.index.to_numpy())
    drops.add("artist id not in artists.dat", int(np.count_nonzero(~known)))
    listens = listens[known]

    user_ids, user_codes = np.unique(listens["userID"].to_numpy(), return_inverse=True)
    artist_ids, artist_codes = np.unique(listens["artistID"].to_numpy(), return_inverse=True)
    logger.info("%s: %d rows read, %d kept", folder, rows_read, len(listens))
    tags = _read_tags(folder, artist_ids, strict) if with_tags else None
    return ListeningTable(
        user_codes=user_codes.astype(np.int32),
        artist_codes=artist_codes.astype(np.int32),
        plays=listens["weight"].to_numpy(dtype=np.int64),
        artist_names=names.loc[artist_ids].to_numpy(dtype=object),
        user_ids=np.array([str(u) for u in user_ids], dtype=object),
        rows_read=rows_read,
        dropped=drops,
        source=str(folder),
        artist_tags=tags,
    )


def _read_user_artists(path: Path, drops: DropCounts, strict: bool) -> tuple[pd.DataFrame, int]:
    spec = DelimitedSpec(
        columns={"userID": "text", "artistID": "text", "weight": "plays"},
        required={"userID": "missing user", "artistID": "missing artist id"},
    )
    table, rows_read = read_delimited(file_opener(path), str(path), spec, drops, strict=strict)
    frame = table.to_pandas()
    for column in ("userID", "artistID"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    bad = frame[["userID", "artistID"]].isna().any(axis=1)
    drops.add("user or artist id not a number", int(bad.sum()))
    return frame[~bad].astype({"userID": np.int64, "artistID": np.int64}), rows_read


def _read_artist_names(path: Path, strict: bool) -> pd.Series:
    return _read_id_names(path, DelimitedSpec(columns={"id": "text", "name": "text"}), strict)


def _read_tags(folder: Path, artist_ids: np.ndarray, strict: bool) -> ArtistTags | None:
    """Tag counts for the listened artists (``artist_ids``, sorted), or ``None`` without files."""
    tagged_path, tags_path = folder / TAGGED_FILE, folder / TAGS_FILE
    if not (tagged_path.is_file() and tags_path.is_file()):
        logger.info("%s: no %s and %s, so no tags", folder, TAGGED_FILE, TAGS_FILE)
        return None
    drops = DropCounts()
    spec = DelimitedSpec(columns={"userID": "text", "artistID": "text", "tagID": "text"})
    opener = file_opener(tagged_path)
    table, _ = read_delimited(opener, str(tagged_path), spec, drops, strict=strict)
    tagged = table.to_pandas().apply(pd.to_numeric, errors="coerce").dropna()
    tagged = tagged.astype(np.int64).drop_duplicates()
    names = _read_tag_names(tags_path, strict)

    slots = np.searchsorted(artist_ids, tagged["artistID"].to_numpy())
    listened = slots < artist_ids.size
    listened[listened] = artist_ids[slots[listened]] == tagged["artistID"].to_numpy()[listened]
    named = np.isin(tagged["tagID"].to_numpy(), names.index.to_numpy())
    keep = listened & named
    drops.add("tag on an artist nobody listened to", int(np.count_nonzero(~listened)))
    drops.add("tag id not in tags.dat", int(np.count_nonzero(listened & ~named)))
    if drops.total:
        logger.info("%s: %d tag rows set aside: %s", tagged_path, drops.total, drops.as_dict())

    tag_ids, tag_codes = np.unique(tagged["tagID"].to_numpy()[keep], return_inverse=True)
    counts = sp.csr_matrix(
        (np.ones(tag_codes.size, dtype=np.int32), (slots[keep], tag_codes)),
        shape=(artist_ids.size, tag_ids.size),
    )
    counts.sum_duplicates()
    return ArtistTags(counts, names.loc[tag_ids].to_numpy(dtype=object))


def _read_tag_names(path: Path, strict: bool) -> pd.Series:
    spec = DelimitedSpec(columns={"tagID": "text", "tagValue": "text"}, encoding="latin-1")
    return _read_id_names(path, spec, strict)


def _read_id_names(path: Path, spec: DelimitedSpec, strict: bool) -> pd.Series:
    """A file of (numeric id, name) rows as names indexed by id; the first row of an id wins.

    ``spec.columns`` names the id column first and the name column second.
    """
    id_column, name_column = spec.columns
    drops = DropCounts()
    table, _ = read_delimited(file_opener(path), str(path), spec, drops, strict=strict)
    frame = table.to_pandas()
    frame[id_column] = pd.to_numeric(frame[id_column], errors="coerce")
    frame = frame.dropna(subset=[id_column, name_column]).drop_duplicates(id_column)
    if drops.total:
        logger.warning("%s: %d malformed rows skipped: %s", path, drops.total, drops.as_dict())
    return pd.Series(
        frame[name_column].to_numpy(dtype=object), index=frame[id_column].astype(np.int64)
    )
