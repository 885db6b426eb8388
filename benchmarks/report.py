"""Render one benchmark result as Markdown (RESULTS.md) and as a PNG chart of the ratios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import targets

METRICS = (("wall_seconds", "wall"), ("cpu_seconds", "CPU"), ("peak_rss_bytes", "peak RSS"))
_REAL_QUANTILES = {"50%": 208, "90%": 6_100, "97%": 43_500, "99%": 198_000, "max": 30_000_000}


def _seconds(value: Any) -> str:
    return "–" if value is None or value != value else f"{value:.2f} s"


def _bytes(value: Any) -> str:
    if value is None or value != value:
        return "–"
    return f"{value / 1e9:.2f} GB" if value >= 1e8 else f"{value / 1e6:.1f} MB"


def _ms(value: Any) -> str:
    return "–" if value is None or value != value else f"{value:.3f} ms"


def _share(value: Any) -> str:
    return "–" if value is None or value != value else f"{100 * value:.1f}%"


def _ratio(value: Any) -> str:
    return "–" if value is None or value != value else f"{value:.1f}x"


def _load_line(meta: dict[str, Any]) -> list[str]:
    start, end = meta.get("load_average_start"), meta.get("load_average_end")
    if not start or not end:
        return []
    return [
        f"- **Load average** (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in start)} at the "
        f"start, {', '.join(f'{v:.2f}' for v in end)} at the end (2 cores; other work on the "
        "machine competes with the benchmark)"
    ]


def _header(result: dict[str, Any]) -> list[str]:
    meta, config, machine = result["meta"], result["config"], result["meta"]["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items())
    dirty = " (with uncommitted changes)" if meta["dirty"] else ""
    return [
        "# Benchmark results",
        "",
        f"- **Machine:** {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_bytes'] / 2**30:.0f} GiB RAM, {machine['os']}",
        f"- **Software:** {versions}",
        f"- **Date:** {meta['date']}",
        f"- **Commit:** `{meta['commit']}`{dirty}",
        f"- **Command:** `{meta['command']}`",
        f"- **Scale:** {config['scale']:g} of full size, seed {config['seed']}, "
        f"{config['repeat']} alternating rounds, popularity threshold "
        f"{config['threshold']:,} plays (40,000 x scale), country {config['country']!r}",
        *_load_line(meta),
        "",
        "Targets are stated for full scale on 2 cores. Times are wall-clock; CPU is user +"
        " system; peak RSS is the kernel's `ru_maxrss` for the child process (`os.wait4`).",
        "",
    ]


def _dataset(result: dict[str, Any]) -> list[str]:
    data = result["dataset"]
    quantiles = data["artist_plays_quantiles"]
    lines = [
        "## Generated data set",
        "",
        f"{data['users']:,} users, {data['rows']:,} rows, {data['artists']:,} distinct artist "
        f"names, {data['repeated_pairs']:,} repeated (user, artist) pairs, "
        f"{data['missing_names']:,} rows without a name, {_share(data['us_share'])} US users; "
        f"plays file {_bytes(data['plays_bytes'])}, generated in {data['seconds']:.0f} s.",
        "",
        "| total plays per artist | " + " | ".join(quantiles) + " |",
        "|---|" + "---:|" * len(quantiles),
        "| generated | " + " | ".join(f"{v:,.0f}" for v in quantiles.values()) + " |",
        "| real 360K (full scale) | "
        + " | ".join(f"{_REAL_QUANTILES[k]:,}" for k in quantiles)
        + " |",
        "",
    ]
    return lines


def _targets(result: dict[str, Any]) -> list[str]:
    lines = ["## Targets", "", "| target | measured | limit | met |", "|---|---:|---:|:---:|"]
    for check in targets.checks(result):
        measured = "–" if check.measured != check.measured else f"{check.measured:,.3g}"
        comparison = ">=" if check.higher_is_better else "<="
        mark = "yes" if check.met else "**no**"
        lines.append(
            f"| {check.name} | {measured} {check.unit} | {comparison} {check.limit:g} "
            f"{check.unit} | {mark} |"
        )
    return [*lines, ""]


def _pair_rows(rounds: list[dict[str, Any]], summary: dict[str, Any]) -> list[str]:
    lines = [
        "| pair | A wall | B wall | wall A/B | A CPU | B CPU | CPU A/B | A peak RSS | B peak RSS "
        "| RSS A/B |",
        "|---|" + "---:|" * 9,
    ]
    for index, pair in enumerate(rounds, start=1):
        a, b = pair.get("classic") or {}, pair["filtered"]
        ratio = pair.get("ratio", {})
        lines.append(
            f"| {index} | {_seconds(a.get('wall_seconds'))} | {_seconds(b['wall_seconds'])} "
            f"| {_ratio(ratio.get('wall_seconds'))} | {_seconds(a.get('cpu_seconds'))} "
            f"| {_seconds(b['cpu_seconds'])} | {_ratio(ratio.get('cpu_seconds'))} "
            f"| {_bytes(a.get('peak_rss_bytes'))} | {_bytes(b['peak_rss_bytes'])} "
            f"| {_ratio(ratio.get('peak_rss_bytes'))} |"
        )
    a, b, ratio = summary.get("classic", {}), summary["filtered"], summary.get("ratio", {})
    lines.append(
        f"| **median** | {_seconds(a.get('wall_seconds'))} | {_seconds(b['wall_seconds'])} "
        f"| **{_ratio(ratio.get('wall_seconds'))}** | {_seconds(a.get('cpu_seconds'))} "
        f"| {_seconds(b['cpu_seconds'])} | {_ratio(ratio.get('cpu_seconds'))} "
        f"| {_bytes(a.get('peak_rss_bytes'))} | {_bytes(b['peak_rss_bytes'])} "
        f"| {_ratio(ratio.get('peak_rss_bytes'))} |"
    )
    return lines


def _stages(label: str, stages: dict[str, float]) -> str:
    parts = ", ".join(f"{name} {seconds:.2f}" for name, seconds in stages.items())
    return f"- {label} (median seconds): {parts}" if stages else f"- {label}: –"


def _cpu_floor(result: dict[str, Any]) -> list[str]:
    """B's CPU time spread over every core: no wall time of B can be shorter."""
    summary, cores = result["summary"], result["meta"]["machine"].get("cores")
    a_wall = summary.get("classic", {}).get("wall_seconds")
    b_cpu = summary["filtered"].get("cpu_seconds")
    if not (cores and a_wall and b_cpu):
        return []
    speedup = targets.FILTERED_SPEEDUP
    return [
        f"- B's CPU time over {cores} cores: {b_cpu / cores:.2f} s, the least B's wall time "
        f"could be; the target ({speedup}x) allows A / {speedup} = {a_wall / speedup:.2f} s"
    ]


