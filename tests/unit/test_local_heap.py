"""The platform processes' heap settings (infra/local/heap.py)."""

from __future__ import annotations

import gc
import platform
import weakref

import pytest

from infra.local import heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_arenas_are_capped_and_free_pages_handed_back() -> None:
    assert heap.limit_arenas()
    garbage = [bytearray(100_000) for _ in range(200)]  # 20 MB from malloc, then freed
    del garbage
    heap.trim()  # True or False depending on what was free: it must not fail


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_settle_collects_start_up_garbage_then_freezes_what_lives() -> None:
    """What start-up left unreachable is collected, not frozen; what lives leaves the
    collector's passes (frozen) and is still freed by reference counting when dropped."""
    cycle, kept = _Node(), _Node()
    cycle.other, cycle.other.other = _Node(), cycle  # unreachable once dropped
    gone, frozen = weakref.ref(cycle), weakref.ref(kept)
    del cycle
    try:
        assert heap.settle() >= 2
        assert gone() is None
        assert gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # no full pass walks it
        gc.collect()
        assert frozen() is kept
        del kept
        assert frozen() is None
    finally:
        gc.unfreeze()
