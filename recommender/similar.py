"""``python -m recommender.similar NAME -k 10``: the artists most similar to one artist."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from recommender import cli
from recommender.facade import Recommender
from recommender.render import similar_text


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.similar",
        description="Print the k artists most similar to ARTIST, with cosine distances.",
    )
    parser.add_argument("artist", help="artist name (typos are forgiven)")
    parser.add_argument(
        "-k", type=cli.positive_int, default=10, help="how many similar artists (default: 10)"
    )
    cli.add_common(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cli.configure_logging(args.verbose)
    recommender = Recommender.load(cli.model_path(args))
    result = recommender.similar(args.artist, args.k)
    if args.json:
        cli.print_json(result.to_json())
    else:
        print(similar_text(result))
    return cli.EXIT_OK if result.resolution.resolved else cli.EXIT_NOT_FOUND


if __name__ == "__main__":
    cli.run(main)
