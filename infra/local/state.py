"""Persistence of the emulator's data in the state folder.

moto keeps everything in memory. A snapshot holds every DynamoDB table (DynamoDB JSON,
one item per line), every object of the template's buckets (content-addressed blobs +
a manifest per bucket) and every message of the template's queues, under
``<state dir>/snapshot/``; it is captured at a point in time (under the emulator's
locks, which it holds only to take each stored item's packed string), written while the
platform goes on, and then replaces the write-ahead journals
(:mod:`infra.local.journal`) older than that point. On start, after the resources are
created, the snapshot is loaded and the journals replayed. Every file is written to a
temporary name and renamed, and ``snapshot.json`` is written last: a snapshot without it
is ignored.

Not kept: Step Functions executions (a dunning case waiting in a Wait state is lost),
sent e-mails/SMS (the outbox), older object versions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from infra.local import dynamo_compact, heap
from infra.local.dynamo_query import stored_items
from infra.local.dynamo_tx import S3_LOCK, all_locked
from infra.local.journal import (
    SQS_LOCK,
    Journal,
    live_messages,
    object_fields,
    restore_messages,
)
from infra.local.resources import Resources
from infra.local.template import ACCOUNT_ID

LOG = logging.getLogger("encaisse.local.state")

SNAPSHOT_FORMAT = 1


@contextmanager
def _atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file written under a temporary name, synced and renamed to ``path`` on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _write_atomic(path: Path, data: bytes) -> None:
    with _atomic_file(path) as f:
        f.write(data)


@dataclass
class _Capture:
    """A snapshot as captured under the emulator's locks, before it is written."""

    epoch: int
    messages: list[dict[str, Any]]
    taken_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    tables: dict[str, list[bytes | str]] = field(default_factory=dict)
    buckets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    """The bodies of objects new since the last snapshot, by sha256."""
    digests: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """The digests of those objects, known once the snapshot is written."""


