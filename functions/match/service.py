"""Matching new bank transactions to leases and booking the outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from functions.core.accounting import AccountingEntry, payment_entry, suspense_entry
from functions.core.errors import ConflictError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine, LineKind, payment_line_id
from functions.core.matching import LeaseDirectory, MatchDecision, Outcome, decide
from functions.core.organisation import Organisation
from functions.core.transactions import BankTransaction, TransactionStatus


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Leases(LeaseDirectory, Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...


class Transactions(Protocol):
    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]: ...


class Booker(Protocol):
    def book(
        self,
        tx: BankTransaction,
        decision: MatchDecision,
        lines: Sequence[LedgerLine],
        entries: Sequence[AccountingEntry],
        leases: dict[str, Lease],
        decided_at: datetime,
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class MatchResult:
    transaction_id: str
    outcome: str
    lease_ids: tuple[str, ...] = ()
    booked: bool = True


@dataclass
class PaymentMatcher:
    orgs: Organisations
    leases: Leases
    transactions: Transactions
    booker: Booker
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    attempts: int = 5

    def match(self, org_id: str, transaction_ids: Sequence[str]) -> list[MatchResult]:
        org = self.orgs.get(org_id)
        results = []
        for tx in self.transactions.get_many(org_id, transaction_ids):
            if tx.status is not TransactionStatus.NEW:
                results.append(MatchResult(tx.transaction_id, tx.status.value, booked=False))
                continue
            results.append(self._match_one(org, tx))
        return results

    def _match_one(self, org: Organisation, tx: BankTransaction) -> MatchResult:
        decision = decide(tx, self.leases)
        lease_ids = tuple(a.lease_id for a in decision.allocations)
        for attempt in range(self.attempts):
            now = self.clock()
            # Fresh reads on every attempt: the balance update checks their version.
            leases = {lid: self.leases.get(org.org_id, lid) for lid in lease_ids}
            lines, entries = _bookings(org, tx, decision, now)
            try:
                booked = self.booker.book(tx, decision, lines, entries, leases, now)
            except ConflictError:
                if attempt == self.attempts - 1:
                    raise
                continue
            return MatchResult(tx.transaction_id, decision.outcome.value, lease_ids, booked)
        raise AssertionError("unreachable")  # pragma: no cover


def _bookings(
    org: Organisation, tx: BankTransaction, decision: MatchDecision, now: datetime
) -> tuple[list[LedgerLine], list[AccountingEntry]]:
    lines: list[LedgerLine] = []
    entries: list[AccountingEntry] = []
    day = tx.booking_date or tx.value_date or now.date()
    if decision.outcome is Outcome.ALLOCATED:
        for alloc in decision.allocations:
            lines.append(
                LedgerLine(
                    org_id=org.org_id,
                    lease_id=alloc.lease_id,
                    line_id=payment_line_id(day, tx.transaction_id, alloc.lease_id),
                    kind=LineKind.PAYMENT,
                    date=day,
                    amount_cents=-alloc.amount_cents,
                    label=f"Paiement reçu — {tx.counterparty_name or 'virement'}"[:120],
                    source_id=tx.transaction_id,
                    recorded_at=now,
                )
            )
            entries.append(payment_entry(org.chart, tx, alloc.lease_id, alloc.amount_cents, now))
    elif decision.outcome is Outcome.UNMATCHED and tx.amount_cents > 0:
        entries.append(suspense_entry(org.chart, tx, now))
    return lines, entries
