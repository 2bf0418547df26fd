"""Matching new bank transactions to leases and booking the outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from functions.core.booking import Booking, plan_booking
from functions.core.errors import ConflictError
from functions.core.household import household_of, spread_over_household, unpaid_debts
from functions.core.lease import Lease
from functions.core.lease_index import LeaseIndex, StrongDirectory
from functions.core.ledger import LedgerLine
from functions.core.matching import Collections, MatchDecision, MatchPolicy, Outcome, decide
from functions.core.organisation import Organisation
from functions.core.transactions import BankTransaction, TransactionStatus


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Policies(Protocol):
    def matching_policy(self, org_id: str) -> MatchPolicy: ...


class Leases(StrongDirectory, Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...
    def iter_all(self, org_id: str) -> Iterable[Lease]: ...


class Transactions(Collections, Protocol):
    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]: ...


class LedgerLines(Protocol):
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]: ...


class Booker(Protocol):
    def book(self, booking: Booking, leases: dict[str, Lease]) -> bool: ...


@dataclass(frozen=True, slots=True)
class MatchResult:
    transaction_id: str
    outcome: str
    lease_ids: tuple[str, ...] = ()
    booked: bool = True
    method: str | None = None


@dataclass
class LeaseIndexCache:
    """One index per organisation, loaded once and refreshed after ``ttl``.

    Bookings update it in place (balances, learned IBANs), and a vIBAN or RF
    reference it does not know is looked up in the store (a lease created since
    the load). Decisions made in the API (another process) reach it at the next
    refresh; their bookings re-read every lease anyway.
    """

    leases: Leases
    clock: Callable[[], datetime]
    ttl: timedelta = timedelta(minutes=5)
    _cache: dict[str, tuple[datetime, LeaseIndex]] = field(default_factory=dict)

    def get(self, org_id: str) -> LeaseIndex:
        now = self.clock()
        hit = self._cache.get(org_id)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        index = LeaseIndex(org_id, self.leases.iter_all(org_id), fallback=self.leases)
        self._cache[org_id] = (now, index)
        return index


@dataclass
class PaymentMatcher:
    orgs: Organisations
    leases: Leases
    transactions: Transactions
    booker: Booker
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    attempts: int = 5
    policies: Policies | None = None
    indexes: LeaseIndexCache | None = None
    ledger: LedgerLines | None = None
    """Read for the dates of a household's debts (oldest debt first); optional."""
    on_booked: Callable[[str, Sequence[str]], None] | None = None
    """Told the leases a booked credit went to (quittances when a period is paid); optional."""

    def __post_init__(self) -> None:
        if self.indexes is None:
            self.indexes = LeaseIndexCache(self.leases, self.clock)
        if self.policies is None and hasattr(self.orgs, "matching_policy"):
            self.policies = self.orgs  # type: ignore[assignment]

    def match(self, org_id: str, transaction_ids: Sequence[str]) -> list[MatchResult]:
        org = self.orgs.get(org_id)
        policy = self.policies.matching_policy(org_id) if self.policies else MatchPolicy()
        assert self.indexes is not None
        index = self.indexes.get(org_id)
        results = []
        for tx in self.transactions.get_many(org_id, transaction_ids):
            if tx.status is not TransactionStatus.NEW:
                results.append(MatchResult(tx.transaction_id, tx.status.value, booked=False))
                continue
            results.append(self._match_one(org, tx, index, policy))
        return results

    def _match_one(
        self, org: Organisation, tx: BankTransaction, index: LeaseIndex, policy: MatchPolicy
    ) -> MatchResult:
        decision = self._shared_by_household(org, decide(tx, index, policy, self.transactions))
        lease_ids = decision.lease_ids
        for attempt in range(self.attempts):
            now = self.clock()
            # Fresh reads on every attempt: the balance update checks their version.
            leases = {lid: self.leases.get(org.org_id, lid) for lid in lease_ids}
            booking = plan_booking(org, tx, decision, leases, now, policy.learn_payer_ibans)
            try:
                booked = self.booker.book(booking, leases)
            except ConflictError:
                if attempt == self.attempts - 1:
                    raise
                continue
            if booked:
                for lease in booked_leases(booking, leases):
                    index.put(lease)
                if self.on_booked is not None and tx.amount_cents > 0 and lease_ids:
                    self.on_booked(org.org_id, list(lease_ids))
            method = decision.method.value if decision.method else None
            return MatchResult(tx.transaction_id, decision.outcome.value, lease_ids, booked, method)
        raise AssertionError("unreachable")  # pragma: no cover

    def _shared_by_household(self, org: Organisation, decision: MatchDecision) -> MatchDecision:
        """A household's lump payment shared over its leases by the landlord's rule."""
        if decision.outcome is not Outcome.ALLOCATED or len(decision.allocations) != 1:
            return decision
        assert self.indexes is not None
        index = self.indexes.get(org.org_id)
        lease = index.get(decision.allocations[0].lease_id)
        if lease is None or not lease.household_id:
            return decision
        members = household_of(lease, list(index))
        if len(members) < 2:
            return decision
        fresh = [self.leases.get(org.org_id, x.lease_id) for x in members]
        debts = (
            {x.lease_id: unpaid_debts(self.ledger.lines(org.org_id, x.lease_id)) for x in fresh}
            if self.ledger is not None
            else {}
        )
        return spread_over_household(decision, fresh, org.household_split, debts)


def booked_leases(booking: Booking, leases: dict[str, Lease]) -> list[Lease]:
    """The leases as the booking left them (balance, version, learned IBANs)."""
    deltas: dict[str, int] = {}
    for line in booking.lines:
        deltas[line.lease_id] = deltas.get(line.lease_id, 0) + line.amount_cents
    out = []
    for lid in dict.fromkeys([*deltas, *booking.payer_ibans, *booking.dunning]):
        lease = leases[lid]
        out.append(
            replace(
                lease,
                balance_cents=lease.balance_cents + deltas.get(lid, 0),
                version=lease.version + 1,
                payer_ibans=booking.payer_ibans.get(lid, lease.payer_ibans),
            )
        )
    return out
