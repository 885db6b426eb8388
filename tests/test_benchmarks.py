"""The benchmark tools at a tiny scale: generated data format, determinism, the classic pipeline.

Never asserts timings: the benchmark itself reports those.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import classic, generate, measure, typos

SCALE = 0.001
SEED = 7

SHA1 = re.compile(r"[0-9a-f]{40}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SIGNUP = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [1-9]\d?, 20\d\d")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path, n_columns: int) -> pd.DataFrame:
    return pd.read_csv(
        path, sep="\t", header=None, dtype=str, keep_default_na=False, quoting=3
    ).set_axis(range(n_columns), axis=1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, generate.Manifest]:
    root = tmp_path_factory.mktemp("synthetic")
    manifest = generate.generate(root, SCALE, SEED, tarball=True)
    return root, manifest


@pytest.fixture(scope="module")
def plays(dataset: tuple[Path, generate.Manifest]) -> pd.DataFrame:
    root, _ = dataset
    return _read(root / generate.FOLDER / generate.PLAYS_FILE, 4)


@pytest.fixture(scope="module")
def profiles(dataset: tuple[Path, generate.Manifest]) -> pd.DataFrame:
    root, _ = dataset
    return _read(root / generate.FOLDER / generate.PROFILE_FILE, 5)


def test_sizes_follow_the_scale(dataset: tuple[Path, generate.Manifest], plays: pd.DataFrame):
    _, manifest = dataset
    users, rows = generate.sizes(SCALE)

    assert (manifest.users, manifest.rows) == (users, rows) == (359, 17_560)
    assert len(plays) == rows
    assert plays[0].nunique() == users
    assert 40 < rows / users < 55


def test_plays_file_has_the_360k_columns(plays: pd.DataFrame):
    assert plays[0].str.fullmatch(SHA1).all()
    mbid = plays[1]
    assert (mbid.str.fullmatch(UUID) | (mbid == "")).all()
    assert 0 < (mbid == "").mean() < 0.5
    assert plays[3].str.fullmatch(r"\d+").all()
    assert (plays[3].astype(int) >= 1).all()
    assert (plays[2] == "").sum() >= 1, "a few names are missing, as in the real file"


def test_rows_are_grouped_by_user_and_ordered_by_plays(plays: pd.DataFrame):
    user = plays[0].to_numpy()
    starts = np.flatnonzero(np.r_[True, user[1:] != user[:-1]])
    assert starts.size == len(set(user)), "each user's rows form one block"
    assert list(user[starts]) == sorted(user[starts])

    count = plays[3].astype(int).to_numpy()
    same_user = user[1:] == user[:-1]
    assert (count[1:][same_user] <= count[:-1][same_user]).all()


def test_a_few_user_artist_pairs_repeat(dataset: tuple[Path, generate.Manifest], plays):
    _, manifest = dataset
    named = plays[plays[2] != ""]
    repeated = int(named.duplicated([0, 2]).sum())

    assert repeated == manifest.repeated_pairs
    assert 1 <= repeated <= 10


def test_profiles_have_one_row_per_user(profiles: pd.DataFrame, plays: pd.DataFrame):
    assert profiles[0].is_unique
    assert set(profiles[0]) == set(plays[0])
    assert set(profiles[1]) <= {"m", "f", ""}
    assert profiles[4].str.fullmatch(SIGNUP).all()
    assert 0.1 < (profiles[3] == "United States").mean() < 0.3
    assert (profiles[2] == "").any()
    assert profiles[3].nunique() > 20


def test_artist_plays_are_heavy_tailed(dataset: tuple[Path, generate.Manifest], plays):
    _, manifest = dataset
    named = plays[plays[2] != ""]
    totals = named[3].astype(int).groupby(named[2]).sum()
    quantiles = manifest.artist_plays_quantiles

    assert totals.max() == quantiles["max"]
    assert totals.median() == pytest.approx(quantiles["50%"])
    # A 0.1% sample of users keeps the head of the full curve (max ~30M plays) in proportion.
    assert 10e6 < totals.max() / SCALE < 60e6
    assert totals.quantile(0.99) > 20 * totals.median()


def test_same_seed_same_bytes_other_seed_other_bytes(
    dataset: tuple[Path, generate.Manifest], tmp_path: Path
):
    root, _ = dataset
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate.generate(again, SCALE, SEED)
    generate.generate(other, SCALE, SEED + 1)

    for name in (generate.PLAYS_FILE, generate.PROFILE_FILE):
        original = _digest(root / generate.FOLDER / name)
        assert _digest(again / generate.FOLDER / name) == original
        assert _digest(other / generate.FOLDER / name) != original


def test_tarball_holds_the_folder(dataset: tuple[Path, generate.Manifest]):
    import tarfile

    root, _ = dataset
    with tarfile.open(root / generate.TARBALL) as archive:
        names = set(archive.getnames())

    assert f"{generate.FOLDER}/{generate.PLAYS_FILE}" in names
    assert f"{generate.FOLDER}/{generate.PROFILE_FILE}" in names


@pytest.mark.parametrize("scale", [0, -0.1, 1.5], ids=["zero", "negative", "above-one"])
def test_scale_out_of_range_is_refused(scale: float):
    with pytest.raises(ValueError, match=r"Expected a scale in \(0, 1\]"):
        generate.sizes(scale)


def test_classic_pipeline_runs_on_generated_data(dataset: tuple[Path, generate.Manifest]):
    root, _ = dataset
    summary = classic.run(root / generate.FOLDER, threshold=40, country="United States")

    assert summary["artists"] > 10
    assert summary["nnz"] == summary["rows_kept"]
    assert len(summary["neighbors"]) == 5
    assert all(0 <= distance <= 1 + 1e-9 for _, distance in summary["neighbors"])


ALLOCATE = "import json; block = bytearray(300 * 2**20); print(json.dumps({'size': len(block)}))"


def test_measure_takes_the_childs_peak_memory_and_output():
    run = measure.run([sys.executable, "-c", ALLOCATE])

    assert run.ok
    assert run.peak_rss_bytes >= 300 * 2**20
    assert run.output == {"size": 300 * 2**20}
    assert run.cpu_seconds > 0


def test_measure_caps_the_childs_address_space():
    run = measure.run([sys.executable, "-c", ALLOCATE], memory_limit=200 * 2**20)

    assert not run.ok
    assert "MemoryError" in run.stderr_tail


def test_typos_are_one_edit_away_and_reproducible():
    from rapidfuzz.distance import OSA

    names = ["radiohead", "the black keys", "die Ärzte", "sigur rós", "ab cd"] * 20
    first = typos.typos(names, seed=3)

    assert first == typos.typos(names, seed=3)
    assert first != typos.typos(names, seed=4)
    for typo in first:
        assert OSA.distance(typo.query, typo.artist) == 1, typo
        assert typo.query[0] == typo.artist[0]
        assert typo.query.count(" ") == typo.artist.count(" ")
    assert {typo.edit for typo in first} == set(typos.EDITS)


@pytest.mark.slow
def test_benchmark_runs_end_to_end_at_a_tiny_scale(tmp_path: Path):
    from benchmarks import runner

    results, chart = tmp_path / "RESULTS.md", tmp_path / "ratios.png"
    runner.main(
        [
            "--scale", "0.0005", "--repeat", "1", "--queries", "12", "--baseline-queries", "4",
            "--cold-starts", "1", "--cache", str(tmp_path / "cache"),
            "--results", str(results), "--chart", str(chart),
        ]
    )  # fmt: skip

    text = results.read_text()
    for heading in ("## Targets", "## Build: A", "## Build: B on the whole", "## Query side"):
        assert heading in text
    assert "**median**" in text
    assert chart.read_bytes().startswith(b"\x89PNG")
    raw = json.loads((tmp_path / "cache" / "results-scale0.0005.json").read_text())
    pair = raw["rounds"][0]
    assert pair["classic"]["returncode"] == 0, pair["classic"]["stderr_tail"]
    assert pair["filtered"]["returncode"] == 0, pair["filtered"]["stderr_tail"]
    assert pair["catalogue"]["returncode"] == 0, pair["catalogue"]["stderr_tail"]
    assert pair["filtered"]["peak_rss_bytes"] > 0
    assert raw["summary"]["classic_shape"] == raw["summary"]["filtered"]["shape"]
    assert raw["queries"]["catalogue"]["exact_similar"]["n"] == 12


def test_report_states_the_floor_cpu_time_puts_under_the_build():
    from benchmarks import report

    result = {
        "meta": {"machine": {"cores": 2}},
        "summary": {"classic": {"wall_seconds": 60.0}, "filtered": {"cpu_seconds": 9.0}},
    }
    assert report._cpu_floor(result) == [
        "- B's CPU time over 2 cores: 4.50 s, the least B's wall time could be; "
        "the target (15x) allows A / 15 = 4.00 s"
    ]
    del result["summary"]["classic"]  # without A (--skip-classic) there is no budget to state
    assert report._cpu_floor(result) == []
