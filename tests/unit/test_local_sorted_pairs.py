"""The emulator's chunked sorted pairs behave as two parallel sorted lists."""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right

import pytest

from infra.local.sorted_pairs import SortedPairs


@pytest.mark.parametrize("load", [1, 2, 5, 1_000])
def test_sorted_pairs_behave_as_two_parallel_sorted_lists(load: int) -> None:
    rng = random.Random(load)
    pairs = SortedPairs(load)
    casts: list[int] = []
    keys: list[str] = []
    for step in range(3_000):
        if casts and rng.random() < 0.4:
            i = rng.randrange(len(casts))
            if rng.random() < 0.1:  # a pair that is not there
                assert not pairs.remove(casts[i], "absent")
            else:
                assert pairs.remove(casts[i], keys[i])
                del casts[i], keys[i]
        else:
            cast, key, right = rng.randrange(40), f"k{step}", rng.random() < 0.5
            i = (bisect_right if right else bisect_left)(casts, cast)
            casts.insert(i, cast)
            keys.insert(i, key)
            pairs.insert(cast, key, right=right)
        if step % 50 == 0 or len(casts) < 3:
            assert list(pairs.casts) == casts and list(pairs.keys) == keys
            assert len(pairs) == len(casts) and bool(pairs) == bool(casts)
            assert [pairs.keys[i] for i in range(len(keys))] == keys
            assert pairs.casts[-1:] == casts[-1:] and pairs.keys[1:4] == keys[1:4]
            for probe in (-1, 0, 7, 20, 39, 40):
                assert bisect_left(pairs.casts, probe) == bisect_left(casts, probe)
                assert bisect_right(pairs.casts, probe) == bisect_right(casts, probe)
    with pytest.raises(IndexError):
        pairs.casts[len(casts)]
