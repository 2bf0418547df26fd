"""The sweeper: finds work that fell through the cracks and hands it back.

Two things can be left behind when a function crashes, times out or exhausts
its retries (its message then sits in a dead-letter queue, issue 9 item 2):

* a transaction recorded but never decided — still ``new`` long after it was
  recorded: its match message is re-sent (matching is idempotent: a transaction
  that left ``new`` meanwhile is skipped);
* a statement file still in the inbox long after it arrived — ingest moves every
  file it has read to the archive or to quarantine: its S3 notification is
  re-sent to the ingest queue (ingest is idempotent by content hash and by
  transaction id).

``older_than`` leaves in-flight work alone. The ports are small so the same
service runs in AWS (a scheduled Lambda), on the local platform and on fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

MATCH_BATCH = 100


class OrganisationIds(Protocol):
    def list_ids(self) -> list[str]: ...


class WaitingTransactions(Protocol):
    def waiting_since(self, org_id: str, before: datetime) -> Iterable[str]:
        """Ids of the organisation's transactions still ``new``, recorded before ``before``."""
        ...


class Inbox(Protocol):
    def left_since(self, before: datetime, prefix: str = "") -> Iterable[str]:
        """Keys (starting with ``prefix``) of inbox files that arrived before ``before``."""
        ...


class MatchQueue(Protocol):
    def send(self, org_id: str, transaction_ids: Sequence[str]) -> None: ...


class IngestQueue(Protocol):
    def redeliver(self, key: str) -> None:
        """Send the inbox file's notification again."""
        ...


@dataclass(frozen=True, slots=True)
class SweepReport:
    transactions: int
    files: int
    organisations: int

    def as_dict(self) -> dict[str, int]:
        return {
            "transactions": self.transactions,
            "files": self.files,
            "organisations": self.organisations,
        }


@dataclass
class Sweeper:
    orgs: OrganisationIds
    transactions: WaitingTransactions
    inbox: Inbox
    match_queue: MatchQueue
    ingest_queue: IngestQueue
    clock: Callable[[], datetime]

    def sweep(self, older_than: timedelta, org_id: str | None = None) -> SweepReport:
        """Everything older than ``older_than``; of one organisation with ``org_id``."""
        before = self.clock() - older_than
        files = 0
        for key in self.inbox.left_since(before, f"{org_id}/" if org_id else ""):
            self.ingest_queue.redeliver(key)
            files += 1
        orgs = [org_id] if org_id else self.orgs.list_ids()
        transactions = 0
        for org in orgs:
            batch: list[str] = []
            for tx_id in self.transactions.waiting_since(org, before):
                batch.append(tx_id)
                if len(batch) == MATCH_BATCH:
                    self.match_queue.send(org, batch)
                    transactions += len(batch)
                    batch = []
            if batch:
                self.match_queue.send(org, batch)
                transactions += len(batch)
        return SweepReport(transactions, files, len(orgs))
