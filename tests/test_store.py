"""Persistence: round trip, atomic replacement, and clear refusals of unusable files."""

from __future__ import annotations

import os
from pathlib import Path

import joblib
import numpy as np
import pytest

from recommender import store
from recommender.errors import ModelError
from recommender.facade import Recommender
from recommender.pipeline import BuildOptions, build
from recommender.progress import Stages
from recommender.store import load_model, save_model


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    build(BuildOptions(n_neighbors=20), path, Stages(show_progress=False))
    return path


def test_round_trip_keeps_every_answer(built, tmp_path):
    model = load_model(built)
    again = tmp_path / "again.joblib"
    save_model(model, again)
    copy = load_model(again, mmap=False)

    assert copy.artist_names == model.artist_names
    np.testing.assert_array_equal(copy.neighbors.ids, model.neighbors.ids)
    np.testing.assert_array_equal(copy.neighbors.distances, model.neighbors.distances)
    assert (copy.matrix != model.matrix).nnz == 0
    assert copy.info == model.info
    first, second = Recommender(model), Recommender(copy)
    assert first.similar("arctic monkeys", 5) == second.similar("arctic monkeys", 5)


def test_metadata_records_source_parameters_and_counts(built):
    info = Recommender.load(built).about()
    assert info.format_version == store.FORMAT_VERSION
    assert info.source.startswith("embedded sample")
    assert info.parameters["n_neighbors"] == 20
    assert info.parameters["weighting"] == "binary"
    assert info.counts["rows_read"] > info.n_artists > 0
    assert info.built_at.endswith("+00:00")


def test_failed_save_leaves_previous_model(built, tmp_path, monkeypatch):
    target = tmp_path / "model.joblib"
    target.write_bytes(built.read_bytes())
    before = target.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.joblib, "dump", explode)
    with pytest.raises(OSError, match="disk full"):
        save_model(load_model(built), target)

    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.joblib"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p, b: p / "missing.joblib", "No model at", id="missing"),
        pytest.param(
            lambda p, b: _write(p / "cut.joblib", b.read_bytes()[: b.stat().st_size // 2]),
            "not a readable model file",
            id="truncated",
        ),
        pytest.param(
            lambda p, b: _write(p / "text.joblib", b"hello, not a pickle"),
            "not a readable model file",
            id="not-a-pickle",
        ),
        pytest.param(
            lambda p, b: _dump(p / "foreign.joblib", {"weights": [1, 2, 3]}),
            "not an artist-neighbours model",
            id="foreign",
        ),
        pytest.param(
            lambda p, b: _dump(
                p / "old.joblib", {"format": store.FORMAT_NAME, "format_version": 0}
            ),
            "format version 0",
            id="older-format",
        ),
        pytest.param(
            lambda p, b: _dump(
                p / "partial.joblib",
                {"format": store.FORMAT_NAME, "format_version": store.FORMAT_VERSION},
            ),
            "damaged or incomplete",
            id="incomplete",
        ),
    ],
)
def test_unusable_files_are_refused_with_the_rebuild_command(tmp_path, built, make, message):
    path = make(tmp_path, built)
    with pytest.raises(ModelError, match=message) as caught:
        load_model(path)
    assert str(path) in str(caught.value)
    assert "python -m recommender.build" in str(caught.value)


def test_default_path_honours_model_path(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEL_PATH", str(tmp_path / "x.joblib"))
    assert store.default_model_path() == tmp_path / "x.joblib"
    monkeypatch.delenv("MODEL_PATH")
    assert store.default_model_path() == Path("artifacts/model.joblib")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _dump(path: Path, payload: object) -> Path:
    joblib.dump(payload, path)
    return path
