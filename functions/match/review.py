"""The review queue: a person allocates, sets aside or undoes what the matcher left.

Every decision is a new revision of the transaction's decision (the previous one
kept in its history), written with the same single-transaction booking as the
matcher's: ledger lines, balances, entries, and the payer IBAN it teaches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

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
from functions.core.transactions import BankTransaction, TransactionKind

QUEUE_STATUSES = ("review", "unmatched")
MAX_SPLIT = 20


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Leases(Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...


class TransactionRecords(Protocol):
    def get_item(self, org_id: str, transaction_id: str) -> dict[str, Any]: ...


class Booker(Protocol):
    def book(self, booking: Booking, leases: dict[str, Lease]) -> bool: ...


TransactionReader = Callable[[dict[str, Any]], BankTransaction]


@dataclass
class ReviewService:
    orgs: Organisations
    leases: Leases
    records: TransactionRecords
    booker: Booker
    read_transaction: TransactionReader
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def allocate(
        self,
        org_id: str,
        transaction_id: str,
        allocations: Sequence[Allocation],
        who: str,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Allocate a queued (or not-rent) transaction to one lease or split over several."""
        item = self.records.get_item(org_id, transaction_id)
        tx = self.read_transaction(item)
        status = item["status"]
        if status not in (*QUEUE_STATUSES, "not_rent"):
            raise ConflictError(
                f"transaction {transaction_id} is {status}: undo its allocation first"
            )
        _check_split(tx, allocations)
        org = self.orgs.get(org_id)
        revision = int(item.get("revision", 0))

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

        return self._book(org_id, item, [a.lease_id for a in allocations], plan)

    def not_rent(
        self, org_id: str, transaction_id: str, who: str, note: str | None = None
    ) -> dict[str, Any]:
        item = self.records.get_item(org_id, transaction_id)
        status = item["status"]
        if status not in QUEUE_STATUSES:
            raise ConflictError(f"transaction {transaction_id} is {status}, not in review")
        tx = self.read_transaction(item)
        revision = int(item.get("revision", 0))
        return self._book(
            org_id, item, [], lambda _l, now: plan_not_rent(tx, status, revision, who, note, now)
        )

    def undo(
        self, org_id: str, transaction_id: str, who: str, note: str | None = None
    ) -> dict[str, Any]:
        """Reverse an allocation (automatic or manual) by new lines; back to review."""
        item = self.records.get_item(org_id, transaction_id)
        if item["status"] != "allocated":
            raise ConflictError(f"transaction {transaction_id} is {item['status']}, not allocated")
        tx = self.read_transaction(item)
        decision = item.get("decision") or {}
        allocations = tuple(
            Allocation(a["lease_id"], int(a["amount_cents"]))
            for a in decision.get("allocations", [])
        )
        org = self.orgs.get(org_id)
        revision = int(item.get("revision", 0))
        return self._book(
            org_id,
            item,
            [a.lease_id for a in allocations],
            lambda leases, now: plan_undo(org, tx, allocations, leases, revision, who, note, now),
        )

    def _book(
        self,
        org_id: str,
        item: dict[str, Any],
        lease_ids: Sequence[str],
        plan: Callable[[dict[str, Lease], datetime], Booking],
    ) -> dict[str, Any]:
        for _ in range(5):
            leases = {lid: self.leases.get(org_id, lid) for lid in dict.fromkeys(lease_ids)}
            booking = replace(plan(leases, self.clock()), previous_decision=item.get("decision"))
            try:
                booked = self.booker.book(booking, leases)
            except ConflictError:
                continue
            if not booked:
                raise ConflictError(
                    f"transaction {item['transaction_id']} was decided meanwhile: reload it"
                )
            return self.records.get_item(org_id, item["transaction_id"])
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
