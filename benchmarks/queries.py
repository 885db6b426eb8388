"""The query side, measured in process on a loaded model: /similar, "did you mean", autocomplete.

Every workload is deterministic (names and typos from a seed) and timed call by call with a
monotonic clock after a short warm-up, so p50 and p99 are per query. Fuzzy quality is the share
of typo'd queries whose intended artist is among the top candidates, next to the same measure
for a plain ``rapidfuzz.process.extract(query, names, scorer=WRatio)`` over every name.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from rapidfuzz import fuzz, process

from benchmarks import measure, typos

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

TOP = 5  # "top candidates": how many a "did you mean" reply shows
WARM_UP = 5


def timed(call: Callable[[T], R], inputs: Sequence[T]) -> tuple[list[float], list[R]]:
    """Call once per input after a warm-up; return each call's seconds and result."""
    for item in inputs[:WARM_UP]:
        call(item)
    seconds: list[float] = []
    results: list[R] = []
    for item in inputs:
        started = time.perf_counter()
        result = call(item)
        seconds.append(time.perf_counter() - started)
        results.append(result)
    return seconds, results


def _share(hits: Sequence[bool]) -> float:
    return sum(hits) / len(hits) if hits else float("nan")


def exact_similar(
    rec: Any, names: Sequence[str], genres: dict[str, int], k: int = 10
) -> dict[str, Any]:
    """``similar(name)`` for names spelt exactly as in the model.

    With the generator's hidden genres, also the share of neighbours in the query's genre
    (and the share two random artists would have), a check that neighbours mean something.
    """
    seconds, results = timed(lambda name: rec.similar(name, k=k), names)
    statuses = Counter(str(r.resolution.status) for r in results)
    resolved = [r.artist == name for r, name in zip(results, names, strict=True)]
    summary = {
        **measure.percentiles(seconds),
        "statuses": dict(statuses),
        "resolved_right": _share(resolved),
    }
    if genres:
        same = [
            genres.get(n.artist) == genres.get(name)
            for r, name in zip(results, names, strict=True)
            for n in r.neighbors
        ]
        shares = Counter(genres.get(name) for name in names)
        chance = sum((count / len(names)) ** 2 for count in shares.values())
        summary["same_genre_neighbours"] = _share(same)
        summary["same_genre_by_chance"] = chance
    return summary


def fuzzy_similar(rec: Any, queries: Sequence[typos.Typo], k: int = 10) -> dict[str, Any]:
    """``similar(typo)``: resolution through the fuzzy index, then neighbours when accepted."""
    seconds, results = timed(lambda typo: rec.similar(typo.query, k=k), queries)
    statuses = Counter(str(r.resolution.status) for r in results)
    right = [r.artist == t.artist for r, t in zip(results, queries, strict=True)]
    wrong = [r.artist not in (None, t.artist) for r, t in zip(results, queries, strict=True)]
    offered = [
        r.artist == t.artist or any(c.artist == t.artist for c in r.candidates[:TOP])
        for r, t in zip(results, queries, strict=True)
    ]
    return {
        **measure.percentiles(seconds),
        "statuses": dict(statuses),
        "resolved_right": _share(right),
        "resolved_wrong": _share(wrong),
        "right_or_offered": _share(offered),
    }


def fuzzy_matches(rec: Any, queries: Sequence[typos.Typo], n_compared: int) -> dict[str, Any]:
    """``matches(typo, limit=TOP)``: the "did you mean" candidate list.

    Hit rates are also given over the first ``n_compared`` queries, the ones the (slow)
    WRatio baseline answers, so the two are compared on the same queries.
    """
    seconds, results = timed(lambda typo: rec.matches(typo.query, limit=TOP), queries)
    top1 = [bool(r) and r[0].artist == t.artist for r, t in zip(results, queries, strict=True)]
    topn = [any(c.artist == t.artist for c in r) for r, t in zip(results, queries, strict=True)]
    return {
        **measure.percentiles(seconds),
        "hit_at_1": _share(top1),
        f"hit_at_{TOP}": _share(topn),
        "compared_queries": min(n_compared, len(queries)),
        "compared_hit_at_1": _share(top1[:n_compared]),
        f"compared_hit_at_{TOP}": _share(topn[:n_compared]),
    }


def wratio_baseline(names: Sequence[str], queries: Sequence[typos.Typo]) -> dict[str, Any]:
    """The baseline: a full ``process.extract`` with WRatio over every name, per query."""
    choices = list(names)

    def extract(typo: typos.Typo) -> list[tuple[str, float, int]]:
        return process.extract(typo.query, choices, scorer=fuzz.WRatio, limit=TOP)

    seconds, results = timed(extract, queries)
    top1 = [bool(r) and r[0][0] == t.artist for r, t in zip(results, queries, strict=True)]
    topn = [any(c[0] == t.artist for c in r) for r, t in zip(results, queries, strict=True)]
    return {**measure.percentiles(seconds), "hit_at_1": _share(top1), f"hit_at_{TOP}": _share(topn)}


def autocomplete(rec: Any, pairs: Sequence[tuple[str, str]], limit: int = 25) -> dict[str, Any]:
    """``complete(prefix)``; a hit is the intended name among the suggestions."""
    seconds, results = timed(lambda pair: rec.complete(pair[0], limit=limit), pairs)
    hits = [name in r for r, (_, name) in zip(results, pairs, strict=True)]
    long_hits = [h for h, (prefix, _) in zip(hits, pairs, strict=True) if len(prefix) >= 5]
    return {
        **measure.percentiles(seconds),
        "hit": _share(hits),
        "hit_prefix_5plus": _share(long_hits),
    }


def cold_start(model: Path, query: str, repeat: int) -> dict[str, Any]:
    """Load the model in ``repeat`` fresh processes; medians of the phases and of the process."""
    command = [sys.executable, "-m", "benchmarks.coldstart", str(model), query]
    repo = Path(__file__).resolve().parents[1]
    runs = [measure.run(command, timeout=600, cwd=repo) for _ in range(repeat)]
    good = [r for r in runs if r.ok]
    if not good:
        return {"error": runs[-1].stderr_tail}
    phases = ("import_seconds", "load_seconds", "first_similar_seconds", "first_matches_seconds")
    summary = {key: measure.median([r.output[key] for r in good]) for key in phases}
    summary["process_wall_seconds"] = measure.median([r.wall_seconds for r in good])
    summary["process_peak_rss_bytes"] = int(measure.median([r.peak_rss_bytes for r in good]))
    summary["model_bytes"] = model.stat().st_size
    return summary


def query_side(
    model: Path,
    n_queries: int,
    n_baseline: int,
    seed: int,
    repeat: int,
    genres: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Every query-side measure for one model file."""
    from recommender import Recommender

    rec = Recommender.load(model)
    names = [rec.artist_name(i) for i in range(rec.n_artists)]
    picked = typos.sample_names(names, n_queries, seed)
    misspelt = typos.typos(picked, seed)
    logger.info("query side on %s: %d names, %d queries", model.name, len(names), len(picked))
    return {
        "artists": len(names),
        "queries": len(picked),
        "exact_similar": exact_similar(rec, picked, genres or {}),
        "fuzzy_similar": fuzzy_similar(rec, misspelt),
        "fuzzy_matches": fuzzy_matches(rec, misspelt, n_baseline),
        "wratio_baseline": wratio_baseline(names, misspelt[:n_baseline]),
        "autocomplete": autocomplete(rec, typos.prefixes(picked, seed)),
        "cold_start": cold_start(model, picked[0] if picked else "", repeat),
    }
