#!/usr/bin/env python3
"""Generate the embedded sample dataset in the format of the Last.fm Dataset 360K.

The output is a ``.tar.gz`` holding a folder ``lastfm-dataset-360K/`` with the two files of
the original, ``usersha1-artmbid-artname-plays.tsv`` and ``usersha1-profile.tsv`` (no
headers, tab-separated, UTF-8), plus a short README.txt saying what the data is.

Everything here is synthetic except the artist names, which come from the hand-curated
``sample_catalogue.py``. Users listen mostly within one to three genres, with spill-over into
adjacent genres and a little random noise; popularity within a genre is Zipf-like and play
counts are log-normal, so item-based cosine neighbours come out the way a music fan expects.

* User ids are SHA-1 hex digests of a seed-dependent string (40 hex digits, like the
  original's hashed user names).
* MusicBrainz ids are SYNTHETIC: ``uuid5(MBID_NAMESPACE, canonical artist name)``. They are
  stable across runs and seeds but are not real MusicBrainz ids (real ones are version-4
  UUIDs; these are version 5).
* Quirks of the real file are reproduced: spelling variants sharing one MBID, rows with an
  empty MBID, a handful with an empty artist name, a few duplicated (user, artist) rows,
  empty genders, empty and junk ages.

Only ``random.Random.random()`` is used for randomness (its sequence for a given seed is
guaranteed across Python versions), and the tar and gzip metadata are fixed, so the same
seed and user count give a byte-identical archive.

Usage::

    python scripts/make_sample.py [--seed 360] [--users 2500] [--output PATH]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import math
import random
import sys
import tarfile
import time
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_catalogue import COUNTRIES, GENRES, VARIANTS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 360
DEFAULT_USERS = 2500
DEFAULT_OUTPUT = ROOT / "recommender" / "sample" / "lastfm-360k-sample.tar.gz"

ARCHIVE_DIR = "lastfm-dataset-360K"
PLAYS_FILE = "usersha1-artmbid-artname-plays.tsv"
PROFILE_FILE = "usersha1-profile.tsv"
README_FILE = "README.txt"
#: Modification time stamped on every tar entry (2010-05-01 00:00:00 UTC).
TAR_MTIME = 1272672000

#: Namespace of the synthetic MusicBrainz ids: uuid5(MBID_NAMESPACE, canonical name).
MBID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "sample.artist-neighbours.invalid")

# Shape of a user's taste.
CORE_GENRE_COUNTS = ((1, 0.35), (2, 0.45), (3, 0.20))
ADJACENT_CORE_CHANCE = 0.6  # a second or third main genre is adjacent to a previous one
ARTISTS_MEDIAN, ARTISTS_SPREAD, ARTISTS_MIN, ARTISTS_MAX = 36, 0.35, 20, 60
SPILL_SHARE = (0.05, 0.20)  # share of a user's artists from genres adjacent to their own
NOISE_SHARE = (0.0, 0.08)  # share drawn from the whole catalogue by popularity
GENRE_CAP = 0.6  # at most this share of one genre's artists in one user's list
ZIPF_EXPONENT = (0.8, 1.4)  # per-user: higher means more mainstream within a genre
SPILL_EXPONENT = 1.6  # spill-over favours the big names of the adjacent genre
# Plays: per-user activity level, then log-normal plays per row, favourites first.
PLAYS_MEDIAN, ACTIVITY_SPREAD, PLAYS_SPREAD = 130.0, 0.6, 1.0

# Data quirks.
SECOND_SPELLING_CHANCE = 0.04  # user has two rows for one artist under two spellings
EMPTY_MBID_CHANCE = 0.008
EMPTY_NAME_ROWS = 9
DUPLICATE_ROWS = 14

# Profiles.
GENDERS = (("m", 0.68), ("f", 0.22), ("", 0.10))
FEMALE_LEANING = {"k_pop": 0.5, "pop_2000s": 0.45, "emo_pop_punk": 0.4, "j_rock": 0.45}
EMPTY_AGE_CHANCE = 0.2
JUNK_AGES = (("-1337", 0.4), ("0", 0.15), ("1", 0.15), ("2", 0.1), ("100", 0.1), ("109", 0.1))
JUNK_AGE_CHANCE = 0.008
SIGNUP_YEARS = (
    (2002, 0.001),
    (2003, 0.003),
    (2004, 0.015),
    (2005, 0.093),
    (2006, 0.19),
    (2007, 0.29),
    (2008, 0.323),
    (2009, 0.085),
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def artist_mbid(name: str) -> str:
    """The synthetic MusicBrainz id of a catalogue artist (by its canonical name)."""
    return str(uuid.uuid5(MBID_NAMESPACE, name))


class Draws:
    """Random draws built only on ``random.Random.random()``, stable across Python versions."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed).random

    def uniform(self, low: float = 0.0, high: float = 1.0) -> float:
        return low + (high - low) * self._random()

    def normal(self) -> float:
        """Standard normal (Box-Muller, one value per call)."""
        u1 = 1.0 - self._random()  # in (0, 1]
        u2 = self._random()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def gumbel(self) -> float:
        return -math.log(-math.log(1.0 - self._random() * (1.0 - 1e-12)))

    def chance(self, p: float) -> bool:
        return self._random() < p

    def index(self, cumulative: Sequence[float]) -> int:
        """Index drawn with the weights whose running totals are ``cumulative``."""
        target = self._random() * cumulative[-1]
        return min(bisect_right(cumulative, target), len(cumulative) - 1)

    def pick(self, pairs: Sequence[tuple]) -> object:
        """First element of one of ``(value, weight)`` pairs, drawn by weight."""
        return pairs[self.index(list(accumulate(w for _, w in pairs)))][0]

    def sample(self, weights: Sequence[float], k: int) -> list[int]:
        """``k`` distinct indices drawn by weight without replacement (Efraimidis-Spirakis)."""
        keys = [(math.log(1.0 - self._random()) / w, i) for i, w in enumerate(weights) if w > 0]
        keys.sort(reverse=True)
        return [i for _, i in keys[:k]]


