"""DynamoDB's isolation guarantees in the embedded emulator.

moto's server answers requests on many threads and its DynamoDB backend takes no lock:
two conditional writes on one item may both pass their condition, and
``transact_write_items`` rolls a failed transaction back by restoring *whole-table
copies* taken before it started, which wipes the writes other threads made meanwhile
(and costs O(table size) per transaction).

Here:

* every DynamoDB write request, and every S3 request, of the moto server runs under
  one lock per service (:data:`DYNAMODB_LOCK`, :data:`S3_LOCK`): writes are serialised,
  so a conditional put/update/delete is atomic and a transaction is isolated, whatever
  thread sends it (API threads, pollers, the Step Functions interpreter);
* the tables' contents have a lock of their own (:data:`TABLES_LOCK`): a read request
  (:data:`READ_ACTIONS`) holds it from its parsing to its answer, a write only while it
  changes the tables (a ``TransactWriteItems`` while it checks and applies, not while
  its 100 items are parsed or journaled). A read never waits for a write's parsing or
  its journal's fsync, and sees the tables between two writes, never inside one.
  Under 20 account readers during a month's booking, reads spent 38 ms of their slowest
  tenth queued behind transactions (1,000 leases; a transaction held the lock 16 ms on
  average, up to 318 ms, 35 % of it journaling). A write the journal has not made
  durable yet may be visible; a read that may have seen one answers only once it is
  (:class:`Durability`): what a client was told survives a crash;
* ``TransactWriteItems`` first checks every condition without writing anything, then
  applies the writes keeping a per-item undo log; if a write fails (a validation error
  the checks could not see), the items it touched are put back. Cost: O(items in the
  transaction), whatever the size of the tables. Plain updates (top-level ``SET`` and
  ``REMOVE``) are applied by :mod:`infra.local.dynamo_updates`, the others by moto.

Point-in-time snapshots take every lock (see :func:`all_locked`).
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any

from infra.local.dynamo_compact import holding
from infra.local.dynamo_query import mark_updated
from infra.local.dynamo_updates import plain_update, shallow_copy

# Reentrant: a locked request may call backend methods that are themselves locked.
# Always taken in this order: DYNAMODB_LOCK, TABLES_LOCK, S3_LOCK (no deadlock).
DYNAMODB_LOCK = threading.RLock()
TABLES_LOCK = threading.RLock()
S3_LOCK = threading.RLock()

# Requests that change nothing: they hold TABLES_LOCK only. Any other action is a write.
READ_ACTIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable",
     "ListTables", "DescribeTimeToLive", "ListTagsOfResource"}
)  # fmt: skip


@contextlib.contextmanager
def all_locked() -> Iterator[None]:
    """Both services frozen."""
    with DYNAMODB_LOCK, TABLES_LOCK, S3_LOCK:
        yield


class Durability:
    """Reads wait for the journal's fsync of the writes they may have seen.

    A journaled write (:meth:`journaled`, entered by the journal holding
    ``DYNAMODB_LOCK``) counts itself as visible when it leaves ``TABLES_LOCK``
    (:meth:`changed`) and as durable once journaled; a read notes the count of visible
    writes while it holds ``TABLES_LOCK`` and waits, after releasing it, until that
    many are durable (usually the fsync of the one write just before it).
    """

    def __init__(self) -> None:
        self._settled = threading.Condition(threading.Lock())
        self._local = threading.local()
        self.visible = 0  # changed under TABLES_LOCK
        self.durable = 0

    @contextlib.contextmanager
    def journaled(self) -> Iterator[None]:
        self._local.journaling = True
        try:
            yield
        finally:
            self._local.journaling = False
            with self._settled:
                self.durable = self.visible  # writes are serialised: this one and before
                self._settled.notify_all()

    def changed(self) -> None:
        """Called holding TABLES_LOCK, after a write changed (or tried to) the tables."""
        if getattr(self._local, "journaling", False):
            self.visible += 1

    def wait(self, seen: int) -> None:
        if self.durable >= seen or getattr(self._local, "journaling", False):
            return
        with self._settled:
            self._settled.wait_for(lambda: self.durable >= seen)


DURABILITY = Durability()


def _locked(lock: threading.RLock, method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(self, *args, **kwargs)

    wrapper.__name__ = getattr(method, "__name__", "locked")
    wrapper.__doc__ = method.__doc__
    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


@contextlib.contextmanager
def _changing_tables() -> Iterator[None]:
    """The tables held for a write (``DYNAMODB_LOCK`` already held), counted as visible
    once it has changed them (or tried to)."""
    with TABLES_LOCK:
        try:
            with holding(reading=False):
                yield
        finally:
            DURABILITY.changed()


def _changing(method: Callable[..., Any]) -> Callable[..., Any]:
    """A backend method that changes the tables: a write, holding both locks."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with DYNAMODB_LOCK, _changing_tables():
            return method(self, *args, **kwargs)

    wrapper.__name__ = getattr(method, "__name__", "changing")
    wrapper.__doc__ = method.__doc__
    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


def _dynamodb_request(call_action: Callable[..., Any]) -> Callable[..., Any]:
    """``DynamoHandler.call_action`` under the locks its action needs."""

    def wrapper(self: Any) -> Any:
        action = request_action(self)
        if action in READ_ACTIONS:
            with TABLES_LOCK:
                with holding(reading=True):
                    result = call_action(self)
                seen = DURABILITY.visible
            DURABILITY.wait(seen)
            return result
        with DYNAMODB_LOCK:
            if action == "TransactWriteItems":  # the backend method takes TABLES_LOCK
                return call_action(self)
            with _changing_tables():
                return call_action(self)

    wrapper.__name__ = "call_action"
    wrapper.__wrapped__ = call_action  # type: ignore[attr-defined]
    return wrapper


def request_action(handler: Any) -> str:
    """The DynamoDB action a request of moto's handler asks for (``Query``, …)."""
    target = handler.headers.get("X-Amz-Target") or handler.headers.get("x-amz-target") or ""
    return str(target).rpartition(".")[2]


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
    backend.transact_write_items = _changing(transact_write_items)  # type: ignore[method-assign]
    DynamoHandler.call_action = _dynamodb_request(  # type: ignore[method-assign]
        _require(DynamoHandler, "call_action")
    )
    for name in ("bucket_response", "key_response", "ambiguous_response"):
        setattr(S3Response, name, _locked(S3_LOCK, _require(S3Response, name)))
