"""Write-ahead journal of the embedded platform: nothing acknowledged is lost in a crash.

Every mutating request the emulator answers with success is appended to
``<state dir>/journal/journal.jsonl`` and fsync'ed *before* the answer leaves:

* DynamoDB: PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems (the
  request as sent, in the order applied: it is appended under the DynamoDB lock of
  :mod:`infra.local.dynamo_tx`, so replaying the journal in order gives the same
  result, conditions included);
* S3: after any successful PUT/POST/DELETE on a key, the key's resulting state (its
  bytes go to a content-addressed blob, fsync'ed, then the journal line);
* SQS: every message sent (also S3 notifications, which moto sends inside the put)
  and every message deleted: messages in flight survive a crash.

Snapshots (:mod:`infra.local.state`) are numbered: snapshot E is followed by
``journal-E.jsonl``. Snapshot E+1 is captured under the emulator's locks, and
``journal-(E+1)`` started at that same point (:meth:`Journal.rotate`); the locks are
then released, the snapshot written and switched to (its ``snapshot.json``), and only
then are the older journals and their blobs deleted (:meth:`Journal.release`). A crash
at any point leaves a snapshot and every journal written since: on start the platform
loads the snapshot, replays the journals from its epoch on, in order, and takes a new
snapshot before serving anything. A torn last line (the crash hit during the append,
before anything was acknowledged) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from infra.local.template import ACCOUNT_ID

LOG = logging.getLogger("encaisse.local.journal")

MUTATING_DYNAMODB = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
SQS_LOCK = threading.RLock()


class Journal:
    """An append-only JSON-lines file with fsync per record, plus a blob folder."""

    def __init__(self, root: Path, epoch: int = 0) -> None:
        self.root = root
        self.epoch = epoch
        self.blobs = root / "blobs"
        self._lock = threading.Lock()
        self._file: Any = None
        self.appended = 0
        # The blobs put since the last rotation: what release() must keep.
        self._current_blobs: set[str] = set()

    @property
    def path(self) -> Path:
        return self.root / f"journal-{self.epoch}.jsonl"

    def open(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("ab")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def append(self, record: dict[str, Any]) -> None:
        self.append_line(journal_line(record))

    def append_line(self, line: bytes) -> None:
        """Append a record encoded by :func:`journal_line` (encoded before a lock is taken)."""
        with self._lock:
            if self._file is None:
                return
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
            self.appended += 1

    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._current_blobs.add(digest)
        path = self.blobs / digest[:2] / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{digest}.{threading.get_ident()}.tmp")
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(path)
        return digest

    def blob(self, digest: str) -> bytes:
        return (self.blobs / digest[:2] / digest).read_bytes()

    def epochs(self) -> list[int]:
        """The epochs of the journal files on disk, oldest first."""
        found = []
        for path in self.root.glob("journal-*.jsonl") if self.root.exists() else []:
            number = path.stem.removeprefix("journal-")
            if number.isdigit():
                found.append(int(number))
        return sorted(found)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record of journal-<epoch> and of the later journals, in order."""
        for epoch in self.epochs():
            if epoch >= self.epoch:
                yield from self._records(self.root / f"journal-{epoch}.jsonl")

    @staticmethod
    def _records(path: Path) -> Iterator[dict[str, Any]]:
        with path.open("rb") as f:
            for number, raw in enumerate(f, 1):
                try:
                    yield json.loads(raw)
                except json.JSONDecodeError:
                    # Only the last line can be torn (a crash during its append).
                    LOG.warning(
                        "%s line %d is torn: ignored (never acknowledged)", path.name, number
                    )
                    return

    def rotate(self, epoch: int) -> None:
        """Start journal-<epoch>, which must be newer than every journal on disk (a
        snapshot being captured holds everything before it). The older journals stay
        until that snapshot is written: :meth:`release`."""
        with self._lock:
            if epoch <= max(self.epochs(), default=self.epoch - 1):
                raise ValueError(f"journal-{epoch} is not newer than the journals on disk")
            reopen = self._file is not None
            if self._file is not None:
                self._file.close()
            self.epoch = epoch
            self._current_blobs = set()
            self.root.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as f:
                os.fsync(f.fileno())
            self._file = self.path.open("ab") if reopen else None

    def release(self) -> None:
        """Delete the journals older than the current one, and the blobs only they used
        (a snapshot now holds what they recorded)."""
        with self._lock:
            for epoch in self.epochs():
                if epoch < self.epoch:
                    (self.root / f"journal-{epoch}.jsonl").unlink(missing_ok=True)
            for blob in self.blobs.glob("*/*") if self.blobs.exists() else []:
                if blob.name not in self._current_blobs and not blob.name.startswith("."):
                    blob.unlink(missing_ok=True)


