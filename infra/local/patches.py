"""Our patches to moto (pinned in pyproject.toml), each small, named and explained.

Each patch first asserts that what it replaces still exists, so a moto upgrade that
moves things fails loudly at start-up (and in tests/integration/test_emulator_smoke.py)
instead of silently running handlers as echo stubs or Wait states in real time.
"""

from __future__ import annotations

import itertools
import threading
import time
import types
from collections.abc import Callable
from typing import Any

from infra.local.invoke import INVOKER


class PatchError(RuntimeError):
    """moto changed: a patch target is gone or has a different shape."""


class _Settings:
    """Knobs the patched code reads at call time (one platform per process)."""

    time_factor: float = 1.0


SETTINGS = _Settings()
REPLACED: dict[str, Any] = {}  # moto's own code a patch replaced, for the tests comparing both
_applied: set[str] = set()
_apply_lock = threading.Lock()


def _require(owner: Any, attribute: str) -> Any:
    target = getattr(owner, attribute, None)
    if target is None:
        name = getattr(owner, "__name__", repr(owner))
        raise PatchError(f"moto changed: {name}.{attribute} is gone, review infra/local/patches.py")
    return target


def scaled(seconds: float) -> float:
    """Local duration of ``seconds`` of workflow time."""
    return seconds / SETTINGS.time_factor if SETTINGS.time_factor > 0 else seconds


# ------------------------------------------------------------------ (a) Lambda


def patch_lambda_invocations_run_in_process() -> None:
    """Lambda invocations run our real handler in this process.

    Without Docker moto only echoes the payload; ``LambdaFunction._invoke_lambda`` is
    the one place every invocation goes through (the Invoke API, hence Step Functions'
    ``lambda:invoke`` tasks). It returns (payload, errored, logs).
    """
    from moto.awslambda import models

    _require(models.LambdaFunction, "_invoke_lambda")

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if isinstance(event, str | bytes):
            # moto passes "{}" when the request had no body.
            import json

            event = json.loads(event or "{}")
        payload, errored = INVOKER.invoke_json(self.function_name, event)
        return payload, errored, ""

    models.LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


# ------------------------------------------------------------------ (b) time


def patch_wait_states_honour_time_factor() -> None:
    """Wait states last ``seconds / time_factor``.

    moto's interpreter really sleeps (``WaitFunction._wait_interval``); with a factor
    of 3600 the dunning workflow's ten-day waits take four minutes. The replacement
    keeps the original's contract: return early when the execution stops.
    """
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
        wait_function,
    )

    _require(wait_function.WaitFunction, "_wait_interval")

    def _wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
        deadline = time.monotonic() + scaled(float(wait_seconds))
        while env.is_running():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if env.program_state_event.wait(remaining) and env.is_running():
                # Set by an unrelated state change: keep waiting without spinning.
                time.sleep(min(remaining, 0.05))

    wait_function.WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]


def patch_retry_intervals_honour_time_factor() -> None:
    """Retry intervals (IntervalSeconds × BackoffRate^n) are scaled like Wait states.

    ``RetrierDecl`` sleeps with ``time.sleep`` from its module: that module's ``time``
    is replaced by a namespace whose ``sleep`` is scaled.
    """
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    real_time = _require(retrier_decl, "time")
    if real_time is not time:
        raise PatchError("moto changed: retrier_decl.time is not the time module")
    retrier_decl.time = types.SimpleNamespace(  # type: ignore[assignment, attr-defined]
        sleep=lambda seconds: time.sleep(scaled(float(seconds))),
        time=time.time,
        monotonic=time.monotonic,
    )


# ------------------------------------------------------------------ (c) S3 records

_sequencer = itertools.count(1)


