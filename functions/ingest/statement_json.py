"""A :class:`ParsedFile` as JSON-ready dicts: the full shape and the summary.

Used by ``encaisse statement parse`` and by the golden-file tests, so the
shape is a contract: amounts are signed decimal strings (``"-12.34"``), dates
``YYYY-MM-DD``, absent values ``None``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from functions.core.money import format_cents
from functions.core.records import payment_details
from functions.core.statements import Balance, Entry, ParsedFile, Reject, Statement, Transaction

if TYPE_CHECKING:
    from functions.ingest.parsers import StatementStream


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _balance(balance: Balance | None) -> dict[str, Any] | None:
    if balance is None:
        return None
    return {"amount": format_cents(balance.amount_cents), "date": _day(balance.date)}


def _transaction(tx: Transaction) -> dict[str, Any]:
    return {"amount": format_cents(tx.amount_cents), **payment_details(tx)}


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "amount": format_cents(entry.amount_cents),
        "currency": entry.currency,
        "booking_date": _day(entry.booking_date),
        "value_date": _day(entry.value_date),
        "status": entry.status.value,
        "reversal": entry.reversal,
        "bank_reference": entry.bank_reference,
        "bank_transaction_code": entry.bank_transaction_code,
        "transactions": [_transaction(tx) for tx in entry.transactions],
    }


def _statement(statement: Statement) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": statement.id,
        "account_iban": statement.account_iban,
        "account_other_id": statement.account_other_id,
        "currency": statement.currency,
        "opening_balance": _balance(statement.opening_balance),
        "closing_balance": _balance(statement.closing_balance),
        "entries": [_entry(entry) for entry in statement.entries],
    }
    if statement.notes:  # only when the parser assumed something
        rendered["notes"] = list(statement.notes)
    return rendered


def _reject(reject: Reject) -> dict[str, Any]:
    return {
        "original_end_to_end_id": reject.original_end_to_end_id,
        "amount": format_cents(reject.amount_cents) if reject.amount_cents is not None else None,
        "reason": reject.reason,
        "mandate_id": reject.mandate_id,
    }


def to_json(parsed: ParsedFile) -> dict[str, Any]:
    """The full rendering: every statement, entry, transaction and reject."""
    return {
        "format": parsed.format,
        "statements": [_statement(s) for s in parsed.statements],
        "rejects": [_reject(r) for r in parsed.rejects],
    }


def to_summary(parsed: ParsedFile) -> dict[str, Any]:
    """Counts and sums per statement; ``credits``/``debits`` are positive sums
    of the credit and debit entries; ``transactions`` counts an entry without
    details as one (as :meth:`ParsedFile.transactions` does); ``rejects`` is
    the number of pain.002 rejects."""
    statements = []
    for s in parsed.statements:
        tally = _Tally()
        for entry in s.entries:
            tally.add(entry)
        statements.append(tally.row(s))
    return {"format": parsed.format, "statements": statements, "rejects": len(parsed.rejects)}


def stream_summary(stream: StatementStream) -> dict[str, Any]:
    """:func:`to_summary` of a file read entry by entry: memory stays that
    of one entry, however long the file."""
    statements = []
    tally = _Tally()
    for statement, entry in stream.items():
        if entry is None:
            statements.append(tally.row(statement))
            tally = _Tally()
        else:
            tally.add(entry)
    return {"format": stream.format, "statements": statements, "rejects": len(stream.rejects)}


class _Tally:
    """One statement's counts and sums, entry by entry."""

    __slots__ = ("credits", "debits", "entries", "transactions")

    def __init__(self) -> None:
        self.entries = self.transactions = self.credits = self.debits = 0

    def add(self, entry: Entry) -> None:
        self.entries += 1
        self.transactions += max(1, len(entry.transactions))
        if entry.amount_cents > 0:
            self.credits += entry.amount_cents
        else:
            self.debits -= entry.amount_cents

    def row(self, s: Statement) -> dict[str, Any]:
        return {
            "id": s.id,
            "account_iban": s.account_iban,
            "currency": s.currency,
            "entries": self.entries,
            "transactions": self.transactions,
            "credits": format_cents(self.credits),
            "debits": format_cents(self.debits),
            "opening_balance": _balance(s.opening_balance),
            "closing_balance": _balance(s.closing_balance),
        } | ({"notes": list(s.notes)} if s.notes else {})
