"""The command-line tools: exit codes, text and JSON output, and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from recommender import build as build_cli
from recommender import cli
from recommender import matches as matches_cli
from recommender import similar as similar_cli


def run_main(module, argv: list[str], monkeypatch) -> int:
    """Run an entry point as ``python -m`` would, returning its exit code."""
    monkeypatch.setattr(sys, "argv", ["prog", *argv])
    with pytest.raises(SystemExit) as exited:
        cli.run(module.main)
    return int(exited.value.code)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "model.joblib"
    assert build_cli.main(["--output", str(path), "--no-progress", "--neighbors", "20"]) == 0
    return path


def test_build_prints_a_summary(tmp_path, capsys):
    output = tmp_path / "m.joblib"
    assert build_cli.main(["--output", str(output), "--no-progress"]) == 0
    text = capsys.readouterr().out
    for label in [
        "rows read",
        "dropped",
        "users",
        "artists",
        "nonzeros",
        "seconds",
        "peak memory",
        "model size",
    ]:
        assert label in text
    assert output.is_file()


def test_build_json_summary(tmp_path, capsys):
    output = tmp_path / "m.joblib"
    assert build_cli.main(["--output", str(output), "--json", "--min-artist-plays", "5000"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["output"] == str(output)
    assert report["dropped"]["artist below 5,000 total plays"] > 0
    assert set(report["stage_seconds"]) == {
        "read",
        "filter",
        "matrix",
        "neighbours",
        "names",
        "save",
    }
    assert report["output_bytes"] == output.stat().st_size


def test_build_hetrec(hetrec_dir, tmp_path, capsys):
    output = tmp_path / "h.joblib"
    argv = ["--format", "hetrec2011", "--input", str(hetrec_dir), "--output", str(output)]
    assert build_cli.main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["artists"] == 17_632


def test_similar_text_and_json(model, capsys):
    assert similar_cli.main(["arctic monkeys", "-k", "3", "--model", str(model)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Recommendations for arctic monkeys:")
    assert "distance 0." in text

    assert similar_cli.main(["artic monkeys", "-k", "3", "--model", str(model), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"query", "artist", "candidates", "neighbors"}
    assert payload["query"] == "artic monkeys"
    assert payload["artist"] == "arctic monkeys"
    assert len(payload["neighbors"]) == 3
    distances = [n["distance"] for n in payload["neighbors"]]
    assert distances == sorted(distances)


def test_similar_unresolved_is_null_and_non_zero(model, capsys):
    code = similar_cli.main(["zzqxv wvvq", "--model", str(model), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == cli.EXIT_NOT_FOUND
    assert payload["artist"] is None
    assert payload["neighbors"] == []


def test_similar_suggests_matches_when_nothing_matches(model, capsys):
    assert similar_cli.main(["zzqxv wvvq", "--model", str(model)]) == cli.EXIT_NOT_FOUND
    assert "python -m recommender.matches" in capsys.readouterr().out


def test_matches_json_has_empty_neighbours(model, capsys):
    assert matches_cli.main(["artic monkeys", "--model", str(model), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["neighbors"] == []
    assert payload["candidates"][0] == {"artist": "arctic monkeys", "score": pytest.approx(96.3)}


@pytest.mark.parametrize("k", ["0", "-3", "ten"])
def test_bad_k_is_a_usage_error(model, monkeypatch, capsys, k):
    code = run_main(similar_cli, ["nirvana", "-k", k, "--model", str(model)], monkeypatch)
    assert code == cli.EXIT_USAGE
    assert "argument -k" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--input", "nowhere/at/all"], "no such file or folder", id="missing-path"),
        pytest.param(
            ["--min-artist-plays", "999999999999"],
            "The filters left nothing",
            id="filter-leaves-nothing",
        ),
        pytest.param(
            ["--country", "Germany", "--format", "plays", "--input", "x.csv"],
            "--country needs user profiles",
            id="country-without-profiles",
        ),
    ],
)
def test_build_errors_leave_the_previous_model(model, monkeypatch, capsys, argv, message):
    before = model.read_bytes()
    code = run_main(build_cli, [*argv, "--output", str(model), "--no-progress"], monkeypatch)
    assert code in (cli.EXIT_ERROR, cli.EXIT_USAGE)
    assert message in capsys.readouterr().err
    assert model.read_bytes() == before


def test_build_strict_names_the_line(tmp_path, monkeypatch, capsys):
    plays = tmp_path / "plays.csv"
    plays.write_text("user,artist,plays\nu1,a,3\nu2,b,lots\n")
    argv = [
        "--format",
        "plays",
        "--input",
        str(plays),
        "--strict",
        "--output",
        str(tmp_path / "m.joblib"),
    ]
    assert run_main(build_cli, argv, monkeypatch) == cli.EXIT_ERROR
    assert f"{plays}, line 3: plays missing or not a number" in capsys.readouterr().err
    assert not (tmp_path / "m.joblib").exists()


def test_missing_model_says_how_to_build(tmp_path, monkeypatch, capsys):
    argv = ["nirvana", "--model", str(tmp_path / "none.joblib")]
    assert run_main(similar_cli, argv, monkeypatch) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: No model at")
    assert "python -m recommender.build" in err
    assert "Traceback" not in err


def test_entry_points_run_as_modules(model):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recommender.similar",
            "metallica",
            "-k",
            "2",
            "--model",
            str(model),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["artist"] == "metallica"