def patch_s3_notification_records_complete() -> None:
    """S3 notification records carry the fields AWS sends.

    moto's records lack ``userIdentity``, ``requestParameters``, ``responseElements``
    and ``object.sequencer`` (powertools' strict ``S3Model`` rejects them), and encode
    "/" in keys as %2F where AWS leaves it (keys are form-encoded: spaces as "+").
    """
    from urllib.parse import quote_plus

    from moto.s3 import notifications

    original: Callable[..., dict[str, Any]] = _require(notifications, "_get_s3_event")

    def _get_s3_event(
        event_name: str, bucket: Any, key: Any, notification_id: str
    ) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        for record in event["Records"]:
            record.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault(
                "responseElements",
                {"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"},
            )
            s3_object = record["s3"]["object"]
            s3_object["key"] = quote_plus(key.name, safe="/")
            s3_object.setdefault("sequencer", f"{next(_sequencer):016X}")
            version_id = getattr(key, "version_id", None)
            if version_id and version_id != "null":
                s3_object.setdefault("versionId", version_id)
            record["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "LOCAL"})
        return event

    notifications._get_s3_event = _get_s3_event


def patch_dynamodb_serialisable() -> None:
    """DynamoDB (and S3) requests are serialised; transactions use an undo log.

    See :mod:`infra.local.dynamo_tx`: moto's rollback restores whole-table copies and
    wipes concurrent writes.
    """
    from infra.local import dynamo_tx

    dynamo_tx.apply()


def patch_dynamodb_query_by_partition() -> None:
    """Query reads its partition (or index bucket) only, in order.

    See :mod:`infra.local.dynamo_query`: moto lists and sorts the whole table on every
    query, so the cost of reading one lease grew with the number of leases.
    """
    from infra.local import dynamo_query

    dynamo_query.apply()


def patch_write_ahead_journal() -> None:
    """Mutating DynamoDB/S3/SQS calls are journaled before they are answered.

    See :mod:`infra.local.journal` (a no-op until a platform activates its journal).
    """
    from infra.local import journal

    journal.install()


def patch_dynamodb_update_expressions_parsed_once() -> None:
    """An update expression is parsed once per text, in the request layer and the backend.

    moto parses each item's UpdateExpression twice per request: in the request layer, only
    to list the placeholders it uses (``find_clauses``, read-only), then in the backend,
    whose validator works on its own ``deepcopy`` of the tree (``Validator.__init__``)
    before binding the values and the item into it. Both parses (~0.45 ms each, for every
    item of every transaction) now come from one bounded cache: the shared tree is never
    written to (``tests/unit/test_local_dynamo_items.py`` checks it after updates). An
    invalid expression still raises on every request (errors are not cached).
    """
    import functools
    import inspect

    from moto.dynamodb import models, responses
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.validators import Validator

    if "deepcopy(expression)" not in inspect.getsource(_require(Validator, "__init__")):
        raise PatchError("moto changed: the update validator no longer copies the tree it rewrites")
    parse = functools.lru_cache(maxsize=1024)(UpdateExpressionParser.make)

    class ReadOnlyUpdateExpressionParser:
        """What ``responses`` and ``models`` call ``UpdateExpressionParser``: a shared tree."""

        make = staticmethod(parse)

    for module in (responses, models):
        _require(module, "UpdateExpressionParser")
        module.UpdateExpressionParser = ReadOnlyUpdateExpressionParser  # type: ignore[attr-defined]


def patch_dynamodb_items_sized_once() -> None:
    """An item is built in time linear in its attributes (``infra/local/dynamo_items.py``)."""
    from infra.local import dynamo_items

    dynamo_items.install()


def patch_dynamodb_items_compact() -> None:
    """A stored item is kept as its DynamoDB JSON string; moto's attribute objects are
    built when moto's code asks for them, for one request (``infra/local/dynamo_compact.py``).
    """
    from infra.local import dynamo_compact

    dynamo_compact.install()


def patch_dynamodb_projections_read_their_attributes() -> None:
    """A projection converts only the attributes it names, once per path.

    moto's ``Item.project`` converts the *whole item* to plain JSON (deep copies and
    deserialisation of every attribute) once per path of the ProjectionExpression: reading
    ``lease_id, balance_cents, version`` of 1,000 leases (a bulk call of rent calls)
    converted each lease three times, ~25 % of that call in the emulator. A path only
    ever looks into the item's attribute it starts with (``a.b`` and ``a[1].b`` into
    ``a``), so converting that attribute alone, afresh for each path, gives the same
    result; moto's own ``find_nested_key`` and ``merge_dicts`` still do the rest.
    """
    import re

    from botocore.utils import merge_dicts  # what moto's project merges with
    from moto.dynamodb.models.dynamo_type import Item, deserializer, serializer
    from moto.dynamodb.models.utilities import find_nested_key

    from infra.local.dynamo_compact import attribute as stored_attribute

    _require(Item, "project")
    list_element = re.compile(r"(.+)\[(\d+)\]$")  # as find_nested_key reads a path's head

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        result: dict[str, Any] = {}
        for expr in projection_expressions:
            head = list_element.match(expr[0])
            name = head.group(1) if head else expr[0]
            attribute: Any = stored_attribute(self, name)
            part: dict[str, Any] = {}
            if attribute is not None:
                part[name] = deserializer.deserialize(attribute.to_regular_json())
            merge_dicts(result, find_nested_key(expr, part))
        attrs = dict(serializer.serialize(result)["M"])
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=attrs)

    REPLACED["Item.project"] = Item.project
    Item.project = project  # type: ignore[method-assign]


