"""Condition and filter expressions parsed once per text, not once per item.

moto parses a ``ConditionExpression`` (or ``FilterExpression``) from scratch for every
item it checks: lexing, paths, functions, comparators, parentheses. In a booking
transaction that is one parse per item, and about 40 % of the emulator's time in
``TransactWriteItems`` (profile of bench-platform's month). The values change with
every request (amounts, ids), the text and the names do not.

So the syntax tree is parsed once per (text, names) with *slots* in place of the
values, and each request binds its own values into a copy of that tree before moto
builds its operators (``_make_op_condition``, the cheap last step). What moto decides
stays moto's:

* an expression that does not parse is never cached: every request goes to moto's
  own parse and gets its exact error;
* a request whose values lack a placeholder the expression uses goes to moto's parse
  too (moto's ``KeyError``), as does any request without values when the expression
  has placeholders;
* the cache is bounded (cleared when full), keyed by the text and the names.

``tests/unit/test_local_dynamo_conditions.py`` compares the operators built both ways
on a corpus of expressions and items.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

MAX_CACHED = 2048

_ORIGINAL: dict[str, Callable[..., Any]] = {}
_CACHE: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Any, frozenset[str]]] = {}
_GUARD = threading.Lock()


class _Slot:
    """Stands for an ``:value`` while the tree is parsed."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Slots(dict):  # type: ignore[type-arg]
    """Expression attribute values that hand out a slot for every name asked."""

    def __init__(self) -> None:
        super().__init__()
        self.used: set[str] = set()

    def __missing__(self, name: str) -> _Slot:
        self.used.add(name)
        return _Slot(name)

    def __bool__(self) -> bool:  # moto may test for "values given"
        return True


def _parse_tree(parser: Any) -> Any:
    """moto's ``ConditionExpressionParser.parse`` up to, not including, building the ops."""
    nodes = parser._lex_condition_expression()
    nodes = parser._parse_paths(nodes)
    nodes = parser._apply_functions(nodes)
    nodes = parser._apply_comparator(nodes)
    nodes = parser._apply_in(nodes)
    nodes = parser._apply_between(nodes)
    nodes = parser._apply_parens_and_booleans(nodes)
    node = nodes[0]
    parser._assert_no_redundant_parentheses(node)
    return node


def _bind(node: Any, values: Mapping[str, Any]) -> Any:
    """A copy of ``node`` with each slot replaced by the request's value."""
    value = node.value
    if isinstance(value, _Slot):
        value = values[value.name]
    children = [_bind(child, values) for child in node.children]
    return node._replace(value=value, children=children)


def _names_key(names: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(names.items())) if names else ()


def get_filter_expression(
    expr: str | None, names: dict[str, str] | None, values: dict[str, Any] | None
) -> Any:
    """``moto.dynamodb.comparisons.get_filter_expression``, with the parse cached."""
    from moto.dynamodb.comparisons import create_condition_expression_parser

    original = _ORIGINAL["get_filter_expression"]
    if not expr or not isinstance(expr, str):
        return original(expr, names, values)
    try:
        key = (expr, _names_key(names))
    except (AttributeError, TypeError):  # names of an unexpected shape: moto decides
        return original(expr, names, values)
    entry = _CACHE.get(key)
    if entry is None:
        slots = _Slots()
        try:
            tree = _parse_tree(create_condition_expression_parser(expr, names, slots))
        except Exception:
            return original(expr, names, values)
        entry = (tree, frozenset(slots.used))
        with _GUARD:
            if len(_CACHE) >= MAX_CACHED:
                _CACHE.clear()
            _CACHE[key] = entry
    tree, used = entry
    if used and (not isinstance(values, Mapping) or not used.issubset(values.keys())):
        return original(expr, names, values)
    parser = create_condition_expression_parser(expr, names, values)
    return parser._make_op_condition(_bind(tree, values or {}))


def install() -> None:
    """Replace moto's ``get_filter_expression`` wherever moto imported it by name."""
    from moto.dynamodb import comparisons, models
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models import table

    from infra.local.patches import _require

    for step in (
        "_lex_condition_expression", "_parse_paths", "_apply_functions", "_apply_comparator",
        "_apply_in", "_apply_between", "_apply_parens_and_booleans",
        "_assert_no_redundant_parentheses", "_make_op_condition",
    ):  # fmt: skip
        _require(ConditionExpressionParser, step)
    if "get_filter_expression" in _ORIGINAL:
        return
    _ORIGINAL["get_filter_expression"] = _require(comparisons, "get_filter_expression")
    for module in (comparisons, models, table):
        _require(module, "get_filter_expression")
        module.get_filter_expression = get_filter_expression  # type: ignore[attr-defined]
