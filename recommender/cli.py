"""What the command-line entry points share: logging set-up, errors, exit codes, output."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from recommender.errors import RecommenderError
from recommender.readers import FORMATS
from recommender.store import default_model_path

EXIT_OK = 0
EXIT_NOT_FOUND = 1  # a query resolved to no artist
EXIT_USAGE = 2  # argparse's own code for bad options
EXIT_ERROR = 3  # unusable input, model or filters

Main = Callable[[Sequence[str] | None], int]


def run(main: Main) -> None:
    """Run an entry point; print expected errors as one line and exit with its code.

    The objects the imports made (numba's, scipy's: most of the process's) live until exit;
    freezing them keeps every later garbage collection, the ones at exit included, from
    walking them again (about 0.3 s of a build's exit).
    """
    gc.freeze()
    try:
        code = main(None)
    except RecommenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Log to standard error: warnings by default, info with -v, debug with -vv."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    env_level = os.environ.get("LOG_LEVEL")
    if env_level and not verbose and not quiet:
        level = logging.getLevelName(env_level.upper())
        level = level if isinstance(level, int) else logging.WARNING
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of at least {minimum}, got {value}"
            )
        return value

    parse.__name__ = f"whole number >= {minimum}"
    return parse


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def non_negative_float(text: str) -> float:
    """argparse type: a finite number of at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {text}")
    return value


def add_common(parser: argparse.ArgumentParser, *, model: bool = True) -> None:
    """The options every query command has: --model, --json, -v."""
    if model:
        parser.add_argument(
            "--model",
            type=Path,
            default=None,
            help="model file (default: $MODEL_PATH or artifacts/model.joblib)",
        )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)"
    )


def add_data_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The options that say what to read and filter; the build and the evaluation share them."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="lastfm360k",
        dest="source_format",
        help="dataset format (default: lastfm360k)",
    )
    parser.add_argument(
        "--input",
        type=Path,
        default=None,
        help="360K .tar.gz, folder or plays file; HetRec folder; or plays file "
        "(default: the embedded sample)",
    )
    parser.add_argument(
        "--country",
        action="append",
        default=[],
        metavar="NAME",
        help="keep users from this country (repeatable; 360K with profiles)",
    )
    parser.add_argument(
        "--min-artist-plays",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="keep artists with at least N plays in total (default: 0)",
    )
    parser.add_argument(
        "--delimiter", default=None, help="field separator for --format plays (default: detected)"
    )


def model_path(args: argparse.Namespace) -> Path:
    return args.model or default_model_path()


def print_json(payload: Any) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))
