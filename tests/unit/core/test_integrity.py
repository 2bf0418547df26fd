"""The books' invariants on hand-built snapshots (functions/core/integrity.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from functions.core.accounting import AccountingEntry, EntryLine, SourceType
from functions.core.allocation import Allocation
from functions.core.integrity import BooksSnapshot, TransactionRecord, check_books
from functions.core.ledger import LedgerLine, LineKind
from functions.core.transactions import TransactionStatus

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _line(lease: str, amount: int, source: str, n: str = "") -> LedgerLine:
    kind = LineKind.PAYMENT if source.startswith("tx_") else LineKind.RENT_CALL
    return LedgerLine("o", lease, f"{source}{n}#{lease}", kind, date(2026, 11, 20), amount, "x",
                      source, NOW)  # fmt: skip


def _entry(tx: str, lease: str | None = "L1") -> AccountingEntry:
    lines = (EntryLine("512", 100, 0), EntryLine("411", 0, 100))
    return AccountingEntry("o", f"e-{tx}", date(2026, 11, 20), "BQ", "x", SourceType.ALLOCATION,
                           tx, tx, lease, lines, NOW)  # fmt: skip


def _healthy() -> BooksSnapshot:
    return BooksSnapshot(
        "o",
        {"L1": 0, "L2": 500},
        [_line("L1", 500, "rc1"), _line("L1", -500, "tx_a"), _line("L2", 500, "rc2")],
        [
            TransactionRecord("tx_a", TransactionStatus.ALLOCATED, 500, (Allocation("L1", 500),)),
            TransactionRecord("tx_b", TransactionStatus.NEW, 300),
        ],
        [_entry("tx_a")],
    )


def _rules(books: BooksSnapshot) -> set[tuple[str, str]]:
    return {(v.rule, v.subject) for v in check_books(books).violations}


def test_consistent_books_pass() -> None:
    report = check_books(_healthy())
    assert report.ok and (report.leases, report.lines, report.transactions) == (2, 3, 2)


def test_balance_without_its_ledger_line() -> None:
    books = _healthy()
    books.balances["L2"] = 400
    assert _rules(books) == {("balance", "L2")}


def test_allocation_without_ledger_lines_or_entries() -> None:
    books = _healthy()
    broken = BooksSnapshot(
        "o", {"L1": 500, "L2": 500}, [books.lines[0], books.lines[2]], books.transactions, []
    )
    assert _rules(broken) == {("allocation", "tx_a")}


def test_new_transaction_already_booked_and_orphan_entry() -> None:
    books = _healthy()
    broken = BooksSnapshot(
        "o",
        {"L1": -300, "L2": 500},
        [*books.lines, _line("L1", -300, "tx_b")],
        books.transactions,
        [*books.entries, _entry("tx_gone")],
    )
    assert _rules(broken) == {("new", "tx_b"), ("source", "e-tx_gone")}


def test_unmatched_transaction_with_net_ledger_movement() -> None:
    books = _healthy()
    broken = BooksSnapshot(
        "o",
        {"L1": -300, "L2": 500},
        [*books.lines, _line("L1", -300, "tx_c")],
        [*books.transactions, TransactionRecord("tx_c", TransactionStatus.UNMATCHED, 300)],
        books.entries,
    )
    assert _rules(broken) == {("unallocated", "tx_c")}


def test_reallocation_nets_out() -> None:
    books = _healthy()
    moved = BooksSnapshot(
        "o",
        {"L1": 500, "L2": 0},
        [*books.lines, _line("L1", 500, "tx_a", "r"), _line("L2", -500, "tx_a", "p")],
        [
            TransactionRecord("tx_a", TransactionStatus.ALLOCATED, 500, (Allocation("L2", 500),)),
        ],
        books.entries,
    )
    assert check_books(moved).ok