def _builds(result: dict[str, Any]) -> list[str]:
    summary, rounds = result["summary"], result["rounds"]
    filtered, catalogue = summary["filtered"], summary.get("catalogue")
    lines = [
        "## Build: A (classic pandas + dense pivot + sklearn) vs B (`recommender.build`)",
        "",
        "Same generated files, same run, A and B alternating; the ratio is taken pair by pair.",
        "",
        *_pair_rows(rounds, summary),
        "",
    ]
    if summary.get("classic_note"):
        lines += [f"> {summary['classic_note']}", ""]
    lines += [
        f"- A's answer: {summary.get('classic_shape', '–')}",
        f"- B's answer: {filtered.get('shape', '–')}; model file "
        f"{_bytes(filtered.get('output_bytes'))}",
        _stages("A stages", summary.get("classic", {}).get("stages", {})),
        _stages("B stages", filtered.get("stages", {})),
        *_cpu_floor(result),
        "",
    ]
    if catalogue:
        lines += [
            "## Build: B on the whole catalogue (no filters, top-50 neighbours per artist)",
            "",
            "| run | wall | CPU | peak RSS | model file |",
            "|---|---:|---:|---:|---:|",
        ]
        for index, pair in enumerate(rounds, start=1):
            run = pair.get("catalogue") or {}
            lines.append(
                f"| {index} | {_seconds(run.get('wall_seconds'))} "
                f"| {_seconds(run.get('cpu_seconds'))} | {_bytes(run.get('peak_rss_bytes'))} "
                f"| {_bytes(run.get('output', {}).get('output_bytes'))} |"
            )
        lines += [
            "",
            f"- Shape: {catalogue.get('shape', '–')}",
            _stages("Stages", catalogue.get("stages", {})),
            "",
        ]
    return lines


def _genre_note(exact: dict[str, Any]) -> str:
    if "same_genre_neighbours" not in exact:
        return ""
    return (
        f"; neighbours in the query's hidden genre {_share(exact['same_genre_neighbours'])} "
        f"(chance {_share(exact['same_genre_by_chance'])})"
    )


def _query_rows(label: str, q: dict[str, Any]) -> list[str]:
    exact, fuzzy, similar = q["exact_similar"], q["fuzzy_matches"], q["fuzzy_similar"]
    base, complete = q["wratio_baseline"], q["autocomplete"]
    n = fuzzy["compared_queries"]
    return [
        f"| {label} | `similar(exact name)` | {_ms(exact['p50_ms'])} | {_ms(exact['p99_ms'])} "
        f"| resolved to the named artist {_share(exact['resolved_right'])}"
        + _genre_note(exact)
        + " |",
        f"| {label} | `matches(typo, limit=5)` | {_ms(fuzzy['p50_ms'])} | {_ms(fuzzy['p99_ms'])} "
        f"| hit@1 {_share(fuzzy['hit_at_1'])}, hit@5 {_share(fuzzy['hit_at_5'])}; on the "
        f"{n} baseline queries: {_share(fuzzy['compared_hit_at_1'])} / "
        f"{_share(fuzzy['compared_hit_at_5'])} |",
        f"| {label} | baseline `process.extract(WRatio)`, {base['n']} queries "
        f"| {_ms(base['p50_ms'])} | {_ms(base['p99_ms'])} "
        f"| hit@1 {_share(base['hit_at_1'])}, hit@5 {_share(base['hit_at_5'])} |",
        f"| {label} | `similar(typo)` | {_ms(similar['p50_ms'])} | {_ms(similar['p99_ms'])} "
        f"| right artist {_share(similar['resolved_right'])}, wrong "
        f"{_share(similar['resolved_wrong'])}, right or offered "
        f"{_share(similar['right_or_offered'])}; {similar['statuses']} |",
        f"| {label} | `complete(prefix, 25)` | {_ms(complete['p50_ms'])} "
        f"| {_ms(complete['p99_ms'])} | name offered {_share(complete['hit'])} (prefixes of 5+ "
        f"characters: {_share(complete['hit_prefix_5plus'])}) |",
    ]


