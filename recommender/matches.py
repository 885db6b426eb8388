"""``python -m recommender.matches NAME``: the artist names the model knows close to NAME."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from recommender import cli
from recommender.facade import MAX_LIMIT, Recommender
from recommender.render import matches_text
from recommender.results import SimilarResult


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.matches",
        description="Print artist names close to NAME with their match scores (0 to 100).",
    )
    parser.add_argument("artist", help="a name or part of one")
    parser.add_argument(
        "--limit",
        type=cli.positive_int,
        default=10,
        help=f"how many candidates, at most {MAX_LIMIT} (default: 10)",
    )
    cli.add_common(parser)
    args = parser.parse_args(argv)
    if args.limit > MAX_LIMIT:
        parser.error(f"--limit must be at most {MAX_LIMIT}, got {args.limit}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cli.configure_logging(args.verbose)
    recommender = Recommender.load(cli.model_path(args))
    candidates = recommender.matches(args.artist, args.limit)
    if args.json:
        resolution = recommender.resolve(args.artist)
        payload = SimilarResult(resolution).to_json()
        payload["candidates"] = [
            {"artist": c.artist, "score": round(c.score, 2)} for c in candidates
        ]
        cli.print_json(payload)
    else:
        print(matches_text(args.artist, candidates))
    return cli.EXIT_OK if candidates else cli.EXIT_NOT_FOUND


if __name__ == "__main__":
    cli.run(main)
