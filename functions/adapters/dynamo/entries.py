"""Accounting entries: pending queue, acknowledgement, claims for the ERP push."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from functions.adapters.dynamo.base import (
    StorageError,
    StoredModel,
    bound,
    failed_condition,
    plain_map,
)
from functions.core.accounting import AccountingEntry, EntryLine, SourceType
from functions.core.errors import ValidationError


def entry_to_item(entry: AccountingEntry) -> dict[str, Any]:
    return {
        "org_id": entry.org_id,
        "entry_id": entry.entry_id,
        "pending_org": entry.org_id,
        "date": entry.date.isoformat(),
        "journal": entry.journal,
        "label": entry.label,
        "source_type": entry.source_type.value,
        "source_id": entry.source_id,
        "transaction_id": entry.transaction_id,
        "lease_id": entry.lease_id,
        "amount_cents": entry.amount_cents,
        "lines": [
            {
                "account": line.account,
                "subledger": line.subledger,
                "debit_cents": line.debit_cents,
                "credit_cents": line.credit_cents,
                "label": line.label,
            }
            for line in entry.lines
        ],
        "created_at": entry.created_at.isoformat(),
    }


def entry_from_item(item: dict[str, Any]) -> AccountingEntry:
    return AccountingEntry(
        org_id=item["org_id"],
        entry_id=item["entry_id"],
        date=date.fromisoformat(item["date"]),
        journal=item["journal"],
        label=item["label"],
        source_type=SourceType(item["source_type"]),
        source_id=item["source_id"],
        transaction_id=item["transaction_id"],
        lease_id=item.get("lease_id"),
        lines=tuple(
            EntryLine(
                account=line["account"],
                debit_cents=int(line["debit_cents"]),
                credit_cents=int(line["credit_cents"]),
                subledger=line.get("subledger"),
                label=line.get("label", ""),
            )
            for line in item["lines"]
        ),
        created_at=datetime.fromisoformat(item["created_at"]),
    )


class PendingIndex(GlobalSecondaryIndex["EntryModel"]):
    """Sparse: only entries the ERP has not acknowledged carry ``pending_org``."""

    class Meta:
        index_name = "pending-index"
        projection = AllProjection()

    pending_org = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


class EntryModel(StoredModel):
    """One accounting entry of the ERP outbox (``EntriesTable``)."""

    org_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    pending_org = UnicodeAttribute(null=True)
    date = UnicodeAttribute()
    journal = UnicodeAttribute()
    label = UnicodeAttribute()
    source_type = UnicodeAttribute()
    source_id = UnicodeAttribute()
    transaction_id = UnicodeAttribute()
    lease_id = UnicodeAttribute(null=True)
    amount_cents = NumberAttribute(null=True)
    # Maps as stored before the models: a line's missing subledger is an explicit null.
    lines = ListAttribute[dict[str, Any]]()
    created_at = UnicodeAttribute()
    acknowledged_at = UnicodeAttribute(null=True)
    acknowledged_by = UnicodeAttribute(null=True)
    batch_id = UnicodeAttribute(null=True)
    batch_at = UnicodeAttribute(null=True)

    by_pending = PendingIndex()

    def to_domain(self) -> AccountingEntry:
        return entry_from_item(
            {
                "org_id": self.org_id,
                "entry_id": self.entry_id,
                "date": self.date,
                "journal": self.journal,
                "label": self.label,
                "source_type": self.source_type,
                "source_id": self.source_id,
                "transaction_id": self.transaction_id,
                "lease_id": self.lease_id,
                "lines": plain_map(self.lines),
                "created_at": self.created_at,
            }
        )


class DynamoEntryRepository:
    """The ERP outbox. Unacknowledged entries carry ``pending_org`` (a sparse index).

    Entries are written by the booker and the ledger writer (raw DynamoDB
    transactions, through ``entry_to_item``); this repository reads and marks them.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(EntryModel, table)

    def list_pending(
        self, org_id: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[AccountingEntry], str | None]:
        m = self.model
        result = m.by_pending.query(
            org_id,
            m.entry_id > after if after else None,
            limit=limit,
            page_size=limit,
        )
        entries = [e.to_domain() for e in result]
        more = result.last_evaluated_key is not None
        return entries, (entries[-1].entry_id if entries and more else None)

    def acknowledge(self, org_id: str, entry_ids: Sequence[str], by: str) -> list[str]:
        """Mark entries booked by the ERP; returns those that exist (acks are idempotent)."""
        m = self.model
        now = datetime.now(UTC).isoformat()
        done: list[str] = []
        for entry_id in entry_ids:
            try:
                m(org_id, entry_id).update(
                    actions=[
                        m.pending_org.remove(),
                        m.acknowledged_at.set(m.acknowledged_at | now),
                        m.acknowledged_by.set(m.acknowledged_by | by),
                    ],
                    condition=m.entry_id.exists(),
                )
            except UpdateError as e:
                if not failed_condition(e):
                    raise StorageError(str(e)) from e
                continue
            done.append(entry_id)
        return done

    def between(self, org_id: str, start: date, end: date, limit: int) -> list[AccountingEntry]:
        """Every entry (acknowledged or not) dated from ``start`` to ``end``, in id order.

        An entry is never recorded before its date, so ids before ``start`` are skipped.
        Raises ValidationError when more than ``limit`` entries match.
        """
        m = self.model
        out: list[AccountingEntry] = []
        for entry in m.query(
            org_id,
            m.entry_id >= start.strftime("%Y%m%d"),
            filter_condition=m.date.between(start.isoformat(), end.isoformat()),
        ):
            out.append(entry.to_domain())
            if len(out) > limit:
                raise ValidationError("to", f"more than {limit} entries: export a shorter period")
        return out

    def claim(
        self, org_id: str, batch_id: str, limit: int, now: datetime, stale_before: datetime
    ) -> list[AccountingEntry]:
        """Pending entries no other ERP push batch holds, now held by ``batch_id``.

        Each claim is conditional, so two overlapping runs never share an entry. A claim
        older than ``stale_before`` (a run that died) may be taken over.
        """
        m = self.model
        free = m.pending_org.exists() & (
            m.batch_id.does_not_exist() | (m.batch_at < stale_before.isoformat())
        )
        claimed: list[AccountingEntry] = []
        after: str | None = None
        while len(claimed) < limit:
            entries, after = self.list_pending(org_id, after, min(limit, 500))
            for entry in entries:
                if len(claimed) >= limit:
                    break
                try:
                    m(org_id, entry.entry_id).update(
                        actions=[m.batch_id.set(batch_id), m.batch_at.set(now.isoformat())],
                        condition=free,
                    )
                except UpdateError as e:
                    if not failed_condition(e):
                        raise StorageError(str(e)) from e
                    continue
                claimed.append(entry)
            if after is None:
                break
        return claimed

    def release(self, org_id: str, entry_ids: Sequence[str], batch_id: str) -> None:
        """Give back a parked batch's entries: the next run or the ERP's polling takes them."""
        m = self.model
        for entry_id in entry_ids:
            try:
                m(org_id, entry_id).update(
                    actions=[m.batch_id.remove(), m.batch_at.remove()],
                    condition=m.batch_id == batch_id,
                )
            except UpdateError as e:
                if not failed_condition(e):
                    raise StorageError(str(e)) from e
