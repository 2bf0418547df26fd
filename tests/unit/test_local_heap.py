"""The platform process's C heap settings (infra/local/heap.py)."""

from __future__ import annotations

import platform

import pytest

from infra.local import heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_arenas_are_capped_and_free_pages_handed_back() -> None:
    assert heap.limit_arenas()
    garbage = [bytearray(100_000) for _ in range(200)]  # 20 MB from malloc, then freed
    del garbage
    heap.trim()  # True or False depending on what was free: it must not fail
