"""Condition and filter expressions parsed once per text, not once per use.

moto parses a ``ConditionExpression`` (or ``FilterExpression``) from scratch each time it
is used: once in the request layer (only to list the names it uses) and once more in the
backend for every item it checks; lexing, paths, functions, comparators, parentheses.
The values change with every request (amounts, ids), the text and the names do not.

So the syntax tree is parsed once per (text, names) with *slots* in place of the
values, and each use binds its own values into a copy of that tree before moto builds
its operators (``_make_op_condition``, the cheap last step). moto's
``create_condition_expression_parser`` hands out a subclass of its parser that does this;
what moto decides stays moto's:

* an expression that does not parse is never cached: every request goes to moto's own
  parse and gets its exact error;
* a request whose values lack a placeholder the expression uses goes to moto's parse
  too (moto's ``KeyError``), as does any request without values when the expression
  has placeholders;
* the names and values the expression uses (which the request layer checks against
  those given) are the ones moto's parse lists;
* the cache is bounded (cleared when full), keyed by the text and the names.

``tests/unit/test_local_dynamo_conditions.py`` compares the operators built both ways
on a corpus of expressions and items.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from moto.dynamodb.comparisons import ConditionExpressionParser

MAX_CACHED = 2048

_Entry = tuple[Any, frozenset[str], list[str], list[str]]
_CACHE: dict[tuple[str, tuple[tuple[str, str], ...]], _Entry] = {}
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


def _entry(expr: str, names: Any) -> _Entry | None:
    """The cached tree of (``expr``, ``names``), its value placeholders, and the names and
    values it uses; None when it does not parse (moto's own parse then says why)."""
    try:
        key = (expr, _names_key(names))
    except (AttributeError, TypeError):  # names of an unexpected shape: moto decides
        return None
    entry = _CACHE.get(key)
    if entry is None:
        slots = _Slots()
        parser = ConditionExpressionParser(expr, names, slots)
        try:
            tree = _parse_tree(parser)
        except Exception:
            return None
        entry = (
            tree,
            frozenset(slots.used),
            parser._find_literals(tree),
            parser._find_expr_attr_values(tree),
        )
        with _GUARD:
            if len(_CACHE) >= MAX_CACHED:
                _CACHE.clear()
            _CACHE[key] = entry
    return entry


class CachedConditionParser(ConditionExpressionParser):
    """moto's parser, with the syntax tree taken from the cache when it can be; what
    moto's ``create_condition_expression_parser`` hands out once installed."""

    def parse(self) -> Any:
        expr = self.condition_expression
        names = self.expression_attribute_names
        entry = _entry(expr, names) if isinstance(expr, str) and expr else None
        values = self.expression_attribute_values
        if entry is None:
            return super().parse()
        tree, used, names_found, values_found = entry
        if used and (not isinstance(values, Mapping) or not used.issubset(values.keys())):
            return super().parse()  # moto's KeyError for the missing value
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return self._make_op_condition(_bind(tree, values or {}))


def install() -> None:
    """Replace moto's ``create_condition_expression_parser`` where moto imported it: the
    backend's conditions and filters (through ``get_filter_expression``) and the request
    layer's own parse of each condition (to list the names it uses)."""
    from moto.dynamodb import comparisons, responses

    from infra.local.patches import _require

    for step in (
        "_lex_condition_expression", "_parse_paths", "_apply_functions", "_apply_comparator",
        "_apply_in", "_apply_between", "_apply_parens_and_booleans",
        "_assert_no_redundant_parentheses", "_make_op_condition", "_find_literals",
        "_find_expr_attr_values",
    ):  # fmt: skip
        _require(ConditionExpressionParser, step)
    for module in (comparisons, responses):
        _require(module, "create_condition_expression_parser")
        module.create_condition_expression_parser = CachedConditionParser  # type: ignore[attr-defined]
