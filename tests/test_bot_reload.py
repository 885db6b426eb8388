"""Hot reload: a rebuilt model file is swapped in; a broken one is refused once, not retried."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

import pytest

from bot import reload
from bot.reload import ModelHolder


@pytest.fixture(scope="module")
def models(build_plays_model) -> tuple[Path, Path]:
    """Two models of the same three artists whose nearest neighbour of "A" differs."""
    a = [("u1", "A", 1), ("u1", "B", 1), ("u2", "A", 1), ("u2", "B", 1), ("u3", "C", 1)]
    b = [("u1", "A", 1), ("u1", "C", 1), ("u2", "A", 1), ("u2", "C", 1), ("u3", "B", 1)]
    return build_plays_model("reload-a", a), build_plays_model("reload-b", b)


def install(source: Path, target: Path) -> None:
    """Replace ``target`` atomically, the way ``python -m recommender.build`` does."""
    temporary = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def nearest(holder: ModelHolder) -> str:
    return holder.current.recommender.similar("a", 1).neighbors[0].artist


@pytest.fixture
def served(models: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A holder serving model A from a private path, counting every load."""
    path = tmp_path / "model.joblib"
    install(models[0], path)
    loads: list[Path] = []
    real_load = reload.load

    def counting_load(target: Path) -> reload.LoadedModel:
        loads.append(target)
        return real_load(target)

    monkeypatch.setattr(reload, "load", counting_load)
    holder = asyncio.run(ModelHolder.open(path))
    loads.clear()
    return holder, path, loads


def test_an_unchanged_file_is_not_loaded_again(served) -> None:
    holder, _, loads = served

    assert not asyncio.run(holder.check())
    assert loads == []
    assert nearest(holder) == "B"


def test_a_rebuilt_file_is_swapped_in(served, models: tuple[Path, Path]) -> None:
    holder, path, loads = served
    before = holder.current

    install(models[1], path)

    assert asyncio.run(holder.check())
    assert nearest(holder) == "C"
    assert holder.reloads == 1
    assert loads == [path]
    # a request that started on the old model still holds it, whole
    assert before.recommender.similar("a", 1).neighbors[0].artist == "B"


def test_a_broken_file_is_refused_once_and_the_old_model_keeps_serving(
    served, models: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    holder, path, loads = served
    broken = path.with_name("broken")
    broken.write_bytes(b"not a model at all")

    install(broken, path)
    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        assert not asyncio.run(holder.check())
        assert not asyncio.run(holder.check())

    assert nearest(holder) == "B"
    assert len(loads) == 1  # the same broken file is not tried again
    refusals = [r for r in caplog.records if "refused the new model file" in r.getMessage()]
    assert len(refusals) == 1
    assert "Still serving the previous model" in refusals[0].getMessage()

    install(models[1], path)  # fixed by the next build
    assert asyncio.run(holder.check())
    assert nearest(holder) == "C"


def test_a_vanished_file_keeps_the_model_and_warns_once(
    served, caplog: pytest.LogCaptureFixture
) -> None:
    holder, path, loads = served
    path.unlink()

    with caplog.at_level(logging.WARNING, logger="bot.reload"):
        assert not asyncio.run(holder.check())
        assert not asyncio.run(holder.check())

    assert nearest(holder) == "B"
    assert loads == []
    assert sum("is gone" in r.getMessage() for r in caplog.records) == 1


def test_the_fingerprint_follows_the_artist_ids(served, models: tuple[Path, Path]) -> None:
    holder, path, _ = served
    first = holder.current.fingerprint

    install(models[0], path)  # same content, new file
    asyncio.run(holder.check())

    assert holder.current.fingerprint == first
    assert len(first) == 8


def test_the_watcher_survives_a_failing_check(
    served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    holder, _, _ = served
    calls: list[int] = []

    async def flaky_check() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return False

    async def watch_briefly() -> None:
        task = asyncio.create_task(holder.watch(0.01))
        async with asyncio.timeout(5):
            while len(calls) < 3:
                await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    monkeypatch.setattr(holder, "check", flaky_check)
    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        asyncio.run(watch_briefly())

    assert len(calls) >= 3
    assert any("model file check failed" in r.getMessage() for r in caplog.records)
