"""Filters and the matrix: the classic analysis's popularity + country filters end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

from recommender.errors import EmptyResultError, InputError
from recommender.filters import FilterOptions, apply_filters
from recommender.matrix import build_matrix, listeners, normalise_rows
from recommender.neighbors import compute_neighbors
from recommender.readers import read_lastfm360k

COUNTRIES = ["United States", "Germany", "United States", "Brazil", "United States", "Japan"]


@pytest.fixture
def folder(tmp_path):
    """A 360K-format folder: 6 users, 8 artists with spread-out total plays."""
    rng = np.random.default_rng(5)
    users = [f"{i:040x}" for i in range(len(COUNTRIES))]
    rows = []
    for u, user in enumerate(users):
        for artist in rng.choice(8, size=5, replace=False):
            rows.append(f"{user}\t\tartist {artist}\t{int(10 ** (1 + artist / 2) * (u + 1))}")
    rows.append(rows[0].rsplit("\t", 1)[0] + "\t5")  # a duplicated (user, artist) pair
    (tmp_path / "usersha1-artmbid-artname-plays.tsv").write_text("\n".join(rows) + "\n")
    profiles = [f"{u}\tm\t20\t{c}\tFeb 1, 2007" for u, c in zip(users, COUNTRIES, strict=True)]
    (tmp_path / "usersha1-profile.tsv").write_text("\n".join(profiles) + "\n")
    return tmp_path


def classic_pipeline(folder, threshold: int, country: str):
    """The classic analysis as published, in pandas, on the same files (small data only)."""
    plays = pd.read_table(
        folder / "usersha1-artmbid-artname-plays.tsv",
        header=None,
        names=["user", "mbid", "artist", "plays"],
        usecols=[0, 2, 3],
    )
    profiles = pd.read_table(
        folder / "usersha1-profile.tsv",
        header=None,
        names=["user", "gender", "age", "country", "signup"],
        usecols=["user", "country"],
    )
    plays = plays.dropna(subset=["artist"])
    totals = plays.groupby("artist")["plays"].sum().rename("total").reset_index()
    popular = plays.merge(totals, on="artist").query("total >= @threshold")
    local = popular.merge(profiles, on="user").query("country == @country")
    local = local.drop_duplicates(["user", "artist"])
    pivot = local.pivot(index="artist", columns="user", values="plays").fillna(0)
    return pivot.index.tolist(), sp.csr_matrix(np.sign(pivot.values))


def test_popularity_and_country_filters_match_the_classic_pipeline(folder):
    table = read_lastfm360k(folder)
    filtered = apply_filters(table, FilterOptions(1_000, ("united states",)))
    matrix, _ = build_matrix(filtered)

    names, reference = classic_pipeline(folder, 1_000, "United States")
    assert sorted(filtered.artist_names) == names
    assert filtered.n_users == reference.shape[1]
    assert matrix.nnz == reference.nnz
    order = [list(filtered.artist_names).index(n) for n in names]
    ours = compute_neighbors(normalise_rows(matrix[order]), 3)
    brute = NearestNeighbors(metric="cosine", algorithm="brute").fit(reference)
    distances, _ = brute.kneighbors(reference, n_neighbors=min(4, len(names)))
    for row in range(len(names)):
        _, got = ours.row(row, 3)
        expected = [d for d in distances[row][1:] if d < 1 - 1e-9][: got.size]
        np.testing.assert_allclose(got, expected, atol=1e-6)


def test_drops_are_counted_by_reason(folder):
    table = read_lastfm360k(folder)
    before = table.n_rows
    filtered = apply_filters(table, FilterOptions(1_000, ("United States",)))
    dropped = table.dropped.as_dict()
    assert sum(dropped.values()) == before - filtered.n_rows
    assert set(dropped) == {"artist below 1,000 total plays", "user not in the chosen countries"}


def test_country_without_profiles_says_why(folder):
    table = read_lastfm360k(folder / "usersha1-artmbid-artname-plays.tsv")
    with pytest.raises(InputError, match="--country needs user profiles"):
        apply_filters(table, FilterOptions(0, ("Germany",)))


def test_unknown_country_suggests_spelling(folder):
    with pytest.raises(InputError, match="Did you mean 'United States'"):
        apply_filters(read_lastfm360k(folder), FilterOptions(0, ("United Sates",)))


def test_filter_that_leaves_nothing(folder):
    with pytest.raises(EmptyResultError, match="Lower --min-artist-plays"):
        apply_filters(read_lastfm360k(folder), FilterOptions(10**12))


def test_matrix_weighting_and_duplicates(folder):
    table = read_lastfm360k(folder)
    binary, duplicates = build_matrix(table, "binary")
    plays, _ = build_matrix(table, "plays")

    assert duplicates == 1
    assert set(np.unique(binary.data)) == {1.0}
    assert plays.sum() == table.plays.sum()  # duplicates summed, nothing lost
    assert listeners(binary).sum() == binary.nnz
    norms = np.sqrt(normalise_rows(plays).multiply(normalise_rows(plays)).sum(axis=1)).A1
    np.testing.assert_allclose(norms, 1.0)


def test_unknown_weighting_is_refused(folder):
    with pytest.raises(ValueError, match="weighting must be one of"):
        build_matrix(read_lastfm360k(folder), "tfidf-ish")
