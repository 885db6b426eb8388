"""Pipeline A: the classic "Last.fm 360K item-based CF with scikit-learn" recipe, re-implemented.

This is the baseline the benchmark measures our build against, so it keeps the recipe's shape
on purpose, costs included: pandas tables merged on strings, a *dense* artist x user pivot,
``np.sign`` over it, then ``csr_matrix`` and a brute-force cosine ``NearestNeighbors`` with one
``kneighbors`` query. Do not optimise it.

Usage::

    python -m benchmarks.classic --input DIR [--min-artist-plays 40000]
        [--country "United States"] [--json]

``DIR`` holds ``usersha1-artmbid-artname-plays.tsv`` and ``usersha1-profile.tsv``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from sklearn.neighbors import NearestNeighbors

logger = logging.getLogger(__name__)

PLAYS_COLUMNS = ["users", "musicbrainz-artist-id", "artist-name", "plays"]
PROFILE_COLUMNS = ["users", "gender", "age", "country", "signup"]


class Stages:
    """Wall-clock seconds per named stage, in the order they ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, name: str, step: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        result = step(*args)
        self.seconds[name] = round(time.perf_counter() - started, 3)
        logger.info("%s: %.2f s", name, self.seconds[name])
        return result


def read_plays(folder: Path) -> pd.DataFrame:
    return pd.read_table(
        folder / "usersha1-artmbid-artname-plays.tsv",
        header=None,
        names=PLAYS_COLUMNS,
        usecols=["users", "artist-name", "plays"],
    )


def read_profiles(folder: Path) -> pd.DataFrame:
    return pd.read_table(
        folder / "usersha1-profile.tsv",
        header=None,
        names=PROFILE_COLUMNS,
        usecols=["users", "country"],
    )


def popular_artists(plays: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Drop rows without a name, add each artist's total plays, keep the popular artists."""
    plays = plays.dropna(axis=0, subset=["artist-name"])
    totals = (
        plays.groupby(by=["artist-name"])["plays"]
        .sum()
        .reset_index()
        .rename(columns={"plays": "total_artist_plays"})
    )
    with_totals = plays.merge(totals, left_on="artist-name", right_on="artist-name", how="left")
    return with_totals.query("total_artist_plays >= @threshold")


def in_country(plays: pd.DataFrame, profiles: pd.DataFrame, country: str | None) -> pd.DataFrame:
    """Join user profiles, keep one country (all when None), drop repeated (user, artist)."""
    combined = plays.merge(profiles, left_on="users", right_on="users", how="left")
    if country is not None:
        combined = combined.query("country == @country")
    return combined.drop_duplicates(["users", "artist-name"])


def pivot_binary(plays: pd.DataFrame) -> pd.DataFrame:
    """Dense artist x user table of plays, zeros filled in, then 0/1 by ``np.sign``."""
    wide = plays.pivot(index="artist-name", columns="users", values="plays").fillna(0)
    return wide.apply(np.sign)


def fit(wide: pd.DataFrame) -> tuple[NearestNeighbors, csr_matrix]:
    matrix = csr_matrix(wide.values)
    model = NearestNeighbors(metric="cosine", algorithm="brute")
    model.fit(matrix)
    return model, matrix


def query(wide: pd.DataFrame, model: NearestNeighbors, row: int) -> list[tuple[str, float]]:
    """Return the query artist's five nearest neighbours (k=6 includes the artist itself)."""
    vector = wide.iloc[row, :].values.reshape(1, -1)
    distances, indices = model.kneighbors(vector, n_neighbors=6)
    names = wide.index[indices.ravel()]
    return [(str(name), float(d)) for name, d in zip(names, distances.ravel(), strict=True)][1:]


def run(folder: Path, threshold: int, country: str | None, seed: int = 0) -> dict[str, Any]:
    """Run the whole recipe and return stage timings, sizes and the sample query's answer."""
    stages = Stages()
    plays = stages.run("read plays", read_plays, folder)
    profiles = stages.run("read profiles", read_profiles, folder)
    n_rows = len(plays)
    popular = stages.run("popularity filter", popular_artists, plays, threshold)
    del plays
    kept = stages.run("country filter", in_country, popular, profiles, country)
    del popular
    wide = stages.run("dense pivot + sign", pivot_binary, kept)
    model, matrix = stages.run("csr + fit", fit, wide)
    row = int(np.random.default_rng(seed).integers(0, wide.shape[0])) if len(wide) else 0
    neighbours = stages.run("kneighbors", query, wide, model, row) if len(wide) else []
    return {
        "pipeline": "classic",
        "pandas": pd.__version__,
        "rows_read": n_rows,
        "rows_kept": len(kept),
        "artists": int(wide.shape[0]),
        "users": int(wide.shape[1]),
        "nnz": int(matrix.nnz),
        "dense_bytes": int(wide.values.nbytes),
        "query": str(wide.index[row]) if len(wide) else None,
        "neighbors": neighbours,
        "stages": stages.seconds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classic")
    parser.add_argument("--input", type=Path, required=True, help="folder with the two TSVs")
    parser.add_argument("--min-artist-plays", type=int, default=40_000)
    parser.add_argument("--country", default="United States", help="'' keeps every country")
    parser.add_argument("--seed", type=int, default=0, help="picks the sample query artist")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    summary = run(args.input, args.min_artist_plays, args.country or None, args.seed)
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{summary['artists']} artists x {summary['users']} users; "
            f"neighbours of {summary['query']!r}: {summary['neighbors']}"
        )


if __name__ == "__main__":
    main()