def _queries(result: dict[str, Any]) -> list[str]:
    queries = result.get("queries", {})
    if not queries:
        return []
    lines = [
        "## Query side (in process, one query at a time)",
        "",
        f"{result['config']['queries']} names drawn uniformly from each model, one typo each "
        "(drop, swap or substitute a letter, never the first).",
        "",
        "| model | call | p50 | p99 | quality |",
        "|---|---|---:|---:|---|",
    ]
    for key, label in (("filtered", "filtered"), ("catalogue", "all names")):
        if key in queries:
            label = f"{label} ({queries[key]['artists']:,})"
            lines += _query_rows(label, queries[key])
    lines += [
        "",
        "### Cold start (fresh process, median)",
        "",
        "| model | file | import | `Recommender.load` | first `similar` | first `matches` "
        "| process wall | process peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ("filtered", "catalogue"):
        cold = queries.get(key, {}).get("cold_start")
        if cold and "error" not in cold:
            lines.append(
                f"| {key} | {_bytes(cold['model_bytes'])} | {_seconds(cold['import_seconds'])} "
                f"| {_seconds(cold['load_seconds'])} | {_ms(1000 * cold['first_similar_seconds'])}"
                f" | {_ms(1000 * cold['first_matches_seconds'])} "
                f"| {_seconds(cold['process_wall_seconds'])} "
                f"| {_bytes(cold['process_peak_rss_bytes'])} |"
            )
    return [*lines, ""]


def markdown(result: dict[str, Any], chart: Path | None = None) -> str:
    """The whole RESULTS.md text."""
    lines = [*_header(result), *_targets(result)]
    if chart is not None:
        lines += [f"![A/B ratios and targets]({chart.name})", ""]
    lines += [*_dataset(result), *_builds(result), *_queries(result)]
    return "\n".join(lines).rstrip() + "\n"


def chart(result: dict[str, Any], path: Path) -> None:
    """Two panels: A/B ratios pair by pair, and every target as measured / limit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5), width_ratios=[1, 1.3])
    rounds = result["rounds"]
    width = 0.8 / len(METRICS)
    for offset, (key, label) in enumerate(METRICS):
        values = [pair.get("ratio", {}).get(key, float("nan")) for pair in rounds]
        values.append(result["summary"].get("ratio", {}).get(key, float("nan")))
        positions = [i + offset * width for i in range(len(values))]
        left.bar(positions, values, width, label=label)
    left.axhline(15, color="black", linestyle="--", linewidth=1, label="target (wall) 15x")
    left.set_ylim(0, max(17, *[v for v in values if v == v]) * 1.15)
    left.set_xticks([i + width for i in range(len(rounds) + 1)])
    left.set_xticklabels([f"pair {i}" for i in range(1, len(rounds) + 1)] + ["median"])
    left.set_ylabel("A / B (higher: B better)")
    left.set_title("Filtered build: classic A over ours B")
    left.legend(loc="upper left", ncols=2, fontsize="small")

    checks = [c for c in targets.checks(result) if c.ratio_to_limit == c.ratio_to_limit]
    colours = ["tab:green" if c.met else "tab:red" for c in checks]
    right.barh([c.name for c in checks], [c.ratio_to_limit for c in checks], color=colours)
    right.axvline(1, color="black", linewidth=1)
    right.set_xscale("log")
    ratios = [c.ratio_to_limit for c in checks] or [1.0]
    right.set_xticks([0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100])
    right.set_xlim(min(0.5, *ratios) * 0.8, max(2.0, *ratios) * 1.25)
    right.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    right.xaxis.set_minor_formatter(ticker.NullFormatter())
    right.set_xlabel("measured / limit (left of 1: target met)")
    right.set_title(f"Targets at scale {result['config']['scale']:g}")
    right.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    """Re-render RESULTS.md and the chart from a saved raw JSON result."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.report")
    parser.add_argument("result", type=Path, help="raw JSON written by python -m benchmarks")
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "RESULTS.md")
    parser.add_argument("--chart", type=Path, default=Path(__file__).parent / "ratios.png")
    args = parser.parse_args(argv)
    result = json.loads(args.result.read_text())
    chart(result, args.chart)
    args.results.write_text(markdown(result, args.chart))


if __name__ == "__main__":
    main()
