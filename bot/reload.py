"""Serve one model and swap in a rebuilt one without a restart.

``python -m recommender.build`` replaces the model file by an atomic rename, so a new file
shows up as a new inode (or size, or mtime) at the same path. :class:`ModelHolder` checks the
path every few seconds, loads a changed file in a worker thread and swaps the reference in one
assignment. Requests read ``holder.current`` once when they start, so a request that began
on the old model finishes on it. A file that fails to load is refused, logged once, and not
tried again until it changes; the old model keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from recommender.errors import ModelError
from recommender.facade import Recommender

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileIdentity:
    """What changes when a file is replaced or rewritten."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        """The identity of the file at ``path``, or None if there is none."""
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model, the file it came from, and a fingerprint of its artist ids.

    Two models with the same fingerprint give every artist id the same name, so ids stored
    in buttons stay meaningful across a reload of an identical model.
    """

    recommender: Recommender
    identity: FileIdentity | None
    fingerprint: str


def fingerprint(recommender: Recommender) -> str:
    """Eight hex digits that change whenever the artist id -> name mapping changes."""
    return recommender.catalogue_fingerprint()


def load(path: Path) -> LoadedModel:
    """Load the model at ``path`` (blocking; raises ``ModelError`` if it is unusable)."""
    identity = FileIdentity.of(path)  # taken first: a newer file is then seen as a change
    recommender = Recommender.load(path)
    return LoadedModel(recommender, identity, fingerprint(recommender))


class ModelHolder:
    """The model currently served, and the watcher that replaces it when its file changes.

    Parameters
    ----------
    path : Path
        The model file to watch.
    loaded : LoadedModel
        The model to serve first.
    """

    def __init__(self, path: Path, loaded: LoadedModel) -> None:
        self.path = path
        self.current = loaded
        self.reloads = 0
        self._refused: FileIdentity | None = None
        self._missing_reported = False

    @classmethod
    async def open(cls, path: Path) -> ModelHolder:
        """Load ``path`` in a worker thread, off the event loop."""
        started = time.perf_counter()
        loaded = await asyncio.to_thread(load, path)
        logger.info(
            "serving %s: %d artists (model %s) loaded in %.0f ms",
            path,
            loaded.recommender.n_artists,
            loaded.fingerprint,
            (time.perf_counter() - started) * 1000,
        )
        return cls(path, loaded)

    async def check(self) -> bool:
        """Load the file if it changed since the last load or refusal; True if swapped."""
        identity = FileIdentity.of(self.path)
        if identity is None:
            if not self._missing_reported:
                logger.warning("model file %s is gone; still serving the loaded model", self.path)
                self._missing_reported = True
            return False
        self._missing_reported = False
        if identity in (self.current.identity, self._refused):
            return False

        started = time.perf_counter()
        try:
            loaded = await asyncio.to_thread(load, self.path)
        except ModelError as exc:
            self._refused = identity
            logger.error("refused the new model file: %s Still serving the previous model.", exc)
            return False
        except Exception:
            self._refused = identity
            logger.exception("could not load the new model file %s; keeping the old", self.path)
            return False

        self.current = loaded
        self.reloads += 1
        logger.info(
            "reloaded %s: %d artists (model %s) in %.0f ms",
            self.path,
            loaded.recommender.n_artists,
            loaded.fingerprint,
            (time.perf_counter() - started) * 1000,
        )
        return True

    async def watch(self, interval: float) -> None:
        """Check the file every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check()
            except Exception:  # the watcher must outlive any single failed check
                logger.exception("model file check failed; trying again in %.1f s", interval)
