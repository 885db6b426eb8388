"""Run a FakeDiscord on its own event loop in a background thread, with blocking wrappers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar

from ._interactions import InteractionHandle
from .server import FakeDiscord

T = TypeVar("T")

_MARGIN = 5.0


class _SyncProxy:
    """Wraps an object living on the fake's loop: coroutine methods become blocking calls."""

    def __init__(self, target: Any, runner: FakeDiscordThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_runner", runner)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if inspect.iscoroutinefunction(attr):

            @functools.wraps(attr)
            def call(*args: Any, **kwargs: Any) -> Any:
                timeout = kwargs.get("timeout")
                run_timeout = (timeout + _MARGIN) if isinstance(timeout, (int, float)) else None
                args = tuple(_unwrap(a) for a in args)
                kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
                result = self._runner.run(attr(*args, **kwargs), timeout=run_timeout)
                return _wrap(result, self._runner)

            return call
        return attr

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"

    @property
    def unwrapped(self) -> Any:
        return self._target


def _unwrap(value: Any) -> Any:
    return object.__getattribute__(value, "_target") if isinstance(value, _SyncProxy) else value


def _wrap(result: Any, runner: FakeDiscordThread) -> Any:
    if isinstance(result, InteractionHandle):
        return SyncInteraction(result, runner)
    return result


class SyncInteraction(_SyncProxy):
    """InteractionHandle whose ``wait_*`` coroutines are blocking methods (same signatures)."""


class FakeDiscordThread(_SyncProxy):
    """``with FakeDiscordThread(**FakeDiscord_kwargs) as fake:`` — the fake runs on a private
    loop in a daemon thread. Every async method of FakeDiscord (and of the InteractionHandles
    it returns) is available as a blocking method with the same signature; attributes are
    read through. ``run(coro)`` runs any coroutine on the fake's loop; ``fake.fake`` is the
    underlying FakeDiscord.
    """

    def __init__(self, start_timeout: float = 10.0, **fake_kwargs: Any) -> None:
        object.__setattr__(self, "_kwargs", fake_kwargs)
        object.__setattr__(self, "_start_timeout", start_timeout)
        object.__setattr__(self, "loop", None)
        object.__setattr__(self, "thread", None)
        object.__setattr__(self, "fake", None)
        super().__init__(None, self)

    def start(self) -> FakeDiscordThread:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        thread = threading.Thread(target=main, name="fake-discord", daemon=True)
        object.__setattr__(self, "loop", loop)
        object.__setattr__(self, "thread", thread)
        thread.start()
        if not ready.wait(self._start_timeout):
            raise RuntimeError("fake discord loop did not start")

        async def make() -> FakeDiscord:
            return await FakeDiscord(**self._kwargs).start()

        fake = self.run(make(), timeout=self._start_timeout)
        object.__setattr__(self, "fake", fake)
        object.__setattr__(self, "_target", fake)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop: asyncio.AbstractEventLoop | None = self.loop
        if loop is None:
            return
        try:
            if self.fake is not None:
                self.run(self.fake.stop(), timeout=timeout)
        finally:

            async def drain() -> None:
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            try:
                self.run(drain(), timeout=timeout)
            except (concurrent.futures.TimeoutError, RuntimeError):
                pass
            loop.call_soon_threadsafe(loop.stop)
            self.thread.join(timeout)
            if not loop.is_running():
                loop.close()
            object.__setattr__(self, "loop", None)

    def run(self, coro: Awaitable[T], timeout: float | None = 30.0) -> T:
        """Run ``coro`` on the fake's loop and wait (at most ``timeout`` seconds) for its result."""
        if self.loop is None:
            raise RuntimeError("FakeDiscordThread is not started")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"fake discord call did not finish within {timeout}s") from None

    def __enter__(self) -> FakeDiscordThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeDiscordThread {self.fake!r}>"