class StateStore:
    """Snapshots of one platform's tables and buckets in ``state_dir/snapshot``."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "snapshot"
        self.marker = self.root / "snapshot.json"
        self._lock = threading.Lock()
        # (bucket, key, etag) → the sha256 of that body, for the objects of the last
        # snapshot written: their blobs exist (only _collect_garbage deletes blobs, and
        # it forgets them), so their bodies are not read, hashed nor looked for again.
        self._digests: dict[tuple[str, str, str], str] = {}

    def exists(self) -> bool:
        return self.marker.exists()

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.marker.read_text("utf-8"))
        return data

    @property
    def epoch(self) -> int:
        """The generation of the current snapshot (its journal is ``journal-<epoch>``)."""
        return int(self.summary().get("epoch", 0)) if self.exists() else 0

    def _data_dir(self) -> Path:
        # Format 1 kept its files in the root; later ones in gen-<epoch>/.
        return self.root / str(self.summary().get("data", ".")) if self.exists() else self.root

    # -------------------------------------------------------------- save

    def save(self, resources: Resources, journal: Journal | None = None) -> dict[str, Any]:
        """Write a point-in-time snapshot; returns its summary (what snapshot.json holds).

        The tables, buckets and queues are captured from moto's backends while the
        emulator's locks are held (no request is half-applied or applied meanwhile), and
        the journal, if any, moves on to a new epoch at that same point. Capturing a
        table only takes each stored item's packed string (immutable: a later write
        replaces it); the items are decoded and written after the locks are released,
        while the platform goes on. The older journals are deleted once the snapshot is
        switched to: a crash before that leaves the previous snapshot and every journal
        since.
        """
        with self._lock:
            started = time.monotonic()
            with all_locked(), SQS_LOCK:
                capture = self._capture(resources, journal)
            held = time.monotonic() - started
            summary = self._write(capture, journal)
        LOG.info(
            "snapshot %d: %d items, the emulator's locks held %.2f s, written in %.2f s",
            capture.epoch,
            sum(summary["tables"].values()),
            held,
            time.monotonic() - started - held,
        )
        return summary

    def _capture(self, resources: Resources, journal: Journal | None) -> _Capture:
        """What the snapshot will hold (locks held): the tables' items as stored, the
        buckets' manifests and the bodies not yet in a blob, the live messages."""
        epoch = max([self.epoch, *(journal.epochs() if journal else [])]) + 1
        capture = _Capture(epoch=epoch, messages=live_messages(resources))
        for logical_id, name in resources.tables.items():
            capture.tables[logical_id] = _captured_items(resources, name)
        for logical_id, name in resources.buckets.items():
            manifest = []
            for obj, key in _bucket_objects(resources, name):
                identity = (name, obj["key"], obj["etag"])
                digest = self._digests.get(identity)
                if digest is None:
                    # The bytes are read now (an overwrite frees them), written later.
                    data = bytes(key.value)
                    digest = hashlib.sha256(data).hexdigest()
                    if not self._blob_path(digest).exists():
                        capture.blobs[digest] = data
                    capture.digests[identity] = digest
                obj["sha256"] = digest
                manifest.append(obj)
            capture.buckets[logical_id] = manifest
        if journal is not None:
            journal.rotate(epoch)
        return capture

    def _write(self, capture: _Capture, journal: Journal | None) -> dict[str, Any]:
        """Write a captured snapshot and switch to it (emulator locks free)."""
        previous = self._data_dir() if self.exists() else None
        data_dir = self.root / f"gen-{capture.epoch}"
        shutil.rmtree(data_dir, ignore_errors=True)  # left by a crash mid-save
        summary: dict[str, Any] = {
            "format": SNAPSHOT_FORMAT,
            "taken_at": capture.taken_at,
            "tables": {},
            "buckets": {},
            "messages": len(capture.messages),
            "epoch": capture.epoch,
            "data": data_dir.name,
        }
        for digest, data in capture.blobs.items():
            _write_atomic(self._blob_path(digest), data)
        written = 0
        for logical_id, items in capture.tables.items():
            path = data_dir / "tables" / f"{logical_id}.jsonl"
            summary["tables"][logical_id] = len(items)
            written += _write_items(items, path)
        blobs_in_use: set[str] = set()
        for logical_id, manifest in capture.buckets.items():
            manifest_path = data_dir / "buckets" / f"{logical_id}.json"
            _write_atomic(manifest_path, json.dumps(manifest, indent=1).encode())
            summary["buckets"][logical_id] = len(manifest)
            blobs_in_use |= {o["sha256"] for o in manifest}
        queues = json.dumps(capture.messages).encode()
        _write_atomic(data_dir / "queues.json", queues)
        # What compaction_due() weighs the journal against (objects are blobs, kept apart).
        summary["bytes"] = written + len(queues)
        # The switch: from here on this snapshot and the journals from its epoch on are
        # the state.
        _write_atomic(self.marker, json.dumps(summary, indent=2).encode())
        if journal is not None:
            journal.release()
        if previous is not None and previous != self.root:
            shutil.rmtree(previous, ignore_errors=True)
        elif previous is not None:  # format 1 files
            for old in ("tables", "buckets"):
                shutil.rmtree(self.root / old, ignore_errors=True)
        self._collect_garbage(blobs_in_use)
        known = self._digests | capture.digests
        self._digests = {k: v for k, v in known.items() if v in blobs_in_use}
        return summary

    def _blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def _collect_garbage(self, in_use: set[str]) -> None:
        blobs = self.root / "blobs"
        if not blobs.exists():
            return
        for blob in blobs.glob("*/*"):
            if blob.name not in in_use and not blob.name.startswith("."):
                blob.unlink(missing_ok=True)

    # -------------------------------------------------------------- restore

    def restore(self, resources: Resources) -> dict[str, int]:
        """Load the snapshot into freshly created resources; returns counts by logical id."""
        counts: dict[str, int] = {}
        with self._lock:
            data_dir = self._data_dir()
            for logical_id, name in resources.tables.items():
                path = data_dir / "tables" / f"{logical_id}.jsonl"
                if path.exists():
                    counts[logical_id] = self._restore_table(resources, name, path)
            for logical_id, name in resources.buckets.items():
                path = data_dir / "buckets" / f"{logical_id}.json"
                if path.exists():
                    counts[logical_id] = self._restore_bucket(resources, name, path)
            queues = data_dir / "queues.json"
            if queues.exists():
                messages = json.loads(queues.read_text("utf-8"))
                restore_messages(resources, messages)
                counts["messages"] = len(messages)
        return counts

    def _restore_table(self, resources: Resources, name: str, path: Path) -> int:
        dynamodb = resources.client("dynamodb")
        count = 0
        with path.open(encoding="utf-8") as lines:  # a batch at a time, not the whole file
            items = (json.loads(line) for line in lines if line.strip())
            while batch := list(islice(items, 25)):
                requests: dict[str, Any] = {name: [{"PutRequest": {"Item": i}} for i in batch]}
                while requests:
                    out = dynamodb.batch_write_item(RequestItems=requests)
                    requests = out.get("UnprocessedItems") or {}
                count += len(batch)
        return count

    def _restore_bucket(self, resources: Resources, name: str, path: Path) -> int:
        s3 = resources.client("s3")
        manifest = json.loads(path.read_text("utf-8"))
        # Restored files are not new uploads: the inbox must not notify ingest again.
        notifications = s3.get_bucket_notification_configuration(Bucket=name)
        notifications.pop("ResponseMetadata", None)
        if notifications:
            s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={})
        try:
            for obj in manifest:
                extra: dict[str, Any] = {"Metadata": obj.get("metadata") or {}}
                if obj.get("content_type"):
                    extra["ContentType"] = obj["content_type"]
                s3.put_object(
                    Bucket=name,
                    Key=obj["key"],
                    Body=self._blob_path(obj["sha256"]).read_bytes(),
                    **extra,
                )
        finally:
            if notifications:
                s3.put_bucket_notification_configuration(
                    Bucket=name, NotificationConfiguration=notifications
                )
        return len(manifest)

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# A journal shorter than this is never compacted (a restart replays it in a few seconds).
MIN_JOURNAL_BYTES = 16 * 1024 * 1024


