"""Run a command as a child process and take the operating system's own measurements of it.

Wall time comes from a monotonic clock around the child; CPU time and peak resident memory
come from ``os.wait4``, the kernel's accounting for exactly that child (and its waited-for
descendants). An optional address-space cap (``RLIMIT_AS``) stops a child that would otherwise
take the whole machine.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Measurement:
    """One finished child process."""

    command: list[str]
    returncode: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    timed_out: bool = False
    stdout: str = ""
    stderr_tail: str = ""
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def to_json(self) -> dict[str, Any]:
        return {
            "returncode": self.returncode,
            "timed_out": self.timed_out,
            "wall_seconds": round(self.wall_seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "peak_rss_bytes": self.peak_rss_bytes,
            "output": self.output,
            "stderr_tail": self.stderr_tail if not self.ok else "",
        }


def _limit_address_space(limit: int | None) -> None:
    if limit is not None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _last_json_object(text: str) -> dict[str, Any]:
    """The JSON summary a child printed last (single- or multi-line)."""
    start = text.rfind("\n{")
    candidate = text[start + 1 :] if start >= 0 else text
    try:
        value = json.loads(candidate)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def run(
    command: Sequence[str],
    *,
    memory_limit: int | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Measurement:
    """Run ``command`` to its end and measure it; never raises for a failing child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            preexec_fn=lambda: _limit_address_space(memory_limit),
        )
        expired = threading.Event()

        def stop() -> None:
            expired.set()
            os.kill(child.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        if timer:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again

        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")

    measurement = Measurement(
        command=list(command),
        returncode=child.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # kilobytes on Linux
        timed_out=expired.is_set(),
        stdout=stdout,
        stderr_tail=stderr[-2000:],
        output=_last_json_object(stdout),
    )
    logger.info(
        "%s: exit %d, %.2f s wall, %.2f s CPU, %.0f MiB peak",
        command[2] if len(command) > 2 else command[0],
        measurement.returncode,
        measurement.wall_seconds,
        measurement.cpu_seconds,
        measurement.peak_rss_bytes / 2**20,
    )
    return measurement


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p99 (and the mean and the worst) of a list of durations, in milliseconds."""
    values = np.asarray(seconds, dtype=float) * 1000
    if values.size == 0:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan"), "n": 0}
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
        "max_ms": float(values.max()),
        "n": int(values.size),
    }


def median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else float("nan")
