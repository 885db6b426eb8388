"""The evaluation run: read as the build reads, split, recommend with every method, score.

Data goes through the build's own steps (:func:`recommender.pipeline.read_table`, the
filters, spelling folding where the build folds), so any dataset the build accepts can be
evaluated. Each split is drawn once (or ``repeats`` times with consecutive seeds) and every
method is scored on the same draws, so differences between methods are not differences between
splits; each method's difference from the reference is also given as a paired interval over
the same users.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import scipy.sparse as sp

from recommender.evaluate import metrics
from recommender.evaluate.anchors import MISSING_NOTE, implicit_available
from recommender.evaluate.methods import (
    DEFAULT_NEIGHBOR_COUNTS,
    PROPOSED,
    REFERENCE,
    Method,
    SplitData,
    recommend,
    reference_for,
    standard_methods,
)
from recommender.evaluate.report import Evaluation, MethodResult, SplitResult
from recommender.evaluate.split import (
    DEFAULT_HOLDOUT_FRACTION,
    DEFAULT_MIN_ARTISTS,
    SPLITS,
    Split,
    split_listening,
    user_artist_plays,
)
from recommender.pipeline import SAMPLE_NAME, BuildOptions, prepare_table
from recommender.progress import Stages
from recommender.table import ListeningTable

logger = logging.getLogger(__name__)

#: Quantiles of artists' total plays used as popularity thresholds when none are given.
THRESHOLD_QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class EvaluationOptions:
    """What to evaluate, on what data.

    Attributes
    ----------
    build : BuildOptions
        Dataset format, input and filters, exactly as for a build.
    splits : tuple of str
        ``leave-one-out`` and/or ``holdout``.
    seed : int
        Seed of the splits, the random baseline and ALS.
    repeats : int
        Splits drawn per kind, with seeds ``seed, seed + 1, ...``; every method runs on each
        and a user's scores are averaged over them before the intervals are taken.
    min_artists : int
        Users with fewer artists are not scored.
    holdout_fraction : float
        Share held out by the ``holdout`` split.
    max_users : int, optional
        Score at most this many users per split (drawn with the seed).
    cutoff, recall_cutoff : int
        List lengths of HR, nDCG, MAP, coverage, popularity (``cutoff``) and of recall.
    neighbor_counts : tuple of int
        ``k`` values compared.
    thresholds : tuple of int, optional
        Popularity thresholds compared; ``None`` takes the artists' total-plays quantiles in
        :data:`THRESHOLD_QUANTILES` (rounded to two significant digits).
    anchors : bool
        Run implicit's models (skipped with a note when implicit is absent).
    groups : tuple of str, optional
        Only methods of these groups (the reference always runs).
    methods : tuple of Method, optional
        Exactly these methods instead of the standard comparison.
    """

    build: BuildOptions = field(default_factory=BuildOptions)
    splits: tuple[str, ...] = SPLITS
    seed: int = 42
    repeats: int = 1
    min_artists: int = DEFAULT_MIN_ARTISTS
    holdout_fraction: float = DEFAULT_HOLDOUT_FRACTION
    max_users: int | None = None
    cutoff: int = 10
    recall_cutoff: int = 50
    neighbor_counts: tuple[int, ...] = DEFAULT_NEIGHBOR_COUNTS
    thresholds: tuple[int, ...] | None = None
    anchors: bool = True
    groups: tuple[str, ...] | None = None
    methods: tuple[Method, ...] | None = None


def evaluate(options: EvaluationOptions, stages: Stages | None = None) -> Evaluation:
    """Run the whole comparison.

    Parameters
    ----------
    options : EvaluationOptions
        Data, splits and methods.
    stages : Stages, optional
        Stage timings and progress bars (silent by default).

    Returns
    -------
    Evaluation
        One table of results per split, with the dataset, date and notes.

    Raises
    ------
    RecommenderError
        For unusable input or filters that leave nothing, as in a build.
    """
    stages = stages or Stages(show_progress=False)
    with stages.stage("read"):
        table = load_table(options.build, stages)
    plays = user_artist_plays(table)
    notes = []
    methods = list(options.methods or _standard(options, plays, notes))

    results = []
    for name in options.splits:
        with stages.stage(f"split {name}"):
            splits = [
                split_listening(
                    plays,
                    name,
                    seed=options.seed + repeat,
                    min_artists=options.min_artists,
                    fraction=options.holdout_fraction,
                    max_users=options.max_users,
                    user_seed=options.seed,
                )
                for repeat in range(options.repeats)
            ]
        with stages.stage(f"methods {name}"):
            results.append(evaluate_split(splits, methods, options, stages))
    return Evaluation(
        dataset=_dataset_name(options.build),
        source_format=options.build.source_format,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        data={"users": table.n_users, "artists": table.n_artists, "entries": int(plays.nnz)},
        settings=_settings(options),
        splits=results,
        notes=notes,
    )


def load_table(build: BuildOptions, stages: Stages | None = None) -> ListeningTable:
    """Read, filter and fold spellings exactly as :func:`recommender.pipeline.build` does."""
    return prepare_table(build, stages).table


@dataclass
class MethodScores:
    """One method's per-user scores on one split (or averaged over repeated splits)."""

    per_user: dict[str, np.ndarray]
    coverage: float
    seconds: float


