"""A read-only sequence of strings kept as one UTF-8 buffer plus offsets.

Model files hold hundreds of thousands of artist names and name keys. Pickled as Python lists
they cost seconds to load (joblib unpickles them object by object); as two arrays they are
memory-mapped at once and a name is decoded only when it is looked at.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np


class StringColumn(Sequence[str]):
    """Strings stored as ``buffer[offsets[i]:offsets[i + 1]]``, decoded on access.

    Parameters
    ----------
    buffer : np.ndarray
        ``uint8`` UTF-8 bytes of all strings, back to back.
    offsets : np.ndarray
        ``int64`` start of each string, plus the end of the last one.
    """

    __slots__ = ("buffer", "offsets")

    def __init__(self, buffer: np.ndarray, offsets: np.ndarray) -> None:
        # Plain ndarray views of memory-mapped arrays: np.memmap's slicing is slow per call.
        self.buffer = np.asarray(buffer).view(np.ndarray)
        self.offsets = np.asarray(offsets).view(np.ndarray)

    @classmethod
    def from_strings(cls, strings: Iterable[str]) -> StringColumn:
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return cls(buffer, offsets)

    def __len__(self) -> int:
        return int(self.offsets.shape[0]) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"string index {index} out of range for {len(self)} strings")
        start, stop = self.offsets[index], self.offsets[index + 1]
        return self.buffer[start:stop].tobytes().decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        text = self.buffer.tobytes()
        offsets = self.offsets.tolist()
        for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
            yield text[start:stop].decode("utf-8")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StringColumn):
            return np.array_equal(self.offsets, other.offsets) and np.array_equal(
                self.buffer, other.buffer
            )
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StringColumn({len(self)} strings)"

    def to_state(self) -> dict[str, Any]:
        return {"buffer": self.buffer, "offsets": self.offsets}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> StringColumn:
        return cls(state["buffer"], state["offsets"])
