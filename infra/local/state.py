"""Persistence of the emulator's data in the state folder.

moto keeps everything in memory. On stop, and every ``interval`` seconds, every
DynamoDB table (DynamoDB JSON, one item per line) and every object of the template's
buckets (content-addressed blobs + a manifest per bucket) are written under
``<state dir>/snapshot/``; on start, after the resources are created, the snapshot is
loaded back. Every file is written to a temporary name and renamed, and
``snapshot.json`` is written last: a snapshot without it is ignored.

Not kept: messages in flight in SQS, Step Functions executions (a dunning case waiting
in a Wait state is lost), sent e-mails/SMS (the outbox), older object versions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.local.resources import Resources

LOG = logging.getLogger("encaisse.local.state")

SNAPSHOT_FORMAT = 1


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


class StateStore:
    """Snapshots of one platform's tables and buckets in ``state_dir/snapshot``."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "snapshot"
        self.marker = self.root / "snapshot.json"
        self._lock = threading.Lock()

    def exists(self) -> bool:
        return self.marker.exists()

    # -------------------------------------------------------------- save

    def save(self, resources: Resources) -> dict[str, Any]:
        """Write a snapshot; returns its summary (what snapshot.json holds)."""
        with self._lock:
            summary: dict[str, Any] = {
                "format": SNAPSHOT_FORMAT,
                "taken_at": datetime.now(UTC).isoformat(),
                "tables": {},
                "buckets": {},
            }
            for logical_id, name in resources.tables.items():
                summary["tables"][logical_id] = self._save_table(resources, logical_id, name)
            blobs_in_use: set[str] = set()
            for logical_id, name in resources.buckets.items():
                count, blobs = self._save_bucket(resources, logical_id, name)
                summary["buckets"][logical_id] = count
                blobs_in_use |= blobs
            _write_atomic(self.marker, json.dumps(summary, indent=2).encode())
            self._collect_garbage(blobs_in_use)
            return summary

    def _save_table(self, resources: Resources, logical_id: str, name: str) -> int:
        dynamodb = resources.client("dynamodb")
        lines = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            lines.extend(json.dumps(item, sort_keys=True) for item in page["Items"])
        body = "".join(line + "\n" for line in lines).encode()
        _write_atomic(self.root / "tables" / f"{logical_id}.jsonl", body)
        return len(lines)

    def _blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def _save_bucket(
        self, resources: Resources, logical_id: str, name: str
    ) -> tuple[int, set[str]]:
        s3 = resources.client("s3")
        manifest_path = self.root / "buckets" / f"{logical_id}.json"
        # Objects whose ETag did not change since the last snapshot are not read again.
        previous: dict[str, dict[str, Any]] = {}
        if manifest_path.exists():
            previous = {o["key"]: o for o in json.loads(manifest_path.read_text("utf-8"))}
        manifest = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for obj in page.get("Contents", []):
                key, etag = obj["Key"], obj["ETag"]
                known = previous.get(key)
                if known and known["etag"] == etag and self._blob_path(known["sha256"]).exists():
                    manifest.append(known)
                    continue
                got = s3.get_object(Bucket=name, Key=key)
                data = got["Body"].read()
                digest = hashlib.sha256(data).hexdigest()
                blob = self._blob_path(digest)
                if not blob.exists():
                    _write_atomic(blob, data)
                manifest.append(
                    {
                        "key": key,
                        "etag": etag,
                        "sha256": digest,
                        "content_type": got.get("ContentType"),
                        "metadata": got.get("Metadata", {}),
                    }
                )
        _write_atomic(manifest_path, json.dumps(manifest, indent=1).encode())
        return len(manifest), {o["sha256"] for o in manifest}

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
            for logical_id, name in resources.tables.items():
                path = self.root / "tables" / f"{logical_id}.jsonl"
                if path.exists():
                    counts[logical_id] = self._restore_table(resources, name, path)
            for logical_id, name in resources.buckets.items():
                path = self.root / "buckets" / f"{logical_id}.json"
                if path.exists():
                    counts[logical_id] = self._restore_bucket(resources, name, path)
        return counts

    def _restore_table(self, resources: Resources, name: str, path: Path) -> int:
        dynamodb = resources.client("dynamodb")
        items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        for start in range(0, len(items), 25):
            requests: dict[str, Any] = {
                name: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            }
            while requests:
                out = dynamodb.batch_write_item(RequestItems=requests)
                requests = out.get("UnprocessedItems") or {}
        return len(items)

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


class Snapshotter:
    """Saves a snapshot every ``interval`` seconds on a daemon thread."""

    def __init__(self, store: StateStore, resources: Resources, interval: float = 30.0) -> None:
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

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.store.save(self.resources)
            except Exception:  # the final snapshot on stop still runs
                LOG.exception("periodic snapshot failed")
