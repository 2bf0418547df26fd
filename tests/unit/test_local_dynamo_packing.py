"""Stored items' JSON deflated against a growing preset dictionary (dynamo_compact)."""

from __future__ import annotations

import json
import random

from infra.local.dynamo_compact import _Packer


def _item(rng: random.Random, shape: int) -> str:
    names = [f"attr_{shape}_{i}" for i in range(rng.randint(1, 20))]
    values = {n: {"S": "".join(rng.choices("abcdé€#0123", k=rng.randint(0, 40)))} for n in names}
    if rng.random() < 0.05:
        values["big"] = {"S": "x" * rng.randint(2000, 5000)}  # never a sample
    return json.dumps(values, separators=(",", ":"))


def test_every_packed_item_unpacks_to_its_string_while_the_dictionary_grows() -> None:
    rng = random.Random(7)
    packer = _Packer()
    packed = []
    for n in range(3000):
        text = _item(rng, shape=n % 40)
        packed.append((text, packer.pack(text)))
    assert 0 < len(packer.dictionary) <= _Packer.LIMIT
    assert len(packer.prefixes) > 2  # it grew, and items packed earlier name their prefix
    for text, raw in packed:
        assert packer.unpack(raw) == text
    assert packer.unpack(packer.pack("")) == ""


def test_items_of_a_known_shape_pack_small() -> None:
    rng = random.Random(3)
    packer = _Packer()
    texts = [_item(random.Random(11), shape=1) for _ in range(2)]
    texts += [_item(rng, shape=1) for _ in range(200)]
    sizes = [len(packer.pack(t)) / len(t) for t in texts[2:] if len(t) > 200]
    assert sum(sizes) / len(sizes) < 0.7