@dataclass
class Catalogue:
    """The catalogue flattened into arrays for drawing."""

    names: list[str]  # canonical names; artist index -> name
    genre_of: list[str]
    genre_artists: dict[str, list[int]]
    popularity: list[float]  # global weight of each artist (for noise)
    popularity_cum: list[float] = field(default_factory=list)
    genre_keys: list[str] = field(default_factory=list)
    genre_cum: list[float] = field(default_factory=list)
    country_cum: list[float] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    mbids: list[str] = field(default_factory=list)
    variant_cum: dict[int, tuple[list[str], list[float]]] = field(default_factory=dict)

    @classmethod
    def build(cls) -> Catalogue:
        names: list[str] = []
        genre_of: list[str] = []
        genre_artists: dict[str, list[int]] = {}
        popularity: list[float] = []
        for key, genre in GENRES.items():
            genre_artists[key] = []
            for rank, name in enumerate(genre["artists"]):
                genre_artists[key].append(len(names))
                names.append(name)
                genre_of.append(key)
                popularity.append(genre["weight"] / (rank + 1) ** 1.1)
        if len(set(names)) != len(names):
            raise ValueError("an artist is listed twice in the catalogue")
        position = {name: i for i, name in enumerate(names)}
        variant_cum = {}
        for name, variants in VARIANTS.items():
            spellings = [name, *variants]
            shares = [1.0 - sum(variants.values()), *variants.values()]
            variant_cum[position[name]] = (spellings, list(accumulate(shares)))
        return cls(
            names=names,
            genre_of=genre_of,
            genre_artists=genre_artists,
            popularity=popularity,
            popularity_cum=list(accumulate(popularity)),
            genre_keys=list(GENRES),
            genre_cum=list(accumulate(g["weight"] for g in GENRES.values())),
            countries=list(COUNTRIES),
            country_cum=list(accumulate(COUNTRIES.values())),
            mbids=[artist_mbid(name) for name in names],
            variant_cum=variant_cum,
        )


@dataclass
class User:
    sha1: str
    rows: list[tuple[str, str, int]]  # (mbid, artist name, plays)
    profile: tuple[str, str, str, str]  # gender, age, country, signup


def _core_genres(draws: Draws, cat: Catalogue) -> list[str]:
    count = draws.pick(CORE_GENRE_COUNTS)
    core = [cat.genre_keys[draws.index(cat.genre_cum)]]
    while len(core) < count:
        adjacent = [a for g in core for a in GENRES[g]["adjacent"] if a not in core]
        if adjacent and draws.chance(ADJACENT_CORE_CHANCE):
            core.append(adjacent[int(draws.uniform(0, len(adjacent)))])
        else:
            choice = cat.genre_keys[draws.index(cat.genre_cum)]
            if choice not in core:
                core.append(choice)
    return core


def _draw_from_genre(
    draws: Draws, cat: Catalogue, genre: str, k: int, exponent: float, taken: set[int]
) -> list[int]:
    members = cat.genre_artists[genre]
    weights = [
        0.0 if artist in taken else 1.0 / (rank + 1) ** exponent
        for rank, artist in enumerate(members)
    ]
    return [members[i] for i in draws.sample(weights, k)]


