"""The evaluation end to end: every method on one split, seeded, and the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from recommender.evaluate import __main__ as evaluate_cli
from recommender.evaluate import experiment
from recommender.evaluate.anchors import implicit_available
from recommender.evaluate.experiment import EvaluationOptions, default_thresholds, evaluate
from recommender.evaluate.methods import REFERENCE, Method, SplitData, recommend, standard_methods
from recommender.evaluate.report import format_markdown, format_text
from recommender.evaluate.split import split_listening, user_artist_plays
from recommender.pipeline import BuildOptions

GENRES = 3
ARTISTS_PER_GENRE = 12


def write_clustered_plays(folder: Path, n_users: int = 90, seed: int = 0) -> Path:
    """Users who each play 7 artists of one genre and one artist of any genre."""
    rng = np.random.default_rng(seed)
    path = folder / "plays.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["user", "artist", "plays"])
        for user in range(n_users):
            genre = user % GENRES
            own = genre * ARTISTS_PER_GENRE + rng.choice(ARTISTS_PER_GENRE, 7, replace=False)
            stray = rng.integers(GENRES * ARTISTS_PER_GENRE)
            for artist in {*own.tolist(), int(stray)}:
                writer.writerow([f"user{user}", f"artist {artist}", int(rng.integers(1, 300))])
    return path


@pytest.fixture(scope="module")
def plays_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clustered_plays(tmp_path_factory.mktemp("clustered"))


def options_for(path: Path, **changes: object) -> EvaluationOptions:
    build = BuildOptions(source_format="plays", input=path)
    return EvaluationOptions(build=build, neighbor_counts=(5, 20), **changes)


def comparable(evaluation: experiment.Evaluation) -> list[dict[str, object]]:
    """The results without timings."""
    return [
        {r.name: {k: v.to_json() for k, v in r.metrics.items()} | {"cov": r.coverage}}
        for split in evaluation.splits
        for r in split.results
    ]


def test_every_method_is_scored_on_both_splits(plays_file):
    evaluation = evaluate(options_for(plays_file, anchors=False))

    assert [s.split["split"] for s in evaluation.splits] == ["leave-one-out", "holdout"]
    for split in evaluation.splits:
        names = [r.name for r in split.results]
        assert names[0] == REFERENCE.name
        assert {"most popular", "random", "binary cosine k=20"} <= set(names)
        by_name = {r.name: r for r in split.results}
        reference = by_name[REFERENCE.name]
        assert reference.difference["hr@10"].mean == 0.0
        # Rows scored from one artist are compared with the plain table read the same way.
        one_artist = by_name["binary cosine k=50, from one artist"]
        assert one_artist.difference["hr@10"].mean == 0.0
        assert by_name["binary cosine k=50, shrink 10, from one artist"].compared_to == (
            one_artist.name
        )
        # Genres are easy to learn: the item-kNN beats the random baseline by far.
        assert reference.metrics["hr@10"].mean > by_name["random"].metrics["hr@10"].mean + 0.3
        assert reference.metrics["hr@10"].n == split.split["scored_users"]


def test_same_seed_same_numbers_other_seed_other_numbers(plays_file):
    groups = ("similarity", "baseline")
    first = evaluate(options_for(plays_file, anchors=False, seed=11, groups=groups))
    again = evaluate(options_for(plays_file, anchors=False, seed=11, groups=groups))
    other = evaluate(options_for(plays_file, anchors=False, seed=12, groups=groups))

    assert comparable(first) == comparable(again)
    assert comparable(first) != comparable(other)


def test_recommendations_never_include_known_artists(plays_file):
    table = experiment.load_table(BuildOptions(source_format="plays", input=plays_file))
    split = split_listening(user_artist_plays(table), "holdout", seed=3)
    data = SplitData(split, n=15, seed=3)
    methods = standard_methods(neighbor_counts=(5,), thresholds=(900,), anchors=False)
    if implicit_available():
        methods += [Method("anchor", kind="implicit", model=m) for m in ("cosine", "bm25", "als")]

    known = data.known_scored.toarray() > 0
    for method in methods:
        ranked = recommend(method, data)
        for row, artists in zip(known, ranked, strict=True):
            artists = artists[artists >= 0]
            assert not row[artists].any(), method.name
            assert len(set(artists.tolist())) == artists.size, method.name


def test_without_implicit_the_anchors_are_skipped_with_a_note(plays_file, monkeypatch):
    monkeypatch.setattr(experiment, "implicit_available", lambda: False)
    evaluation = evaluate(options_for(plays_file, splits=("leave-one-out",)))

    assert not [r for r in evaluation.splits[0].results if r.group == "anchor"]
    assert "implicit is not installed" in evaluation.notes[0]
    assert "note: implicit is not installed" in format_text(evaluation)


def test_anchors_run_on_the_same_split(plays_file):
    pytest.importorskip("implicit")
    evaluation = evaluate(options_for(plays_file, splits=("leave-one-out",), groups=("anchor",)))
    names = [r.name for r in evaluation.splits[0].results]

    assert names == [
        REFERENCE.name,
        "implicit cosine k=50",
        "implicit BM25 k=50",
        "implicit ALS",
        "implicit ALS, log1p",
    ]


def test_markdown_table_has_one_row_per_method(plays_file):
    evaluation = evaluate(options_for(plays_file, anchors=False, splits=("holdout",)))
    markdown = format_markdown(evaluation)
    table = [line for line in markdown.splitlines() if line.startswith("| ")]

    assert str(plays_file) in markdown
    assert table[0].startswith("| group | method | hr@10 | ndcg@10 | map@10 | recall@50 |")
    assert table[1].startswith("| --- | --- | ---: |")
    assert len(table) == 2 + len(evaluation.splits[0].results)  # header, rule, methods
    assert "95% normal approximation" in markdown


def test_default_thresholds_are_two_digit_quantiles():
    plays = user_artist_plays_from_totals([10, 20, 1234, 5678, 98765])
    assert default_thresholds(plays) == (1200, 62000)


def user_artist_plays_from_totals(totals: list[int]):
    import scipy.sparse as sp

    return sp.csr_matrix(np.array([totals], dtype=np.float64))


def test_command_line_writes_markdown_json_and_chart(plays_file, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--format", "plays", "--input", str(plays_file), "--output", str(out)]
    code = evaluate_cli.main([*argv, "--no-implicit", "--groups", "baseline", "--json"])

    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert payload["splits"][0]["results"][0]["name"] == REFERENCE.name
    assert json.loads((out / "evaluation.json").read_text())["dataset"] == payload["dataset"]
    assert (out / "evaluation.md").read_text().startswith("## Offline evaluation")
    assert (out / "evaluation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_line_prints_the_table(plays_file, tmp_path, capsys):
    argv = ["--format", "plays", "--input", str(plays_file), "--output", str(tmp_path)]
    code = evaluate_cli.main(
        [*argv, "--no-implicit", "--split", "leave-one-out", "--groups", "baseline", "--no-chart"]
    )
    out = capsys.readouterr().out

    assert code == 0
    assert "binary cosine k=50" in out
    assert "most popular" in out
    assert "Δ hr@10 vs reference" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "hetrec2011"], "needs --input"),
        (["--min-artists", "1"], "at least 2"),
        (["--holdout-fraction", "1.5"], "between 0 and 1"),
    ],
    ids=["input", "min-artists", "fraction"],
)
def test_command_line_refuses_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        evaluate_cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_real_hetrec_reference_beats_popularity(hetrec_dir):
    build = BuildOptions(source_format="hetrec2011", input=hetrec_dir)
    popular = Method("baseline", kind="popular")
    options = EvaluationOptions(
        build=build, splits=("leave-one-out",), methods=(REFERENCE, popular), max_users=500
    )
    results = {r.name: r for r in evaluate(options).splits[0].results}

    reference = results[REFERENCE.name].metrics["hr@10"]
    assert 0.08 < reference.mean < 0.35
    assert reference.mean > results["most popular"].metrics["hr@10"].mean
    assert reference.n == 500


def test_repeats_average_each_users_scores_over_the_splits(plays_file):
    methods = (REFERENCE, Method("baseline", kind="popular"))
    kwargs = {"methods": methods, "splits": ("leave-one-out",)}
    singles = [evaluate(options_for(plays_file, seed=s, **kwargs)).splits[0] for s in (5, 6)]
    repeated = evaluate(options_for(plays_file, seed=5, repeats=2, **kwargs)).splits[0]

    assert repeated.split["seeds"] == [5, 6]
    for index, result in enumerate(repeated.results):
        for key, interval in result.metrics.items():
            means = [single.results[index].metrics[key].mean for single in singles]
            assert interval.mean == pytest.approx(np.mean(means)), key
        coverages = [single.results[index].coverage for single in singles]
        assert result.coverage == pytest.approx(np.mean(coverages))
