"""Saving and loading models with joblib: atomic writes, a format check on load.

A model file is a pickle: loading one runs code, so load only files you built yourself or got
from a source you trust. The loader reads exactly the path it is given.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp

from recommender.errors import REBUILD_HINT, ModelError
from recommender.matching import NameIndex
from recommender.model import FORMAT_NAME, FORMAT_VERSION, Model
from recommender.neighbors import NeighborTable
from recommender.results import ModelInfo
from recommender.strings import StringColumn
from recommender.support import SupportOptions
from recommender.tags import ArtistTags

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path("artifacts") / "model.joblib"


def default_model_path() -> Path:
    """``$MODEL_PATH`` if set, else ``artifacts/model.joblib``."""
    return Path(os.environ.get("MODEL_PATH") or DEFAULT_MODEL_PATH)


def save_model(model: Model, path: str | Path) -> int:
    """Write a model atomically: a temporary file beside ``path``, then a rename.

    A failure at any point leaves an existing file at ``path`` untouched.

    Returns
    -------
    int
        The size of the written file in bytes.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            joblib.dump(_to_payload(model), file, compress=0)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    size = target.stat().st_size
    logger.info("saved model to %s (%d bytes)", target, size)
    return size


def load_model(path: str | Path, *, mmap: bool = True) -> Model:
    """Load a model saved by :func:`save_model`, checking its format and version.

    Parameters
    ----------
    path : str or Path
        The model file. Nothing else is read.
    mmap : bool
        Map the large arrays from the file instead of reading them (fast start, shared pages).

    Raises
    ------
    ModelError
        The file is missing, unreadable, truncated, not a model, or of another format version.
    """
    source = Path(path)
    if not source.is_file():
        raise ModelError(f"No model at {source}: {REBUILD_HINT} (or set MODEL_PATH).")
    started = time.perf_counter()
    try:
        payload = joblib.load(source, mmap_mode="r" if mmap else None)
    except Exception as exc:  # joblib/pickle raise many types for damaged files
        raise ModelError(
            f"{source} is not a readable model file ({type(exc).__name__}: {exc}). It may be "
            f"truncated or not a model at all: {REBUILD_HINT}."
        ) from exc
    model = _from_payload(payload, source)
    logger.info(
        "loaded %s: %d artists in %.3f s", source, model.n_artists, time.perf_counter() - started
    )
    return model


def _to_payload(model: Model) -> dict[str, Any]:
    matrix = model.matrix
    tags = model.tags
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "info": asdict(model.info),
        "artist_names": StringColumn.from_strings(model.artist_names).to_state(),
        "listeners": np.asarray(model.listeners),
        "plays": np.asarray(model.plays),
        "neighbor_ids": model.neighbors.ids,
        "neighbor_distances": model.neighbors.distances,
        "neighbor_shared": model.neighbors.shared,
        "neighbor_evidence": model.neighbors.evidence,
        "matrix": _sparse_state(matrix, np.float32),
        "name_index": model.name_index.to_state(),
        "aliases": [list(pair) for pair in model.aliases],
        "support": model.support.to_json(),
        "tags": None
        if tags is None
        else {"counts": _sparse_state(tags.counts, np.int32), "names": list(tags.names)},
    }


def _sparse_state(matrix: sp.csr_matrix, dtype: type) -> dict[str, Any]:
    return {
        "data": matrix.data.astype(dtype),
        "indices": matrix.indices,
        "indptr": matrix.indptr,
        "shape": matrix.shape,
    }


def _sparse(state: dict[str, Any]) -> sp.csr_matrix:
    return sp.csr_matrix((state["data"], state["indices"], state["indptr"]), shape=state["shape"])


def _from_payload(payload: object, source: Path) -> Model:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        raise ModelError(f"{source} is not an artist-neighbours model: {REBUILD_HINT}.")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{source} has model format version {version}, and this program reads version "
            f"{FORMAT_VERSION}: {REBUILD_HINT} again with this version."
        )
    try:
        tags = payload["tags"]
        return Model(
            artist_names=StringColumn.from_state(payload["artist_names"]),
            listeners=payload["listeners"],
            plays=payload["plays"],
            neighbors=NeighborTable(
                payload["neighbor_ids"],
                payload["neighbor_distances"],
                payload["neighbor_shared"],
                payload["neighbor_evidence"],
            ),
            matrix=_sparse(payload["matrix"]),
            name_index=NameIndex.from_state(payload["name_index"]),
            info=ModelInfo(**payload["info"]),
            aliases=[(str(alias), int(artist)) for alias, artist in payload["aliases"]],
            support=SupportOptions(**payload["support"]),
            tags=None
            if tags is None
            else ArtistTags(_sparse(tags["counts"]), np.array(tags["names"], dtype=object)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source} is damaged or incomplete ({exc!r}): {REBUILD_HINT}.") from exc
