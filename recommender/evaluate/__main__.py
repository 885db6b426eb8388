"""``python -m recommender.evaluate``: compare recommenders offline and print the table."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from recommender import cli
from recommender.evaluate.experiment import EvaluationOptions, evaluate
from recommender.evaluate.methods import DEFAULT_NEIGHBOR_COUNTS, GROUPS
from recommender.evaluate.report import Evaluation, format_markdown, format_text, plot
from recommender.evaluate.split import DEFAULT_HOLDOUT_FRACTION, DEFAULT_MIN_ARTISTS, SPLITS
from recommender.filters import FilterOptions
from recommender.pipeline import BuildOptions
from recommender.progress import Stages

DESCRIPTION = """\
Offline evaluation: hold out some of each user's artists, recommend from the rest with every
method on the same split, and report HR, nDCG, MAP, recall, coverage and popularity with 95%
confidence intervals. Reads any dataset the build accepts (default: the embedded sample)."""

EPILOG = """\
examples:
  python -m recommender.evaluate --format hetrec2011 --input ../shared/data/hetrec2011-lastfm-2k
  python -m recommender.evaluate --format hetrec2011 --input DIR --split leave-one-out \\
      --groups weighting neighbours --no-implicit
  python -m recommender.evaluate --json > evaluation.json

Writes evaluation.md, evaluation.json and evaluation.png (with matplotlib) to --output."""

DEFAULT_OUTPUT = Path("artifacts") / "evaluation"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.evaluate",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data (as for the build)")
    cli.add_data_options(data)

    split = parser.add_argument_group("split")
    split.add_argument("--split", choices=[*SPLITS, "both"], default="both", help="(default: both)")
    split.add_argument("--seed", type=int, default=42, help="(default: 42)")
    split.add_argument(
        "--repeats",
        type=cli.positive_int,
        default=1,
        metavar="N",
        help="draw N splits of each kind (seeds SEED, SEED+1, ...) and average each user's "
        "scores over them (default: 1)",
    )
    split.add_argument(
        "--min-artists",
        type=_at_least_two,
        default=DEFAULT_MIN_ARTISTS,
        metavar="N",
        help=f"score users with at least N artists (default: {DEFAULT_MIN_ARTISTS})",
    )
    split.add_argument(
        "--holdout-fraction",
        type=_fraction,
        default=DEFAULT_HOLDOUT_FRACTION,
        metavar="F",
        help=f"share held out by the holdout split (default: {DEFAULT_HOLDOUT_FRACTION})",
    )
    split.add_argument(
        "--max-users",
        type=cli.positive_int,
        default=None,
        metavar="N",
        help="score at most N users per split, drawn with the seed (default: all)",
    )

    methods = parser.add_argument_group("methods and metrics")
    methods.add_argument(
        "--neighbors",
        type=cli.positive_int,
        nargs="+",
        default=list(DEFAULT_NEIGHBOR_COUNTS),
        metavar="K",
        help="neighbour counts compared (default: %(default)s)",
    )
    methods.add_argument(
        "--thresholds",
        type=cli.non_negative_int,
        nargs="+",
        default=None,
        metavar="N",
        help="popularity thresholds (min total plays) compared "
        "(default: the median and 90th percentile of artists' plays)",
    )
    methods.add_argument(
        "--groups",
        choices=GROUPS,
        nargs="+",
        default=None,
        metavar="GROUP",
        help="only these groups of methods (the reference always runs): " + ", ".join(GROUPS),
    )
    methods.add_argument(
        "--no-implicit", action="store_true", help="skip implicit's models (anchors)"
    )
    methods.add_argument("--cutoff", type=cli.positive_int, default=10, metavar="K")
    methods.add_argument("--recall-cutoff", type=cli.positive_int, default=50, metavar="K")

    output = parser.add_argument_group("output")
    output.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"folder for evaluation.md/.json/.png (default: {DEFAULT_OUTPUT})",
    )
    output.add_argument("--no-chart", action="store_true", help="do not draw the PNG chart")
    output.add_argument("--no-progress", action="store_true", help="hide progress bars")
    cli.add_common(parser, model=False)
    args = parser.parse_args(argv)
    if args.input is None and args.source_format != "lastfm360k":
        parser.error(f"--format {args.source_format} needs --input PATH")
    if args.country and args.source_format != "lastfm360k":
        parser.error(f"--country needs user profiles; --format {args.source_format} has none")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cli.configure_logging(args.verbose)
    options = EvaluationOptions(
        build=BuildOptions(
            source_format=args.source_format,
            input=args.input,
            filters=FilterOptions(args.min_artist_plays, tuple(args.country)),
            delimiter=args.delimiter,
        ),
        splits=SPLITS if args.split == "both" else (args.split,),
        seed=args.seed,
        repeats=args.repeats,
        min_artists=args.min_artists,
        holdout_fraction=args.holdout_fraction,
        max_users=args.max_users,
        cutoff=args.cutoff,
        recall_cutoff=args.recall_cutoff,
        neighbor_counts=tuple(args.neighbors),
        thresholds=None if args.thresholds is None else tuple(args.thresholds),
        anchors=not args.no_implicit,
        groups=None if args.groups is None else tuple(args.groups),
    )
    stages = Stages(show_progress=False if args.no_progress or args.json else None)
    evaluation = evaluate(options, stages)
    written = write_outputs(evaluation, args.output, chart=not args.no_chart)

    if args.json:
        cli.print_json(evaluation.to_json())
    else:
        print(format_text(evaluation))
        print()
        print("written: " + ", ".join(str(path) for path in written))
    return cli.EXIT_OK


def write_outputs(evaluation: Evaluation, folder: Path, *, chart: bool = True) -> list[Path]:
    """Write the Markdown, the JSON and (with matplotlib) the chart; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / "evaluation.md"
    markdown.write_text(format_markdown(evaluation), encoding="utf-8")
    payload = folder / "evaluation.json"
    payload.write_text(
        json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    written = [markdown, payload]
    if chart:
        try:
            written.append(plot(evaluation, folder / "evaluation.png"))
        except ImportError:
            print(
                "note: matplotlib is not installed, so no chart was drawn "
                "(pip install 'artist-neighbours[plots]')",
                file=sys.stderr,
            )
    return written


def _at_least_two(text: str) -> int:
    value = cli.positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 2, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value}")
    return value


if __name__ == "__main__":
    cli.run(main)
