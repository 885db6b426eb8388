"""``python -m recommender.build``: build a model and print a one-screen summary."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from recommender import cli
from recommender.allocator import return_freed_memory
from recommender.filters import FilterOptions
from recommender.matrix import WEIGHTINGS
from recommender.neighbors import BACKENDS
from recommender.pipeline import (
    DEFAULT_NEIGHBORS,
    MERGE_BY_DEFAULT,
    BuildOptions,
    BuildReport,
    build,
)
from recommender.progress import Stages
from recommender.store import default_model_path
from recommender.support import (
    BUILD_SHRINKAGE,
    DEFAULT_MIN_SUPPORT,
    SupportOptions,
)
from recommender.tags import TAG_FALLBACK_LISTENERS

DESCRIPTION = """\
Build the similar-artists model. With no arguments, builds the embedded (generated) sample
into artifacts/model.joblib. A failed build leaves any existing model untouched."""

EPILOG = """\
examples:
  python -m recommender.build
  python -m recommender.build --format lastfm360k --input lastfm-dataset-360K.tar.gz \\
      --min-artist-plays 40000 --country "United States"
  python -m recommender.build --format hetrec2011 --input hetrec2011-lastfm-2k/
  python -m recommender.build --format plays --input my-scrobbles.csv
  python -m recommender.build --input lastfm-dataset-360K.tar.gz --min-support 2 --shrinkage 10

whole catalogue: with no popularity threshold, artists with a handful of listeners are in
the model, and plain cosine ranks a one-listener artist that shares its only listener as a
close neighbour. --min-support N drops neighbours sharing fewer than N listeners;
--shrinkage LAMBDA scales similarity by n / (n + LAMBDA) for n shared listeners. Both keep
the ranking exact (see recommender/support.py).

spelling variants: names with one MusicBrainz id, or differing only by case, accents,
punctuation or a leading "the", are folded into one artist (the most-played spelling shows;
the others stay searchable). On by default for lastfm360k and plays files; --no-merge
reproduces the classic analysis, --merge folds HetRec's names too."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.build",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli.add_data_options(parser)
    parser.add_argument(
        "--weighting",
        choices=WEIGHTINGS,
        default="binary",
        help="matrix values: binary 'has listened' (default), play counts, or plays "
        "reweighted (log1p, tfidf, bm25)",
    )
    parser.add_argument(
        "--neighbors",
        type=cli.positive_int,
        default=DEFAULT_NEIGHBORS,
        metavar="N",
        help=f"neighbours to precompute per artist (default: {DEFAULT_NEIGHBORS})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="model file (default: $MODEL_PATH or artifacts/model.joblib)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first malformed row instead of counting it",
    )
    parser.add_argument(
        "--backend", choices=BACKENDS, default="auto", help="neighbour computation (default: auto)"
    )
    parser.add_argument(
        "--min-support",
        type=cli.positive_int,
        default=DEFAULT_MIN_SUPPORT,
        metavar="N",
        help="neighbours must share at least N listeners "
        f"(default: {DEFAULT_MIN_SUPPORT}, any shared listener)",
    )
    parser.add_argument(
        "--shrinkage",
        type=cli.non_negative_float,
        default=BUILD_SHRINKAGE,
        metavar="LAMBDA",
        help="scale similarity by n / (n + LAMBDA) for n shared listeners "
        f"(default: {BUILD_SHRINKAGE:g}; 0 for plain cosine)",
    )
    merge = parser.add_mutually_exclusive_group()
    merge.add_argument(
        "--no-merge",
        dest="merge_names",
        action="store_false",
        default=None,
        help="keep every spelling a separate artist, as the classic analysis",
    )
    merge.add_argument(
        "--merge",
        dest="merge_names",
        action="store_true",
        help=f"fold spelling variants for any format (default for {', '.join(MERGE_BY_DEFAULT)})",
    )
    parser.add_argument(
        "--tag-fallback",
        type=cli.non_negative_int,
        default=TAG_FALLBACK_LISTENERS,
        metavar="N",
        help="artists with fewer than N listeners get neighbours by tags, where the data has "
        f"tags (default: {TAG_FALLBACK_LISTENERS}; 0 turns it off)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    cli.add_common(parser, model=False)
    args = parser.parse_args(argv)
    if args.country and args.source_format != "lastfm360k":
        parser.error(
            f"--country needs user profiles; --format {args.source_format} has none "
            "(only the 360K dataset carries countries)"
        )
    if args.input is None and args.source_format != "lastfm360k":
        parser.error(f"--format {args.source_format} needs --input PATH")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cli.configure_logging(args.verbose)
    return_freed_memory()
    options = BuildOptions(
        source_format=args.source_format,
        input=args.input,
        filters=FilterOptions(args.min_artist_plays, tuple(args.country)),
        weighting=args.weighting,
        n_neighbors=args.neighbors,
        strict=args.strict,
        delimiter=args.delimiter,
        backend=args.backend,
        merge_names=args.merge_names,
        support=SupportOptions(args.min_support, args.shrinkage),
        tag_fallback_listeners=args.tag_fallback,
    )
    output = args.output or default_model_path()
    stages = Stages(show_progress=False if args.no_progress or args.json else None)
    report = build(options, output, stages)
    if args.json:
        cli.print_json(report.to_json())
    else:
        print(format_report(report))
    return cli.EXIT_OK


def format_report(report: BuildReport) -> str:
    """The human summary: counts, drops by reason, sizes, timings."""
    lines = [
        f"Built {report.output} from {report.source}",
        f"  rows read        {report.rows_read:>14,}",
    ]
    for reason, count in report.dropped.items():
        lines.append(f"  dropped          {count:>14,}  {reason}")
    if report.duplicates_merged:
        lines.append(
            f"  merged           {report.duplicates_merged:>14,}  duplicate (user, artist) "
            "rows, plays summed"
        )
    if report.names_merged:
        lines.append(
            f"  merged           {report.names_merged:>14,}  spellings folded into another "
            "artist (kept as aliases)"
        )
    if report.spelling_rows_merged:
        lines.append(
            f"  merged           {report.spelling_rows_merged:>14,}  (user, artist) rows "
            "joined by folding spellings, plays summed"
        )
    if report.homonym_keys:
        lines.append(
            f"  kept apart       {report.homonym_keys:>14,}  names shared by two artists "
            "(distinct MusicBrainz ids)"
        )
    lines += [
        f"  users            {report.users:>14,}",
        f"  artists          {report.artists:>14,}",
        f"  nonzeros         {report.nonzeros:>14,}",
        f"  neighbours each  {report.n_neighbors:>14,}",
    ]
    if report.min_support > 1 or report.shrinkage > 0:
        lines.append(
            f"  support          at least {report.min_support:,} shared listeners, "
            f"shrinkage {report.shrinkage:g}"
        )
    if report.tagged_artists:
        lines.append(
            f"  tags             {report.tagged_artists:>14,}  artists tagged; "
            f"{report.tag_neighbor_artists:,} with neighbours by tags"
        )
    lines += [
        "  seconds          "
        + ", ".join(f"{name} {sec:.2f}" for name, sec in report.stage_seconds.items())
        + f" (total {sum(report.stage_seconds.values()):.2f})",
        f"  peak memory      {report.peak_memory_bytes / 2**20:>11,.0f} MiB",
        f"  model size       {report.output_bytes / 2**20:>11,.1f} MiB",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    cli.run(main)
