"""``python -m benchmarks``: classic pipeline A against our build B, then the query side.

One run generates (or reuses) the synthetic data set, then alternates A, B filtered and B on
the whole catalogue ``--repeat`` times on the same files, each as a child process measured by
the kernel, and finally times queries in process on the models B wrote. It writes a JSON
result, ``RESULTS.md`` and a PNG chart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import generate, measure, queries, report

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FULL_THRESHOLD = 40_000
COUNTRY = "United States"
_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "rapidfuzz", "pyarrow", "joblib")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of full size")
    parser.add_argument("--seed", type=int, default=360, help="data and query seed")
    parser.add_argument("--repeat", type=int, default=3, help="alternating A/B rounds")
    parser.add_argument("--queries", type=int, default=300, help="queries per workload")
    parser.add_argument(
        "--baseline-queries",
        type=int,
        default=100,
        help="queries for the slow WRatio baseline (a prefix of --queries)",
    )
    parser.add_argument("--cold-starts", type=int, default=5, help="fresh-process model loads")
    parser.add_argument(
        "--classic-memory-gb",
        type=float,
        default=20.0,
        help="address-space cap for pipeline A (RLIMIT_AS)",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per child process")
    parser.add_argument("--skip-classic", action="store_true", help="do not run pipeline A")
    parser.add_argument(
        "--skip-catalogue", action="store_true", help="do not build the whole catalogue"
    )
    parser.add_argument("--tar", action="store_true", help="give B the .tar.gz, not the folder")
    parser.add_argument("--cache", type=Path, default=generate.CACHE_DIR)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--chart", type=Path, default=HERE / "ratios.png")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="raw results (default: beside the data in the cache)",
    )
    args = parser.parse_args(argv)
    generate.sizes(args.scale)  # validates the scale
    if args.repeat < 1 or args.queries < 1:
        parser.error("--repeat and --queries must be at least 1")
    return args


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    versions = {"Python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
    }


def _meta(argv: list[str] | None) -> dict[str, Any]:
    arguments = sys.argv[1:] if argv is None else argv
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git("rev-parse", "--short=12", "HEAD") or "unknown",
        "dirty": bool(_git("status", "--porcelain", "--", "recommender", "benchmarks")),
        "command": shlex.join(["python", "-m", "benchmarks", *arguments]),
        "machine": machine(),
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }


def classic_command(folder: Path, threshold: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "benchmarks.classic",
        "--input",
        str(folder),
        "--min-artist-plays",
        str(threshold),
        "--country",
        COUNTRY,
        "--json",
    ]


def build_command(source: Path, output: Path, threshold: int, country: str | None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "recommender.build",
        "--format",
        "lastfm360k",
        "--input",
        str(source),
        "--min-artist-plays",
        str(threshold),
        "--neighbors",
        "50",
        "--output",
        str(output),
        "--json",
        "--no-progress",
    ]
    # The filtered build reproduces the classic analysis, so it keeps every spelling apart.
    return command + (["--country", country, "--no-merge"] if country else [])


def _round(args: argparse.Namespace, data: Path, work: Path, threshold: int) -> dict[str, Any]:
    """One alternation: A, then B filtered, then B on the whole catalogue."""
    folder = data / generate.FOLDER
    source = data / generate.TARBALL if args.tar else folder
    pair: dict[str, Any] = {}
    if not args.skip_classic:
        cap = int(args.classic_memory_gb * 2**30)
        run = measure.run(
            classic_command(folder, threshold), memory_limit=cap, timeout=args.timeout, cwd=REPO
        )
        pair["classic"] = run.to_json()
    filtered = measure.run(
        build_command(source, work / "filtered.joblib", threshold, COUNTRY),
        timeout=args.timeout,
        cwd=REPO,
    )
    pair["filtered"] = filtered.to_json()
    if not args.skip_catalogue:
        catalogue = measure.run(
            build_command(source, work / "catalogue.joblib", 0, None),
            timeout=args.timeout,
            cwd=REPO,
        )
        pair["catalogue"] = catalogue.to_json()
    a, b = pair.get("classic"), pair["filtered"]
    if a and a["returncode"] == 0 and b["returncode"] == 0:
        pair["ratio"] = {key: a[key] / b[key] for key, _ in report.METRICS if b[key]}
    return pair


def _median_run(runs: list[dict[str, Any]], stage_key: str) -> dict[str, Any]:
    good = [r for r in runs if r and r["returncode"] == 0]
    if not good:
        return {"failed": len(runs)}
    summary: dict[str, Any] = {
        key: measure.median([r[key] for r in good])
        for key in ("wall_seconds", "cpu_seconds", "peak_rss_bytes")
    }
    stages = [r["output"].get(stage_key, {}) for r in good]
    summary["stages"] = {
        name: measure.median([s.get(name, 0.0) for s in stages]) for name in stages[-1]
    }
    output = good[-1]["output"]
    summary["output_bytes"] = output.get("output_bytes")
    summary["shape"] = (
        f"{output.get('artists', 0):,} artists x {output.get('users', 0):,} "
        f"users, {output.get('nonzeros', output.get('nnz', 0)):,} nonzeros"
    )
    return summary


def summarise(rounds: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "filtered": _median_run([r["filtered"] for r in rounds], "stage_seconds")
    }
    if any("catalogue" in r for r in rounds):
        summary["catalogue"] = _median_run([r.get("catalogue") for r in rounds], "stage_seconds")
    classic_runs = [r["classic"] for r in rounds if "classic" in r]
    if classic_runs:
        summary["classic"] = _median_run(classic_runs, "stages")
        summary["classic_shape"] = summary["classic"].get("shape", "–")
        failed = [r for r in classic_runs if r["returncode"] != 0]
        if failed:
            summary["classic_note"] = (
                f"A failed in {len(failed)} of {len(classic_runs)} runs under a "
                f"{args.classic_memory_gb:g} GiB address-space cap (exit "
                f"{failed[-1]['returncode']}): {failed[-1]['stderr_tail'][-300:]!r}"
            )
    ratios = [r["ratio"] for r in rounds if "ratio" in r]
    if ratios:
        summary["ratio"] = {key: measure.median([r[key] for r in ratios]) for key in ratios[0]}
    return summary


def run(args: argparse.Namespace, argv: list[str] | None = None) -> dict[str, Any]:
    data = generate.cached(args.scale, args.seed, tarball=args.tar, cache=args.cache)
    manifest = generate.read_manifest(data)
    threshold = round(FULL_THRESHOLD * args.scale)
    work = data / "models"
    work.mkdir(exist_ok=True)
    load_start = [round(x, 2) for x in os.getloadavg()]

    rounds = []
    for index in range(args.repeat):
        logger.info("round %d of %d", index + 1, args.repeat)
        rounds.append(_round(args, data, work, threshold))

    query_results = {}
    genres = generate.read_genres(data)
    models = {"filtered": work / "filtered.joblib", "catalogue": work / "catalogue.joblib"}
    for key, model in models.items():
        if model.exists() and not (key == "catalogue" and args.skip_catalogue):
            query_results[key] = queries.query_side(
                model, args.queries, args.baseline_queries, args.seed, args.cold_starts, genres
            )
    return {
        "meta": {**_meta(argv), "load_average_start": load_start},
        "config": {
            "scale": args.scale,
            "seed": args.seed,
            "repeat": args.repeat,
            "threshold": threshold,
            "country": COUNTRY,
            "queries": args.queries,
            "input": "tar.gz" if args.tar else "folder",
        },
        "dataset": asdict(manifest) if manifest else {},
        "rounds": rounds,
        "summary": summarise(rounds, args),
        "queries": query_results,
    }


def write(result: dict[str, Any], args: argparse.Namespace) -> None:
    raw = args.json or args.cache / f"results-scale{args.scale:g}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(result, indent=2) + "\n")
    report.chart(result, args.chart)
    args.results.write_text(report.markdown(result, args.chart))
    logger.info("wrote %s, %s and %s", args.results, args.chart, raw)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    result = run(args, argv)
    write(result, args)
    print(args.results.read_text())
