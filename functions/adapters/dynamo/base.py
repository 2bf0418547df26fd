"""Shared DynamoDB plumbing: the PynamoDB binding, attribute codecs, cursors, pages, batch calls.

Models (one module per aggregate) declare a table's keys, indexes and attributes once;
:func:`bound` gives the model on this stack's table (its name comes from ``Settings`` at
run time, not from a class constant), talking to the same endpoint and region as the
clients of :mod:`functions.adapters.aws` (the embedded emulator locally), with the same
retry policy. The raw codecs below stay for the writers that build DynamoDB
transactions by hand (booking, ledger writer).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.exceptions import ClientError
from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from functions.adapters.aws import client
from functions.core.errors import EncaisseError, ValidationError
from functions.core.records import Page

M = TypeVar("M", bound=Model)

# aws.py's clients: standard retry mode, 5 attempts in all; botocore's default timeouts.
_MAX_RETRY_ATTEMPTS = 4
_TIMEOUT_SECONDS = 60


if TYPE_CHECKING:

    class Map(MapAttribute[str, Any]):
        """``MapAttribute`` as the type checker sees it: PynamoDB leaves its constructor
        unannotated (a call to it fails ``mypy --strict``)."""

        def __init__(self, **attributes: Any) -> None: ...

else:
    # At run time ``Map`` *is* ``MapAttribute``: ``Map(null=True)`` stays a raw map
    # (PynamoDB tells raw maps by ``cls == MapAttribute``) and ``class X(Map)`` a typed one.
    Map = MapAttribute


def string_list(*, null: bool | None = None) -> ListAttribute[str]:
    """A list of strings. PynamoDB types ``of`` as the element's Python type rather than
    its attribute class (pynamodb/PynamoDB#1246), hence the cast."""
    return ListAttribute[str](of=cast("type[str]", UnicodeAttribute), null=null)


class StoredModel(Model):
    """Base of the storage models: a model is used through :func:`bound`, never directly."""

    class Meta:
        table_name = ""  # bound at run time


def bound(model: type[M], table: str) -> type[M]:
    """``model`` on ``table`` (a name from ``Settings``), created once per process.

    Endpoint and region are those of ``client("dynamodb")``, so PynamoDB and the raw
    clients always talk to the same DynamoDB (``AWS_ENDPOINT_URL`` locally); a new
    client (the client cache cleared, whatever the endpoint) gives a new binding, so a
    model never keeps the client the process let go of.
    """
    return _bound(model, table, client("dynamodb"))


@cache
def _bound(model: type[M], table: str, ddb: Any) -> type[M]:
    bound_model = _model_on(model, table, ddb.meta.endpoint_url, ddb.meta.region_name)
    # PynamoDB builds a connection's botocore client on first use, from a session it
    # keeps per thread: threads that start together (the API serves each request on its
    # own thread) each build one, loading botocore's endpoint and service files again
    # (~23 % of the API's time under the bench's 20 clients). The process's own client
    # is thread-safe and configured alike (standard retries, 5 attempts, no client-side
    # validation): the model's connection uses it from the start.
    bound_model._get_connection().connection._client = ddb
    return bound_model


def _model_on(model: type[M], table: str, host: str, region: str) -> type[M]:
    meta = type(
        "Meta",
        (),
        {
            "table_name": table,
            "host": host,
            "region": region,
            "max_retry_attempts": _MAX_RETRY_ATTEMPTS,
            "connect_timeout_seconds": _TIMEOUT_SECONDS,
            "read_timeout_seconds": _TIMEOUT_SECONDS,
        },
    )
    return type(model.__name__, (model,), {"Meta": meta, "__module__": model.__module__})


def plain_map(value: Any) -> Any:
    """A raw ``MapAttribute``'s value (or None) as plain dicts and lists, at any depth."""
    if isinstance(value, MapAttribute):
        value = value.attribute_values
    if isinstance(value, dict):
        return {k: plain_map(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_map(v) for v in value]
    return value


def failed_condition(e: PynamoDBException) -> bool:
    """Whether PynamoDB's error is a condition that did not hold (and nothing worse)."""
    return e.cause_response_code == "ConditionalCheckFailedException"


class StorageError(EncaisseError):
    """DynamoDB refused or failed a call."""


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    """A plain item as DynamoDB's typed JSON (absent values left out)."""
    return {k: _typed(v) for k, v in item.items() if v is not None}


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed JSON as a plain item (whole numbers as int, others as Decimal)."""
    return {k: _untyped(v) for k, v in item.items()}


# The codec boto3's TypeSerializer/TypeDeserializer implement, written out here: importing
# ``boto3.dynamodb.types`` loads boto3 and s3transfer, ~0.05 s of every cold start.


def _typed(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, dict):
        return {"M": {str(k): _typed(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_typed(v) for v in value]}
    if isinstance(value, set | frozenset) and value:
        if all(isinstance(v, str) for v in value):
            return {"SS": list(value)}
        if all(isinstance(v, int | Decimal) and not isinstance(v, bool) for v in value):
            return {"NS": [_number(v) for v in value]}
        if all(isinstance(v, bytes | bytearray) for v in value):
            return {"BS": [bytes(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in DynamoDB (floats: Decimal)")


def _number(value: int | Decimal) -> str:
    if isinstance(value, Decimal) and not value.is_finite():
        raise TypeError(f"DynamoDB stores finite numbers only, not {value}")
    return str(value)


def _plain(value: Any) -> Any:
    """Decimals that are whole numbers as int, in lists and maps too."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _plain_number(raw: str) -> int | Decimal:
    number = Decimal(raw)
    return int(number) if number == number.to_integral_value() else number


def _untyped(value: dict[str, Any]) -> Any:
    (kind, raw), *_ = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return _plain_number(raw)
    if kind == "M":
        return {k: _untyped(v) for k, v in raw.items()}
    if kind == "L":
        return [_untyped(v) for v in raw]
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "B":
        return bytes(raw)
    if kind == "SS":
        return set(raw)
    if kind == "NS":
        return {Decimal(v) for v in raw}
    if kind == "BS":
        return {bytes(v) for v in raw}
    raise TypeError(f"unknown DynamoDB type {kind!r}")


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


_CURSOR_VERSION = 1
_MAX_CURSOR_CHARS = 2048
_KEY_EQUALS = re.compile(r"(\w+)\s*=\s*(:\w+)")
_NOT_OURS = "not a cursor this API returned"


def cursor_scope(kwargs: dict[str, Any]) -> str:
    """What a cursor is bound to: the table, index and key condition (hence the organisation)."""
    what = [
        kwargs.get("TableName"),
        kwargs.get("IndexName"),
        kwargs.get("KeyConditionExpression"),
        kwargs.get("ExpressionAttributeValues"),
    ]
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:24]


def encode_cursor(key: dict[str, Any] | None, scope: str = "") -> str | None:
    if not key:
        return None
    data = {"v": _CURSOR_VERSION, "s": scope, "k": key}
    return base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).decode()


