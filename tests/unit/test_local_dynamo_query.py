"""The emulator's Query patch answers exactly as moto's own Query (issue 12).

Two tables of one moto backend receive the same random writes (puts, overwrites,
deletes, in-place updates of index keys); one keeps moto's storage and query, the other
has the patched one (sorted partitions, incremental index maps). Random queries —
base table and indexes, every key comparison, both directions, limits, pages followed
through ``LastEvaluatedKey``, filter and projection expressions — must give the same
items in the same order, the same ``ScannedCount`` and the same ``LastEvaluatedKey``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest

from infra.local import dynamo_query, sorted_pairs
from tests.fixtures.moto_tables import create_table, patched_backend


@pytest.fixture(scope="module")
def backend() -> Any:
    return patched_backend()


def _create(backend: Any, name: str, range_type: str | None) -> Any:
    attrs = [
        {"AttributeName": "org_id", "AttributeType": "S"},
        {"AttributeName": "status", "AttributeType": "S"},
        {"AttributeName": "due", "AttributeType": "N"},
        {"AttributeName": "iban", "AttributeType": "S"},
    ]
    schema = [{"AttributeName": "org_id", "KeyType": "HASH"}]
    if range_type:
        attrs.append({"AttributeName": "sk", "AttributeType": range_type})
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
    indexes = [
        {
            "IndexName": "by-status",
            "KeySchema": [
                {"AttributeName": "status", "KeyType": "HASH"},
                {"AttributeName": "due", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        },
        {
            "IndexName": "by-iban",
            "KeySchema": [{"AttributeName": "iban", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        },
    ]
    return create_table(backend, name, schema=schema, attr=attrs, global_indexes=indexes)


def _range_value(rng: random.Random, range_type: str) -> dict[str, str]:
    if range_type == "N":
        return {"N": str(rng.randrange(0, 60))}
    prefix = rng.choice(["lease#", "lease#0", "alloc#", "tx#", "leasex"])
    return {"S": f"{prefix}{rng.randrange(0, 40):02d}"}


def _item(rng: random.Random, range_type: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "org_id": {"S": rng.choice(["org-a", "org-b", "org-c"])},
        "amount": {"N": str(rng.randrange(0, 1000))},
        "label": {"S": rng.choice(["VIR", "PRLV", "CHQ"])},
    }
    if range_type:
        item["sk"] = _range_value(rng, range_type)
    if rng.random() < 0.8:
        item["status"] = {"S": rng.choice(["new", "matched", "review"])}
    if rng.random() < 0.7:
        item["due"] = {"N": str(rng.randrange(0, 30))}
    if rng.random() < 0.6:
        item["iban"] = {"S": rng.choice(["FR01", "FR02", "FR03"])}
    return item


def _key(item: dict[str, Any], range_type: str | None) -> dict[str, Any]:
    return {"org_id": item["org_id"], **({"sk": item["sk"]} if range_type else {})}


def _write(backend: Any, names: list[str], rng: random.Random, range_type: str | None) -> None:
    item = _item(rng, range_type)
    roll = rng.random()
    values = {
        ":s": {"S": rng.choice(["new", "matched"])},
        ":d": {"N": str(rng.randrange(0, 30))},
        ":a": {"N": "5"},
    }
    for name in names:
        if roll < 0.6:
            backend.put_item(name, item)
        elif roll < 0.75:
            backend.delete_item(name, _key(item, range_type))
        else:
            backend.update_item(
                name,
                _key(item, range_type),
                update_expression="SET #s = :s, due = :d ADD amount :a",
                expression_attribute_names={"#s": "status"},
                expression_attribute_values=values,
            )


def _condition(
    rng: random.Random, attribute: str, kind: str
) -> tuple[str | None, list[dict[str, str]]]:
    op = rng.choice(["none", "=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"])
    if op == "none" or (op == "BEGINS_WITH" and kind != "S"):
        return None, []

    def value() -> dict[str, str]:
        if kind == "N":
            return {"N": str(rng.randrange(-2, 62))}
        return {"S": rng.choice(["lease#", "lease#0", "alloc#1", "tx#", "lease#2", "m", "z"])}

    if op == "BETWEEN":
        pair = [value(), value()]
        low, high = sorted(pair, key=lambda v: float(v["N"]) if kind == "N" else v["S"])
        return op, [low, high]
    return op, [value()]


def _run(backend: Any, name: str, request: dict[str, Any]) -> list[Any]:
    """Every page of a query, following LastEvaluatedKey."""
    pages = []
    start = None
    for _ in range(200):
        items, scanned, last = backend.query(name, exclusive_start_key=start, **request)
        pages.append(([i.to_json() for i in items], scanned, last))
        if last is None:
            break
        start = {k: v.to_json() for k, v in last.items()}
    return pages


def _query(rng: random.Random, range_type: str | None) -> dict[str, Any]:
    index = rng.choice([None, None, "by-status", "by-iban"])
    if index == "by-status":
        hash_name, hash_value = "status", {"S": rng.choice(["new", "matched", "review", "x"])}
        range_name, range_kind = "due", "N"
    elif index == "by-iban":
        hash_name, hash_value = "iban", {"S": rng.choice(["FR01", "FR02", "FR09"])}
        range_name, range_kind = None, None
    else:
        hash_name, hash_value = "org_id", {"S": rng.choice(["org-a", "org-b", "org-c", "org-z"])}
        range_name, range_kind = ("sk", range_type) if range_type else (None, None)
    comparison, values = (None, [])
    if range_name and range_kind:
        comparison, values = _condition(rng, range_name, range_kind)
    request: dict[str, Any] = {
        "hash_key_dict": hash_value,
        "range_comparison": comparison,
        "range_value_dicts": values,
        "limit": rng.choice([None, 1, 2, 4, 7, 20]),
        "scan_index_forward": rng.random() < 0.5,
        "projection_expressions": None,
        "index_name": index,
        "hash_key_conditions": [(hash_name, hash_value)],
        "range_key_conditions": [(range_name, comparison, values)] if comparison else [],
    }
    if rng.random() < 0.3:
        request["filter_expression"] = "amount > :a"
        request["expr_values"] = {":a": {"N": "400"}}
    if rng.random() < 0.2:
        request["projection_expressions"] = [["amount"], ["org_id"]]
    return request


@pytest.mark.parametrize("load", [None, 3], ids=["chunks-default", "chunks-of-3-to-6"])
@pytest.mark.parametrize("range_type", ["S", "N", None])
def test_query_answers_as_moto(
    backend: Any, range_type: str | None, load: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also with tiny chunks of sorted keys, so that partitions and index buckets
    span many chunks (inserts, deletes and bisections across their bounds)."""
    if load:
        monkeypatch.setattr(sorted_pairs, "LOAD", load)
    rng = random.Random(f"query-{range_type}")
    fast_name, moto_name = f"fast-{range_type}-{load}", f"moto-{range_type}-{load}"
    fast = _create(backend, fast_name, range_type)
    reference = _create(backend, moto_name, range_type)
    reference.items = defaultdict(dict)  # moto's storage: the original query runs
    assert isinstance(fast.items, dynamo_query._Items)
    compared = 0
    for _round in range(8):
        for _ in range(rng.randrange(5, 60)):
            _write(backend, [fast_name, moto_name], rng, range_type)
        for _ in range(20):
            request = _query(rng, range_type)
            assert _run(backend, fast_name, request) == _run(backend, moto_name, request), request
            compared += 1
        assert [i.to_json() for i in fast.all_items()] == [
            i.to_json() for i in reference.all_items()
        ]
        # A snapshot's unordered read holds the same items.
        unordered = [i.to_json() for i in dynamo_query.stored_items(fast)]
        assert len(unordered) == len(fast.all_items())
        assert sorted(map(repr, unordered)) == sorted(repr(i.to_json()) for i in fast.all_items())
    assert compared == 160


def test_a_query_does_not_sort_the_table(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The patched query reads the partition: it never lists the whole table."""
    fast = _create(backend, "no-full-sort", "S")
    for i in range(200):
        backend.put_item("no-full-sort", {"org_id": {"S": f"org-{i % 4}"}, "sk": {"S": f"{i:04d}"}})

    def whole_table(self: Any) -> list[Any]:
        raise AssertionError("the query listed the whole table")

    monkeypatch.setattr(type(fast), "all_items", whole_table)
    items, scanned, last = backend.query(
        "no-full-sort",
        {"S": "org-1"},
        ">=",
        [{"S": "0100"}],
        3,
        None,
        True,
        None,
        hash_key_conditions=[("org_id", {"S": "org-1"})],
        range_key_conditions=[("sk", ">=", [{"S": "0100"}])],
    )
    assert [i.range_key.value for i in items] == ["0101", "0105", "0109"]
    assert scanned == 3 and last is not None and last["sk"].value == "0109"
