"""What a decision writes: ledger lines, accounting entries, learned links, dunning flags.

Nothing is ever changed or deleted: a direct-debit return, an undone allocation
or a correction is a new line that reverses an earlier one, with who and why.
Every id derives from the transaction, the lease and the decision's revision, so
writing the same booking twice is refused by the store (a no-op for the caller).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from functions.core.accounting import (
    AccountingEntry,
    EntryLine,
    SourceType,
    entry_id_for,
    payment_entry,
    suspense_entry,
)
from functions.core.allocation import Allocation
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine, LineKind, payment_line_id
from functions.core.matching import (
    STRONG_METHODS,
    MatchDecision,
    Method,
    Outcome,
    RejectInfo,
    Suggestion,
)
from functions.core.organisation import Organisation
from functions.core.records import RecordedDecision
from functions.core.transactions import BankTransaction

MAX_PAYER_IBANS = 8
"""Payer IBANs remembered per lease (the most recent ones)."""


@dataclass(frozen=True, slots=True)
class DunningFlag:
    """A lease put back in debt by a direct-debit return: dunning reads the reason."""

    reason_code: str | None
    reason_label: str
    category: str
    transaction_id: str
    original_end_to_end_id: str | None
    at: datetime

    def as_item(self) -> dict[str, Any]:
        return {
            "reason_code": self.reason_code,
            "reason_label": self.reason_label,
            "category": self.category,
            "transaction_id": self.transaction_id,
            "original_end_to_end_id": self.original_end_to_end_id,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Booking:
    """Everything one decision about one transaction writes, at once."""

    tx: BankTransaction
    decision: MatchDecision
    lines: tuple[LedgerLine, ...]
    entries: tuple[AccountingEntry, ...]
    decided_at: datetime
    payer_ibans: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Leases whose learned payer IBANs change, with their new list."""
    dunning: dict[str, DunningFlag] = field(default_factory=dict)
    collection_e2e: str | None = None
    """A direct-debit collection, remembered by its end-to-end id for its returns."""
    reverses_e2e: str | None = None
    """The collection this return reverses (marked so that it is reversed once)."""
    expected_status: str = "new"
    revision: int = 0
    """The stored decision's revision this booking replaces (0: the first decision)."""
    previous_decision: RecordedDecision | None = None
    """The recorded decision a person's booking replaces: kept in the history."""


def _day(tx: BankTransaction, now: datetime) -> date:
    return tx.booking_date or tx.value_date or now.date()


def _suffix(revision: int) -> str:
    return f"#r{revision}" if revision else ""


def _who(tx: BankTransaction) -> str:
    return tx.counterparty_name or "virement"


def _reject_label(info: RejectInfo | None) -> str:
    if info is None:
        return "Prélèvement rejeté"
    return f"Prélèvement rejeté ({info.reason_code or '?'} : {info.reason_label})"


def _entry(
    org: Organisation,
    tx: BankTransaction,
    source_id: str,
    source_type: SourceType,
    lease_id: str | None,
    debit: tuple[str, str | None],
    credit: tuple[str, str | None],
    amount: int,
    label: str,
    now: datetime,
) -> AccountingEntry:
    label = label[:120]
    return AccountingEntry(
        org_id=org.org_id,
        entry_id=entry_id_for(now, source_id),
        date=_day(tx, now),
        journal=org.chart.journal,
        label=label,
        source_type=source_type,
        source_id=source_id,
        transaction_id=tx.transaction_id,
        lease_id=lease_id,
        lines=(
            EntryLine(debit[0], amount, 0, debit[1], label),
            EntryLine(credit[0], 0, amount, credit[1], label),
        ),
        created_at=now,
    )


