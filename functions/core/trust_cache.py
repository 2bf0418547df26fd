"""Records a process trusts for a while once it has read them (an API key's record, the
organisation a tenant link names), so that repeated requests do not read them again."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TrustCache(Generic[K, V]):
    """Values held for ``ttl_seconds`` from when they were read (0: nothing is held), at
    most ``max_items`` at once: a full cache starts again. Per process."""

    def __init__(
        self,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_items: int = 1024,
    ) -> None:
        self.ttl = ttl_seconds
        self.clock = clock
        self.max_items = max_items
        self._held: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        """The value held for ``key`` if it is still trusted."""
        held = self._held.get(key)
        if held is not None and self.clock() < held[0]:
            return held[1]
        return None

    def put(self, key: K, value: V, read_at: float | None = None) -> None:
        """Hold ``value``, read at ``read_at`` (by default: now) on this cache's clock."""
        if self.ttl <= 0:
            return
        if len(self._held) >= self.max_items:
            self._held.clear()
        self._held[key] = ((self.clock() if read_at is None else read_at) + self.ttl, value)

    def forget(self, key: K) -> None:
        self._held.pop(key, None)

    def __len__(self) -> int:
        return len(self._held)