def evaluate_split(
    splits: Sequence[Split], methods: Sequence[Method], options: EvaluationOptions, stages: Stages
) -> SplitResult:
    """Score every method on the splits, average each user's scores over them, summarise.

    All ``splits`` must score the same users (the same data and eligibility, drawn with
    different seeds). The summary has each method's intervals and its paired differences
    from the reference.
    """
    runs = [score_methods(split, methods, options, stages) for split in splits]
    averaged = {method.name: _average([run[method.name] for run in runs]) for method in methods}

    results = []
    for method in methods:
        scores = averaged[method.name]
        result = MethodResult(
            name=method.name,
            group=method.group,
            parameters=method.parameters(),
            metrics={k: metrics.normal_interval(v) for k, v in scores.per_user.items()},
            coverage=scores.coverage,
            seconds=round(scores.seconds, 3),
        )
        reference = averaged.get(reference_for(method).name)
        if reference is not None:
            result.compared_to = reference_for(method).name
            result.difference = {
                key: metrics.normal_interval(scores.per_user[key] - reference.per_user[key])
                for key in reference.per_user
            }
        results.append(result)
    reference = averaged.get(REFERENCE.name)
    described = splits[0].describe() | {"seeds": [split.seed for split in splits]}
    return SplitResult(
        split=described,
        reference=REFERENCE.name if reference is not None else None,
        results=results,
    )


def score_methods(
    split: Split, methods: Sequence[Method], options: EvaluationOptions, stages: Stages
) -> dict[str, MethodScores]:
    """Every method's per-user scores on one split."""
    n = max(options.cutoff, options.recall_cutoff)
    data = SplitData(split, n=n, seed=split.seed, backend=options.build.backend)
    held_out = split.scored_held_out()
    percentiles = metrics.popularity_percentiles(data.listeners())

    scored = {}
    with stages.bar(len(methods), f"{split.name} seed {split.seed}", "method") as bar:
        for method in methods:
            bar.set_postfix_str(method.name, refresh=True)
            started = time.perf_counter()
            ranked = recommend(method, data)
            seconds = time.perf_counter() - started
            per_user = user_scores(ranked, held_out, percentiles, options)
            coverage = metrics.coverage(ranked, options.cutoff, split.n_artists)
            scored[method.name] = MethodScores(per_user, coverage, seconds)
            logger.info(
                "%s seed %d: %s HR@%d %.4f in %.1f s",
                split.name,
                split.seed,
                method.name,
                options.cutoff,
                per_user[f"hr@{options.cutoff}"].mean(),
                seconds,
            )
            bar.update(1)
    return scored


def user_scores(
    ranked: np.ndarray,
    held_out: sp.csr_matrix,
    percentiles: np.ndarray,
    options: EvaluationOptions,
) -> dict[str, np.ndarray]:
    """Every per-user metric of one method's recommendations, keyed by its report name."""
    hits = metrics.hit_matrix(ranked, held_out)
    n_held = np.diff(held_out.indptr)
    k, r = options.cutoff, options.recall_cutoff
    return {
        f"hr@{k}": metrics.hit_rate(hits, k),
        f"ndcg@{k}": metrics.ndcg(hits, n_held, k),
        f"map@{k}": metrics.average_precision(hits, n_held, k),
        f"recall@{r}": metrics.recall(hits, n_held, r),
        f"popularity@{k}": metrics.mean_percentile(ranked, percentiles, k),
    }


def default_thresholds(plays: sp.csr_matrix) -> tuple[int, ...]:
    """Popularity thresholds at the :data:`THRESHOLD_QUANTILES` of artists' total plays."""
    totals = np.asarray(plays.sum(axis=0)).ravel()
    totals = totals[totals > 0]
    if totals.size == 0:
        return ()
    values = {_two_digits(q) for q in np.quantile(totals, THRESHOLD_QUANTILES)}
    return tuple(sorted(v for v in values if v > 0))


def _standard(options: EvaluationOptions, plays: sp.csr_matrix, notes: list[str]) -> list[Method]:
    anchors = options.anchors
    if anchors and not implicit_available():
        notes.append(MISSING_NOTE)
        logger.warning("%s", MISSING_NOTE)
        anchors = False
    thresholds = options.thresholds
    if thresholds is None:
        thresholds = default_thresholds(plays)
    methods = standard_methods(
        neighbor_counts=options.neighbor_counts, thresholds=thresholds, anchors=anchors
    )
    if options.groups is not None:
        methods = [m for m in methods if m.group in options.groups or m == REFERENCE]
    return methods


def _average(runs: list[MethodScores]) -> MethodScores:
    """Per-user scores averaged over repeated splits (``nan`` where a user has no value)."""
    if len(runs) == 1:
        return runs[0]
    per_user = {}
    for key in runs[0].per_user:
        stacked = np.vstack([run.per_user[key] for run in runs])
        valid = ~np.isnan(stacked)
        with np.errstate(invalid="ignore"):
            per_user[key] = np.where(valid, stacked, 0).sum(axis=0) / valid.sum(axis=0)
    coverage = float(np.mean([run.coverage for run in runs]))
    return MethodScores(per_user, coverage, sum(run.seconds for run in runs))


def _two_digits(value: float) -> int:
    if value < 10:
        return int(round(value))
    digits = int(np.floor(np.log10(value))) - 1
    return int(round(value, -digits))


def _dataset_name(build: BuildOptions) -> str:
    if build.input is None:
        return f"embedded sample ({SAMPLE_NAME})"
    return str(build.input)


def _settings(options: EvaluationOptions) -> dict[str, object]:
    return {
        "splits": list(options.splits),
        "seed": options.seed,
        "repeats": options.repeats,
        "min_artists": options.min_artists,
        "holdout_fraction": options.holdout_fraction,
        "max_users": options.max_users,
        "cutoff": options.cutoff,
        "recall_cutoff": options.recall_cutoff,
        "filters": {
            "min_artist_plays": options.build.filters.min_artist_plays,
            "countries": list(options.build.filters.countries),
        },
        "merge_names": options.build.merges,
        "proposed": PROPOSED.name,
        "confidence": f"{metrics.CONFIDENCE:.0%} normal approximation over users",
    }
