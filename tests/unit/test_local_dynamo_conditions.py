"""The emulator's cached parse of condition expressions builds the operators moto's own
parse builds: same answer on every item, same errors, values bound per request."""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

import pytest
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from infra.local import dynamo_conditions
from infra.local.patches import apply_all

apply_all()


def moto_parse(expr: str, names: Any, values: Any) -> Any:
    """moto's own, uncached parse."""
    return ConditionExpressionParser(expr, names, values).parse()


def cached_parse(expr: str, names: Any, values: Any) -> Any:
    """The parse moto now calls, with the names and values it lists checked too."""
    cached = dynamo_conditions.CachedConditionParser(expr, names, values)
    reference = ConditionExpressionParser(expr, names, values)
    op = cached.parse()
    reference.parse()
    assert cached.expr_attr_names_found == reference.expr_attr_names_found
    assert cached.expr_attr_values_found == reference.expr_attr_values_found
    return op


# (expression, names): the adapters' conditions, and every construct of the grammar.
EXPRESSIONS: list[tuple[str, dict[str, str] | None]] = [
    ("#s = :expected", {"#s": "status"}),
    (
        "#s = :expected AND (attribute_not_exists(revision) OR revision = :old_rev)",
        {"#s": "status"},
    ),
    ("version = :v", None),
    ("version = :v AND payer_ibans = :was", None),
    (
        "version = :v AND (attribute_not_exists(payer_ibans) OR attribute_type(payer_ibans, :null)"
        " OR size(payer_ibans) = :zero)",
        None,
    ),
    ("attribute_not_exists(reversed_by) OR reversed_by = :r", None),
    ("attribute_not_exists(line_id)", None),
    ("attribute_exists(lease_id)", None),
    ("held = :t AND open_case_id = :case", None),
    ("NOT (balance_cents < :lo) AND balance_cents <= :hi", None),
    ("balance_cents BETWEEN :lo AND :hi", None),
    ("#s IN (:a, :b, :expected)", {"#s": "status"}),
    ("begins_with(#s, :prefix) OR contains(tags, :tag)", {"#s": "status"}),
    ("size(tags) > :zero AND tags[0] <> :tag", None),
    ("decision.outcome = :a OR decision.amount_cents >= :lo", None),
    ("(version = :v)", None),
]

PLACEHOLDER_VALUES: dict[str, list[dict[str, Any]]] = {
    ":expected": [{"S": "new"}, {"S": "review"}, {"S": "matched"}],
    ":old_rev": [{"N": "0"}, {"N": "1"}, {"N": "2"}],
    ":v": [{"N": "1"}, {"N": "2"}, {"N": "7"}],
    ":was": [{"L": [{"S": "FR76A"}]}, {"L": []}],
    ":null": [{"S": "NULL"}, {"S": "L"}],
    ":zero": [{"N": "0"}, {"N": "1"}],
    ":r": [{"S": "tx-1"}, {"S": "tx-2"}],
    ":t": [{"BOOL": True}, {"BOOL": False}],
    ":case": [{"S": "c1"}, {"S": "c2"}],
    ":lo": [{"N": "-500"}, {"N": "0"}, {"N": "1200"}],
    ":hi": [{"N": "0"}, {"N": "99999"}],
    ":a": [{"S": "new"}, {"S": "matched"}],
    ":b": [{"S": "review"}, {"S": "ignored"}],
    ":prefix": [{"S": "re"}, {"S": "m"}],
    ":tag": [{"S": "x"}, {"S": "y"}],
}


