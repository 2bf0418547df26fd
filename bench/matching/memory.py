"""In-memory stores with the matcher's interfaces, so the benchmark runs the
production service (``PaymentMatcher``) without a database: the same decisions,
the same bookings, applied to dicts instead of DynamoDB items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from functions.core.booking import Booking, Written
from functions.core.errors import NotFoundError
from functions.core.lease import Lease
from functions.core.matching import CollectionRecord, MatchPolicy
from functions.core.organisation import Organisation
from functions.core.transactions import BankTransaction, TransactionStatus


class MemoryOrganisations:
    def __init__(self, org: Organisation, policy: MatchPolicy | None = None) -> None:
        self.org = org
        self.policy = policy or MatchPolicy()

    def get(self, org_id: str) -> Organisation:
        return self.org

    def matching_policy(self, org_id: str) -> MatchPolicy:
        return self.policy


class MemoryLeases:
    def __init__(self, leases: Iterable[Lease]) -> None:
        self.items = {x.lease_id: x for x in leases}

    def get(self, org_id: str, lease_id: str) -> Lease:
        try:
            return self.items[lease_id]
        except KeyError as e:
            raise NotFoundError("lease", lease_id) from e

    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]:
        return {lid: self.items[lid] for lid in lease_ids if lid in self.items}

    def iter_all(self, org_id: str) -> Iterable[Lease]:
        return list(self.items.values())

    def by_viban(self, org_id: str, iban: str) -> Lease | None:
        return None  # everything is in the index already

    def by_rf(self, org_id: str, reference: str) -> Lease | None:
        return None


class MemoryTransactions:
    def __init__(self) -> None:
        self.items: dict[str, BankTransaction] = {}
        self.collections: dict[str, CollectionRecord] = {}

    def add_new(self, txs: Iterable[BankTransaction]) -> list[str]:
        new = []
        for tx in txs:
            if tx.transaction_id not in self.items:
                self.items[tx.transaction_id] = tx
                new.append(tx.transaction_id)
        return new

    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]:
        return [self.items[t] for t in transaction_ids if t in self.items]

    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None:
        return self.collections.get(end_to_end_id)


class MemoryBooker:
    """Applies a booking as DynamoBooker's single transaction does."""

    def __init__(self, leases: MemoryLeases, transactions: MemoryTransactions) -> None:
        self.leases = leases
        self.transactions = transactions
        self.lines = 0
        self.allocations: dict[str, tuple[tuple[str, int], ...]] = {}
        self.entries = 0

    def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
        """Each booking of the group in turn (a dict has no concurrent writer)."""
        return [Written.BOOKED if self.book(b, leases) else Written.LEFT for b, leases in group]

    def book(self, booking: Booking, leases: Mapping[str, Lease]) -> bool:
        tx = self.transactions.items[booking.tx.transaction_id]
        if tx.status.value != booking.expected_status:
            return False
        status = TransactionStatus(booking.decision.outcome.value)
        self.transactions.items[tx.transaction_id] = replace(tx, status=status)
        deltas: dict[str, int] = {}
        for line in booking.lines:
            deltas[line.lease_id] = deltas.get(line.lease_id, 0) + line.amount_cents
        for lid in dict.fromkeys([*deltas, *booking.payer_ibans]):
            lease = self.leases.items[lid]
            self.leases.items[lid] = replace(
                lease,
                balance_cents=lease.balance_cents + deltas.get(lid, 0),
                version=lease.version + 1,
                payer_ibans=booking.payer_ibans.get(lid, lease.payer_ibans),
            )
        if booking.collection_e2e:
            self.transactions.collections[booking.collection_e2e] = CollectionRecord(
                tx.transaction_id, booking.decision.allocations, tx.booking_date
            )
        if booking.reverses_e2e and booking.reverses_e2e in self.transactions.collections:
            rec = self.transactions.collections[booking.reverses_e2e]
            self.transactions.collections[booking.reverses_e2e] = replace(
                rec, reversed_by=tx.transaction_id
            )
        self.allocations[tx.transaction_id] = tuple(
            (a.lease_id, a.amount_cents) for a in booking.decision.allocations
        )
        self.lines += len(booking.lines)
        self.entries += len(booking.entries)
        return True
