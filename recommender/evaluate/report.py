"""Evaluation results and their presentation: screen table, Markdown, JSON, PNG chart.

Every per-user metric is shown as ``mean ± half-width`` of its 95% normal-approximation
interval over the scored users; the ``Δ`` column is the paired difference from the reference
method on the same users (an interval that excludes 0 is a difference the split resolves).
Coverage is one number for the whole list of users and has no interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender.evaluate.metrics import Interval

logger = logging.getLogger(__name__)

#: Metrics drawn in the chart, in panel order (their names carry the cutoffs).
CHART_METRICS = ("hr", "ndcg", "map", "recall")


@dataclass
class MethodResult:
    """One method's scores on one split.

    Attributes
    ----------
    name, group : str
        The method's label and report group.
    parameters : dict
        The method's parameters.
    metrics : dict of str to Interval
        Per-user metrics averaged over users (``hr@10``, ``ndcg@10``, ``map@10``,
        ``recall@50``, ``popularity@10``: mean popularity percentile of the list).
    coverage : float
        Share of the catalogue recommended to anyone in a first ``cutoff``.
    seconds : float
        Time to recommend for every scored user (neighbour tables included).
    difference : dict of str to Interval
        Paired difference from ``compared_to``, per metric; empty without a reference.
    compared_to : str or None
        The method the difference is taken against (the split's reference, or for rows
        scored from one artist, the plain table scored the same way).
    """

    name: str
    group: str
    parameters: dict[str, Any]
    metrics: dict[str, Interval]
    coverage: float
    seconds: float
    difference: dict[str, Interval] = field(default_factory=dict)
    compared_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group": self.group,
            "parameters": self.parameters,
            "metrics": {key: value.to_json() for key, value in self.metrics.items()},
            "coverage": self.coverage,
            "seconds": self.seconds,
            "difference": {key: value.to_json() for key, value in self.difference.items()},
            "compared_to": self.compared_to,
        }


@dataclass
class SplitResult:
    """All methods on one split."""

    split: dict[str, Any]
    reference: str | None
    results: list[MethodResult]

    def metric_names(self) -> list[str]:
        return list(self.results[0].metrics) if self.results else []

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "reference": self.reference,
            "results": [result.to_json() for result in self.results],
        }


@dataclass
class Evaluation:
    """A whole run: the data, the settings, one :class:`SplitResult` per split, notes."""

    dataset: str
    source_format: str
    created: str
    data: dict[str, int]
    settings: dict[str, Any]
    splits: list[SplitResult]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source_format": self.source_format,
            "created": self.created,
            "data": self.data,
            "settings": self.settings,
            "splits": [split.to_json() for split in self.splits],
            "notes": self.notes,
        }


def format_table(result: SplitResult, *, markdown: bool = False) -> str:
    """One split's results as an aligned text table, or as a Markdown table.

    Parameters
    ----------
    result : SplitResult
        The split's results.
    markdown : bool
        Pipe table (with the group in the first column) instead of aligned text.
    """
    names = result.metric_names()
    headers = ["method", *names, "coverage", _delta_header(result, names)]
    rows = [_row(item, names) for item in result.results]
    if markdown:
        groups = [item.group for item in result.results]
        shown = [g if i == 0 or g != groups[i - 1] else "" for i, g in enumerate(groups)]
        return _markdown(["group", *headers], [[g, *r] for g, r in zip(shown, rows, strict=True)])
    return _aligned(headers, rows)


def format_text(evaluation: Evaluation) -> str:
    """The screen report: one heading and table per split, then the notes."""
    blocks = [f"{evaluation.dataset} ({evaluation.source_format}), {evaluation.created}"]
    for result in evaluation.splits:
        blocks.append(_split_heading(result))
        blocks.append(format_table(result))
    blocks.append(_legend(evaluation.settings))
    blocks += [f"note: {note}" for note in evaluation.notes]
    return "\n\n".join(blocks)


def format_markdown(evaluation: Evaluation) -> str:
    """The report as Markdown, ready for the README."""
    data = evaluation.data
    blocks = [
        f"## Offline evaluation: {evaluation.dataset}",
        f"Run {evaluation.created[:10]} on `{evaluation.dataset}` ({evaluation.source_format}: "
        f"{data['users']:,} users, {data['artists']:,} artists, {data['entries']:,} "
        "user-artist entries).",
    ]
    for result in evaluation.splits:
        blocks.append(f"### {_split_heading(result)}")
        blocks.append(format_table(result, markdown=True))
    blocks.append(_legend(evaluation.settings))
    blocks += [f"Note: {note}" for note in evaluation.notes]
    return "\n\n".join(blocks) + "\n"


def plot(evaluation: Evaluation, path: str | Path) -> Path:
    """Save a PNG chart: each metric by method with its confidence interval, split by split.

    Needs matplotlib (the ``plots`` extra); it is imported here only.
    """
    from matplotlib.figure import Figure

    splits = [s for s in evaluation.splits if s.results]
    n_methods = max(len(s.results) for s in splits)
    figure = Figure(figsize=(4.2 * len(CHART_METRICS), 0.6 + 0.24 * n_methods * len(splits)))
    axes = figure.subplots(len(splits), len(CHART_METRICS), squeeze=False, sharey="row")
    for row, result in zip(axes, splits, strict=True):
        names = [item.name for item in result.results][::-1]
        for ax, prefix in zip(row, CHART_METRICS, strict=True):
            key = next(k for k in result.metric_names() if k.startswith(prefix + "@"))
            intervals = [item.metrics[key] for item in result.results][::-1]
            ax.barh(
                names,
                [i.mean for i in intervals],
                xerr=[i.half_width for i in intervals],
                color=[_colour(n, result, evaluation.settings) for n in names],
                ecolor="#333333",
                capsize=2,
            )
            ax.set_title(f"{result.split['split']}: {key.upper()}", fontsize=9)
            ax.tick_params(labelsize=7)
            ax.grid(axis="x", alpha=0.3)
    figure.suptitle(f"{evaluation.dataset}, {evaluation.created[:10]} (95% CI)", fontsize=10)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    logger.info("chart saved to %s", path)
    return path


def _colour(name: str, result: SplitResult, settings: dict[str, Any]) -> str:
    """Reference orange, proposed default green, the rest blue."""
    if name == result.reference:
        return "#dd8452"
    if name == settings.get("proposed"):
        return "#55a868"
    return "#4c72b0"


def _row(item: MethodResult, names: list[str]) -> list[str]:
    cells = [item.name]
    for key in names:
        digits = 1 if key.startswith("popularity") else 3
        cells.append(_interval(item.metrics[key], digits))
    cells.append(f"{item.coverage:.1%}")
    first = names[0] if names else ""
    difference = item.difference.get(first)
    cells.append("" if difference is None else _interval(difference, 3, signed=True))
    return cells


def _interval(interval: Interval, digits: int, *, signed: bool = False) -> str:
    if interval.n == 0:
        return "n/a"
    sign = "+" if signed else ""
    return f"{interval.mean:{sign}.{digits}f} ± {interval.half_width:.{digits}f}"


def _delta_header(result: SplitResult, names: list[str]) -> str:
    return f"Δ {names[0]} vs reference" if names and result.reference else "Δ"


def _split_heading(result: SplitResult) -> str:
    split = result.split
    how = (
        "one artist held out per user"
        if split["fraction"] is None
        else f"{split['fraction']:.0%} of each user's artists held out"
    )
    seeds = split.get("seeds") or [split["seed"]]
    drawn = (
        f"seed {seeds[0]}"
        if len(seeds) == 1
        else f"seeds {seeds[0]} to {seeds[-1]} (each user's scores averaged over {len(seeds)} "
        "splits)"
    )
    return (
        f"{split['split']}: {how}, {drawn}; {split['scored_users']:,} users with "
        f"at least {split['min_artists']} artists scored; reference: {result.reference}"
    )


def _legend(settings: dict[str, Any]) -> str:
    return (
        f"Cells are mean ± half-width of the {settings['confidence']}; Δ is the paired "
        "difference from the reference on the same users (for rows scored from one artist, "
        "from the plain table scored from the same artist). Popularity is the mean listener "
        "percentile of the recommended artists (100 = most listened). Coverage: share of the "
        f"catalogue recommended to anyone in a top {settings['cutoff']}. Known artists are "
        "never recommended."
    )


def _aligned(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _markdown(headers: list[str], rows: list[list[str]]) -> str:
    align = ["---", "---", *["---:" for _ in headers[2:]]]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)
