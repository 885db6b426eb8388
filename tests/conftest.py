"""Fixtures shared across the suite: real data locations and small generated datasets."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HETREC_DIR = SHARED_DATA / "hetrec2011-lastfm-2k"
PROFILE_SAMPLE = SHARED_DATA / "lastfm-360k-sample" / "usersha1-profile.first1000.tsv"


@pytest.fixture(scope="session")
def hetrec_dir() -> Path:
    """The real HetRec 2011 Last.fm 2K folder, or a skip saying why it is missing."""
    if not (HETREC_DIR / "user_artists.dat").is_file():
        pytest.skip(f"real HetRec 2011 data not found at {HETREC_DIR} (../shared/data is absent)")
    return HETREC_DIR


@pytest.fixture(scope="session")
def profile_sample() -> Path:
    """The first 1,000 rows of the real 360K profile file, or a skip."""
    if not PROFILE_SAMPLE.is_file():
        pytest.skip(f"real 360K profile excerpt not found at {PROFILE_SAMPLE}")
    return PROFILE_SAMPLE


@pytest.fixture
def write_text(tmp_path: Path) -> Callable[[str, str | Iterable[str]], Path]:
    """Write a text file under tmp_path from a string or lines (joined with newlines)."""

    def write(name: str, content: str | Iterable[str]) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else "\n".join(content) + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    return write


PlaysRow = tuple[str, str, int]


@pytest.fixture(scope="session")
def build_plays_model(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str, Iterable[PlaysRow]], Path]:
    """Build a model from ``(user, artist, plays)`` rows with ``python -m recommender.build``.

    The rows are written as a CSV file (header ``user,artist,plays``) in a fresh folder named
    after ``name``; the build runs in-process through the command line's own ``main``, with
    plain cosine (``--shrinkage 0``) so that distances are the ones worked out by hand.
    Returns the model path.
    """
    from recommender import build

    def make(name: str, rows: Iterable[PlaysRow]) -> Path:
        folder = tmp_path_factory.mktemp(name)
        source = folder / "plays.csv"
        with source.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["user", "artist", "plays"])
            writer.writerows(rows)
        output = folder / "model.joblib"
        argv = ["--format", "plays", "--input", str(source), "--output", str(output)]
        argv += ["--shrinkage", "0"]
        assert build.main([*argv, "--no-progress"]) == 0
        return output

    return make


@pytest.fixture(scope="session")
def hetrec_model(hetrec_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model built once from the real HetRec 2011 data (skipped when the data is absent)."""
    from recommender import build

    output = tmp_path_factory.mktemp("hetrec-model") / "model.joblib"
    argv = ["--format", "hetrec2011", "--input", str(hetrec_dir), "--output", str(output)]
    assert build.main([*argv, "--no-progress"]) == 0
    return output
