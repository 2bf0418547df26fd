"""Ingesting one statement file: read, parse, record each transaction once, hand
the new ones to matching, archive the file — or quarantine it with a reason."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from functions.core.errors import StatementParseError
from functions.core.statements import ParsedFile
from functions.core.transactions import BankTransaction, bank_transactions


class FileStore(Protocol):
    def read(self, bucket: str, key: str) -> bytes | None: ...
    def archive_file(self, bucket: str, key: str) -> None: ...
    def quarantine_file(self, bucket: str, key: str, error: dict[str, Any]) -> None: ...


class FileRegistry(Protocol):
    def get(self, org_id: str, file_id: str) -> dict[str, Any] | None: ...
    def put(self, record: dict[str, Any]) -> None: ...


class TransactionStore(Protocol):
    def add_new(self, transactions: Sequence[BankTransaction]) -> tuple[list[str], list[str]]: ...


class MatchQueue(Protocol):
    def send(self, org_id: str, transaction_ids: Sequence[str]) -> None: ...


class OrganisationDirectory(Protocol):
    def exists(self, org_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class IngestResult:
    status: str  # ingested | duplicate | quarantined | gone
    key: str
    file_id: str | None = None
    format: str | None = None
    transactions: int = 0
    new_transactions: int = 0
    reason: str | None = None


@dataclass
class StatementIngestor:
    orgs: OrganisationDirectory
    files: FileRegistry
    transactions: TransactionStore
    store: FileStore
    queue: MatchQueue
    parse: Callable[[bytes, str], ParsedFile]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def ingest(self, bucket: str, key: str) -> IngestResult:
        data = self.store.read(bucket, key)
        if data is None:
            return IngestResult("gone", key, reason="already moved by an earlier delivery")
        file_id = hashlib.sha256(data).hexdigest()
        org_id, _, name = key.partition("/")
        record: dict[str, Any] = {
            "org_id": org_id,
            "file_id": file_id,
            "key": key,
            "name": name or key,
            "size": len(data),
            "received_at": self.clock().isoformat(),
        }
        if not name or not self.orgs.exists(org_id):
            reason = (
                f"the file must be put under an organisation's folder (<org_id>/{key}), "
                f"and {org_id!r} is no known organisation"
            )
            return self._quarantine(bucket, key, record, {"file": key, "reason": reason})

        previous = self.files.get(org_id, file_id)
        if previous and previous.get("status") == "ingested":
            self.store.archive_file(bucket, key)
            self.files.put(previous | {"duplicates": int(previous.get("duplicates", 0)) + 1})
            return IngestResult(
                "duplicate",
                key,
                file_id,
                previous.get("format"),
                reason=f"same content as {previous.get('key')} "
                f"received {previous.get('received_at')}",
            )

        try:
            parsed = self.parse(data, name)
        except StatementParseError as e:
            return self._quarantine(bucket, key, record, e.as_dict() | {"file": name})

        txs = list(bank_transactions(org_id, parsed, file_id))
        written, to_match = self.transactions.add_new(txs)
        if to_match:
            self.queue.send(org_id, to_match)
        record |= {
            "status": "ingested",
            "format": parsed.format,
            "statements": len(parsed.statements),
            "transactions": len(txs),
            "new_transactions": len(written),
            "rejects": len(parsed.rejects),
        }
        self.files.put(record)
        self.store.archive_file(bucket, key)
        return IngestResult("ingested", key, file_id, parsed.format, len(txs), len(written))

    def _quarantine(
        self, bucket: str, key: str, record: dict[str, Any], error: dict[str, Any]
    ) -> IngestResult:
        error = {k: v for k, v in error.items() if v is not None} | {
            "quarantined_at": self.clock().isoformat(),
            "original_key": key,
        }
        self.store.quarantine_file(bucket, key, error)
        if record.get("org_id") and "/" in key:
            self.files.put(record | {"status": "quarantined", "error": error})
        return IngestResult(
            "quarantined", key, record.get("file_id"), reason=str(error.get("reason"))
        )
