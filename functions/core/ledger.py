"""Tenant ledger lines: every debit and credit of a lease's account.

Lines are never changed or deleted: a correction is a new line (a reversal).
Line ids are deterministic so that writing the same fact twice is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class LineKind(StrEnum):
    RENT_CALL = "rent_call"
    PAYMENT = "payment"
    REVERSAL = "reversal"
    OPENING_BALANCE = "opening_balance"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """``amount_cents`` is signed like the balance: a debit (owed) is positive."""

    org_id: str
    lease_id: str
    line_id: str
    kind: LineKind
    date: date
    amount_cents: int
    label: str
    source_id: str
    recorded_at: datetime

    @property
    def account_key(self) -> str:
        return f"{self.org_id}#{self.lease_id}"


def payment_line_id(booking_date: date, transaction_id: str, lease_id: str) -> str:
    return f"{booking_date.isoformat()}#payment#{transaction_id}#{lease_id}"


def rent_call_line_id(due_date: date, rent_call_id: str) -> str:
    return f"{due_date.isoformat()}#rent_call#{rent_call_id}"
