"""The ERP push workflow's steps: batch pending entries, deliver, mark, park."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from functions.core.accounting import AccountingEntry, entries_as_csv, entry_as_dict
from functions.core.errors import ErpWebhookError, ValidationError
from functions.core.organisation import Organisation

BATCH_SIZE = 1000
FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...
    def list_ids(self) -> list[str]: ...


class Entries(Protocol):
    def list_pending(
        self, org_id: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[AccountingEntry], str | None]: ...
    def acknowledge(self, org_id: str, entry_ids: Sequence[str], by: str) -> list[str]: ...


class BatchStore(Protocol):
    def put(self, org_id: str, batch_id: str, record: dict[str, Any]) -> None: ...
    def get(self, org_id: str, batch_id: str) -> dict[str, Any]: ...


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix>,v1=<hex>``: HMAC-SHA256 of ``"<t>." + body`` (the timestamp stops replays)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def render(entries: list[AccountingEntry], fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(
            {"entries": [entry_as_dict(e) for e in entries]}, ensure_ascii=False
        ).encode()
    if fmt == "csv":
        return entries_as_csv(entries).encode()
    raise ValidationError("erp_format", f"{fmt!r}: one of {', '.join(FORMATS)}")


@dataclass
class ErpPushService:
    orgs: Organisations
    entries: Entries
    batches: BatchStore
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    timeout: float = 20.0

    def list_organisations(self) -> dict[str, Any]:
        return {"organisations": [{"org_id": o} for o in self.orgs.list_ids()]}

    def collect(self, org_id: str) -> dict[str, Any]:
        org = self.orgs.get(org_id)
        entries, _ = self.entries.list_pending(org_id, None, BATCH_SIZE)
        result = {
            "org_id": org_id,
            "batch_id": None,
            "count": len(entries),
            "format": org.erp_format,
            "has_webhook": bool(org.erp_webhook_url),
        }
        if not entries or not org.erp_webhook_url:
            return result
        ids = [e.entry_id for e in entries]
        now = self.clock()
        digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:10]
        batch_id = f"b_{now.strftime('%Y%m%dT%H%M%S')}_{digest}"
        body = render(entries, org.erp_format)
        self.batches.put(
            org_id,
            batch_id,
            {
                "batch_id": batch_id,
                "org_id": org_id,
                "format": org.erp_format,
                "entry_ids": ids,
                "body": body.decode(),
                "status": "collected",
                "created_at": now.isoformat(),
                "attempts": 0,
            },
        )
        return result | {"batch_id": batch_id}

    def deliver(self, org_id: str, batch_id: str) -> dict[str, Any]:
        org = self.orgs.get(org_id)
        batch = self.batches.get(org_id, batch_id)
        if not org.erp_webhook_url:
            raise ErpWebhookError(f"organisation {org_id} has no webhook any more")
        body = batch["body"].encode()
        timestamp = int(self.clock().timestamp())
        request = urllib.request.Request(  # noqa: S310 (URL set by the landlord's admin)
            org.erp_webhook_url, data=body, method="POST"
        )
        request.add_header("Content-Type", FORMATS[batch["format"]])
        request.add_header("X-Encaisse-Delivery", batch_id)
        request.add_header(
            "X-Encaisse-Signature", sign(org.erp_webhook_secret or "", timestamp, body)
        )
        batch["attempts"] = int(batch.get("attempts", 0)) + 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                status = int(resp.status)
        except urllib.error.HTTPError as e:
            batch["last_error"] = f"HTTP {e.code}"
            self.batches.put(org_id, batch_id, batch)
            raise ErpWebhookError(f"batch {batch_id}: the ERP answered HTTP {e.code}") from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            batch["last_error"] = str(e)
            self.batches.put(org_id, batch_id, batch)
            raise ErpWebhookError(f"batch {batch_id}: the ERP did not answer ({e})") from e
        self.batches.put(org_id, batch_id, batch | {"status": "sent", "status_code": status})
        return {"status_code": status}

    def mark_delivered(self, org_id: str, batch_id: str) -> dict[str, Any]:
        batch = self.batches.get(org_id, batch_id)
        done = self.entries.acknowledge(org_id, batch["entry_ids"], by=f"webhook:{batch_id}")
        batch |= {"status": "delivered", "delivered_at": self.clock().isoformat()}
        self.batches.put(org_id, batch_id, batch)
        return {"acknowledged": len(done)}

    def park(self, org_id: str, batch_id: str, error: Any) -> dict[str, Any]:
        batch = self.batches.get(org_id, batch_id)
        batch |= {"status": "parked", "parked_at": self.clock().isoformat(), "error": error}
        self.batches.put(org_id, batch_id, batch)
        return {"parked": batch_id}
