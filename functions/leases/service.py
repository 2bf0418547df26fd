"""Registering leases (each gets its vIBAN and RF reference) and posting rent calls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Protocol

from functions.core.accounting import AccountingEntry, SourceType, balance_operation_entry
from functions.core.booking import MAX_PAYER_IBANS
from functions.core.errors import ConflictError, EncaisseError, NotFoundError
from functions.core.lease import Lease, rf_reference_for_viban
from functions.core.ledger import LedgerLine, LineKind, rent_call_line_id
from functions.core.organisation import Organisation


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...
    def reserve_viban_sequences(self, org_id: str, count: int) -> range: ...


class LeaseStore(Protocol):
    def find(self, org_id: str, lease_id: str) -> Lease | None: ...
    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]: ...
    def balances(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, tuple[int, int]]: ...
    def get(self, org_id: str, lease_id: str) -> Lease: ...
    def put_new(self, lease: Lease) -> None: ...
    def put_many_new(self, leases: Sequence[Lease]) -> None: ...
    def create_many(self, leases: Sequence[Lease]) -> set[str]: ...
    def update_many_terms(self, changes: Sequence[tuple[Lease, Lease]]) -> None: ...
    def update_terms(self, lease: Lease, *, payer_ibans: bool = False) -> None: ...


class LedgerWriter(Protocol):
    def post(
        self,
        lines: Sequence[LedgerLine],
        leases: dict[str, Lease],
        entries: Sequence[AccountingEntry] = (),
    ) -> bool: ...

    def post_batch(
        self, lines: Sequence[LedgerLine], versions: dict[str, int]
    ) -> tuple[frozenset[tuple[str, str]], frozenset[str]] | None: ...


class LedgerReader(Protocol):
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]: ...


@dataclass(frozen=True, slots=True)
class BalanceOperation:
    """An opening balance taken over from the ERP, or a later adjustment (credit note,
    charges regularisation). ``amount_cents`` is signed like the balance: positive is
    owed by the tenant, negative is a credit. ``reference`` (the ERP's document number)
    makes posting it idempotent."""

    org_id: str
    lease_id: str
    kind: LineKind  # OPENING_BALANCE or ADJUSTMENT
    amount_cents: int
    date: date
    reference: str
    label: str | None = None

    @property
    def default_label(self) -> str:
        if self.kind is LineKind.OPENING_BALANCE:
            return f"Solde de reprise {self.reference}"
        what = "Avoir" if self.amount_cents < 0 else "Régularisation"
        return f"{what} {self.reference}"


@dataclass(frozen=True, slots=True)
class RentCall:
    org_id: str
    lease_id: str
    rent_call_id: str
    period: str  # YYYY-MM
    due_date: date
    rent_cents: int
    charges_cents: int
    apl_cents: int = 0

    @property
    def total_cents(self) -> int:
        return self.rent_cents + self.charges_cents - self.apl_cents


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
MAX_TRIES = 5


@dataclass(frozen=True, slots=True)
class RentCallPosting:
    """What :meth:`LeaseService.post_rent_calls` did: the balances of the leases, in
    cents, as read before posting (they go on the notices) and, per call, True (posted),
    False (posted already) or the error that kept it out."""

    before: dict[str, int]
    outcomes: list[bool | EncaisseError]


@dataclass
class LeaseService:
    orgs: Organisations
    leases: LeaseStore
    ledger: LedgerWriter
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    history: LedgerReader | None = None

    def register(self, lease: Lease) -> tuple[Lease, bool]:
        """Create the lease with a fresh vIBAN, or update the terms of an existing one.

        The vIBAN, RF reference and balance of an existing lease never change here.
        Returns the stored lease and whether it was created.
        """
        existing = self.leases.find(lease.org_id, lease.lease_id)
        if existing is not None:
            updated = with_terms(existing, lease)
            self.leases.update_terms(updated, payer_ibans=bool(lease.payer_ibans))
            return updated, False
        created = self.with_new_vibans(lease.org_id, [lease])[0]
        self.leases.put_new(created)
        return created, True

    def register_many(self, org_id: str, leases: Sequence[Lease]) -> list[tuple[Lease, bool]]:
        """:meth:`register` for a batch (the ERP's monthly run): one BatchGetItem read for
        all, one vIBAN reservation for the new ones, then transactions of 100 writes:
        conditional puts for the new leases (one created concurrently by another call
        keeps the vIBAN it was given there, and has its terms updated) and, for the
        others, updates of the terms that changed (none for the same terms again)."""
        existing = self.leases.find_many(org_id, [lease.lease_id for lease in leases])
        new = [lease for lease in leases if lease.lease_id not in existing]
        created = {x.lease_id: x for x in (self.with_new_vibans(org_id, new) if new else [])}
        clashed = self.leases.create_many(list(created.values())) if created else set()
        out: list[tuple[Lease, bool]] = []
        updates: list[tuple[Lease, Lease]] = []
        for lease in leases:
            if lease.lease_id in clashed:
                out.append(self.register(lease))  # created meanwhile: update its terms
            elif lease.lease_id in created:
                out.append((created[lease.lease_id], True))
            else:
                updated = with_terms(existing[lease.lease_id], lease)
                updates.append((existing[lease.lease_id], updated))
                out.append((updated, False))
        self.leases.update_many_terms(updates)
        return out

    def with_new_vibans(self, org_id: str, leases: Sequence[Lease]) -> list[Lease]:
        """The leases given fresh vIBANs (numbers reserved atomically, never reused)."""
        org = self.orgs.get(org_id)
        numbers = self.orgs.reserve_viban_sequences(org_id, len(leases))
        out = []
        for lease, number in zip(leases, numbers, strict=True):
            viban = org.viban_range.iban_for(number)
            out.append(replace(lease, viban=viban, rf_reference=rf_reference_for_viban(viban)))
        return out

    def post_rent_call(self, call: RentCall) -> bool:
        """Debit the tenant's account; False if this rent call was posted already."""
        for _ in range(5):
            lease = self.leases.get(call.org_id, call.lease_id)
            line = rent_call_line(call, self.clock())
            try:
                return self.ledger.post([line], {lease.lease_id: lease})
            except ConflictError:
                continue
        raise ConflictError(f"lease {call.lease_id}: too many concurrent updates; retry")

    def post_rent_calls(self, org_id: str, calls: Sequence[RentCall]) -> RentCallPosting:
        """:meth:`post_rent_call` for a batch (the ERP's monthly run): one BatchGetItem
        read of the leases' balances and versions, then transactions of up to 100
        items, each touching a lease once (its new lines and one balance update summing
        them). A line that exists already is answered False; a lease that moved
        meanwhile is read again and its lines retried; one that keeps moving gets a
        ConflictError after a few tries."""
        read = self.leases.balances(org_id, [c.lease_id for c in calls])
        now = self.clock()
        batch = _LineBatch({k: version for k, (_, version) in read.items()}, [None] * len(calls))
        for i, call in enumerate(calls):
            if call.lease_id in read:
                batch.add(i, rent_call_line(call, now))
            else:
                batch.outcomes[i] = NotFoundError("lease", call.lease_id)
        while batch.todo:
            stale: set[str] = set()
            for group in _transaction_groups(batch.todo):
                lines = [line for _, line in group]
                stale |= batch.settle(group, self.ledger.post_batch(lines, batch.versions))
            if stale:
                batch.reread(stale, self.leases.balances(org_id, sorted(stale)))
        return RentCallPosting({k: balance for k, (balance, _) in read.items()}, batch.results())

    def post_balance_operation(self, op: BalanceOperation) -> tuple[LedgerLine, bool]:
        """Post an opening balance or an adjustment with its accounting entry.

        Idempotent on ``reference``: the same operation again answers the line posted
        first (``False``); the same reference with another amount or date is a
        ConflictError, and so is a second opening balance under another reference.
        """
        assert self.history is not None, "LeaseService needs a ledger reader for this"
        for _ in range(5):
            lease = self.leases.get(op.org_id, op.lease_id)
            for line in self.history.lines(op.org_id, op.lease_id):
                if line.kind is not op.kind:
                    continue
                if line.source_id == op.reference:
                    if (line.amount_cents, line.date) != (op.amount_cents, op.date):
                        raise ConflictError(
                            f"reference {op.reference!r} was posted with another amount or date"
                        )
                    return line, False
                if op.kind is LineKind.OPENING_BALANCE:
                    raise ConflictError(
                        f"lease {op.lease_id} has an opening balance already "
                        f"({line.source_id}); post an adjustment instead"
                    )
            now = self.clock()
            line = balance_operation_line(op, now)
            org = self.orgs.get(op.org_id)
            entry = balance_operation_entry(
                org.chart,
                op.org_id,
                op.lease_id,
                SourceType(op.kind.value),
                op.reference,
                op.date,
                op.amount_cents,
                line.label,
                now,
            )
            try:
                if self.ledger.post([line], {lease.lease_id: lease}, [entry]):
                    return line, True
            except ConflictError:
                continue
        raise ConflictError(f"lease {op.lease_id}: too many concurrent updates; retry")


@dataclass
class _LineBatch:
    """The state of :meth:`LeaseService.post_rent_calls`: the leases' versions as last
    known, the lines left to post by lease, and each call's outcome so far."""

    versions: dict[str, int]
    outcomes: list[bool | EncaisseError | None]
    todo: dict[str, list[tuple[int, LedgerLine]]] = field(default_factory=dict)
    first: dict[tuple[str, str], int] = field(default_factory=dict)
    twins: list[tuple[int, int]] = field(default_factory=list)
    tries: dict[str, int] = field(default_factory=dict)

    def add(self, index: int, line: LedgerLine) -> None:
        key = (line.lease_id, line.line_id)
        if key in self.first:  # the same line twice in one call: answered like the first
            self.twins.append((index, self.first[key]))
            return
        self.first[key] = index
        self.todo.setdefault(line.lease_id, []).append((index, line))

    def settle(
        self,
        group: list[tuple[int, LedgerLine]],
        refusal: tuple[frozenset[tuple[str, str]], frozenset[str]] | None,
    ) -> set[str]:
        """Record a transaction's outcome; answers the leases to read again."""
        lines = [line for _, line in group]
        if refusal is None:
            for lease_id in {line.lease_id for line in lines}:
                self.versions[lease_id] += 1
            self._answer(group, True)
            return set()
        existing, moved = refusal
        known = [(i, line) for i, line in group if (line.lease_id, line.line_id) in existing]
        self._answer(known, False)
        # nothing named (another transaction held an item): every lease of the group
        blamed = set(moved) or ({line.lease_id for line in lines} if not known else set())
        for lease_id in blamed:
            self.tries[lease_id] = self.tries.get(lease_id, 0) + 1
        return blamed

    def reread(self, stale: set[str], fresh: dict[str, tuple[int, int]]) -> None:
        for lease_id in stale:
            error: EncaisseError | None = None
            if lease_id not in fresh:
                error = NotFoundError("lease", lease_id)
            elif self.tries[lease_id] >= MAX_TRIES:
                error = ConflictError(f"lease {lease_id}: too many concurrent updates; retry")
            else:
                self.versions[lease_id] = fresh[lease_id][1]
                continue
            for i, _ in self.todo.pop(lease_id, []):
                self.outcomes[i] = error

    def results(self) -> list[bool | EncaisseError]:
        for index, earlier in self.twins:
            outcome = self.outcomes[earlier]
            self.outcomes[index] = False if isinstance(outcome, bool) else outcome
        return [False if o is None else o for o in self.outcomes]

    def _answer(self, done: list[tuple[int, LedgerLine]], outcome: bool) -> None:
        indexes = {i for i, _ in done}
        for i in indexes:
            self.outcomes[i] = outcome
        for lease_id in {line.lease_id for _, line in done}:
            left = [(i, line) for i, line in self.todo[lease_id] if i not in indexes]
            if left:
                self.todo[lease_id] = left
            else:
                del self.todo[lease_id]


def _transaction_groups(
    todo: dict[str, list[tuple[int, LedgerLine]]],
) -> list[list[tuple[int, LedgerLine]]]:
    """The next lines to post, in groups that fit one transaction: each lease at most
    once per group (its lines and one balance update), once per round (its version
    moves with each transaction)."""
    groups: list[list[tuple[int, LedgerLine]]] = []
    group: list[tuple[int, LedgerLine]] = []
    items = 0
    for pending in todo.values():
        part = pending[: MAX_TRANSACTION_ITEMS - 1]
        if items + len(part) + 1 > MAX_TRANSACTION_ITEMS:
            groups.append(group)
            group, items = [], 0
        group.extend(part)
        items += len(part) + 1
    if group:
        groups.append(group)
    return groups


def with_terms(existing: Lease, lease: Lease) -> Lease:
    """``lease`` (the ERP's terms) keeping what Encaisse owns of the stored one."""
    return replace(
        lease,
        viban=existing.viban,
        rf_reference=existing.rf_reference,
        balance_cents=existing.balance_cents,
        version=existing.version,
        payer_ibans=merged_payer_ibans(existing.payer_ibans, lease.payer_ibans),
    )


def merged_payer_ibans(known: Sequence[str], imported: Sequence[str]) -> tuple[str, ...]:
    """The ERP's payer history added to what matching learned (newest kept, no repeats)."""
    merged = [i for i in known if i not in imported] + list(imported)
    return tuple(merged[-MAX_PAYER_IBANS:])


def balance_operation_line(op: BalanceOperation, now: datetime) -> LedgerLine:
    return LedgerLine(
        org_id=op.org_id,
        lease_id=op.lease_id,
        line_id=f"{op.date.isoformat()}#{op.kind.value}#{op.reference}",
        kind=op.kind,
        date=op.date,
        amount_cents=op.amount_cents,
        label=(op.label or op.default_label)[:120],
        source_id=op.reference,
        recorded_at=now,
    )


def rent_call_line(call: RentCall, now: datetime) -> LedgerLine:
    return LedgerLine(
        org_id=call.org_id,
        lease_id=call.lease_id,
        line_id=rent_call_line_id(call.due_date, call.rent_call_id),
        kind=LineKind.RENT_CALL,
        date=call.due_date,
        amount_cents=call.total_cents,
        label=f"Avis d'échéance {call.period}",
        source_id=call.rent_call_id,
        recorded_at=now,
    )
