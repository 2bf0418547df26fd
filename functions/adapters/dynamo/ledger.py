"""Ledger lines of a lease and their posting with balances."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from functions.adapters.dynamo.base import StoredModel, bound
from functions.core.ledger import LedgerLine, LineKind


def ledger_line_to_item(line: LedgerLine) -> dict[str, Any]:
    return {
        "account_key": line.account_key,
        "line_id": line.line_id,
        "org_id": line.org_id,
        "lease_id": line.lease_id,
        "kind": line.kind.value,
        "date": line.date.isoformat(),
        "amount_cents": line.amount_cents,
        "label": line.label,
        "source_id": line.source_id,
        "recorded_at": line.recorded_at.isoformat(),
    }


def ledger_line_from_item(item: dict[str, Any]) -> LedgerLine:
    return LedgerLine(
        org_id=item["org_id"],
        lease_id=item["lease_id"],
        line_id=item["line_id"],
        kind=LineKind(item["kind"]),
        date=date.fromisoformat(item["date"]),
        amount_cents=int(item["amount_cents"]),
        label=item["label"],
        source_id=item["source_id"],
        recorded_at=datetime.fromisoformat(item["recorded_at"]),
    )


class LedgerLineModel(StoredModel):
    """One line of a lease's account (``LedgerTable``), keyed ``<org>#<lease>``."""

    account_key = UnicodeAttribute(hash_key=True)
    line_id = UnicodeAttribute(range_key=True)
    org_id = UnicodeAttribute()
    lease_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    date = UnicodeAttribute()
    amount_cents = NumberAttribute()
    label = UnicodeAttribute()
    source_id = UnicodeAttribute()
    recorded_at = UnicodeAttribute()

    @classmethod
    def from_domain(cls, line: LedgerLine) -> LedgerLineModel:
        return cls(
            line.account_key,
            line.line_id,
            org_id=line.org_id,
            lease_id=line.lease_id,
            kind=line.kind.value,
            date=line.date.isoformat(),
            amount_cents=line.amount_cents,
            label=line.label,
            source_id=line.source_id,
            recorded_at=line.recorded_at.isoformat(),
        )

    def to_domain(self) -> LedgerLine:
        return LedgerLine(
            org_id=self.org_id,
            lease_id=self.lease_id,
            line_id=self.line_id,
            kind=LineKind(self.kind),
            date=date.fromisoformat(self.date),
            amount_cents=int(self.amount_cents),
            label=self.label,
            source_id=self.source_id,
            recorded_at=datetime.fromisoformat(self.recorded_at),
        )


class DynamoLedgerRepository:
    """Reads a lease's lines; they are written with balances by the booker and the
    ledger writer (raw DynamoDB transactions, through ``ledger_line_to_item``)."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(LedgerLineModel, table)

    def put_many_new(self, lines: Sequence[LedgerLine]) -> None:
        """Bulk load of lines known to be new, whose balances the caller set (seeding)."""
        with self.model.batch_write() as batch:
            for line in lines:
                batch.save(self.model.from_domain(line))

    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]:
        return [m.to_domain() for m in self.model.query(f"{org_id}#{lease_id}")]
