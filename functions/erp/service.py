"""The ERP push workflow's steps: batch pending entries, deliver, mark, park."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from functions.core.accounting import AccountingEntry, entries_as_csv, entry_as_dict
from functions.core.errors import ErpWebhookError, ValidationError
from functions.core.fec import entries_as_fec, subledger_ids, tenant_labels
from functions.core.lease import Lease
from functions.core.organisation import Organisation

BATCH_SIZE = 1000
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "fec": "text/plain; charset=utf-8",
}
# A batch holds its entries this long at most: a run that died (no park) lets them go then.
# The longest run retries for about 16 minutes (Deliver's Retry in erp_push.asl.json).
CLAIM_TTL = timedelta(hours=1)


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...
    def list_ids(self) -> list[str]: ...


class Entries(Protocol):
    def list_pending(
        self, org_id: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[AccountingEntry], str | None]: ...
    def acknowledge(self, org_id: str, entry_ids: Sequence[str], by: str) -> list[str]: ...
    def claim(
        self, org_id: str, batch_id: str, limit: int, now: datetime, stale_before: datetime
    ) -> list[AccountingEntry]: ...
    def release(self, org_id: str, entry_ids: Sequence[str], batch_id: str) -> None: ...


class Leases(Protocol):
    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]: ...


class BatchStore(Protocol):
    def put(self, org_id: str, batch_id: str, record: dict[str, Any]) -> None: ...
    def get(self, org_id: str, batch_id: str) -> dict[str, Any]: ...


def sign(secret: str | Sequence[str], timestamp: int, body: bytes) -> str:
    """``t=<unix>,v1=<hex>``: HMAC-SHA256 of ``"<t>." + body`` (the timestamp stops replays).

    With several secrets (during a rotation's grace period: the current one first, then
    the previous), one ``v1=`` per secret: a receiver accepts the body if any matches.
    """
    keys = (secret,) if isinstance(secret, str) else tuple(secret)
    macs = (
        hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        for key in keys
    )
    return ",".join([f"t={timestamp}", *(f"v1={mac}" for mac in macs)])


def render(
    entries: list[AccountingEntry], fmt: str, labels: Mapping[str, str] | None = None
) -> bytes:
    """The batch body; ``labels`` names the tenant sub-ledgers of a FEC."""
    if fmt == "json":
        return json.dumps(
            {"entries": [entry_as_dict(e) for e in entries]}, ensure_ascii=False
        ).encode()
    if fmt == "csv":
        return entries_as_csv(entries).encode()
    if fmt == "fec":
        return entries_as_fec(entries, labels).encode()
    raise ValidationError("erp_format", f"{fmt!r}: one of {', '.join(FORMATS)}")


@dataclass
class ErpPushService:
    orgs: Organisations
    entries: Entries
    batches: BatchStore
    # The webhook secret's values valid now (the current one first).
    webhook_keys: Callable[[Organisation], Sequence[str]]
    # Names the tenant sub-ledgers of a FEC batch (without it: the lease ids).
    leases: Leases | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    timeout: float = 20.0

    def list_organisations(self) -> dict[str, Any]:
        return {"organisations": [{"org_id": o} for o in self.orgs.list_ids()]}

    def collect(self, org_id: str) -> dict[str, Any]:
        """Claim up to BATCH_SIZE pending entries no other run holds and keep them rendered.

        Without a webhook nothing is claimed: the ERP polls ``GET /v1/entries``.
        """
        org = self.orgs.get(org_id)
        result = {
            "org_id": org_id,
            "batch_id": None,
            "count": 0,
            "format": org.erp_format,
            "has_webhook": bool(org.erp_webhook_url),
        }
        if not org.erp_webhook_url:
            pending, _ = self.entries.list_pending(org_id, None, BATCH_SIZE)
            return result | {"count": len(pending)}
        now = self.clock()
        batch_id = f"b_{now.strftime('%Y%m%dT%H%M%S')}_{secrets.token_hex(5)}"
        entries = self.entries.claim(org_id, batch_id, BATCH_SIZE, now, now - CLAIM_TTL)
        if not entries:
            return result
        try:
            labels = None
            if org.erp_format == "fec" and self.leases is not None:
                labels = tenant_labels(self.leases.find_many(org_id, subledger_ids(entries)))
            body = render(entries, org.erp_format, labels)
        except ValidationError:
            self.entries.release(org_id, [e.entry_id for e in entries], batch_id)
            raise
        self.batches.put(
            org_id,
            batch_id,
            {
                "batch_id": batch_id,
                "org_id": org_id,
                "format": org.erp_format,
                "entry_ids": [e.entry_id for e in entries],
                "body": body.decode(),
                "status": "collected",
                "created_at": now.isoformat(),
                "attempts": 0,
            },
        )
        return result | {"batch_id": batch_id, "count": len(entries)}

    def deliver(self, org_id: str, batch_id: str) -> dict[str, Any]:
        org = self.orgs.get(org_id)
        batch = self.batches.get(org_id, batch_id)
        if not org.erp_webhook_url:
            raise ErpWebhookError(f"organisation {org_id} has no webhook any more")
        keys = self.webhook_keys(org)
        if not keys:
            raise ErpWebhookError(f"organisation {org_id} has no webhook secret to sign with")
        body = batch["body"].encode()
        timestamp = int(self.clock().timestamp())
        request = urllib.request.Request(  # noqa: S310 (URL set by the landlord's admin)
            org.erp_webhook_url, data=body, method="POST"
        )
        request.add_header("Content-Type", FORMATS[batch["format"]])
        request.add_header("X-Encaisse-Delivery", batch_id)
        request.add_header("X-Encaisse-Signature", sign(keys, timestamp, body))
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
        """Keep the batch for the record and free its entries for polling and later runs."""
        batch = self.batches.get(org_id, batch_id)
        self.entries.release(org_id, batch["entry_ids"], batch_id)
        batch |= {"status": "parked", "parked_at": self.clock().isoformat(), "error": error}
        self.batches.put(org_id, batch_id, batch)
        return {"parked": batch_id}
