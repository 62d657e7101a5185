"""glibc malloc settings for a server whose memory comes in bursts of large arrays.

By default glibc raises its mmap threshold (up to 32 MiB) each time a large block is freed,
so the numpy arrays of later bursts (a creation batch, a flush part) land in the main heap,
and the free space between what stays there is kept resident: after 1M series x 10 points,
240 MiB of free heap, a quarter of the process. A fixed 1 MiB threshold gives every large
array its own mapping, returned to the system when freed; give_back() returns the free heap
pages after a flush. Elsewhere (musl, macOS) both do nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt parameter number (glibc malloc.h)
MMAP_THRESHOLD_BYTES = 1 << 20

_libc = None


def _glibc():
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else False
        except OSError:
            _libc = False
    return _libc


def tune_for_server() -> None:
    """Blocks of MMAP_THRESHOLD_BYTES and more are mapped on their own, whatever was freed before."""
    lib = _glibc()
    if lib and not lib.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES):
        log.warning("mallopt(M_MMAP_THRESHOLD) refused: memory freed after bursts may stay resident")


def give_back() -> None:
    """Return the free pages of the heap to the system."""
    lib = _glibc()
    if lib:
        lib.malloc_trim(0)
