"""``python -m recommender.discover NAME -k 10``: less-known artists like one artist."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from recommender import cli
from recommender.facade import Recommender
from recommender.novelty import DEFAULT_NOVELTY, POOL_FACTOR
from recommender.render import discover_text

DESCRIPTION = f"""\
Print artists similar to ARTIST that fewer people listen to, each with its listeners.
Candidates are ARTIST's {POOL_FACTOR} x k nearest neighbours with fewer listeners than it,
ranked by similarity x (listeners of ARTIST / listeners) ^ NOVELTY."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m recommender.discover", description=DESCRIPTION)
    parser.add_argument("artist", help="artist name (typos are forgiven)")
    parser.add_argument(
        "-k", type=cli.positive_int, default=10, help="how many artists (default: 10)"
    )
    parser.add_argument(
        "--novelty",
        type=cli.non_negative_float,
        default=DEFAULT_NOVELTY,
        metavar="NOVELTY",
        help="0 ranks by similarity alone; higher favours less-known artists "
        f"(default: {DEFAULT_NOVELTY:g})",
    )
    parser.add_argument(
        "--more-popular",
        action="store_true",
        help="also allow artists with as many listeners as ARTIST or more",
    )
    cli.add_common(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cli.configure_logging(args.verbose)
    recommender = Recommender.load(cli.model_path(args))
    result = recommender.discover(
        args.artist, args.k, novelty=args.novelty, more_popular=args.more_popular
    )
    if args.json:
        cli.print_json(result.to_json())
    else:
        print(discover_text(result))
    return cli.EXIT_OK if result.resolution.resolved else cli.EXIT_NOT_FOUND


if __name__ == "__main__":
    cli.run(main)