def items(rng: random.Random) -> list[Item]:
    out = []
    for n in range(60):
        attrs: dict[str, Any] = {"org_id": {"S": "o"}, "k": {"S": f"k{n}"}}
        if rng.random() < 0.8:
            attrs["status"] = {"S": rng.choice(["new", "review", "matched", "ignored"])}
        if rng.random() < 0.6:
            attrs["revision"] = {"N": str(rng.randint(0, 2))}
        if rng.random() < 0.8:
            attrs["version"] = {"N": str(rng.choice([1, 2, 7]))}
        if rng.random() < 0.5:
            attrs["payer_ibans"] = rng.choice(
                [{"L": []}, {"L": [{"S": "FR76A"}]}, {"NULL": True}, {"S": "FR76A"}]
            )
        if rng.random() < 0.4:
            attrs["reversed_by"] = {"S": rng.choice(["tx-1", "tx-2"])}
        if rng.random() < 0.7:
            attrs["balance_cents"] = {"N": str(rng.randint(-2000, 2000))}
        if rng.random() < 0.5:
            attrs["tags"] = {"L": [{"S": rng.choice("xyz")} for _ in range(rng.randint(0, 3))]}
        if rng.random() < 0.5:
            attrs["held"] = {"BOOL": rng.random() < 0.5}
            attrs["open_case_id"] = {"S": rng.choice(["c1", "c2"])}
        if rng.random() < 0.5:
            attrs["decision"] = {
                "M": {"outcome": {"S": "matched"}, "amount_cents": {"N": str(rng.randint(0, 2000))}}
            }
        out.append(Item(DynamoType({"S": "o"}), DynamoType({"S": f"k{n}"}), attrs))
    return out


def placeholders(expr: str) -> list[str]:
    return sorted(set(re.findall(r":[a-z_]+", expr)))


def outcome(op: Any, item: Item) -> tuple[Any, ...]:
    """The operator's answer on ``item``, or the error it raises (both ways must agree)."""
    try:
        return ("answer", op.expr(item))
    except Exception as e:
        return ("error", type(e), str(e))


def test_cached_parse_answers_as_moto_for_every_item_and_values() -> None:
    rng = random.Random(20261204)
    corpus = items(rng)
    for expr, names in EXPRESSIONS:
        used = placeholders(expr)
        choices = [PLACEHOLDER_VALUES[p] for p in used]
        combos = list(itertools.product(*choices))
        rng.shuffle(combos)
        for combo in combos[:12]:  # the same text again and again, other values each time
            values = dict(zip(used, combo, strict=True))
            cached = cached_parse(expr, names, values)
            reference = moto_parse(expr, names, values)
            for item in corpus:
                assert outcome(cached, item) == outcome(reference, item), (expr, values, item)
    assert len(dynamo_conditions._CACHE) >= len(EXPRESSIONS)


@pytest.mark.parametrize(
    ("expr", "names", "values"),
    [
        ("version = :v AND", None, {":v": {"N": "1"}}),  # does not parse
        ("version = :v", None, {}),  # a value missing
        ("version = :v", None, None),
        ("#s = :v", None, {":v": {"S": "x"}}),  # a name missing
        ("((version = :v))) ", None, {":v": {"N": "1"}}),
        ("attribute_type(version)", None, None),  # wrong arguments
    ],
)
def test_errors_are_moto_s_on_every_request(expr: str, names: Any, values: Any) -> None:
    for _ in range(2):  # the second time too: errors are never cached
        with pytest.raises(Exception) as reference:
            moto_parse(expr, names, values)
        with pytest.raises(Exception) as cached:
            cached_parse(expr, names, values)
        assert (type(cached.value), str(cached.value)) == (
            type(reference.value),
            str(reference.value),
        )


def test_a_value_missing_after_a_good_parse_still_fails_as_moto() -> None:
    cached_parse("revision = :old", None, {":old": {"N": "1"}})
    with pytest.raises(KeyError):
        cached_parse("revision = :old", None, {":other": {"N": "1"}})


def test_values_are_bound_per_request_not_shared() -> None:
    item = Item(DynamoType({"S": "o"}), None, {"version": {"N": "2"}})
    two = cached_parse("version = :v", None, {":v": {"N": "2"}})
    three = cached_parse("version = :v", None, {":v": {"N": "3"}})
    assert (two.expr(item), three.expr(item)) == (True, False)
    assert two.expr(item)  # the later call did not rebind the earlier operator


def test_moto_uses_the_cached_parse_everywhere() -> None:
    from moto.dynamodb import comparisons, responses

    for module in (comparisons, responses):
        assert module.create_condition_expression_parser is dynamo_conditions.CachedConditionParser
    key = ("begins_with(sk, :p)", ())
    comparisons.get_filter_expression("begins_with(sk, :p)", None, {":p": {"S": "x"}})
    assert key in dynamo_conditions._CACHE
