"""The transaction's plain updates, applied without moto's tree walks.

A booking updates two items per payment: its bank transaction (``SET #s = :s, decision
= :d, …``) and each lease's balance (``SET balance_cents = balance_cents + :d, version =
version + :one``). moto applies every update by copying the expression's tree and walking
it ten times (one validator or processor each); that was ~80 % of a transaction's cost in
the emulator, for updates that only set top-level attributes.

Here an update whose expression is *only* ``SET`` actions of the forms ``name = :value``
and ``name = name ± :value`` on top-level attributes, optionally followed by ``REMOVE`` of
top-level attributes, is applied directly, with moto's own values and arithmetic
(``DynamoType`` and its ``+``/``-``) and moto's size rule (kept as a running total, see
``PlainUpdate.apply_to``). Everything else goes to moto, and so does every case where moto
would raise: a placeholder not given, a reserved word used as a name, a key attribute of
the table, a value an index's key attribute refuses (moto's type and empty-value
checks), a path named twice, an operand attribute missing or not a number, a new item, a
table with a stream. The choice is made before anything is written, so a request that
goes to moto finds the item untouched.

``tests/unit/test_local_dynamo_updates.py`` applies random updates both ways (this path
and moto's ``update_item``) to copies of random items and compares the items and errors.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from infra.local.dynamo_compact import decoded, is_compact, store, typed, value_size, wire
from infra.local.dynamo_compact import utf8 as _utf8
from infra.local.dynamo_items import MAX_ITEM_BYTES

MAX_CACHED = 1024

_NAME = r"(?:#[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*)"
_VALUE = r":[A-Za-z0-9_]+"
_SET = re.compile(
    rf"\s*({_NAME})\s*=\s*(?:({_VALUE})|({_NAME})\s*([+-])\s*({_VALUE}))\s*", re.ASCII
)
_REMOVE = re.compile(rf"\s*({_NAME})\s*", re.ASCII)
_CLAUSES = re.compile(r"\s*SET\s+(.*?)(?:\s+REMOVE\s+(.*))?\s*", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Set:
    target: str
    value: str
    operand: str | None = None
    operator: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """What a plain update does, its names still placeholders (``#x``) or bare."""

    sets: tuple[_Set, ...]
    removes: tuple[str, ...]


_CACHE: dict[str, Plan | None] = {}
_GUARD = threading.Lock()


def plan_of(expression: str) -> Plan | None:
    """The plan of a plain update expression; None when moto must apply it."""
    try:
        return _CACHE[expression]
    except KeyError:
        pass
    plan = _plan(expression)
    with _GUARD:
        if len(_CACHE) >= MAX_CACHED:
            _CACHE.clear()
        _CACHE[expression] = plan
    return plan


def _plan(expression: str) -> Plan | None:
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    clauses = _CLAUSES.fullmatch(expression)
    if clauses is None:
        return None
    sets: list[_Set] = []
    for action in clauses.group(1).split(","):
        m = _SET.fullmatch(action)
        if m is None:
            return None
        target, value, operand, operator, operand_value = m.groups()
        if value is not None:
            sets.append(_Set(target, value))
        else:
            sets.append(_Set(target, operand_value, operand, operator))
    removes: list[str] = []
    if clauses.group(2) is not None:
        for action in clauses.group(2).split(","):
            m = _REMOVE.fullmatch(action)
            if m is None:
                return None
            removes.append(m.group(1))
    reserved = ReservedKeywords.get_reserved_keywords()
    names = [s.target for s in sets] + [s.operand for s in sets if s.operand] + removes
    if any(not n.startswith("#") and n.upper() in reserved for n in names):
        return None  # moto's "reserved keyword" error
    return Plan(tuple(sets), tuple(removes))


def _resolve(name: str, names: dict[str, str] | None) -> str | None:
    if not name.startswith("#"):
        return name
    if names is None:
        return None
    return names.get(name)


def _new_values(
    plan: Plan,
    item: Any,
    stored: dict[str, Any] | None,
    names: dict[str, str] | None,
    values: dict[str, Any] | None,
) -> list[tuple[str, Any]] | None:
    """Each set's attribute and new value, computed from the item as it is (``stored``:
    its attributes as DynamoDB JSON when it is held compact); None if moto must decide
    (and would raise)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if values is None:
        return None
    out: list[tuple[str, Any]] = []
    for action in plan.sets:
        target = _resolve(action.target, names)
        raw = values.get(action.value)
        if target is None or raw is None:
            return None
        value = DynamoType(raw)
        if action.operand is not None:
            operand = _resolve(action.operand, names)
            if operand is None:
                current = None
            elif stored is not None:
                found = stored.get(operand)
                current = typed(found) if found is not None else None
            else:
                current = item.attrs.get(operand)
            if current is None or not (current.is_number() and value.is_number()):
                return None
            value = current + value if action.operator == "+" else current - value
        out.append((target, value))
    return out


def _index_key_refused(table: Any, plan: Plan, sets: list[tuple[str, Any]]) -> bool:
    """Whether moto's checks of a SET on an index's key attribute would refuse one: a
    value of another type than declared, or an empty string or binary. Like moto, they
    read the name as written (a placeholder is not resolved for these two checks)."""
    declared = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
    keys = table.attribute_keys
    for action, (_, value) in zip(plan.sets, sets, strict=True):
        written = action.target
        if written in declared and declared[written] != value.type:
            return True
        if written in keys and value.type in ("S", "B") and not value.value:
            return True
    return False


@dataclass(frozen=True, slots=True)
class PlainUpdate:
    """The writes of a plain update, their values computed: sets in order, then removals."""

    sets: list[tuple[str, Any]]
    removes: list[str]
    stored: dict[str, Any] | None = None  # the item's attributes, when held compact

    def apply_to(self, item: Any) -> None:
        """Write into ``item`` (see :meth:`apply_to_attrs`); an item held compact is
        written as DynamoDB JSON and encoded again, its attrs never built."""
        if self.stored is None or not is_compact(item):
            self.apply_to_attrs(item)
            return
        sets = [(target, wire(value)) for target, value in self.sets]
        if any(value is None or value_size(value) is None for _, value in sets):  # binary
            self.apply_to_attrs(item)
            return
        self._apply_compact(item, sets)

    def _apply_compact(self, item: Any, sets: list[tuple[str, Any]]) -> None:
        from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge

        stored = self.stored
        assert stored is not None
        size = item.size()
        for target, value in sets:
            added = _utf8(target) + value_size(value)  # type: ignore[operator]
            if size + added > MAX_ITEM_BYTES:
                raise ItemSizeToUpdateTooLarge()
            old = stored.get(target)
            if old is not None:
                size -= _utf8(target) + (value_size(old) or 0)
            stored[target] = value
            size += added
        for name in self.removes:
            old = stored.pop(name, None)
            if old is not None:
                size -= _utf8(name) + (value_size(old) or 0)
        store(item, stored, size)

    def apply_to_attrs(self, item: Any) -> None:
        """Write into ``item`` with moto's size rule: each set is refused when the item's
        size before it plus the new attribute's is over the limit (an overwritten value
        counts until it is replaced). The size is summed once, then kept up to date."""
        from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge
        from moto.dynamodb.models.utilities import bytesize

        attrs = item.attrs
        size = sum(bytesize(key) + value.size() for key, value in attrs.items())
        for target, value in self.sets:
            added = bytesize(target) + value.size()
            if size + added > MAX_ITEM_BYTES:
                raise ItemSizeToUpdateTooLarge()
            old = attrs.get(target)
            if old is not None:
                size -= bytesize(target) + old.size()
            dict.__setitem__(attrs, target, value)
            size += added
        for name in self.removes:
            attrs.pop(name, None)


def plain_update(
    table: Any,
    item: Any,
    expression: str,
    names: dict[str, str] | None,
    values: dict[str, Any] | None,
) -> PlainUpdate | None:
    """The writes of a plain update of the stored ``item`` (None: absent) of ``table``,
    computed without writing anything; None when moto must apply it."""
    plan = plan_of(expression)
    if plan is None or item is None or table.stream_shard is not None:
        return None
    stored = decoded(item)
    sets = _new_values(plan, item, stored, names, values)
    if sets is None:
        return None
    removes = [_resolve(name, names) for name in plan.removes]
    targets = [target for target, _ in sets] + removes
    if None in targets or len(set(targets)) != len(targets):
        return None
    if set(table.table_key_attrs).intersection(targets) or _index_key_refused(table, plan, sets):
        return None
    return PlainUpdate(sets, [name for name in removes if name is not None], stored)


def shallow_copy(item: Any) -> Any:
    """A copy of ``item`` sharing its values: enough to undo a plain update, which
    replaces top-level values and never changes one in place."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    copied = object.__new__(type(item))
    copied.__dict__.update(item.__dict__)
    if is_compact(item):  # held as its string, which an update replaces
        return copied
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(attrs, item.attrs)
    # Not through the ``attrs`` setter: the copy is thrown away unless the transaction
    # fails, and then it is put back as it is (its attrs are what it holds).
    state = copied.__dict__
    state["_attrs"] = attrs
    state["_raw"] = None
    state["_size"] = None
    return copied