def _choose_artists(draws: Draws, cat: Catalogue, core: list[str]) -> list[tuple[int, float]]:
    """The user's artists with their affinity (higher means more plays)."""
    n_artists = round(ARTISTS_MEDIAN * math.exp(ARTISTS_SPREAD * draws.normal()))
    n_artists = max(ARTISTS_MIN, min(ARTISTS_MAX, n_artists))
    n_noise = round(n_artists * draws.uniform(*NOISE_SHARE))
    n_spill = round(n_artists * draws.uniform(*SPILL_SHARE))
    n_core = n_artists - n_noise - n_spill

    preference = {core[0]: 1.0}
    for genre in core[1:]:
        preference[genre] = draws.uniform(0.3, 0.8)
    total = sum(preference.values())
    exponent = draws.uniform(*ZIPF_EXPONENT)

    chosen: list[tuple[int, float]] = []
    taken: set[int] = set()

    def add(artists: list[int], affinity: float, zipf: float) -> None:
        for artist in artists:
            taken.add(artist)
            rank = cat.genre_artists[cat.genre_of[artist]].index(artist)
            score = math.log(affinity) - 0.7 * zipf * math.log(rank + 1) + draws.gumbel()
            chosen.append((artist, score))

    overflow = 0
    for genre, pref in preference.items():
        want = round(n_core * pref / total)
        cap = int(GENRE_CAP * len(cat.genre_artists[genre]))
        overflow += max(0, want - cap)
        add(_draw_from_genre(draws, cat, genre, min(want, cap), exponent, taken), pref, exponent)

    spill_genres = [a for g in core for a in GENRES[g]["adjacent"] if a not in preference]
    n_spill += overflow
    if spill_genres:
        per_genre: dict[str, int] = {}
        for _ in range(n_spill):
            genre = spill_genres[int(draws.uniform(0, len(spill_genres)))]
            per_genre[genre] = per_genre.get(genre, 0) + 1
        for genre in sorted(per_genre, key=spill_genres.index):
            picked = _draw_from_genre(draws, cat, genre, per_genre[genre], SPILL_EXPONENT, taken)
            add(picked, 0.25, SPILL_EXPONENT)

    for _ in range(n_noise):
        artist = draws.index(cat.popularity_cum)
        if artist not in taken:
            add([artist], 0.15, 1.0)
    return chosen


def _plays(draws: Draws, count: int) -> list[int]:
    """``count`` play counts for one user, largest first."""
    activity = math.log(PLAYS_MEDIAN) + ACTIVITY_SPREAD * draws.normal()
    plays = [
        max(1, round(math.exp(activity + PLAYS_SPREAD * draws.normal()))) for _ in range(count)
    ]
    return sorted(plays, reverse=True)


def _spelling(draws: Draws, cat: Catalogue, artist: int, avoid: str | None = None) -> str:
    spellings, cumulative = cat.variant_cum[artist]
    if avoid is None:
        return spellings[draws.index(cumulative)]
    others = [s for s in spellings if s != avoid]
    return others[int(draws.uniform(0, len(others)))]


def _country(draws: Draws, cat: Catalogue, genre: str) -> str:
    share, biased = GENRES[genre]["countries"]
    if biased and draws.chance(share):
        return str(draws.pick(list(biased.items())))
    return cat.countries[draws.index(cat.country_cum)]


def _signup(draws: Draws) -> str:
    year = int(draws.pick(SIGNUP_YEARS))
    last_month = 10 if year == 2009 else 12  # the 360K data was collected late in 2009
    month = int(draws.uniform(0, last_month))
    day = 1 + int(draws.uniform(0, DAYS_IN_MONTH[month]))
    return f"{MONTHS[month]} {day}, {year}"


def _profile(draws: Draws, cat: Catalogue, genre: str) -> tuple[str, str, str, str]:
    female = FEMALE_LEANING.get(genre)
    if female is not None and not draws.chance(0.1):
        gender = "f" if draws.chance(female) else "m"
    else:
        gender = str(draws.pick(GENDERS))
    if draws.chance(JUNK_AGE_CHANCE):
        age = str(draws.pick(JUNK_AGES))
    elif draws.chance(EMPTY_AGE_CHANCE):
        age = ""
    else:
        age = str(max(13, min(79, 14 + round(9.0 * math.exp(0.55 * draws.normal())))))
    return gender, age, _country(draws, cat, genre), _signup(draws)


