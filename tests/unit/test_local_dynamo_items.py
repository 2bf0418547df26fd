"""The emulator builds items and reuses update-expression trees exactly as moto would.

* ``infra/local/dynamo_items.py``: an item built in linear time has the same attributes,
  in the same order, with the same types, as moto's own constructor builds, and the same
  error at the same attribute when it goes over moto's 405,000-byte limit.
* ``patches.patch_dynamodb_update_expressions_parsed_once``: the parsed tree shared by
  every request with the same text is never written to by the updates that use it.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest

from infra.local import dynamo_items
from tests.fixtures.moto_tables import create_table, patched_backend

CORPUS: list[dict[str, Any]] = [
    {},
    {"org_id": {"S": "org-1"}, "amount_cents": {"N": "56000"}},
    {
        "org_id": {"S": "org-1"},
        "line_id": {"S": "ln_01"},
        "label": {"S": "Loyer de décembre — résidence Les Érables"},
        "tags": {"SS": ["a", "b", "é"]},
        "amounts": {"NS": ["1", "2.50", "-3"]},
        "raw": {"B": base64.b64encode(b"\x00\x01binary").decode()},
        "flags": {"BS": [base64.b64encode(b"x").decode()]},
        "done": {"BOOL": True},
        "nothing": {"NULL": True},
        "allocations": {
            "L": [
                {"M": {"lease_id": {"S": "L-1"}, "amount_cents": {"N": "100"}}},
                {"M": {"lease_id": {"S": "L-2"}, "nested": {"L": [{"N": "1"}, {"S": ""}]}}},
            ]
        },
        "decision": {"M": {"outcome": {"S": "matched"}, "reasons": {"L": []}, "m": {"M": {}}}},
    },
    {f"attr_{n:03d}": {"S": "x" * n} for n in range(120)},
]


def _moto_item(attrs: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    item = Item.__new__(Item)
    dynamo_items.MOTO_ITEM_INIT(item, DynamoType({"S": "h"}), None, attrs)
    return item


def _fast_item(attrs: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    item = Item.__new__(Item)
    dynamo_items.build_item(item, DynamoType({"S": "h"}), None, attrs)
    return item


def _outcome(build: Any, attrs: dict[str, Any]) -> tuple[str, Any]:
    try:
        item = build(attrs)
    except Exception as e:  # the error is part of what is compared
        return "error", type(e).__name__
    return "item", (
        type(item.attrs).__name__,
        list(item.attrs),
        [(v.type, v.value) for v in item.attrs.values()],
        item.to_json(),
        item.size(),
    )


@pytest.mark.parametrize("attrs", CORPUS, ids=lambda a: f"{len(a)} attributes")
def test_an_item_is_built_as_moto_builds_it(attrs: dict[str, Any]) -> None:
    assert _outcome(_fast_item, attrs) == _outcome(_moto_item, attrs)


def _sized(total: int) -> dict[str, Any]:
    """Three attributes whose sizes add up to ``total`` bytes (as moto counts them)."""
    head = {"org_id": {"S": "org-1"}, "note": {"S": "é" * 10}}
    fixed = 6 + 5 + 4 + 20 + len("payload")  # keys and values of the head, the last key
    return head | {"payload": {"S": "p" * (total - fixed)}}


@pytest.mark.parametrize("total", [404_999, 405_000, 405_001, 500_000])
def test_the_size_limit_is_moto_s_to_the_byte(total: int) -> None:
    attrs = _sized(total)
    fast, moto = _outcome(_fast_item, attrs), _outcome(_moto_item, attrs)
    assert fast == moto
    assert fast[0] == ("item" if total <= dynamo_items.MAX_ITEM_BYTES else "error")


def test_the_first_error_wins_as_in_moto() -> None:
    """Over the limit before a malformed attribute: moto's size error, not the other."""
    attrs = _sized(500_000) | {"bad": {"N": "not a number"}}
    assert (
        _outcome(_fast_item, attrs) == _outcome(_moto_item, attrs) == ("error", "ItemSizeTooLarge")
    )
    malformed_first = {"bad": {"N": "not a number"}} | _sized(500_000)
    assert _outcome(_fast_item, malformed_first) == _outcome(_moto_item, malformed_first)


