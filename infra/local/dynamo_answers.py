"""DynamoDB answers written as JSON directly, not through moto's shape-driven serializer.

moto 5 turns every answer into its body by walking botocore's output shape member by
member (``moto.core.serialize``), looking each value up through several attribute
pickers. For DynamoDB that walk is the whole cost of an answer: in the month of
bench-platform it took ~60 % of the emulator's interpreter time (py-spy ``--gil``), mostly
on the items of Query, BatchGetItem and GetItem answers. Yet a DynamoDB answer is JSON
(the ``application/x-amz-json-1.0`` protocol) and moto's handlers already build it as
plain JSON values: items in the wire format (``{"S": "…"}``, numbers as strings),
counts, keys, capacities.

So the data-plane actions below are answered with ``json.dumps`` of what the handler
built, when that is plain JSON (dicts with string keys, lists, strings, booleans, whole
numbers, finite floats; no ``None``, no bytes). Anything else (errors, control-plane
actions, a value of another type) goes to moto's serializer as before.
``tests/integration/test_emulator_answers.py`` sends the same requests both ways and
compares status, headers and the decoded bodies.

Before that, moto's handlers turn their results (items of ``DynamoType`` values) into
those JSON values with ``dynamo_to_dict``, a generic walk that asks every value several
questions (a datetime? a ``DynamoType``? has it ``to_json``?). :func:`to_dict` gives the
same values with one type lookup for what a result is made of (dicts, lists, strings,
numbers, ``DynamoType`` other than binary) and hands anything else to moto's walk
(``tests/unit/test_local_dynamo_items.py`` compares the two).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.utilities import dynamo_to_dict
from moto.dynamodb.responses import DynamoHandler, DynamoResult

ACTIONS = frozenset(
    {
        "BatchGetItem", "BatchWriteItem", "DeleteItem", "GetItem", "PutItem", "Query",
        "Scan", "TransactGetItems", "TransactWriteItems", "UpdateItem",
    }
)  # fmt: skip
CONTENT_TYPE = "application/x-amz-json-1.0"
_ORIGINAL: dict[str, Callable[..., Any]] = {}
_MEMBERS: dict[str, frozenset[str]] = {}


class Switch:
    """On by default; the equivalence test turns it off to get moto's own answer."""

    enabled = True


def plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is JSON that moto's serializer would write unchanged."""
    kind = type(value)
    if kind is str or kind is bool or kind is int:
        return True
    if depth > 64:  # DynamoDB nests at most 32 levels
        return False
    if kind is dict:
        return all(type(k) is str and plain(v, depth + 1) for k, v in value.items())
    if kind is list:
        return all(plain(v, depth + 1) for v in value)
    if kind is float:
        return math.isfinite(value)
    return False


_SCALARS = frozenset({str, int, bool, float, type(None)})
_PLAIN_TYPES = frozenset({"S", "N", "BOOL", "NULL"})
_LISTS = frozenset({"L", "SS", "NS"})


def to_dict(obj: Any) -> Any:
    """moto's ``dynamo_to_dict``, with the common shapes of a result done directly."""
    kind = type(obj)
    if kind is DynamoType:
        value_type = obj.type
        if value_type in _PLAIN_TYPES:
            return {value_type: obj.value}
        if value_type == "M":
            return {"M": {k: to_dict(v) for k, v in obj.value.items()}}
        if value_type in _LISTS:
            return {value_type: [to_dict(v) for v in obj.value]}
        return dynamo_to_dict(obj)
    if kind in _SCALARS:
        return obj
    if isinstance(obj, dict) and not hasattr(obj, "to_json"):
        return {k: to_dict(v) for k, v in obj.items()}
    if kind is list:
        return [to_dict(v) for v in obj]
    return dynamo_to_dict(obj)


def serialized(self: Any, action_result: Any) -> Any:
    """``BaseResponse.serialized`` for DynamoDB, direct for the data-plane answers."""
    result = getattr(action_result, "result", None)
    if (
        Switch.enabled
        and type(action_result) in (ActionResult, DynamoResult)
        and type(result) is dict
        and (action := self._get_action()) in ACTIONS
        and plain(result)
    ):
        members = _output_members(action)
        # The serializer writes only the members of the output shape (moto's DeleteItem
        # also carries a legacy ``ConsumedCapacityUnits``, which it drops).
        answer = {k: v for k, v in result.items() if k in members}
        headers = {"Content-Type": CONTENT_TYPE, **self.response_headers}
        return 200, headers, json.dumps(answer, separators=(",", ":"))
    return _ORIGINAL["serialized"](self, action_result)


def _output_members(action: str) -> frozenset[str]:
    """The top-level members of ``action``'s output shape (botocore's model, cached)."""
    members = _MEMBERS.get(action)
    if members is None:
        shape = get_service_model("dynamodb").operation_model(action).output_shape
        members = _MEMBERS[action] = frozenset(shape.members if shape is not None else ())
    return members


def install() -> None:
    from infra.local.patches import _require

    if "serialized" in _ORIGINAL:
        return
    _ORIGINAL["serialized"] = _require(DynamoHandler, "serialized")
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    from moto.dynamodb import responses

    _require(responses, "dynamo_to_dict")
    responses.dynamo_to_dict = to_dict  # type: ignore[attr-defined]
