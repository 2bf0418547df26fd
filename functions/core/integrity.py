"""The books' invariants, checked on a snapshot of one organisation.

What must hold whatever crashed, retried or raced (issue 9, item 2):

* every lease's cached balance equals the sum of its ledger lines;
* an allocated transaction has its ledger lines (net, per lease, the opposite of
  what its current decision allocates: reallocations reverse their old lines)
  and at least one accounting entry;
* a transaction that is not allocated leaves no net ledger movement, and one
  still ``new`` has neither ledger line nor entry;
* every ledger line and every accounting entry has its source (the transaction
  it names exists; a line's or entry's lease exists).

The snapshot is read by an adapter; this module is pure, so the same check runs
on the emulator, in AWS and on hand-built states in the tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from functions.core.accounting import AccountingEntry
from functions.core.allocation import Allocation
from functions.core.ledger import LedgerLine
from functions.core.transactions import TransactionStatus


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    """What the check needs of a stored transaction."""

    transaction_id: str
    status: TransactionStatus
    amount_cents: int
    allocations: tuple[Allocation, ...] = ()


@dataclass(frozen=True, slots=True)
class BooksSnapshot:
    org_id: str
    balances: dict[str, int]
    """Lease id → cached balance (cents)."""
    lines: Sequence[LedgerLine]
    transactions: Sequence[TransactionRecord]
    entries: Sequence[AccountingEntry]


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str  # balance | allocation | unallocated | new | source
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.detail}"


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    org_id: str
    leases: int
    lines: int
    transactions: int
    entries: int
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def check_books(books: BooksSnapshot) -> IntegrityReport:
    violations: list[Violation] = []
    violations += _balances(books)
    violations += _transactions(books)
    violations += _sources(books)
    return IntegrityReport(
        books.org_id,
        len(books.balances),
        len(books.lines),
        len(books.transactions),
        len(books.entries),
        tuple(violations),
    )


def _balances(books: BooksSnapshot) -> list[Violation]:
    sums: dict[str, int] = defaultdict(int)
    for line in books.lines:
        sums[line.lease_id] += line.amount_cents
    return [
        Violation(
            "balance",
            lease_id,
            f"solde {balance} centimes, somme des lignes du compte {sums.get(lease_id, 0)}",
        )
        for lease_id, balance in sorted(books.balances.items())
        if balance != sums.get(lease_id, 0)
    ]


def _transactions(books: BooksSnapshot) -> list[Violation]:
    net: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in books.lines:
        net[line.source_id][line.lease_id] += line.amount_cents
    with_entries = {e.transaction_id for e in books.entries if e.transaction_id}
    out: list[Violation] = []
    for tx in books.transactions:
        moved = {lid: v for lid, v in net.get(tx.transaction_id, {}).items() if v}
        tid = tx.transaction_id
        if tx.status is TransactionStatus.ALLOCATED:
            if not net.get(tid):
                out.append(Violation("allocation", tid, "affectée sans ligne au compte locataire"))
            elif tx.amount_cents > 0:
                expected: dict[str, int] = defaultdict(int)
                for a in tx.allocations:
                    expected[a.lease_id] -= a.amount_cents
                if {k: v for k, v in expected.items() if v} != moved:
                    out.append(
                        Violation(
                            "allocation",
                            tid,
                            f"lignes {dict(sorted(moved.items()))} "
                            f"≠ affectation {dict(sorted(expected.items()))}",
                        )
                    )
            if tid not in with_entries:
                out.append(Violation("allocation", tid, "affectée sans écriture comptable"))
        elif tx.status is TransactionStatus.NEW:
            if tid in net or tid in with_entries:
                out.append(Violation("new", tid, "encore « new » mais déjà comptabilisée"))
        elif moved:
            out.append(
                Violation("unallocated", tid, f"{tx.status.value} mais lignes nettes {moved}")
            )
    return out


def _sources(books: BooksSnapshot) -> list[Violation]:
    known = {tx.transaction_id for tx in books.transactions}
    out: list[Violation] = []
    for line in books.lines:
        if line.lease_id not in books.balances:
            out.append(Violation("source", line.line_id, f"bail inconnu {line.lease_id}"))
        if line.source_id.startswith("tx_") and line.source_id not in known:
            out.append(Violation("source", line.line_id, "transaction d'origine introuvable"))
    for entry in books.entries:
        if entry.transaction_id and entry.transaction_id not in known:
            out.append(Violation("source", entry.entry_id, "transaction d'origine introuvable"))
        elif entry.lease_id and entry.lease_id not in books.balances:
            out.append(Violation("source", entry.entry_id, f"bail inconnu {entry.lease_id}"))
    return out
