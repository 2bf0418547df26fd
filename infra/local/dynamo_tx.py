"""DynamoDB's isolation guarantees in the embedded emulator.

moto's server answers requests on many threads and its DynamoDB backend takes no lock:
two conditional writes on one item may both pass their condition, and
``transact_write_items`` rolls a failed transaction back by restoring *whole-table
copies* taken before it started, which wipes the writes other threads made meanwhile
(and costs O(table size) per transaction).

Here:

* every DynamoDB request, and every S3 request, of the moto server runs under one
  lock per service (:data:`DYNAMODB_LOCK`, :data:`S3_LOCK`): requests are serialised,
  so a conditional put/update/delete is atomic and a transaction is isolated, whatever
  thread sends it (API threads, pollers, the Step Functions interpreter);
* ``TransactWriteItems`` first checks every condition without writing anything, then
  applies the writes keeping a per-item undo log; if a write fails (a validation error
  the checks could not see), the items it touched are put back. Cost: O(items in the
  transaction), whatever the size of the tables. Plain updates (top-level ``SET`` and
  ``REMOVE``) are applied by :mod:`infra.local.dynamo_updates`, the others by moto.

Point-in-time snapshots take both locks (see :func:`all_locked`).
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any

from infra.local.dynamo_query import mark_updated
from infra.local.dynamo_updates import plain_update, shallow_copy

# Reentrant: a locked request may call backend methods that are themselves locked.
DYNAMODB_LOCK = threading.RLock()
S3_LOCK = threading.RLock()


@contextlib.contextmanager
def all_locked() -> Iterator[None]:
    """Both services frozen (always taken in this order: no deadlock)."""
    with DYNAMODB_LOCK, S3_LOCK:
        yield


def _locked(lock: threading.RLock, method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(self, *args, **kwargs)

    wrapper.__name__ = getattr(method, "__name__", "locked")
    wrapper.__doc__ = method.__doc__
    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


def _key_values(table: Any, key: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = (
        DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
    )
    return hash_value, range_value


def _restore(table: Any, hash_value: Any, range_value: Any, previous: Any) -> None:
    """Put ``previous`` (an Item, or None: absent) back under its key."""
    if range_value is not None:
        if previous is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = previous
    elif previous is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = previous


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """``DynamoDBBackend.transact_write_items``: check all, then apply with an undo log."""
    from moto.dynamodb.exceptions import TooManyTransactionsException

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    plans = _check_all(self, transact_items)
    _apply_all(self, plans)


def _check_all(
    backend: Any, transact_items: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Validate every operation and evaluate every condition, writing nothing."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    targets: set[tuple[str, str]] = set()
    plans: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        failing_item: dict[str, Any] | None = None
        try:
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            key = _operation_key(backend, op_type, op)
            marker = (str(op["TableName"]), str(dict(sorted(key.items()))))
            if marker in targets:
                raise MultipleTransactionsException()
            targets.add(marker)
            condition = op.get("ConditionExpression")
            if condition is not None:
                current = backend.get_item(op["TableName"], key)
                condition_op = _filter_expression(
                    condition,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                )
                if not condition_op.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        failing_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=failing_item)
            plans.append((op_type, op, key))
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), failing_item))
        except Exception as e:  # as moto does: reported in the cancellation reasons
            errors.append((type(e).__name__, str(e), failing_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    return plans


def _operation_key(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        key: dict[str, Any] = op["Key"]
        return key
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _apply_all(backend: Any, plans: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
    """Apply the checked writes; on a failure put back every item already written."""
    from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException

    undo: list[tuple[Any, Any, Any, Any]] = []
    failing = 0
    try:
        for op_type, op, key in plans:
            if op_type != "ConditionCheck":
                _apply_one(backend, op_type, op, key, undo)
            failing += 1
    except Exception as e:
        for table, hash_value, range_value, previous in reversed(undo):
            _restore(table, hash_value, range_value, previous)
        if isinstance(e, MockValidationException):
            raise
        reasons: list[tuple[str | None, str | None, dict[str, Any] | None]] = [
            (None, None, None)
        ] * len(plans)
        reasons[failing] = (type(e).__name__, str(e), None)
        raise TransactionCanceledException(reasons) from e


def _apply_one(
    backend: Any,
    op_type: str,
    op: dict[str, Any],
    key: dict[str, Any],
    undo: list[tuple[Any, Any, Any, Any]],
) -> None:
    table = backend.get_table(op["TableName"])
    hash_value, range_value = _key_values(table, key)
    previous = table.get_item(hash_value, range_value)
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Update":
        plain = plain_update(table, previous, op["UpdateExpression"], names, values)
        if plain is not None:  # replaces top-level values: a shallow copy undoes it
            undo.append((table, hash_value, range_value, shallow_copy(previous)))
            plain.apply_to(previous)
            mark_updated(table, hash_value, range_value)
            return
        # moto's update_item changes the stored Item in place: keep a copy of it.
        undo.append((table, hash_value, range_value, copy.deepcopy(previous)))
        backend.update_item(
            op["TableName"],
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
        return
    # A put or a delete replaces the stored Item and leaves it untouched: keep it.
    undo.append((table, hash_value, range_value, previous))
    if op_type == "Put":
        backend.put_item(
            op["TableName"],
            op["Item"],
            expression_attribute_names=names,
            expression_attribute_values=values,
            overwrite=True,
        )
    else:
        backend.delete_item(
            op["TableName"],
            key,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def _filter_expression(condition: str, names: Any, values: Any) -> Any:
    from moto.dynamodb.comparisons import get_filter_expression

    return get_filter_expression(condition, names, values)


def apply() -> None:
    """Install the locks and the transaction (called once by ``patches.apply_all``)."""
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.responses import S3Response

    from infra.local.patches import _require

    backend = dynamodb_models.DynamoDBBackend
    _require(backend, "transact_write_items")
    backend.transact_write_items = _locked(DYNAMODB_LOCK, transact_write_items)  # type: ignore[method-assign]
    DynamoHandler.call_action = _locked(  # type: ignore[method-assign]
        DYNAMODB_LOCK, _require(DynamoHandler, "call_action")
    )
    for name in ("bucket_response", "key_response", "ambiguous_response"):
        setattr(S3Response, name, _locked(S3_LOCK, _require(S3Response, name)))
