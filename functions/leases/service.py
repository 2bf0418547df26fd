"""Registering leases (each gets its vIBAN and RF reference) and posting rent calls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Protocol

from functions.core.accounting import AccountingEntry, SourceType, balance_operation_entry
from functions.core.booking import MAX_PAYER_IBANS
from functions.core.errors import ConflictError
from functions.core.lease import Lease, rf_reference_for_viban
from functions.core.ledger import LedgerLine, LineKind, rent_call_line_id
from functions.core.organisation import Organisation


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...
    def reserve_viban_sequences(self, org_id: str, count: int) -> range: ...


class LeaseStore(Protocol):
    def find(self, org_id: str, lease_id: str) -> Lease | None: ...
    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]: ...
    def get(self, org_id: str, lease_id: str) -> Lease: ...
    def put_new(self, lease: Lease) -> None: ...
    def put_many_new(self, leases: Sequence[Lease]) -> None: ...
    def update_terms(self, lease: Lease, *, payer_ibans: bool = False) -> None: ...


class LedgerWriter(Protocol):
    def post(
        self,
        lines: Sequence[LedgerLine],
        leases: dict[str, Lease],
        entries: Sequence[AccountingEntry] = (),
    ) -> bool: ...


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
            updated = replace(
                lease,
                viban=existing.viban,
                rf_reference=existing.rf_reference,
                balance_cents=existing.balance_cents,
                version=existing.version,
                payer_ibans=merged_payer_ibans(existing.payer_ibans, lease.payer_ibans),
            )
            self.leases.update_terms(updated, payer_ibans=bool(lease.payer_ibans))
            return updated, False
        created = self.with_new_vibans(lease.org_id, [lease])[0]
        self.leases.put_new(created)
        return created, True

    def register_many(self, org_id: str, leases: Sequence[Lease]) -> list[tuple[Lease, bool]]:
        """:meth:`register` for a batch (the ERP's monthly run): one read for all, one
        vIBAN reservation for the new ones, a conditional write each, so a lease created
        concurrently by another call keeps the vIBAN it was given there."""
        existing = self.leases.find_many(org_id, [lease.lease_id for lease in leases])
        new = [lease for lease in leases if lease.lease_id not in existing]
        fresh = iter(self.with_new_vibans(org_id, new) if new else [])
        out: list[tuple[Lease, bool]] = []
        for lease in leases:
            if lease.lease_id in existing:
                out.append(self.register(lease))
                continue
            created = next(fresh)
            try:
                self.leases.put_new(created)
            except ConflictError:
                out.append(self.register(lease))  # created meanwhile: update its terms
                continue
            out.append((created, True))
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