def compaction_due(journal_bytes: int, snapshot_bytes: int) -> bool:
    """Whether the journal should be folded into a new snapshot.

    A snapshot costs O(state): every item is serialised while the emulator's locks are
    held. Taking one every N seconds makes the cost per write grow with the tables (at
    50,000 leases and a year of history the platform stood still for seconds every 30 s).
    Taking one once the journal has grown as large as the last snapshot pays O(state)
    per O(state) bytes written: the cost per write stays flat whatever the size of the
    tables, and a restart replays at most about one snapshot's worth of journal.
    """
    return journal_bytes >= max(MIN_JOURNAL_BYTES, snapshot_bytes)


class Snapshotter:
    """Every ``interval`` seconds, compacts the journal into a snapshot when it is due
    (:func:`compaction_due`); without a journal, saves a snapshot every interval."""

    def __init__(
        self,
        store: StateStore,
        resources: Resources,
        interval: float = 30.0,
        journal: Journal | None = None,
    ) -> None:
        self.journal = journal
        self.store = store
        self.resources = resources
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshotter", daemon=True)

    def start(self) -> None:
        if self.interval > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(60)

    def due(self) -> bool:
        if self.journal is None:
            return True
        try:
            journal_bytes = self.journal.path.stat().st_size
        except FileNotFoundError:
            return False
        snapshot_bytes = int(self.store.summary().get("bytes", 0)) if self.store.exists() else 0
        return compaction_due(journal_bytes, snapshot_bytes)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.due():
                    self.store.save(self.resources, self.journal)
            except Exception:  # the final snapshot on stop still runs
                LOG.exception("periodic snapshot failed")
            # The requests' (and a snapshot's) freed memory back to the kernel.
            heap.trim()


def _captured_items(resources: Resources, name: str) -> list[bytes | str]:
    """Every item of a table as stored (locks held): a compact item's packed string,
    else its DynamoDB JSON encoded now (an item moto holds as objects: rare)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.utilities import DynamoJsonEncoder

    table = dynamodb_backends[ACCOUNT_ID][resources.region].get_table(name)
    items: list[Any] = dynamo_compact.packed_or_items(stored_items(table))
    encoder = DynamoJsonEncoder()
    for n, item in enumerate(items):
        if not isinstance(item, bytes):
            items[n] = encoder.encode(item.to_json()["Attributes"])
    return items


def _write_items(items: list[bytes | str], path: Path) -> int:
    """Write captured items to ``path`` in DynamoDB JSON, one item per line; returns the
    bytes written."""
    size = 0
    with _atomic_file(path) as f:
        for item in items:
            text = dynamo_compact.unpacked(item) if isinstance(item, bytes) else item
            line = (text + "\n").encode()
            f.write(line)
            size += len(line)
    return size


def _bucket_objects(resources: Resources, name: str) -> Iterator[tuple[dict[str, Any], Any]]:
    """The current version of every object of a bucket (its fields and moto's key, whose
    ``value`` is its bytes), one at a time (locks held)."""
    from moto.s3.models import FakeKey, s3_backends

    assert S3_LOCK  # read under the S3 lock
    bucket = s3_backends[ACCOUNT_ID]["aws"].get_bucket(name)
    for key_name, key in sorted(bucket.keys.items()):
        if not isinstance(key, FakeKey):  # a delete marker
            continue
        yield {"key": key_name, "etag": key.etag, **object_fields(key)}, key
