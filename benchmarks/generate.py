"""Generate a synthetic data set in the exact format of Last.fm 360K, deterministic from a seed.

Usage::

    python -m benchmarks.generate --scale 0.01 --seed 360 --output /tmp/lastfm [--tar]

writes ``lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv`` and
``lastfm-dataset-360K/usersha1-profile.tsv`` (no headers, tab separated, as the real files),
optionally ``lastfm-dataset-360K.tar.gz`` holding that folder, ``artist-genres.tsv`` (the
hidden taste structure, for checking neighbours) and ``manifest.json``, written last.
"""

from __future__ import annotations

import argparse
import json
import logging
import tarfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from benchmarks import synth_listens, synth_names, synth_profiles

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 1
FOLDER = "lastfm-dataset-360K"
PLAYS_FILE = "usersha1-artmbid-artname-plays.tsv"
PROFILE_FILE = "usersha1-profile.tsv"
TARBALL = "lastfm-dataset-360K.tar.gz"
GENRES_FILE = "artist-genres.tsv"
MANIFEST = "manifest.json"
CACHE_DIR = Path(__file__).resolve().parent / ".cache"

_CHUNK_ROWS = 1 << 20
_TSV = pcsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What was generated, read back to reuse a cached data set."""

    generator_version: int
    scale: float
    seed: int
    users: int
    rows: int
    artists: int
    repeated_pairs: int
    missing_names: int
    us_share: float
    artist_plays_quantiles: dict[str, float]
    plays_bytes: int
    seconds: float
    tarball: bool

    def folder(self, root: Path) -> Path:
        return root / FOLDER


def sizes(scale: float) -> tuple[int, int]:
    """Return (users, rows) at ``scale``, a fraction of the full data set."""
    if not 0 < scale <= 1:
        msg = f"Expected a scale in (0, 1], but got {scale}."
        raise ValueError(msg)
    users = max(2, round(synth_listens.FULL_USERS * scale))
    rows = max(users, round(synth_listens.FULL_ROWS * scale))
    return users, rows


def _string_array(values: np.ndarray, nulls_at_end: int = 0) -> pa.Array:
    array = pa.array(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_binary(array.type):
        array = array.cast(pa.string())
    if nulls_at_end:
        array = pa.concat_arrays([array, pa.nulls(nulls_at_end, pa.string())])
    return array


def _missing_ids(rng: np.random.Generator, n_artists: int) -> np.ndarray:
    """Less known artists more often lack a MusicBrainz id."""
    chance = 0.01 + 0.5 * (np.arange(n_artists) / n_artists) ** 0.5
    return rng.random(n_artists) < chance


def _write_plays(path: Path, listens: synth_listens.Listens, columns: dict[str, pa.Array]) -> None:
    schema = pa.schema(
        [("user", pa.string()), ("mbid", pa.string()), ("name", pa.string()), ("plays", pa.int32())]
    )
    no_artist = len(columns["names"]) - 1
    with pcsv.CSVWriter(path, schema, write_options=_TSV) as writer:
        for start in range(0, listens.user.size, _CHUNK_ROWS):
            part = slice(start, start + _CHUNK_ROWS)
            artist = listens.artist[part]
            named = np.where(artist < 0, no_artist, artist)
            with_id = np.where(artist < 0, -1, columns["artist_ids"][np.maximum(artist, 0)])
            with_id = np.where(listens.duplicate[part], -1, with_id)  # repeats lack the id
            table = pa.table(
                [
                    columns["users"].take(pa.array(listens.user[part])),
                    columns["mbids"].take(pa.array(np.where(with_id < 0, no_artist, with_id))),
                    columns["names"].take(pa.array(named)),
                    pa.array(listens.plays[part]),
                ],
                schema=schema,
            )
            writer.write_table(table)


def _artist_plays_quantiles(listens: synth_listens.Listens) -> dict[str, float]:
    """Quantiles of total plays per artist name, to compare with the real data set."""
    named = listens.artist >= 0
    totals = np.bincount(listens.artist[named], weights=listens.plays[named])
    totals = totals[totals > 0]
    levels = {"50%": 0.5, "90%": 0.9, "97%": 0.97, "99%": 0.99, "max": 1.0}
    return {key: float(np.quantile(totals, level)) for key, level in levels.items()}


def _tar(root: Path) -> None:
    with tarfile.open(root / TARBALL, "w:gz", compresslevel=1) as archive:
        archive.add(root / FOLDER, arcname=FOLDER)


def generate(root: Path, scale: float, seed: int, tarball: bool = False) -> Manifest:
    """Write the synthetic data set under ``root`` and return its manifest."""
    started = time.perf_counter()
    n_users, n_rows = sizes(scale)
    rng = np.random.default_rng([seed, GENERATOR_VERSION])
    world = synth_listens.make_world(rng, synth_listens.world_size(scale))
    n_artists = world.genre.size
    names = synth_names.artist_names(rng, n_artists)
    ids = synth_names.musicbrainz_ids(rng, n_artists)
    missing_id = _missing_ids(rng, n_artists)
    users = _string_array(synth_names.user_ids(rng, n_users))
    listens = synth_listens.generate_listens(rng, world, n_users, n_rows)
    logger.info(
        "drew %d rows for %d users in %.1f s", n_rows, n_users, time.perf_counter() - started
    )

    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    columns = {
        "users": users,
        "names": _string_array(names, nulls_at_end=1),
        "mbids": _string_array(ids, nulls_at_end=1),
        "artist_ids": np.where(missing_id, -1, np.arange(n_artists)),
    }
    _write_plays(folder / PLAYS_FILE, listens, columns)
    profiles = synth_profiles.profile_table(rng, users)
    pcsv.write_csv(profiles, folder / PROFILE_FILE, write_options=_TSV)
    genres = pa.table({"name": columns["names"][:-1], "genre": pa.array(world.genre)})
    pcsv.write_csv(genres, root / GENRES_FILE, write_options=_TSV)
    if tarball:
        _tar(root)

    manifest = Manifest(
        generator_version=GENERATOR_VERSION,
        scale=scale,
        seed=seed,
        users=n_users,
        rows=n_rows,
        artists=int(np.unique(listens.artist[listens.artist >= 0]).size),
        repeated_pairs=int(listens.duplicate.sum()),
        missing_names=int((listens.artist < 0).sum()),
        us_share=round(float(pc.mean(pc.equal(profiles["country"], "United States")).as_py()), 4),
        artist_plays_quantiles=_artist_plays_quantiles(listens),
        plays_bytes=(folder / PLAYS_FILE).stat().st_size,
        seconds=round(time.perf_counter() - started, 2),
        tarball=tarball,
    )
    (root / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    logger.info("wrote %s in %.1f s", root, manifest.seconds)
    return manifest


def read_genres(root: Path) -> dict[str, int]:
    """The hidden genre of every artist name of a generated data set (empty if absent)."""
    path = root / GENRES_FILE
    if not path.exists():
        return {}
    table = pcsv.read_csv(
        path,
        pcsv.ReadOptions(column_names=["name", "genre"]),
        pcsv.ParseOptions(delimiter="\t", quote_char=False),
        pcsv.ConvertOptions(column_types={"name": pa.string(), "genre": pa.int16()}),
    )
    names, genres = table.column("name").to_pylist(), table.column("genre").to_pylist()
    return dict(zip(names, genres, strict=True))


def read_manifest(root: Path) -> Manifest | None:
    """Return the manifest under ``root``, or None when missing or from another version."""
    try:
        data = json.loads((root / MANIFEST).read_text())
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None
    return manifest if manifest.generator_version == GENERATOR_VERSION else None


def cached(scale: float, seed: int, tarball: bool = False, cache: Path = CACHE_DIR) -> Path:
    """Return the folder of a cached data set, generating it first when needed."""
    root = cache / f"lastfm360k-scale{scale:g}-seed{seed}"
    manifest = read_manifest(root)
    if manifest is None:
        generate(root, scale, seed, tarball)
    elif tarball and not (root / TARBALL).exists():
        _tar(root)
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of full size")
    parser.add_argument("--seed", type=int, default=360, help="random seed")
    parser.add_argument("--output", type=Path, required=True, help="folder to write into")
    parser.add_argument("--tar", action="store_true", help=f"also write {TARBALL}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    manifest = generate(args.output, args.scale, args.seed, args.tar)
    print(json.dumps(asdict(manifest), indent=2))


if __name__ == "__main__":
    main()
