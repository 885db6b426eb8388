"""The project's error tree: every expected failure is a ``RecommenderError``.

Messages follow one pattern: what was expected, what arrived, and what to do next. The
command-line entry points print the message alone (no traceback) and exit non-zero.
"""

from __future__ import annotations

REBUILD_HINT = "run `python -m recommender.build` to build it"


class RecommenderError(Exception):
    """Root of every error this package raises on purpose."""


class InputError(RecommenderError):
    """A dataset path, file or option is unusable (missing, unreadable, wrong shape)."""


class MalformedRowError(InputError):
    """A row could not be parsed and ``--strict`` asked to stop at the first one."""

    def __init__(self, path: str, line: int | None, reason: str, text: str = "") -> None:
        where = f"{path}, line {line}" if line is not None else path
        shown = f": {text[:120]!r}" if text else ""
        super().__init__(
            f"{where}: {reason}{shown}. Fix or remove the row, or build without --strict "
            "to skip malformed rows (they are counted in the summary)."
        )
        self.path = path
        self.line = line
        self.reason = reason


class EmptyResultError(RecommenderError):
    """Filters (or the data itself) left nothing to build a model from."""


class ModelError(RecommenderError):
    """A model file is missing, truncated, foreign or of another format version."""


class QueryError(RecommenderError):
    """A query option is out of range (for example ``k`` below 1)."""