def learned_ibans(
    tx: BankTransaction, decision: MatchDecision, leases: dict[str, Lease]
) -> dict[str, tuple[str, ...]]:
    """Payer IBAN → lease links this decision confirms (strong identifier or a person)."""
    if not tx.counterparty_iban or decision.outcome is not Outcome.ALLOCATED:
        return {}
    if decision.method not in STRONG_METHODS and decision.method is not Method.MANUAL:
        return {}
    iban = tx.counterparty_iban.replace(" ", "").upper()
    out: dict[str, tuple[str, ...]] = {}
    for a in decision.allocations:
        lease = leases.get(a.lease_id)
        if lease is None or a.amount_cents <= 0 or iban in lease.payer_ibans:
            continue
        out[a.lease_id] = (*lease.payer_ibans, iban)[-MAX_PAYER_IBANS:]
    return out


def plan_booking(
    org: Organisation,
    tx: BankTransaction,
    decision: MatchDecision,
    leases: dict[str, Lease],
    now: datetime,
    learn: bool = True,
) -> Booking:
    """The booking of an automatic decision on a new transaction."""
    lines: list[LedgerLine] = []
    entries: list[AccountingEntry] = []
    dunning: dict[str, DunningFlag] = {}
    day = _day(tx, now)
    if decision.outcome is Outcome.ALLOCATED:
        for alloc in decision.allocations:
            if alloc.amount_cents >= 0:
                lines.append(_payment_line(org, tx, alloc, day, now, 0))
                entries.append(
                    payment_entry(org.chart, tx, alloc.lease_id, alloc.amount_cents, now)
                )
                continue
            amount = -alloc.amount_cents
            label = _reject_label(decision.reject)
            lines.append(
                LedgerLine(
                    org_id=org.org_id,
                    lease_id=alloc.lease_id,
                    line_id=f"{day.isoformat()}#reversal#{tx.transaction_id}#{alloc.lease_id}",
                    kind=LineKind.REVERSAL,
                    date=day,
                    amount_cents=amount,
                    label=label[:120],
                    source_id=tx.transaction_id,
                    recorded_at=now,
                )
            )
            entries.append(
                _entry(
                    org,
                    tx,
                    f"{tx.transaction_id}:{alloc.lease_id}",
                    SourceType.REVERSAL,
                    alloc.lease_id,
                    (org.chart.tenants, alloc.lease_id),
                    (org.chart.bank, None),
                    amount,
                    label,
                    now,
                )
            )
            if decision.reject is not None:
                r = decision.reject
                dunning[alloc.lease_id] = DunningFlag(
                    r.reason_code,
                    r.reason_label,
                    r.category,
                    tx.transaction_id,
                    r.original_end_to_end_id,
                    now,
                )
    elif decision.outcome in (Outcome.UNMATCHED, Outcome.REVIEW) and tx.amount_cents > 0:
        entries.append(suspense_entry(org.chart, tx, now))
    collection = None
    if (
        decision.outcome is Outcome.ALLOCATED
        and tx.amount_cents > 0
        and tx.mandate_id
        and tx.end_to_end_id
        and tx.end_to_end_id != "NOTPROVIDED"
    ):
        collection = tx.end_to_end_id
    reverses = None
    if decision.method is Method.REJECT_REVERSAL and decision.outcome is Outcome.ALLOCATED:
        reverses = tx.original_end_to_end_id
    return Booking(
        tx=tx,
        decision=decision,
        lines=tuple(lines),
        entries=tuple(entries),
        decided_at=now,
        payer_ibans=learned_ibans(tx, decision, leases) if learn else {},
        dunning=dunning,
        collection_e2e=collection,
        reverses_e2e=reverses,
    )


def _payment_line(
    org: Organisation,
    tx: BankTransaction,
    alloc: Allocation,
    day: date,
    now: datetime,
    revision: int,
) -> LedgerLine:
    return LedgerLine(
        org_id=org.org_id,
        lease_id=alloc.lease_id,
        line_id=payment_line_id(day, tx.transaction_id, alloc.lease_id) + _suffix(revision),
        kind=LineKind.PAYMENT,
        date=day,
        amount_cents=-alloc.amount_cents,
        label=f"Paiement reçu — {_who(tx)}"[:120],
        source_id=tx.transaction_id,
        recorded_at=now,
    )