def journal_line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


class _Active:
    """The journal the hooks write to: None when no platform journals (tests, benchmarks)."""

    journal: Journal | None = None


ACTIVE = _Active()


def activate(journal: Journal | None) -> None:
    ACTIVE.journal = journal


# ------------------------------------------------------------------ hooks


def _dynamodb_hook(original: Callable[..., Any]) -> Callable[..., Any]:
    from infra.local.dynamo_tx import DURABILITY, DYNAMODB_LOCK, request_action

    def call_action(self: Any) -> Any:
        journal = ACTIVE.journal
        action = request_action(self)
        if journal is None or action not in MUTATING_DYNAMODB:
            return original(self)  # it takes the locks its action needs
        target = self.headers.get("X-Amz-Target") or self.headers.get("x-amz-target") or ""
        raw = self.body
        body = raw.decode() if isinstance(raw, bytes) else raw
        # Encoded before the write: reads that saw it wait only for the file's fsync.
        line = journal_line(
            {"s": "dynamodb", "target": target, "region": self.region, "body": body}
        )
        # Journaled in the order applied; reads that saw it answer once it is durable.
        with DYNAMODB_LOCK, DURABILITY.journaled():
            result = original(self)
            if _status(result) == 200:
                journal.append_line(line)
        return result

    return call_action


def _status(result: Any) -> int:
    if isinstance(result, tuple) and result:
        return int(result[0])
    return int(getattr(result, "status_code", 200))


def _s3_hook(original: Callable[..., Any]) -> Callable[..., Any]:
    from infra.local.dynamo_tx import S3_LOCK

    def key_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        journal = ACTIVE.journal
        if journal is None or request.method not in ("PUT", "POST", "DELETE"):
            return original(self, request, full_url, headers)
        with S3_LOCK:
            result = original(self, request, full_url, headers)
            if 200 <= _status(result) < 300:
                _journal_key(journal, self, full_url)
        return result

    return key_response


def _journal_key(journal: Journal, response: Any, full_url: str) -> None:
    path = unquote(urlsplit(full_url).path).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        return
    try:
        obj = response.backend.get_object(bucket, key)
    except Exception:  # no such key (deleted): moto raises
        obj = None
    if obj is None:
        journal.append({"s": "s3", "op": "delete", "bucket": bucket, "key": key})
        return
    journal.append(
        {
            "s": "s3",
            "op": "put",
            "bucket": bucket,
            "key": key,
            "blob": journal.put_blob(bytes(obj.value)),
            **object_fields(obj),
        }
    )


def object_fields(obj: Any) -> dict[str, Any]:
    """Content type and user metadata of a moto ``FakeKey`` (as put_object takes them)."""
    raw = {str(k).lower(): str(v) for k, v in dict(obj.metadata or {}).items()}
    prefix = "x-amz-meta-"
    return {
        "content_type": raw.get("content-type"),
        "metadata": {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)},
    }


