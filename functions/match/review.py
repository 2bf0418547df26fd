"""The review queue: a person allocates, sets aside or undoes what the matcher left.

Every decision is a new revision of the transaction's decision (the previous one
kept in its history), written with the same single-transaction booking as the
matcher's: ledger lines, balances, entries, and the payer IBAN it teaches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from functions.core.allocation import Allocation
from functions.core.booking import (
    Booking,
    plan_booking,
    plan_manual_allocation,
    plan_not_rent,
    plan_undo,
)
from functions.core.errors import ConflictError, ValidationError
from functions.core.lease import Lease
from functions.core.matching import MatchDecision, Method, Outcome, reject_info
from functions.core.organisation import Organisation
from functions.core.records import TransactionRecord
from functions.core.transactions import BankTransaction, TransactionKind, TransactionStatus

QUEUE_STATUSES = ("review", "unmatched")
MAX_SPLIT = 20


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Leases(Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...


class TransactionRecords(Protocol):
    def get(self, org_id: str, transaction_id: str) -> TransactionRecord: ...


class Booker(Protocol):
    def book(self, booking: Booking, leases: dict[str, Lease]) -> bool: ...


@dataclass
class ReviewService:
    orgs: Organisations
    leases: Leases
    records: TransactionRecords
    booker: Booker
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def allocate(
        self,
        org_id: str,
        transaction_id: str,
        allocations: Sequence[Allocation],
        who: str,
        note: str | None = None,
    ) -> TransactionRecord:
        """Allocate a queued (or not-rent) transaction to one lease or split over several."""
        record = self.records.get(org_id, transaction_id)
        tx = record.transaction
        status = record.status.value
        if status not in (*QUEUE_STATUSES, "not_rent"):
            raise ConflictError(
                f"transaction {transaction_id} is {status}: undo its allocation first"
            )
        _check_split(tx, allocations)
        org = self.orgs.get(org_id)
        revision = record.revision

        def plan(leases: dict[str, Lease], now: datetime) -> Booking:
            if tx.kind is TransactionKind.REJECT:
                # A person confirms which lease a direct-debit return puts back in debt.
                decision = MatchDecision(
                    Outcome.ALLOCATED,
                    allocations=tuple(Allocation(a.lease_id, -a.amount_cents) for a in allocations),
                    method=Method.MANUAL,
                    score=1.0,
                    evidence=(f"return reversed by {who}", *((f"note: {note}",) if note else ())),
                    reject=reject_info(tx),
                    confirmed_by=who,
                )
                planned = plan_booking(org, tx, decision, leases, now, learn=False)
                return replace(planned, expected_status=status, revision=revision)
            return plan_manual_allocation(
                org, tx, allocations, leases, status, revision, who, note, now
            )

        return self._book(record, [a.lease_id for a in allocations], plan)

    def not_rent(
        self, org_id: str, transaction_id: str, who: str, note: str | None = None
    ) -> TransactionRecord:
        record = self.records.get(org_id, transaction_id)
        status = record.status.value
        if status not in QUEUE_STATUSES:
            raise ConflictError(f"transaction {transaction_id} is {status}, not in review")
        tx, revision = record.transaction, record.revision
        return self._book(
            record, [], lambda _l, now: plan_not_rent(tx, status, revision, who, note, now)
        )

    def undo(
        self, org_id: str, transaction_id: str, who: str, note: str | None = None
    ) -> TransactionRecord:
        """Reverse an allocation (automatic or manual) by new lines; back to review."""
        record = self.records.get(org_id, transaction_id)
        if record.status is not TransactionStatus.ALLOCATED:
            raise ConflictError(
                f"transaction {transaction_id} is {record.status.value}, not allocated"
            )
        tx, revision = record.transaction, record.revision
        allocations = record.decision.decision.allocations if record.decision else ()
        org = self.orgs.get(org_id)
        return self._book(
            record,
            [a.lease_id for a in allocations],
            lambda leases, now: plan_undo(org, tx, allocations, leases, revision, who, note, now),
        )

    def _book(
        self,
        record: TransactionRecord,
        lease_ids: Sequence[str],
        plan: Callable[[dict[str, Lease], datetime], Booking],
    ) -> TransactionRecord:
        org_id, transaction_id = record.transaction.org_id, record.transaction_id
        for _ in range(5):
            leases = {lid: self.leases.get(org_id, lid) for lid in dict.fromkeys(lease_ids)}
            booking = replace(plan(leases, self.clock()), previous_decision=record.decision)
            try:
                booked = self.booker.book(booking, leases)
            except ConflictError:
                continue
            if not booked:
                raise ConflictError(
                    f"transaction {transaction_id} was decided meanwhile: reload it"
                )
            return self.records.get(org_id, transaction_id)
        raise ConflictError("too many concurrent updates of these leases; retry")


def _check_split(tx: BankTransaction, allocations: Sequence[Allocation]) -> None:
    if not allocations:
        raise ValidationError("allocations", "at least one lease")
    if len(allocations) > MAX_SPLIT:
        raise ValidationError("allocations", f"at most {MAX_SPLIT} leases")
    if len({a.lease_id for a in allocations}) != len(allocations):
        raise ValidationError("allocations", "each lease once")
    if any(a.amount_cents <= 0 for a in allocations):
        raise ValidationError("allocations", "amounts must be positive")
    total = sum(a.amount_cents for a in allocations)
    if total != abs(tx.amount_cents):
        raise ValidationError(
            "allocations", f"amounts add up to {total} cents, the payment is {abs(tx.amount_cents)}"
        )