def plan_manual_allocation(
    org: Organisation,
    tx: BankTransaction,
    allocations: Sequence[Allocation],
    leases: dict[str, Lease],
    status: str,
    revision: int,
    who: str,
    note: str | None,
    now: datetime,
    learn: bool = True,
) -> Booking:
    """A person allocates a transaction of the review queue (whole or split).

    The money was booked to the suspense account when it went to review, so the
    entry moves it from suspense to the tenants; a transaction set aside as not
    rent had no entry, so its entry is from the bank.
    """
    evidence = [f"allocated by {who}"]
    if note:
        evidence.append(f"note: {note}"[:300])
    decision = MatchDecision(
        Outcome.ALLOCATED,
        allocations=tuple(allocations),
        method=Method.MANUAL,
        score=1.0,
        evidence=tuple(evidence),
        confirmed_by=who,
    )
    rev = revision + 1
    day = _day(tx, now)
    from_account = org.chart.suspense if status in ("review", "unmatched") else org.chart.bank
    lines = []
    entries = []
    for a in allocations:
        lines.append(_payment_line(org, tx, a, day, now, rev))
        entries.append(
            _entry(
                org,
                tx,
                f"{tx.transaction_id}:{a.lease_id}{_suffix(rev)}",
                SourceType.MANUAL,
                a.lease_id,
                (from_account, None),
                (org.chart.tenants, a.lease_id),
                a.amount_cents,
                f"Virement {_who(tx)} affecté par {who}",
                now,
            )
        )
    return Booking(
        tx=tx,
        decision=decision,
        lines=tuple(lines),
        entries=tuple(entries),
        decided_at=now,
        payer_ibans=learned_ibans(tx, decision, leases) if learn else {},
        expected_status=status,
        revision=revision,
    )


def plan_not_rent(
    tx: BankTransaction, status: str, revision: int, who: str, note: str | None, now: datetime
) -> Booking:
    """A person says a credit is not rent: nothing reaches a tenant's account.

    The credit stays on the suspense account, where the accountant books it in the ERP.
    """
    evidence = [f"marked not rent by {who}"]
    if note:
        evidence.append(f"note: {note}"[:300])
    decision = MatchDecision(
        Outcome.NOT_RENT,
        method=Method.MANUAL,
        score=1.0,
        evidence=tuple(evidence),
        reason=note,
        confirmed_by=who,
    )
    return Booking(tx, decision, (), (), now, expected_status=status, revision=revision)


def plan_undo(
    org: Organisation,
    tx: BankTransaction,
    allocations: Sequence[Allocation],
    leases: dict[str, Lease],
    revision: int,
    who: str,
    note: str | None,
    now: datetime,
) -> Booking:
    """Undo a wrong allocation by reversal lines; the transaction goes back to review.

    The money returns to the suspense account, the undone allocation is the first
    suggestion, and the payer IBAN it taught is forgotten for those leases.
    """
    rev = revision + 1
    day = now.date()
    lines = []
    entries = []
    for a in allocations:
        lines.append(
            LedgerLine(
                org_id=org.org_id,
                lease_id=a.lease_id,
                line_id=f"{day.isoformat()}#reversal#{tx.transaction_id}#{a.lease_id}#r{rev}",
                kind=LineKind.REVERSAL,
                date=day,
                amount_cents=a.amount_cents,
                label=f"Annulation d'affectation par {who}"[:120],
                source_id=tx.transaction_id,
                recorded_at=now,
            )
        )
        tenant = (org.chart.tenants, a.lease_id)
        suspense = (org.chart.suspense, None)
        debit, credit = (tenant, suspense) if a.amount_cents > 0 else (suspense, tenant)
        entries.append(
            _entry(
                org,
                tx,
                f"{tx.transaction_id}:{a.lease_id}#undo{rev}",
                SourceType.REVERSAL,
                a.lease_id,
                debit,
                credit,
                abs(a.amount_cents),
                f"Annulation d'affectation {_who(tx)} ({who})",
                now,
            )
        )
    evidence = [f"allocation undone by {who}"]
    if note:
        evidence.append(f"note: {note}"[:300])
    decision = MatchDecision(
        Outcome.REVIEW,
        method=Method.MANUAL,
        evidence=tuple(evidence),
        reason=f"allocation undone by {who}" + (f": {note}" if note else ""),
        suggestions=(
            Suggestion(allocations[0].lease_id, 0.0, ("undone allocation",), tuple(allocations)),
        )
        if allocations
        else (),
        confirmed_by=who,
    )
    forget: dict[str, tuple[str, ...]] = {}
    if tx.counterparty_iban:
        iban = tx.counterparty_iban.replace(" ", "").upper()
        for a in allocations:
            lease = leases.get(a.lease_id)
            if lease is not None and iban in lease.payer_ibans:
                forget[a.lease_id] = tuple(i for i in lease.payer_ibans if i != iban)
    return Booking(
        tx=tx,
        decision=decision,
        lines=tuple(lines),
        entries=tuple(entries),
        decided_at=now,
        payer_ibans=forget,
        expected_status="allocated",
        revision=revision,
    )


