"""Give the memory a reconcile cycle freed back to the operating system.

A cycle at fleet scale allocates tens of MB that it frees at its end (a full spec load, a
re-plan). CPython returns its own arenas when they empty, but glibc keeps freed heap pages for
reuse, so the controller's resident size would stay at its peak. `malloc_trim(0)` hands the
free pages back. Where the C library has no `malloc_trim` (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable


def _load_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _load_malloc_trim()


def release_free_memory() -> bool:
    """Collect garbage and return free heap pages to the system; False when not supported."""
    gc.collect()
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True
