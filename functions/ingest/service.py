"""Ingesting one statement file: read, parse, record each transaction once, hand
the new ones to matching, archive the file — or quarantine it with a reason.

A file up to :data:`WHOLE_FILE_BYTES` is parsed in memory. A larger one (a
big landlord's monthly camt.053 runs to a few hundred MB) is read twice from
a local copy, entry by entry, so memory stays bounded: once to check that
all of it can be read, then to record its transactions in batches. A file
that cannot be read thus books nothing, whatever its size.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import IO, Any, Protocol

from functions.core.errors import StatementParseError
from functions.core.records import FileRecord
from functions.core.statements import ParsedFile, Statement, StatementSource
from functions.core.transactions import BankTransaction, bank_transactions

# Above this size a file is streamed (see the module docstring).
WHOLE_FILE_BYTES = 32 * 1024 * 1024
# Transactions recorded (one TransactWriteItems) and handed to matching (one message)
# per batch: matching starts on a file's first 100 while the rest is being written.
RECORD_BATCH = 100


class FileStore(Protocol):
    def open(self, bucket: str, key: str) -> IO[bytes] | None:
        """A seekable local copy of the object, or ``None`` if it is gone."""
        ...

    def archive_file(self, bucket: str, key: str) -> None: ...
    def quarantine_file(self, bucket: str, key: str, error: dict[str, Any]) -> None: ...


class FileRegistry(Protocol):
    def get(self, org_id: str, file_id: str) -> FileRecord | None: ...
    def put(self, record: FileRecord) -> None: ...


class TransactionStore(Protocol):
    def add_new(self, transactions: Sequence[BankTransaction]) -> tuple[list[str], list[str]]: ...


class MatchQueue(Protocol):
    def send(self, org_id: str, transaction_ids: Sequence[str]) -> None: ...


class OrganisationDirectory(Protocol):
    def exists(self, org_id: str) -> bool: ...


class StreamedFile(StatementSource, Protocol):
    """A file read entry by entry (``parsers.StatementStream``); its
    statements are listed as they end."""

    statements: list[Statement]


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
    stream: Callable[[IO[bytes], str], StreamedFile]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def ingest(self, bucket: str, key: str) -> IngestResult:
        source = self.store.open(bucket, key)
        if source is None:
            return IngestResult("gone", key, reason="already moved by an earlier delivery")
        with source:
            return self._ingest(bucket, key, source)

    def _ingest(self, bucket: str, key: str, source: IO[bytes]) -> IngestResult:
        digest = hashlib.sha256()
        size = 0
        while block := source.read(1024 * 1024):
            digest.update(block)
            size += len(block)
        file_id = digest.hexdigest()
        org_id, _, name = key.partition("/")
        record = FileRecord(org_id, file_id, key, name or key, size, self.clock())
        if not name or not self.orgs.exists(org_id):
            reason = (
                f"the file must be put under an organisation's folder (<org_id>/{key}), "
                f"and {org_id!r} is no known organisation"
            )
            return self._quarantine(bucket, key, record, {"file": key, "reason": reason})

        previous = self.files.get(org_id, file_id)
        if previous and previous.status != "ingested":
            previous = None
        source.seek(0)
        try:
            if size <= WHOLE_FILE_BYTES:
                whole = self.parse(source.read(), name)
                parsed: StatementSource = whole
                statements = len(whole.statements)
            else:
                statements = self._check(source, name)
                source.seek(0)
                parsed = self.stream(source, name)
        except StatementParseError as e:
            return self._quarantine(bucket, key, record, e.as_dict() | {"file": name})

        # A duplicate goes through too: its transactions still ``new`` (an earlier
        # delivery's match message lost) are handed to matching again.
        count = written = waiting = 0
        for batch in _batches(bank_transactions(org_id, parsed, file_id), RECORD_BATCH):
            new, to_match = self.transactions.add_new(batch)
            if to_match:
                self.queue.send(org_id, to_match)
            count += len(batch)
            written += len(new)
            waiting += len(to_match)
        if previous is not None:
            self.store.archive_file(bucket, key)
            self.files.put(replace(previous, duplicates=(previous.duplicates or 0) + 1))
            redriven = f"; {waiting} transaction(s) still waiting sent to matching"
            return IngestResult(
                "duplicate",
                key,
                file_id,
                previous.format,
                count,
                written,
                reason=f"same content as {previous.key} "
                f"received {_moment(previous.received_at)}{redriven if waiting else ''}",
            )
        self.files.put(
            replace(
                record,
                status="ingested",
                format=parsed.format,
                statements=statements,
                transactions=count,
                new_transactions=written,
                rejects=len(parsed.rejects),
            )
        )
        self.store.archive_file(bucket, key)
        return IngestResult("ingested", key, file_id, parsed.format, count, written)

    def _check(self, source: IO[bytes], name: str) -> int:
        """Read a streamed file through (raising its parse error, if any)
        and count its statements."""
        stream = self.stream(source, name)
        for _ in stream.transactions():
            pass
        return len(stream.statements)

    def _quarantine(
        self, bucket: str, key: str, record: FileRecord, error: dict[str, Any]
    ) -> IngestResult:
        error = {k: v for k, v in error.items() if v is not None} | {
            "quarantined_at": self.clock().isoformat(),
            "original_key": key,
        }
        self.store.quarantine_file(bucket, key, error)
        if record.org_id and "/" in key:
            self.files.put(replace(record, status="quarantined", error=error))
        return IngestResult("quarantined", key, record.file_id, reason=str(error.get("reason")))


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _batches(items: Iterable[BankTransaction], size: int) -> Iterator[list[BankTransaction]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