def patch_sqs_attributes_counted_only_when_asked() -> None:
    """Sends and receipts do not count every message of their queue
    (``infra/local/sqs_attributes.py``)."""
    from infra.local import sqs_attributes

    sqs_attributes.install()


def patch_dynamodb_conditions_parsed_once() -> None:
    """Condition and filter expressions are parsed once per text and names; each request
    binds its own values (``infra/local/dynamo_conditions.py``)."""
    from infra.local import dynamo_conditions

    dynamo_conditions.install()


def patch_dynamodb_answers_as_json() -> None:
    """Data-plane DynamoDB answers are written with ``json.dumps``, not moto's shape-driven
    serializer (``infra/local/dynamo_answers.py``)."""
    from infra.local import dynamo_answers

    dynamo_answers.install()


def patch_dynamodb_requests_from_json() -> None:
    """DynamoDB request bodies are parsed with ``json.loads`` and a plan compiled from the
    model, not moto's shape-driven parser, when that gives the same parameters
    (``infra/local/dynamo_requests.py``)."""
    from infra.local import dynamo_requests

    dynamo_requests.install()


def patch_data_models_not_kept_forever() -> None:
    """DynamoDB items, stream records and SQS messages are not kept alive by moto's
    instance tracker.

    moto's ``BaseModel.__new__`` appends *every* instance of a model to its class's
    ``instances_tracked`` list (read only by the ``/moto-api/data.json`` dashboard,
    emptied only by a moto reset). For DynamoDB's ``Item`` that means every item ever
    built: each Put, each copy a read, query or transaction takes (moto deep-copies
    results and undo images), each projection. The emulator's memory grew with the
    requests served, not with the data held: 1,000 leases and a 25,000-collection day
    peaked at 1,164 MB in the emulator process. Those per-request models are created
    as before, just not appended; resources (tables, buckets, queues) stay tracked.
    S3 keys stay tracked too: moto warns when one is collected without being disposed.
    """
    from moto.core.common_models import BaseModel
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord
    from moto.sqs.models import Message

    untracked = frozenset({Item, StreamRecord, Message})
    for model in untracked:
        _require(model, "instances_tracked")
    tracked_new = _require(BaseModel, "__new__")

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        if cls in untracked:
            return super(BaseModel, cls).__new__(cls)  # type: ignore[misc]
        return tracked_new(cls, *args, **kwargs)

    REPLACED["BaseModel.__new__"] = tracked_new
    BaseModel.__new__ = staticmethod(__new__)  # type: ignore[method-assign]
    for model in untracked:
        model.instances_tracked = []  # type: ignore[attr-defined]


def patch_s3_bodies_on_disk() -> None:
    """S3 object bodies live in one temporary file, not in the emulator's memory
    (``infra/local/s3_bodies.py``)."""
    from infra.local import s3_bodies

    s3_bodies.install()


PATCHES: dict[str, Callable[[], None]] = {
    "data_models_not_kept_forever": patch_data_models_not_kept_forever,
    "dynamodb_answers_as_json": patch_dynamodb_answers_as_json,
    "dynamodb_requests_from_json": patch_dynamodb_requests_from_json,
    "dynamodb_conditions_parsed_once": patch_dynamodb_conditions_parsed_once,
    "dynamodb_update_expressions_parsed_once": patch_dynamodb_update_expressions_parsed_once,
    "dynamodb_projections_read_their_attributes": patch_dynamodb_projections_read_their_attributes,
    "dynamodb_items_sized_once": patch_dynamodb_items_sized_once,
    "dynamodb_items_compact": patch_dynamodb_items_compact,
    "dynamodb_query_by_partition": patch_dynamodb_query_by_partition,
    "dynamodb_serialisable": patch_dynamodb_serialisable,
    "sqs_attributes_counted_only_when_asked": patch_sqs_attributes_counted_only_when_asked,
    "write_ahead_journal": patch_write_ahead_journal,
    "lambda_invocations_run_in_process": patch_lambda_invocations_run_in_process,
    "wait_states_honour_time_factor": patch_wait_states_honour_time_factor,
    "retry_intervals_honour_time_factor": patch_retry_intervals_honour_time_factor,
    "s3_notification_records_complete": patch_s3_notification_records_complete,
    "s3_bodies_on_disk": patch_s3_bodies_on_disk,
}


def apply_all(*, time_factor: float | None = None) -> list[str]:
    """Apply every patch once (idempotent); returns the names of the applied patches."""
    if time_factor is not None:
        if time_factor <= 0:
            raise ValueError("time_factor must be positive")
        SETTINGS.time_factor = time_factor
    with _apply_lock:
        for name, patch in PATCHES.items():
            if name not in _applied:
                patch()
                _applied.add(name)
    return sorted(_applied)
