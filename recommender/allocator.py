"""Make the C allocator hand freed memory back to the OS during a build.

A build allocates and frees arrays of a few megabytes by the hundred (one per batch of the
file, then merged). glibc's ``malloc`` serves blocks above its mmap threshold with ``mmap`` and
returns them on ``free``, but it raises that threshold each time such a block is freed, up to
32 MiB; after that, the batches' arrays come from the heap, and the heap keeps what is freed.
The process then holds hundreds of megabytes it no longer uses, and its peak memory (what a
small server must have) grows by as much. Setting the threshold explicitly keeps it fixed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

logger = logging.getLogger(__name__)

#: glibc's ``mallopt`` parameter number for the mmap threshold (``M_MMAP_THRESHOLD``).
_M_MMAP_THRESHOLD = -3
#: glibc's own starting threshold; fixing it stops the growth.
MMAP_THRESHOLD = 128 * 1024


def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold for this process; ``False`` where that does not apply.

    Only Linux with glibc has ``mallopt``; elsewhere (macOS, Windows, musl) nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    logger.debug("malloc mmap threshold fixed at %d bytes: %s", MMAP_THRESHOLD, done)
    return done
