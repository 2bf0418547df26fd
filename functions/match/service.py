"""Matching new bank transactions to leases and booking the outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from functions.core.booking import Booking, Written, pack_groups, plan_booking
from functions.core.errors import ConflictError
from functions.core.household import (
    debts_needed,
    household_of,
    may_be_shared,
    spread_over_household,
    unpaid_debts,
)
from functions.core.lease import Lease
from functions.core.lease_index import LeaseIndex, StrongDirectory
from functions.core.ledger import LedgerLine
from functions.core.matching import (
    CollectionRecord,
    Collections,
    MatchDecision,
    MatchPolicy,
    decide,
)
from functions.core.organisation import Organisation
from functions.core.transactions import BankTransaction, TransactionStatus


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...


@runtime_checkable
class Policies(Protocol):
    def matching_policy(self, org_id: str) -> MatchPolicy: ...


@runtime_checkable
class OrganisationsWithPolicies(Organisations, Policies, Protocol):
    def get_with_policy(self, org_id: str) -> tuple[Organisation, MatchPolicy]:
        """Both from one read."""
        ...


class Leases(StrongDirectory, Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...
    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]: ...
    def iter_all(self, org_id: str) -> Iterable[Lease]: ...


class Transactions(Collections, Protocol):
    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]: ...


class LedgerLines(Protocol):
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]: ...


class Booker(Protocol):
    def book(self, booking: Booking, leases: Mapping[str, Lease]) -> bool: ...

    def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]: ...


@dataclass(frozen=True, slots=True)
class MatchResult:
    transaction_id: str
    outcome: str
    lease_ids: tuple[str, ...] = ()
    booked: bool = True
    method: str | None = None


@dataclass
class LeaseIndexCache:
    """One index per organisation, loaded once and refreshed in place after ``ttl``
    (the leases that changed are indexed again; two copies never coexist).

    Bookings update it in place (balances, versions, learned IBANs), and a vIBAN or
    RF reference it does not know is looked up in the store (a lease created since
    the load). Decisions made in the API (another process) reach it at the next
    refresh; meanwhile a booking planned on its stale version of a lease is refused
    by the version check and booked again from fresh reads.
    """

    leases: Leases
    clock: Callable[[], datetime]
    ttl: timedelta = timedelta(minutes=5)
    _cache: dict[str, tuple[datetime, LeaseIndex]] = field(default_factory=dict)

    def get(self, org_id: str) -> LeaseIndex:
        now = self.clock()
        hit = self._cache.get(org_id)
        if hit is None:
            index = LeaseIndex(org_id, self.leases.iter_all(org_id), fallback=self.leases)
        elif now - hit[0] < self.ttl:
            return hit[1]
        else:
            index = hit[1]
            index.refresh(self.leases.iter_all(org_id))
        self._cache[org_id] = (now, index)
        return index

    def forget(self, org_id: str) -> None:
        """Drop an index that may hold what was not written (a failed batch)."""
        self._cache.pop(org_id, None)


@dataclass
class _Planned:
    """One decided transaction waiting to be written, with the leases as its booking
    expects them (their versions are checked)."""

    tx: BankTransaction
    decision: MatchDecision
    booking: Booking
    leases: dict[str, Lease]
    booked: bool | None = None


@dataclass
class _BatchCollections:
    """Collections as the store will hold them once this batch is written: a return
    decided after its collection in the same message finds it."""

    store: Collections
    planned: dict[str, CollectionRecord] = field(default_factory=dict)
    reversed: dict[str, str] = field(default_factory=dict)

    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None:
        record = self.planned.get(end_to_end_id) or self.store.collection(org_id, end_to_end_id)
        by = self.reversed.get(end_to_end_id)
        if record is not None and by is not None and record.reversed_by is None:
            record = replace(record, reversed_by=by)
        return record

    def plan(self, booking: Booking) -> None:
        tx = booking.tx
        if booking.collection_e2e:
            self.planned[booking.collection_e2e] = CollectionRecord(
                tx.transaction_id, booking.decision.allocations, tx.booking_date
            )
        if booking.reverses_e2e:
            self.reversed[booking.reverses_e2e] = tx.transaction_id


@dataclass
class PaymentMatcher:
    """Decides a message's transactions in order, then books them in groups.

    Each decision is made on the lease index as the earlier decisions of the batch
    leave it (applied to the index as they are planned), exactly as if each were
    booked before the next is decided; the bookings are then written in groups of
    up to 100 items (``pack_groups``), one TransactWriteItems each. A booking
    refused by a changed lease is booked again alone from fresh reads, as a single
    booking always was; the transaction's ``new`` status condition keeps every
    booking exactly-once across redeliveries.
    """

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
    """Told the leases booked credits went to (quittances when a period is paid); optional."""

    def __post_init__(self) -> None:
        if self.indexes is None:
            self.indexes = LeaseIndexCache(self.leases, self.clock)
        if self.policies is None and isinstance(self.orgs, Policies):
            self.policies = self.orgs

    def match(self, org_id: str, transaction_ids: Sequence[str]) -> list[MatchResult]:
        orgs: object = self.orgs
        if orgs is self.policies and isinstance(orgs, OrganisationsWithPolicies):
            org, policy = orgs.get_with_policy(org_id)
        else:
            org = self.orgs.get(org_id)
            policy = self.policies.matching_policy(org_id) if self.policies else MatchPolicy()
        assert self.indexes is not None
        index = self.indexes.get(org_id)
        if org.collection_iban:  # the generic account: never a new lease's vIBAN
            index.never_a_viban(org.collection_iban)
        try:
            return self._match(org, policy, index, transaction_ids)
        except BaseException:
            self.indexes.forget(org_id)  # it may hold bookings that were not written
            raise

    def _match(
        self,
        org: Organisation,
        policy: MatchPolicy,
        index: LeaseIndex,
        transaction_ids: Sequence[str],
    ) -> list[MatchResult]:
        collections = _BatchCollections(self.transactions)
        pending: list[_Planned] = []
        results: list[MatchResult | _Planned] = []
        credited: list[str] = []
        try:
            for tx in self.transactions.get_many(org.org_id, transaction_ids):
                if tx.status is not TransactionStatus.NEW:
                    results.append(MatchResult(tx.transaction_id, tx.status.value, booked=False))
                    continue
                decision = decide(tx, index, policy, collections)
                decision = self._shared_by_household(
                    org, policy, decision, index, pending, credited
                )
                leases = self._planned_leases(org.org_id, decision.lease_ids, index)
                booking = plan_booking(
                    org, tx, decision, leases, self.clock(), policy.learn_payer_ibans
                )
                planned = _Planned(tx, decision, booking, leases)
                pending.append(planned)
                results.append(planned)
                collections.plan(booking)
                for lease in booked_leases(booking, leases):
                    index.put(lease)  # the next decisions see it as booked
            self._write(org, policy, index, pending, credited)
        finally:
            # One message for the whole batch (a household's payment writes the bookings
            # before it early, which sent one each): sent also when a later write failed.
            if credited and self.on_booked is not None:
                self.on_booked(org.org_id, list(dict.fromkeys(credited)))
        return [r if isinstance(r, MatchResult) else _result(r) for r in results]

    def _planned_leases(
        self, org_id: str, lease_ids: Sequence[str], index: LeaseIndex
    ) -> dict[str, Lease]:
        leases = {lid: lease for lid in lease_ids if (lease := index.get(lid)) is not None}
        missing = [lid for lid in lease_ids if lid not in leases]
        if missing:
            leases |= self._read_leases(org_id, missing)
        return leases

    def _read_leases(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]:
        """Fresh reads in one BatchGetItem; a lease that is not there is an error."""
        found = self.leases.find_many(org_id, lease_ids)
        for lid in lease_ids:
            if lid not in found:
                found[lid] = self.leases.get(org_id, lid)  # raises NotFoundError
        return found

    def _write(
        self,
        org: Organisation,
        policy: MatchPolicy,
        index: LeaseIndex,
        pending: list[_Planned],
        credited: list[str],
    ) -> None:
        """Books the planned transactions in order, group by group, then empties ``pending``;
        adds to ``credited`` the leases booked credits went to."""
        planned, pending[:] = list(pending), []
        if not planned:
            return
        for group in pack_groups([p.booking for p in planned]):
            todo = [planned[i] for i in group]
            stale: list[_Planned] = []
            while todo:
                outcomes = self.booker.book_group([(p.booking, p.leases) for p in todo])
                waiting = []
                for p, outcome in zip(todo, outcomes, strict=True):
                    if outcome is Written.BOOKED:
                        p.booked = True
                    elif outcome is Written.LEFT:
                        p.booked = False
                    elif outcome is Written.STALE:
                        stale.append(p)
                    else:
                        waiting.append(p)
                if len(waiting) == len(todo):  # no failure named: book each alone
                    stale += waiting
                    waiting = []
                todo = waiting
            for p in stale:
                self._book_alone(org, policy, index, p)
        left = [lid for p in planned if p.booked is False for lid in p.leases]
        if left:  # the index holds what these bookings would have written: re-read
            for lease in self._read_leases(org.org_id, left).values():
                index.put(lease)
        credited += [
            lid
            for p in planned
            if p.booked and p.tx.amount_cents > 0
            for lid in p.decision.lease_ids
        ]

    def _book_alone(
        self, org: Organisation, policy: MatchPolicy, index: LeaseIndex, p: _Planned
    ) -> None:
        """A booking refused by a changed lease: fresh reads on every attempt."""
        for attempt in range(self.attempts):
            leases = self._read_leases(org.org_id, p.decision.lease_ids)
            booking = plan_booking(
                org, p.tx, p.decision, leases, self.clock(), policy.learn_payer_ibans
            )
            try:
                booked = self.booker.book(booking, leases)
            except ConflictError:
                if attempt == self.attempts - 1:
                    raise
                continue
            p.booking, p.leases, p.booked = booking, leases, booked
            for lease in booked_leases(booking, leases) if booked else leases.values():
                index.put(lease)
            if not booked:
                p.leases = {}  # read fresh just now: nothing to re-read
            return
        raise AssertionError("unreachable")  # pragma: no cover

    def _shared_by_household(
        self,
        org: Organisation,
        policy: MatchPolicy,
        decision: MatchDecision,
        index: LeaseIndex,
        pending: list[_Planned],
        credited: list[str],
    ) -> MatchDecision:
        """A household's lump payment shared over its leases by the landlord's rule.

        Reads the members' leases and debts from the store: bookings of the batch
        that touch them are written first.
        """
        if not may_be_shared(decision):
            return decision
        lease = index.get(decision.allocations[0].lease_id)
        if lease is None or not lease.household_id:
            return decision
        members = household_of(lease, index.household(lease.household_id))
        if len(members) < 2:
            return decision
        ids = [x.lease_id for x in members]
        if any(lid in p.leases for p in pending for lid in ids):
            self._write(org, policy, index, pending, credited)
        found = self._read_leases(org.org_id, ids)
        fresh = [found[lid] for lid in ids]
        # The members' ledgers are read only when the landlord's rule shares by debt date
        # and another member owes something: otherwise the decision does not use them.
        debts = (
            {x.lease_id: unpaid_debts(self.ledger.lines(org.org_id, x.lease_id)) for x in fresh}
            if self.ledger is not None and debts_needed(decision, fresh, org.household_split)
            else {}
        )
        return spread_over_household(decision, fresh, org.household_split, debts)


def _result(p: _Planned) -> MatchResult:
    d = p.decision
    method = d.method.value if d.method else None
    return MatchResult(p.tx.transaction_id, d.outcome.value, d.lease_ids, bool(p.booked), method)


def booked_leases(booking: Booking, leases: Mapping[str, Lease]) -> list[Lease]:
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
