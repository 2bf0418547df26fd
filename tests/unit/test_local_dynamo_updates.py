"""The transaction's plain updates give exactly what moto's ``update_item`` gives.

Random items of a table with an index receive random update expressions — plain ones
(``SET name = :v``, ``SET name = name ± :v``, ``REMOVE name``, names bare or as
placeholders) and ones just outside (reserved words, missing placeholders or operand
attributes, strings added, key and index-key attributes, paths named twice, nested paths,
functions, ``ADD``, an item over the size limit). Each is applied to one copy of the item
by ``infra/local/dynamo_updates.py`` and to another by moto: when the plain path declines,
the item must be untouched; when it applies (or raises), moto must leave the same item
(or raise the same error).
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from infra.local import dynamo_items
from infra.local.dynamo_updates import plain_update, plan_of
from tests.fixtures.moto_tables import create_table, patched_backend

NAMES = ["amount", "balance_cents", "version", "label", "org_status", "status", "n2", "k"]
"""``status`` is a reserved word; ``k`` the table's key; ``org_status`` an index key."""
NUMBERS = ["amount", "balance_cents", "version"]
"""Mostly numbers in the items, and mostly the operands of ``+`` and ``-``."""


@pytest.fixture(scope="module")
def backend() -> Any:
    b = patched_backend()
    create_table(
        b,
        "t",
        schema=[{"AttributeName": "k", "KeyType": "HASH"}],
        attr=[
            {"AttributeName": "k", "AttributeType": "S"},
            {"AttributeName": "org_status", "AttributeType": "S"},
        ],
        global_indexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "org_status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return b


def _value(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["N", "N", "N", "S", "S", "M", "L", "NULL", "BOOL"])
    if kind == "N":
        return {"N": rng.choice(["0", "1", "-5600", "12.50", "-0.01", "99999999999", "3"])}
    if kind == "S":
        return {"S": rng.choice(["", "new", "réglé", "x" * 40])}
    if kind == "M":
        return {"M": {"outcome": {"S": "matched"}, "n": {"N": "2"}}}
    if kind == "L":
        return {"L": [{"S": "a"}, {"N": "1"}]}
    if kind == "NULL":
        return {"NULL": True}
    return {"BOOL": rng.random() < 0.5}


def _item(rng: random.Random, n: int) -> dict[str, Any]:
    item: dict[str, Any] = {"k": {"S": f"item-{n}"}}
    for name in NAMES[:-1]:
        if name in NUMBERS and rng.random() < 0.9:
            item[name] = {"N": rng.choice(["0", "56000", "-1", "7.25"])}
        elif rng.random() < 0.7:
            item[name] = _value(rng)
    if rng.random() < 0.1:  # 10 bytes under moto's size limit: most sets are refused
        from moto.dynamodb.models.dynamo_type import DynamoType, Item

        size = Item(DynamoType(item["k"]), None, item).size() + len("padding")
        item["padding"] = {"S": "p" * (dynamo_items.MAX_ITEM_BYTES - 10 - size)}
    return item


def _name(rng: random.Random, name: str, names: dict[str, str]) -> str:
    if name == "status" or rng.random() < 0.3:
        placeholder = f"#n{len(names)}"
        if rng.random() < 0.97:
            names[placeholder] = name
        return placeholder
    return name


def _expression(rng: random.Random) -> tuple[str, dict[str, str], dict[str, Any]]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    actions = []
    for _ in range(rng.randint(1, 4)):
        target = _name(rng, rng.choice(NAMES), names)
        placeholder = f":v{len(values)}"
        values[placeholder] = {"N": "-5600"} if rng.random() < 0.4 else _value(rng)
        form = rng.random()
        if form < 0.5:
            actions.append(f"{target} = {placeholder}")
        elif form < 0.9:
            operand = _name(rng, rng.choice(NUMBERS if rng.random() < 0.8 else NAMES), names)
            actions.append(f"{target} = {operand} {rng.choice('+-')} {placeholder}")
        elif form < 0.95:
            actions.append(f"{target} = if_not_exists({target}, {placeholder})")
        else:
            actions.append(f"m.{target} = {placeholder}")
    expression = rng.choice(["SET ", "set ", "SET  "]) + ", ".join(actions)
    if rng.random() < 0.3:
        removed = [_name(rng, rng.choice([*NAMES, "gone"]), names) for _ in range(2)]
        expression += " REMOVE " + ", ".join(removed)
    if rng.random() < 0.05:
        values[":one"] = {"N": "1"}
        expression += " ADD version :one"
    if rng.random() < 0.05:
        values.pop(rng.choice(list(values)))
    return expression, names, values


def _outcome(action: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", action(*args)
    except Exception as e:  # the error is part of what is compared
        return "error", (type(e).__name__, str(e))


def test_plain_updates_match_moto(backend: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend.get_table("t")
    rng = random.Random(12)
    applied = declined = refused = 0
    for n in range(3000):
        attrs = _item(rng, n)
        expression, names, values = _expression(rng)
        key = {"k": attrs["k"]}
        backend.put_item("t", copy.deepcopy(attrs))
        stored = table.get_item(DynamoType(attrs["k"]), None)
        before = stored.to_json()
        plain = plain_update(table, stored, expression, names, values)
        if plain is None:
            declined += 1
            assert stored.to_json() == before, expression
            continue
        applied += 1
        fast = _outcome(plain.apply_to, stored)
        fast_item = stored.to_json()
        backend.put_item("t", copy.deepcopy(attrs))
        moto = _outcome(backend.update_item, "t", key, expression, names, values)
        assert fast[0] == moto[0], (expression, names, values, fast, moto)
        if fast[0] == "error":
            assert fast[1] == moto[1]
            refused += 1
        else:
            assert fast_item == table.get_item(DynamoType(attrs["k"]), None).to_json(), expression
    assert applied > 400 and declined > 400 and refused > 0  # every path is exercised


@pytest.mark.parametrize(
    ("expression", "plain"),
    [
        ("SET #s = :s, org_status = :os, decision = :d, revision = :rev", True),
        ("SET balance_cents = balance_cents + :d, version = version + :one", True),
        ("SET balance_cents = balance_cents + :d REMOVE payer_ibans", True),
        ("set a=:v,b = b - :w", True),
        ("SET history = list_append(if_not_exists(history, :empty), :prev)", False),
        ("SET a = :v ADD b :w", False),
        ("SET a.b = :v", False),
        ("SET a[0] = :v", False),
        ("SET status = :v", False),
        ("REMOVE a SET b = :v", False),
        ("SET a = :v + :w", False),
        ("SET a = b", False),
        ("", False),
    ],
)
def test_which_expressions_are_plain(expression: str, plain: bool) -> None:
    assert (plan_of(expression) is not None) is plain
