"""The issue's targets (full scale, 2 cores), checked against one benchmark result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GB = 1e9
#: The filtered build must be this many times faster than the classic pipeline (A / B wall).
FILTERED_SPEEDUP = 15


@dataclass(frozen=True, slots=True)
class Check:
    """One target: what was measured, the limit, and whether it was met."""

    name: str
    measured: float
    limit: float
    unit: str
    higher_is_better: bool = False

    @property
    def met(self) -> bool:
        if self.measured != self.measured:  # NaN: not measured
            return False
        return self.measured >= self.limit if self.higher_is_better else self.measured <= self.limit

    @property
    def ratio_to_limit(self) -> float:
        """How far from the limit, as "times the allowance" (below 1 is met)."""
        if not self.measured or not self.limit:
            return float("nan")
        return self.limit / self.measured if self.higher_is_better else self.measured / self.limit


def _get(result: dict[str, Any], *path: str) -> float:
    value: Any = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return float("nan")
        value = value[key]
    return float(value) if isinstance(value, int | float) else float("nan")


def checks(result: dict[str, Any]) -> list[Check]:
    """Every target the result has numbers for."""
    builds = result.get("summary", {})
    filtered_q = result.get("queries", {}).get("filtered", {})
    catalogue_q = result.get("queries", {}).get("catalogue", {})
    wratio_hit = _get(catalogue_q, "wratio_baseline", "hit_at_5")
    ours_hit = _get(catalogue_q, "fuzzy_matches", "compared_hit_at_5")
    return [
        Check(
            "filtered build: A wall / B wall",
            _get(builds, "ratio", "wall_seconds"),
            FILTERED_SPEEDUP,
            "x",
            higher_is_better=True,
        ),
        Check(
            "filtered build: peak RSS", _get(builds, "filtered", "peak_rss_bytes") / GB, 1.0, "GB"
        ),
        Check("whole catalogue build: wall", _get(builds, "catalogue", "wall_seconds"), 25, "s"),
        Check(
            "whole catalogue build: peak RSS",
            _get(builds, "catalogue", "peak_rss_bytes") / GB,
            1.5,
            "GB",
        ),
        Check(
            "/similar exact name, filtered: p99",
            _get(filtered_q, "exact_similar", "p99_ms"),
            1,
            "ms",
        ),
        Check(
            "/similar exact name, all names: p99",
            _get(catalogue_q, "exact_similar", "p99_ms"),
            1,
            "ms",
        ),
        Check(
            "did you mean, all names: p99", _get(catalogue_q, "fuzzy_matches", "p99_ms"), 10, "ms"
        ),
        Check(
            "did you mean, all names: hit@5 vs WRatio",
            ours_hit - wratio_hit,
            0,
            "points",
            higher_is_better=True,
        ),
        Check(
            "autocomplete, all names: p99", _get(catalogue_q, "autocomplete", "p99_ms"), 10, "ms"
        ),
        Check(
            "model load, whole catalogue", _get(catalogue_q, "cold_start", "load_seconds"), 0.3, "s"
        ),
    ]
