"""Two parallel sorted sequences (sort values and their keys) kept in chunks.

The emulator keeps each partition's range keys (and each index bucket's sort values)
in order, to answer a Query by bisection. In one Python list an insertion moves every
element after it: every table of ours is keyed by ``org_id``, so a landlord's year of
ledger lines is one partition of a million items, and each insertion moved ~0.5 ms of
pointers (a 5-item transaction into that partition ran at 86/s instead of 190/s).
Here an insertion or a deletion moves at most one chunk of ``load``…``2 × load``
elements; positions (what the Query code bisects and indexes) are found through the
chunks' start positions, recomputed after a change on the next positional read.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any, overload

LOAD = 1_000


class SortedPairs:
    """``casts`` sorted ascending, ``keys`` alongside; both read as sequences."""

    __slots__ = ("_casts", "_keys", "_len", "_load", "_maxes", "_starts", "casts", "keys")

    def __init__(self, load: int | None = None) -> None:
        self._load = load or LOAD
        self._casts: list[list[Any]] = []
        self._keys: list[list[Any]] = []
        self._maxes: list[Any] = []  # the last cast of each chunk
        self._starts: list[int] | None = []  # each chunk's first position; None: stale
        self._len = 0
        self.casts = _Column(self, True)
        self.keys = _Column(self, False)

    def __len__(self) -> int:
        return self._len

    def insert(self, cast: Any, key: Any, *, right: bool = False) -> None:
        """Insert before (``right=False``) or after the pairs with an equal cast."""
        if not self._casts:
            self._casts.append([cast])
            self._keys.append([key])
            self._maxes.append(cast)
        else:
            c = (bisect_right if right else bisect_left)(self._maxes, cast)
            if c == len(self._maxes):
                c -= 1
            casts = self._casts[c]
            i = (bisect_right if right else bisect_left)(casts, cast)
            casts.insert(i, cast)
            self._keys[c].insert(i, key)
            self._maxes[c] = casts[-1]
            if len(casts) > 2 * self._load:
                self._split(c)
        self._len += 1
        self._starts = None

    def _split(self, c: int) -> None:
        casts, keys, half = self._casts[c], self._keys[c], self._load
        self._casts[c : c + 1] = [casts[:half], casts[half:]]
        self._keys[c : c + 1] = [keys[:half], keys[half:]]
        self._maxes[c : c + 1] = [casts[half - 1], casts[-1]]

    def remove(self, cast: Any, key: Any) -> bool:
        """Remove the pair (cast, key); False when it is not there."""
        c = bisect_left(self._maxes, cast)
        while c < len(self._casts):
            casts, keys = self._casts[c], self._keys[c]
            i = bisect_left(casts, cast)
            while i < len(casts) and casts[i] == cast:
                if keys[i] == key:
                    self._delete(c, i)
                    return True
                i += 1
            if i < len(casts):  # passed the equal casts
                return False
            c += 1
        return False

    def _delete(self, c: int, i: int) -> None:
        casts, keys = self._casts[c], self._keys[c]
        del casts[i]
        del keys[i]
        if casts:
            self._maxes[c] = casts[-1]
        else:
            del self._casts[c], self._keys[c], self._maxes[c]
        self._len -= 1
        self._starts = None

    def _locate(self, position: int) -> tuple[int, int]:
        if position < 0:
            position += self._len
        if not 0 <= position < self._len:
            raise IndexError(position)
        starts = self._starts
        if starts is None:
            starts = self._starts = [0, *accumulate(len(x) for x in self._casts[:-1])]
        c = bisect_right(starts, position) - 1
        return c, position - starts[c]

    def cast_at(self, position: int) -> Any:
        c, i = self._locate(position)
        return self._casts[c][i]

    def key_at(self, position: int) -> Any:
        c, i = self._locate(position)
        return self._keys[c][i]

    def iter_keys(self) -> Iterator[Any]:
        for keys in list(self._keys):
            yield from list(keys)

    def iter_casts(self) -> Iterator[Any]:
        for casts in list(self._casts):
            yield from list(casts)


class _Column(Sequence[Any]):
    """One side of a :class:`SortedPairs` as a read-only sequence (``bisect`` and
    positional reads work on it as on a list)."""

    __slots__ = ("_casts", "_pairs")

    def __init__(self, pairs: SortedPairs, casts: bool) -> None:
        self._pairs = pairs
        self._casts = casts

    def __len__(self) -> int:
        return len(self._pairs)

    @overload
    def __getitem__(self, position: int) -> Any: ...

    @overload
    def __getitem__(self, position: slice) -> list[Any]: ...

    def __getitem__(self, position: int | slice) -> Any:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if self._casts:
            return self._pairs.cast_at(position)
        return self._pairs.key_at(position)

    def __iter__(self) -> Iterator[Any]:
        return self._pairs.iter_casts() if self._casts else self._pairs.iter_keys()