def _sqs_send_hook(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_message(self: Any, queue_name: str, message_body: str, *args: Any, **kw: Any) -> Any:
        with SQS_LOCK:
            message = original(self, queue_name, message_body, *args, **kw)
            journal = ACTIVE.journal
            if journal is not None:
                journal.append(_message_record(queue_name, message))
        return message

    return send_message


def _message_record(queue_name: str, message: Any) -> dict[str, Any]:
    return {
        "s": "sqs",
        "op": "send",
        "queue": queue_name,
        "id": message.id,
        "body": message.body,
        "attributes": message.message_attributes or {},
        "group_id": getattr(message, "group_id", None),
        "deduplication_id": getattr(message, "deduplication_id", None),
    }


def _sqs_delete_hook(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_message(self: Any, queue_name: str, receipt_handle: str) -> Any:
        with SQS_LOCK:
            journal = ACTIVE.journal
            ids: list[str] = []
            if journal is not None:
                queue = self.get_queue(queue_name)
                ids = [m.id for m in queue._messages if m.had_receipt_handle(receipt_handle)]
            result = original(self, queue_name, receipt_handle)
            if journal is not None and ids:
                journal.append({"s": "sqs", "op": "delete", "queue": queue_name, "ids": ids})
        return result

    return delete_message


def install() -> None:
    """Wrap moto's request handlers and SQS backend (no-ops while no journal is active)."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.responses import S3Response
    from moto.sqs.models import SQSBackend

    from infra.local.patches import _require

    DynamoHandler.call_action = _dynamodb_hook(_require(DynamoHandler, "call_action"))  # type: ignore[method-assign]
    S3Response.key_response = _s3_hook(_require(S3Response, "key_response"))  # type: ignore[method-assign]
    SQSBackend.send_message = _sqs_send_hook(_require(SQSBackend, "send_message"))  # type: ignore[method-assign]
    SQSBackend.delete_message = _sqs_delete_hook(_require(SQSBackend, "delete_message"))  # type: ignore[method-assign]


# ------------------------------------------------------------------ replay


def replay(journal: Journal, aws_url: str, resources: Any) -> dict[str, int]:
    """Apply the journal to the restored emulator (no journal may be active).

    DynamoDB requests are sent again as they came; S3 keys are set to their journaled
    state with the buckets' notifications off (the SQS messages they caused are in the
    journal themselves); the SQS messages still live are sent again with their ids.
    """
    counts = {"dynamodb": 0, "s3": 0, "sqs": 0}
    live: dict[str, dict[str, Any]] = {}
    s3_records: list[dict[str, Any]] = []
    for record in journal.records():
        service = record.get("s")
        if service == "dynamodb":
            _replay_dynamodb(aws_url, record)
            counts["dynamodb"] += 1
        elif service == "s3":
            s3_records.append(record)
        elif service == "sqs" and record["op"] == "send":
            live[record["id"]] = record
        elif service == "sqs":
            for message_id in record["ids"]:
                live.pop(message_id, None)
    counts["s3"] = _replay_s3(journal, resources, s3_records)
    restore_messages(resources, list(live.values()))
    counts["sqs"] = len(live)
    return counts


def _replay_dynamodb(aws_url: str, record: dict[str, Any]) -> None:
    region = record.get("region") or "us-east-1"
    request = urllib.request.Request(  # noqa: S310 (the local emulator)
        aws_url,
        data=record["body"].encode(),
        method="POST",
        headers={
            "X-Amz-Target": record["target"],
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential=local/20260101/{region}/dynamodb/aws4_request,"
                " SignedHeaders=host, Signature=0"
            ),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as e:  # it succeeded once: say so, go on
        LOG.error("journal replay: %s answered %s: %s", record["target"], e.code, e.read()[:300])


def _replay_s3(journal: Journal, resources: Any, records: list[dict[str, Any]]) -> int:
    if not records:
        return 0
    s3 = resources.client("s3")
    buckets = sorted({r["bucket"] for r in records})
    saved: dict[str, dict[str, Any]] = {}
    for bucket in buckets:
        config = s3.get_bucket_notification_configuration(Bucket=bucket)
        config.pop("ResponseMetadata", None)
        if config:
            saved[bucket] = config
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        for r in records:
            if r["op"] == "delete":
                s3.delete_object(Bucket=r["bucket"], Key=r["key"])
                continue
            extra: dict[str, Any] = {"Metadata": r.get("metadata") or {}}
            if r.get("content_type"):
                extra["ContentType"] = r["content_type"]
            s3.put_object(Bucket=r["bucket"], Key=r["key"], Body=journal.blob(r["blob"]), **extra)
    finally:
        for bucket, config in saved.items():
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=config
            )
    return len(records)


# ------------------------------------------------------------------ queues in snapshots


def live_messages(resources: Any) -> list[dict[str, Any]]:
    """Every message of the template's queues (visible or in flight), for a snapshot."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[ACCOUNT_ID][resources.region]
    messages = []
    with SQS_LOCK:
        for queue_name in _queue_names(resources):
            queue = backend.queues.get(queue_name)
            for message in list(queue._messages) if queue else []:
                messages.append(_message_record(queue_name, message))
    return messages


def restore_messages(resources: Any, messages: list[dict[str, Any]]) -> None:
    """Send these messages again, keeping their ids (journal deletes refer to them)."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[ACCOUNT_ID][resources.region]
    for record in messages:
        if record["queue"] not in backend.queues:
            LOG.warning("queue %s is gone: message %s dropped", record["queue"], record["id"])
            continue
        message = backend.send_message(
            record["queue"],
            record["body"],
            message_attributes=record.get("attributes") or None,
            deduplication_id=record.get("deduplication_id"),
            group_id=record.get("group_id"),
            validate_group_id=False,
        )
        message.id = record["id"]


def _queue_names(resources: Any) -> list[str]:
    return [queue.name for queue in resources.queues.values()]
