"""The platform process's C heap: fewer malloc arenas, free pages handed back.

The emulator answers each connection on a thread of its own (werkzeug's threaded server),
and glibc gives threads their own malloc arenas, up to eight per core. Python's small
objects come from its own pools, but everything larger than 512 bytes — a stored item's
JSON string, a request's body, the answer being built, the dicts and lists of a Query page
— comes from ``malloc``: the same free memory is then scattered over up to sixteen arenas
on two cores, and pages freed in the middle of an arena stay counted in the process's RSS
until glibc trims them, which it does only at an arena's top.

:func:`limit_arenas` caps the arenas (threads share them; the interpreter lock already
serialises almost every allocation), and :func:`trim` asks glibc to hand every free page
back to the kernel (``malloc_trim(0)`` also releases whole free pages inside the heap, not
only its top): the snapshotter calls it every interval. Both are no-ops where the C
library is not glibc.

:func:`settle` is about Python's own collector: each of the platform's long-lived
processes calls it once started, so that what start-up made (modules, classes, the
parsed template and workflows, the restored tables) is left out of the collector's full
passes, which otherwise stopped the emulator 120-240 ms at a time during a month's
booking (1,000 leases; every request waits meanwhile).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from typing import Any

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


@functools.cache
def _libc() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let threads created from now on share at most ``arenas`` malloc arenas."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, arenas))


def trim() -> bool:
    """Hand the heap's free pages back to the kernel; True if some were."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))


def settle() -> int:
    """Collect once, then move every object alive now to the collector's permanent
    generation (``gc.freeze``): full collections no longer walk them. What start-up left
    behind is garbage collected first, so nothing unreachable is kept; objects frozen here
    are still freed by reference counting when they go. Returns what was collected."""
    collected = gc.collect()
    gc.freeze()
    return collected