def make_user(draws: Draws, cat: Catalogue, seed: int, index: int) -> User:
    sha1 = hashlib.sha1(f"lastfm-360k-sample:{seed}:{index}".encode()).hexdigest()
    core = _core_genres(draws, cat)
    chosen = sorted(_choose_artists(draws, cat, core), key=lambda pair: -pair[1])
    rows: list[tuple[str, str, int]] = []
    for (artist, _), plays in zip(chosen, _plays(draws, len(chosen)), strict=True):
        mbid = cat.mbids[artist]
        if artist not in cat.variant_cum:
            rows.append((mbid, cat.names[artist], plays))
            continue
        name = _spelling(draws, cat, artist)
        rows.append((mbid, name, plays))
        if draws.chance(SECOND_SPELLING_CHANCE):
            other = _spelling(draws, cat, artist, avoid=name)
            rows.append((mbid, other, max(1, round(plays * draws.uniform(0.02, 0.4)))))
    rows = [(mbid if not draws.chance(EMPTY_MBID_CHANCE) else "", n, p) for mbid, n, p in rows]
    return User(sha1, rows, _profile(draws, cat, core[0]))


def _add_quirks(draws: Draws, users: list[User]) -> None:
    """A handful of rows with an empty artist name, and a few duplicated rows."""
    for _ in range(EMPTY_NAME_ROWS):
        user = users[int(draws.uniform(0, len(users)))]
        i = int(draws.uniform(0, len(user.rows)))
        mbid, _, plays = user.rows[i]
        if mbid:  # keep the row identifiable by its MBID
            user.rows[i] = (mbid, "", plays)
    for _ in range(DUPLICATE_ROWS):
        user = users[int(draws.uniform(0, len(users)))]
        mbid, name, plays = user.rows[int(draws.uniform(0, len(user.rows)))]
        if name:
            user.rows.append((mbid, name, max(1, round(plays * draws.uniform(0.05, 1.0)))))


def generate(seed: int, n_users: int) -> list[User]:
    """All users, sorted by their SHA-1 like the original files."""
    draws = Draws(seed)
    cat = Catalogue.build()
    users = [make_user(draws, cat, seed, i) for i in range(n_users)]
    _add_quirks(draws, users)
    for user in users:
        user.rows.sort(key=lambda row: (-row[2], row[1], row[0]))
    return sorted(users, key=lambda user: user.sha1)


def _readme(seed: int, n_users: int) -> str:
    return (
        "Embedded sample in the format of the Last.fm Dataset 360K (Celma, 2010)\n"
        "=======================================================================\n\n"
        "SYNTHETIC DATA. Generated by scripts/make_sample.py "
        f"(seed {seed}, {n_users} users) from a hand-curated\n"
        "catalogue of real artist names grouped by genre. No row comes from Last.fm: users,\n"
        "listening histories, play counts and profiles are invented, and the MusicBrainz ids\n"
        "are synthetic (uuid5 of the artist name), not real MusicBrainz identifiers.\n\n"
        f"{PLAYS_FILE}: user sha1, artist mbid (may be empty), artist name (may be empty),\n"
        "plays. Tab-separated, no header, rows grouped by user.\n"
        f"{PROFILE_FILE}: user sha1, gender (m/f/empty), age (may be empty or junk),\n"
        "country, signup date. Tab-separated, no header.\n"
    )


def _tar_entry(name: str, data: bytes | None = None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = TAR_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = len(data)
        info.mode = 0o644
    return info


def build_archive(users: list[User], seed: int, n_users: int) -> bytes:
    """The .tar.gz bytes; entries sorted, fixed metadata, no name or time in the gzip header."""
    plays = "".join(
        f"{user.sha1}\t{mbid}\t{name}\t{count}\n"
        for user in users
        for mbid, name, count in user.rows
    )
    profiles = "".join(f"{user.sha1}\t" + "\t".join(user.profile) + "\n" for user in users)
    files = {
        README_FILE: _readme(seed, n_users),
        PLAYS_FILE: plays,
        PROFILE_FILE: profiles,
    }
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(_tar_entry(ARCHIVE_DIR))
        for name in sorted(files):
            data = files[name].encode("utf-8")
            tar.addfile(_tar_entry(f"{ARCHIVE_DIR}/{name}", data), io.BytesIO(data))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, compresslevel=9, mtime=0) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--users", type=int, default=DEFAULT_USERS, help="number of users (at least 1)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the .tar.gz to write")
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error("--users must be at least 1")

    started = time.perf_counter()
    users = generate(args.seed, args.users)
    archive = build_archive(users, args.seed, args.users)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(archive)

    rows = sum(len(user.rows) for user in users)
    mbids = {mbid for user in users for mbid, _, _ in user.rows if mbid}
    names = {name for user in users for _, name, _ in user.rows if name}
    print(
        f"{args.output}: {len(users):,} users, {rows:,} rows, {len(mbids):,} artists "
        f"({len(names):,} distinct names), {len(archive) / 1e6:.2f} MB, "
        f"seed {args.seed}, {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
