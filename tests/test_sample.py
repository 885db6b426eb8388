"""The embedded sample dataset: format, quirks, reproducibility and taste structure.

The sample is synthetic (``scripts/make_sample.py`` from ``scripts/sample_catalogue.py``)
and must look like the Last.fm Dataset 360K to every reader, while giving neighbour lists a
music fan would nod at. The structural tests assert the taste structure (neighbours mostly in
the artist's own genre), never exact similarity values.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import re
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "recommender" / "sample" / "lastfm-360k-sample.tar.gz"
GENERATOR = ROOT / "scripts" / "make_sample.py"
FOLDER = "lastfm-dataset-360K"
PLAYS = f"{FOLDER}/usersha1-artmbid-artname-plays.tsv"
PROFILES = f"{FOLDER}/usersha1-profile.tsv"

SHA1 = re.compile(r"^[0-9a-f]{40}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_BYTES = 3_200_000


def _load_catalogue() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sample_catalogue", ROOT / "scripts" / "sample_catalogue.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CATALOGUE = _load_catalogue()
GENRE_OF = {name: key for key, genre in CATALOGUE.GENRES.items() for name in genre["artists"]}


def _read_tsv(data: bytes, names: list[str]) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(data),
        sep="\t",
        header=None,
        names=names,
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def members() -> dict[str, bytes]:
    with tarfile.open(SAMPLE, "r:gz") as tar:
        return {
            m.name: (tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


@pytest.fixture(scope="module")
def plays(members: dict[str, bytes]) -> pd.DataFrame:
    frame = _read_tsv(members[PLAYS], ["user", "mbid", "artist", "plays"])
    frame["plays"] = frame["plays"].astype("int64")
    return frame


@pytest.fixture(scope="module")
def profiles(members: dict[str, bytes]) -> pd.DataFrame:
    return _read_tsv(members[PROFILES], ["user", "gender", "age", "country", "signup"])


# --- archive and format -------------------------------------------------------------------


def test_archive_layout_and_metadata() -> None:
    assert SAMPLE.stat().st_size <= MAX_BYTES
    with tarfile.open(SAMPLE, "r:gz") as tar:
        entries = tar.getmembers()
    names = [m.name for m in entries]
    assert names == sorted(names)
    assert set(names) == {FOLDER, f"{FOLDER}/README.txt", PLAYS, PROFILES}
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in entries} == {
        (entries[0].mtime, 0, 0, "", "")
    }
    header = SAMPLE.read_bytes()[:10]
    assert header[3] == 0  # gzip flags: no file name stored
    assert header[4:8] == b"\0\0\0\0"  # gzip mtime zero


def test_plays_file_format(members: dict[str, bytes], plays: pd.DataFrame) -> None:
    text = members[PLAYS].decode("utf-8")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert all(line.count("\t") == 3 for line in lines)
    assert len(plays) == len(lines)
    assert list(plays.columns) == ["user", "mbid", "artist", "plays"]
    assert plays["user"].str.fullmatch(SHA1).all()
    assert (plays["mbid"].eq("") | plays["mbid"].str.fullmatch(UUID)).all()
    assert plays["plays"].dtype == np.int64
    assert (plays["plays"] >= 1).all()
    assert all(re.fullmatch(r"[0-9]+", line.rsplit("\t", 1)[1]) for line in lines)
    assert not plays["artist"].str.contains(r"[A-Z]").any()  # ASCII lower-cased as in 360K


def test_plays_rows_grouped_by_user(plays: pd.DataFrame) -> None:
    users = plays["user"]
    blocks = int((users != users.shift()).sum())
    assert blocks == users.nunique()
    assert users.is_monotonic_increasing
    # within a user, favourites first (as in the original)
    assert plays.groupby("user", sort=False)["plays"].is_monotonic_decreasing.all()


def test_plays_shape_is_realistic(plays: pd.DataFrame) -> None:
    per_user = plays.groupby("user").size()
    assert 2_000 <= per_user.size <= 3_000
    assert 25 <= per_user.median() <= 50
    assert per_user.max() <= 70
    median = plays["plays"].median()
    assert 80 <= median <= 400
    assert plays["plays"].max() > 20 * median  # heavy tail


def test_popularity_is_long_tailed(plays: pd.DataFrame) -> None:
    key = plays["mbid"].where(plays["mbid"] != "", "name:" + plays["artist"])
    totals = plays.groupby(key)["plays"].sum().sort_values(ascending=False)
    listeners = plays.groupby(key)["user"].nunique()
    top_decile = totals.iloc[: len(totals) // 10].sum()
    assert top_decile > 0.35 * totals.sum()
    assert totals.iloc[0] > 10 * totals.median()  # big names far above the middle
    assert (listeners <= 3).sum() > 50  # a real tail of rarely played artists
    assert listeners.max() < 0.4 * plays["user"].nunique()


def test_profiles_format(profiles: pd.DataFrame, plays: pd.DataFrame) -> None:
    assert profiles["user"].str.fullmatch(SHA1).all()
    assert profiles["user"].is_monotonic_increasing
    assert profiles["user"].is_unique
    assert set(profiles["user"]) == set(plays["user"])
    assert set(profiles["gender"]) == {"m", "f", ""}
    ages = profiles["age"]
    assert (ages == "").mean() > 0.05
    numeric = pd.to_numeric(ages[ages != ""], errors="raise")
    assert ((numeric < 5) | (numeric > 99)).any()  # junk such as -1337
    for signup in profiles["signup"]:
        datetime.strptime(signup, "%b %d, %Y")  # a plain calendar date
    assert profiles["signup"].str.fullmatch(r"[A-Z][a-z]{2} [1-9][0-9]?, 20[01][0-9]").all()


def test_countries_are_realistic(profiles: pd.DataFrame, plays: pd.DataFrame) -> None:
    countries = profiles["country"]
    assert countries.isin(list(CATALOGUE.COUNTRIES)).all()
    assert 0.2 <= (countries == "United States").mean() <= 0.3
    assert countries.nunique() >= 25
    assert {"United Kingdom", "Germany", "Russian Federation", "Korea, Republic of"} <= set(
        countries
    )
    # country follows taste a bit: these fans come from the scene's home far more often
    country_of = profiles.set_index("user")["country"]
    for artist, home in [
        ("동방신기", "Korea, Republic of"),
        ("dir en grey", "Japan"),
        ("helene fischer", "Germany"),
        ("maná", "Mexico"),
    ]:
        fans = plays.loc[plays["artist"] == artist, "user"].unique()
        assert (country_of[fans] == home).mean() > 2 * (countries == home).mean(), artist


# --- quirks of the real data --------------------------------------------------------------


@pytest.mark.parametrize(
    ("canonical", "variant"),
    [
        ("the beatles", "beatles"),
        ("guns n' roses", "guns n roses"),
        ("sigur rós", "sigur ros"),
        ("beyoncé", "beyonce"),
        ("björk", "bjork"),
        ("동방신기", "東方神起"),
    ],
)
def test_spelling_variants_share_one_mbid(
    plays: pd.DataFrame, canonical: str, variant: str
) -> None:
    rows = plays[plays["artist"].isin([canonical, variant]) & (plays["mbid"] != "")]
    by_name = rows.groupby("artist")["mbid"].unique()
    assert set(by_name.index) == {canonical, variant}
    assert len(by_name[canonical]) == 1
    assert list(by_name[canonical]) == list(by_name[variant])
    counts = rows["artist"].value_counts()
    assert counts[canonical] > counts[variant]


def test_empty_mbids_names_and_duplicates(plays: pd.DataFrame) -> None:
    empty_mbid = plays["mbid"] == ""
    assert 0 < empty_mbid.mean() < 0.05
    empty_name = plays["artist"] == ""
    assert 1 <= empty_name.sum() <= 50
    assert not (empty_name & empty_mbid).any()
    duplicated = plays.duplicated(["user", "mbid", "artist"], keep=False)
    assert 0 < duplicated.sum() <= 100
    # the same artist under two spellings for one user (a duplicate by MBID, not by name)
    by_mbid = plays[~empty_mbid].duplicated(["user", "mbid"], keep=False)
    assert by_mbid.sum() > duplicated.sum()


def test_unicode_and_awkward_names(plays: pd.DataFrame) -> None:
    names = set(plays["artist"])
    assert {"sigur rós", "björk", "mötley crüe", "maxïmo park", "die Ärzte"} <= names
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", n) for n in names)
    assert '"weird al" yankovic' in names  # a literal quote: readers must not parse quotes


# --- catalogue ----------------------------------------------------------------------------


STAPLES = [
    "red hot chili peppers",
    "arctic monkeys",
    "the strokes",
    "the kooks",
    "franz ferdinand",
    "radiohead",
    "the beatles",
    "coldplay",
    "nirvana",
    "metallica",
    "daft punk",
    "eminem",
    "jack johnson",
    "jan johansson",
    "sigur rós",
    "björk",
    "mötley crüe",
    "beyoncé",
]


def test_catalogue_is_consistent(plays: pd.DataFrame) -> None:
    genres = CATALOGUE.GENRES
    names = [name for genre in genres.values() for name in genre["artists"]]
    assert 800 <= len(names) <= 1500
    assert len(genres) >= 20
    assert len(set(names)) == len(names)
    for genre in genres.values():
        assert set(genre["adjacent"]) <= set(genres)
        assert set(genre["countries"][1]) <= set(CATALOGUE.COUNTRIES)
    for artist, variants in CATALOGUE.VARIANTS.items():
        assert artist in GENRE_OF
        assert not set(variants) & set(names)
        assert sum(variants.values()) < 0.5
    assert set(STAPLES) <= set(names)
    assert GENRE_OF["jack johnson"] != GENRE_OF["jan johansson"]
    seen = set(plays["artist"])
    assert set(STAPLES) <= seen
    assert sum(name in seen for name in names) >= 0.95 * len(names)


# --- reproducibility ----------------------------------------------------------------------


def _run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_regeneration_with_default_seed_is_byte_identical(tmp_path: Path) -> None:
    output = tmp_path / "lastfm-360k-sample.tar.gz"
    result = _run_generator("--output", str(output))
    assert "users" in result.stdout
    assert "MB" in result.stdout
    fresh, committed = output.read_bytes(), SAMPLE.read_bytes()
    assert gzip.decompress(fresh) == gzip.decompress(committed), (
        "the generator no longer reproduces the committed sample: rerun "
        "scripts/make_sample.py and commit the archive"
    )
    assert fresh == committed, "same tar payload but different gzip bytes (zlib version?)"


def test_seed_and_users_options(tmp_path: Path) -> None:
    output = tmp_path / "small.tar.gz"
    _run_generator("--seed", "7", "--users", "120", "--output", str(output))
    with tarfile.open(output, "r:gz") as tar:
        data = tar.extractfile(PROFILES).read()  # type: ignore[union-attr]
    assert len(data.decode("utf-8").splitlines()) == 120
    assert output.read_bytes() != SAMPLE.read_bytes()


# --- taste structure ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def neighbours(plays: pd.DataFrame):
    """Top-k cosine neighbours on binary artist x user vectors (sparse, never dense)."""
    key = plays["mbid"].where(plays["mbid"] != "", "name:" + plays["artist"])
    artist_codes, artist_keys = pd.factorize(key)
    user_codes, users = pd.factorize(plays["user"])
    matrix = sp.csr_matrix(
        (np.ones(len(plays)), (artist_codes, user_codes)),
        shape=(len(artist_keys), len(users)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    norms = np.sqrt(np.asarray(matrix.sum(axis=1)).ravel())
    # an MBID is shown under its most frequent spelling; rows without one keep "name:..."
    named = plays[(plays["artist"] != "") & (plays["mbid"] != "")]
    name_of = named.groupby("mbid")["artist"].agg(lambda s: s.value_counts().index[0])
    names = [name_of.get(k, k) for k in artist_keys]
    position = {name: i for i, name in enumerate(names)}

    def top(artist: str, k: int = 5) -> list[str]:
        i = position[artist]
        similarity = (matrix @ matrix[i].T).toarray().ravel() / (norms * norms[i])
        similarity[i] = -np.inf
        return [names[j] for j in np.argsort(-similarity, kind="stable")[:k]]

    return top


@pytest.mark.parametrize(
    "artist",
    [
        "arctic monkeys",
        "metallica",
        "eminem",
        "radiohead",
        "jack johnson",
        "sigur rós",
        "daft punk",
        "the beatles",
        "mötley crüe",
        "beyoncé",
    ],
)
def test_neighbours_mostly_share_the_genre(neighbours, artist: str) -> None:
    found = neighbours(artist)
    same = [name for name in found if GENRE_OF.get(name) == GENRE_OF[artist]]
    assert len(same) >= 3, f"{artist}: {found}"


@pytest.mark.parametrize(
    ("artist", "expected"),
    [
        ("arctic monkeys", {"the strokes", "the kooks", "franz ferdinand"}),
        ("metallica", {"megadeth", "slayer", "pantera", "anthrax"}),
        ("eminem", {"2pac", "50 cent", "dr. dre", "snoop dogg", "d12"}),
    ],
)
def test_well_known_neighbours(neighbours, artist: str, expected: set[str]) -> None:
    found = neighbours(artist)
    assert len(expected & set(found)) >= 2, f"{artist}: {found}"


def test_fuzzy_trap_artists_are_unrelated(neighbours) -> None:
    assert "jan johansson" not in neighbours("jack johnson", k=50)
    assert "jack johnson" not in neighbours("jan johansson", k=50)
