"""Stage timings and progress bars for long work (the build)."""

from __future__ import annotations

import logging
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

logger = logging.getLogger(__name__)


class Stages:
    """Times the named stages of a job and hands out progress bars.

    Parameters
    ----------
    show_progress : bool
        Draw bars on standard error; ``None`` draws them only when it is a terminal.
    """

    def __init__(self, show_progress: bool | None = None) -> None:
        self.show_progress = sys.stderr.isatty() if show_progress is None else show_progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage; logs its start and end."""
        logger.info("%s ...", name)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
            logger.info("%s done in %.2f s", name, elapsed)

    def bar(self, total: int | None, description: str, unit: str = "it") -> tqdm:
        """A progress bar (a silent one when progress is off)."""
        scale = unit == "B"
        return tqdm(
            total=total,
            desc=description,
            unit=unit,
            unit_scale=scale,
            unit_divisor=1024 if scale else 1000,
            disable=not self.show_progress,
            leave=False,
            dynamic_ncols=True,
        )


def peak_memory_bytes() -> int:
    """The process's peak resident set size so far, as the OS accounts it."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