# ---------------------------------------------------------------- groups of bookings

MAX_GROUP_ITEMS = 100
"""Items of one atomic write (DynamoDB's limit for one TransactWriteItems)."""


def lease_deltas(booking: Booking) -> dict[str, int]:
    """Every lease the booking writes, with the change of its balance (0: IBANs or
    a dunning flag only), in the order the lines name them."""
    deltas: dict[str, int] = {}
    for line in booking.lines:
        deltas[line.lease_id] = deltas.get(line.lease_id, 0) + line.amount_cents
    for lease_id in (*booking.payer_ibans, *booking.dunning):
        deltas.setdefault(lease_id, 0)
    return deltas


def written_items(booking: Booking) -> list[tuple[str, ...]]:
    """The stored items one booking writes, named by kind and key: one each."""
    tx = booking.tx
    items: list[tuple[str, ...]] = [("transaction", tx.org_id, tx.transaction_id)]
    items += [("ledger", line.org_id, line.lease_id, line.line_id) for line in booking.lines]
    items += [("lease", tx.org_id, lease_id) for lease_id in lease_deltas(booking)]
    items += [("entry", e.org_id, e.entry_id) for e in booking.entries]
    for e2e in (booking.collection_e2e, booking.reverses_e2e):
        if e2e:
            items.append(("collection", tx.org_id, e2e))
    return items


def pack_groups(bookings: Sequence[Booking], limit: int = MAX_GROUP_ITEMS) -> list[list[int]]:
    """Consecutive runs of bookings (their positions) that can be written at once.

    A group holds at most ``limit`` items and never writes one item twice (two
    payments to one lease, a collection and its return): the later booking opens
    the next group, so that groups written in order keep the bookings' order. A
    booking larger than ``limit`` is a group of its own.
    """
    groups: list[list[int]] = []
    current: list[int] = []
    seen: set[tuple[str, ...]] = set()
    for i, booking in enumerate(bookings):
        items = written_items(booking)
        clash = any(item in seen for item in items) or len(set(items)) < len(items)
        if current and (clash or len(seen) + len(items) > limit):
            groups.append(current)
            current, seen = [], set()
        current.append(i)
        seen.update(items)
    if current:
        groups.append(current)
    return groups


class Written(Enum):
    """What became of one booking of a group written at once."""

    BOOKED = "booked"
    LEFT = "left"
    """The transaction had left the expected status already (another delivery decided
    it): nothing written, nothing to retry."""
    STALE = "stale"
    """A lease (or a collection) changed since it was read: book it again alone, with
    fresh reads."""
    WAITING = "waiting"
    """Not written because another booking of its group failed: write it again."""