def _shape(node: Any) -> Any:
    """Everything a tree holds, as plain values (nodes have no equality of their own)."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    if isinstance(node, Node):
        return (
            type(node).__name__,
            {k: _shape(v) for k, v in sorted(vars(node).items()) if k != "parent"},
        )
    if isinstance(node, DynamoType):
        return ("DynamoType", node.type, _shape(node.value))
    if isinstance(node, list | tuple):
        return [_shape(v) for v in node]
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items()}
    return node


UPDATES = [
    ("SET #s = :s, balance_cents = balance_cents + :d, version = version + :one", {"#s": "status"}),
    ("SET history = list_append(if_not_exists(history, :empty), :prev) REMOVE obsolete", None),
    ("ADD tags :tags, n_calls :one DELETE old_tags :old", None),
    ("SET m.sub_field = :s, lst[0] = :d", None),
]


def test_updates_share_a_parsed_tree_and_never_write_to_it() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    backend = patched_backend()
    create_table(
        backend,
        "t",
        schema=[{"AttributeName": "k", "KeyType": "HASH"}],
        attr=[{"AttributeName": "k", "AttributeType": "S"}],
    )
    values = {
        ":s": {"S": "booked"},
        ":d": {"N": "-5600"},
        ":one": {"N": "1"},
        ":empty": {"L": []},
        ":prev": {"L": [{"M": {"revision": {"N": "1"}}}]},
        ":tags": {"SS": ["x"]},
        ":old": {"SS": ["y"]},
    }
    start = {
        "balance_cents": {"N": "0"},
        "version": {"N": "3"},
        "obsolete": {"S": "!"},
        "old_tags": {"SS": ["y", "z"]},
        "m": {"M": {}},
        "lst": {"L": [{"N": "9"}]},
    }
    for expression, names in UPDATES:
        before = _shape(UpdateExpressionParser.make(expression))
        assert models.UpdateExpressionParser.make(expression) is models.UpdateExpressionParser.make(
            expression
        )
        for n in range(3):
            key = {"k": {"S": f"{expression[:12]}-{n}"}}
            backend.put_item("t", key | start)
            used = {k: v for k, v in values.items() if k in expression}
            backend.update_item("t", key, expression, names, used)
        assert _shape(models.UpdateExpressionParser.make(expression)) == before
    item = backend.get_item("t", {"k": {"S": f"{UPDATES[0][0][:12]}-2"}}).to_json()["Attributes"]
    assert item["status"] == {"S": "booked"}
    assert item["balance_cents"] == {"N": "-5600"}
    assert item["version"] == {"N": str(Decimal(4))}


def test_results_become_the_json_values_moto_gives() -> None:
    """``dynamo_answers.to_dict`` against moto's ``dynamo_to_dict``, on what handlers
    build: items' attributes, whole items, keys, counts, capacities, odd values."""
    from datetime import UTC, datetime

    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.utilities import dynamo_to_dict

    from infra.local.dynamo_answers import to_dict

    items = [_fast_item(attrs) for attrs in CORPUS]
    results: list[Any] = [
        {"Count": 3, "ScannedCount": 4, "Items": [item.attrs for item in items]},
        {"Item": items[2].attrs, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}},
        {"Responses": {"t": [item.attrs for item in items]}, "UnprocessedKeys": {}},
        {"LastEvaluatedKey": {"org_id": DynamoType({"S": "o"}), "n": DynamoType({"N": "1"})}},
        items[2],
        [DynamoType({"B": base64.b64encode(b"raw").decode()}), None, 1.5, True, "s"],
        {"when": datetime(2026, 12, 4, tzinfo=UTC), "sub": Item(DynamoType({"S": "h"}), None, {})},
    ]
    for result in results:
        assert to_dict(result) == dynamo_to_dict(result)


def test_items_share_their_attribute_names() -> None:
    from moto.dynamodb.models.dynamo_type import Item

    patched_backend()
    names = ["".join(["org", "_id"]), "".join(["amount", "_cents"])]  # built, not literals
    first = Item(None, None, {names[0]: {"S": "o"}, names[1]: {"N": "1"}})
    names = ["".join(["org", "_id"]), "".join(["amount", "_cents"])]
    second = Item(None, None, {names[0]: {"S": "o"}, names[1]: {"N": "2"}})
    assert all(a is b for a, b in zip(first.attrs, second.attrs, strict=True))


def test_items_and_messages_are_not_kept_by_motos_instance_tracker() -> None:
    import copy
    import gc
    import weakref

    from moto.dynamodb.models.dynamo_type import Item
    from moto.sqs.models import Message

    backend = patched_backend()
    table = create_table(
        backend,
        "t",
        [{"AttributeName": "pk", "KeyType": "HASH"}],
        [{"AttributeName": "pk", "AttributeType": "S"}],
    )
    table.put_item({"pk": {"S": "a"}, "n": {"N": "1"}})
    (stored,) = table.all_items()
    copy.deepcopy(stored)  # as moto's reads and transactions do
    replaced = weakref.ref(stored)
    del stored
    table.put_item({"pk": {"S": "a"}, "n": {"N": "2"}})
    gc.collect()
    assert replaced() is None
    assert Item.instances_tracked == []  # type: ignore[attr-defined]
    message = weakref.ref(Message("m-1", "body"))
    assert message() is None
    assert Message.instances_tracked == []  # type: ignore[attr-defined]