def _key_value_ok(value: Any) -> bool:
    if isinstance(value, str):
        return 0 < len(value) <= 1024
    return isinstance(value, int) and not isinstance(value, bool)


def decode_cursor(cursor: str | None, scope: str | None = None) -> dict[str, Any] | None:
    """The start key a cursor holds; refuses garbled, forged or foreign cursors (400).

    With ``scope``, the cursor must come from the same listing (``cursor_scope``).
    """
    if not cursor:
        return None
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise ValidationError("cursor", _NOT_OURS)
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, RecursionError) as e:
        raise ValidationError("cursor", _NOT_OURS) from e
    if (
        not isinstance(data, dict)
        or data.get("v") != _CURSOR_VERSION
        or not isinstance(data.get("s"), str)
        or not isinstance(data.get("k"), dict)
    ):
        raise ValidationError("cursor", _NOT_OURS)
    key: dict[str, Any] = data["k"]
    if not 0 < len(key) <= 4 or not all(_key_value_ok(v) for v in key.values()):
        raise ValidationError("cursor", _NOT_OURS)
    if scope is not None and data["s"] != scope:
        raise ValidationError("cursor", "belongs to another listing")
    return key


def _query_page(
    table: str, org_id: str, limit: int, cursor: str | None, **extra: Any
) -> Page[dict[str, Any]]:
    """One page of an organisation's items, newest cursor encoded for the API."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "org_id = :o",
        "ExpressionAttributeValues": {":o": {"S": org_id}},
        "Limit": limit,
    } | extra
    return query_page(kwargs, cursor)


def query_page(kwargs: dict[str, Any], cursor: str | None) -> Page[dict[str, Any]]:
    """Run one query from the API's cursor; the next cursor encodes where it stopped.

    Raw items: what cursors looked like before the models (tests compare with it)."""
    scope = cursor_scope(kwargs)
    start = decode_cursor(cursor, scope)
    if start:
        values = kwargs.get("ExpressionAttributeValues", {})
        for name, placeholder in _KEY_EQUALS.findall(kwargs.get("KeyConditionExpression", "")):
            if name in start and {"S": start[name]} != values.get(placeholder):
                raise ValidationError("cursor", "belongs to another listing")
        kwargs["ExclusiveStartKey"] = to_ddb(start)
    try:
        resp = client("dynamodb").query(**kwargs)
    except ClientError as e:
        if start and e.response.get("Error", {}).get("Code") == "ValidationException":
            raise ValidationError("cursor", _NOT_OURS) from e
        raise
    last = from_ddb(resp["LastEvaluatedKey"]) if "LastEvaluatedKey" in resp else None
    return Page([from_ddb(i) for i in resp["Items"]], encode_cursor(last, scope))


def model_page(
    model: type[M],
    hash_key: str,
    scope: dict[str, Any],
    limit: int,
    cursor: str | None,
    **query: Any,
) -> tuple[list[M], str | None]:
    """One page of ``model.query(hash_key, **query)`` from the API's cursor.

    ``scope`` is the listing as the low-level query names it (table, index, key
    condition and values): cursors stay bound to it, in the format the API has always
    handed out. Raises ``ValidationError`` for a cursor this listing did not return.
    """
    scope_id = cursor_scope(scope)
    start = decode_cursor(cursor, scope_id)
    if start:
        values = scope.get("ExpressionAttributeValues", {})
        for name, placeholder in _KEY_EQUALS.findall(scope.get("KeyConditionExpression", "")):
            if name in start and {"S": start[name]} != values.get(placeholder):
                raise ValidationError("cursor", "belongs to another listing")
    result = model.query(
        hash_key,
        limit=limit,
        page_size=limit,
        last_evaluated_key=to_ddb(start) if start else None,
        **query,
    )
    try:
        items = list(result)
    except PynamoDBException as e:
        if start and e.cause_response_code == "ValidationException":
            raise ValidationError("cursor", _NOT_OURS) from e
        raise
    last = result.last_evaluated_key
    return items, encode_cursor(from_ddb(last) if last else None, scope_id)


def batch_write(ddb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending = {table: requests}
    for _ in range(8):
        resp = ddb.batch_write_item(RequestItems=pending)
        pending = resp.get("UnprocessedItems") or {}
        if not pending:
            return
    raise StorageError(f"{table}: batch write left unprocessed items after retries")


def transact(ddb: Any, items: list[dict[str, Any]]) -> list[str | None] | None:
    """One TransactWriteItems: None when it passed, else each item's cancellation code
    (``"None"`` for the items that were not the cause)."""
    try:
        ddb.transact_write_items(TransactItems=items)
    except ClientError as e:
        if e.response["Error"]["Code"] != "TransactionCanceledException":
            raise StorageError(str(e)) from e
        return [r.get("Code") for r in e.response.get("CancellationReasons", [])]
    return None


def _batch_get(
    ddb: Any, table: str, keys: list[dict[str, Any]], **extra: Any
) -> list[dict[str, Any]]:
    """Items by key, 100 per call; ``extra`` (a ProjectionExpression...) goes with each."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {
            table: {"Keys": keys[start : start + 100], "ConsistentRead": True} | extra
        }
        for _ in range(8):
            resp = ddb.batch_get_item(RequestItems=request)
            found.extend(from_ddb(i) for i in resp["Responses"].get(table, []))
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise StorageError(f"{table}: batch get left unprocessed keys after retries")
    return found
