"""The normalized model every bank-file parser produces.

One shape for CAMT.052/053/054, MT940/MT942, CFONB 120 and pain.002, so that
matching never needs to know which format a payment came from.

Amounts are signed integer cents: a credit to the landlord's account is
positive, a debit negative. Dates are plain ``datetime.date`` values (the
booking *day* as the bank states it, never a naive datetime).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol


class EntryStatus(StrEnum):
    BOOKED = "BOOK"
    PENDING = "PDNG"
    INFO = "INFO"


@dataclass(frozen=True, slots=True)
class Balance:
    amount_cents: int
    date: date | None


# Entry and Transaction are values: nothing changes one once it is built (use
# dataclasses.replace). They are not declared frozen because a frozen
# dataclass's __init__ sets each field through object.__setattr__, five times
# the cost of a plain one, and the parsers build two per bank entry: a third
# of the time left in reading a 100,000-entry statement. unsafe_hash keeps
# them hashable by value, as frozen ones are.
@dataclass(slots=True, unsafe_hash=True)
class Transaction:
    """One payment inside an entry (a CAMT ``TxDtls``; an MT940/CFONB line).

    ``creditor_account_iban`` is the account the payer sent the money to: for a
    credit to a virtual IBAN, that vIBAN.
    """

    amount_cents: int
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    creditor_account_iban: str | None = None
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    remittance: str | None = None
    structured_reference: str | None = None
    return_reason: str | None = None
    original_end_to_end_id: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class Entry:
    """One booking on the account statement (a CAMT ``Ntry``, an MT940 :61:)."""

    amount_cents: int
    currency: str
    booking_date: date | None
    value_date: date | None
    status: EntryStatus = EntryStatus.BOOKED
    reversal: bool = False
    bank_reference: str | None = None
    bank_transaction_code: str | None = None
    transactions: tuple[Transaction, ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    """One account's statement, report or notification."""

    id: str | None
    account_iban: str | None
    account_other_id: str | None
    currency: str
    opening_balance: Balance | None
    closing_balance: Balance | None
    entries: tuple[Entry, ...] = ()
    # What the parser had to assume to read the statement (e.g. a zone the
    # bank left blank), for whoever checks it.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reject:
    """A rejected direct-debit collection from a pain.002 status report."""

    original_end_to_end_id: str | None
    amount_cents: int | None
    reason: str | None
    mandate_id: str | None = None


class StatementSource(Protocol):
    """What turns into bank transactions: a :class:`ParsedFile`, or a file
    read entry by entry (``functions.ingest.parsers.StatementStream``)."""

    @property
    def format(self) -> str: ...

    @property
    def rejects(self) -> tuple[Reject, ...]: ...

    def transactions(self) -> Iterator[tuple[Statement, Entry, Transaction]]: ...


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Everything one bank file holds. ``format`` is e.g. ``camt.054.001.04``."""

    format: str
    statements: tuple[Statement, ...] = ()
    rejects: tuple[Reject, ...] = field(default=())

    def transactions(self) -> Iterator[tuple[Statement, Entry, Transaction]]:
        """Every transaction with its statement and entry, in file order.

        An entry without transaction details yields one transaction carrying
        the entry's amount, so every booking reaches matching.
        """
        for statement in self.statements:
            for entry in statement.entries:
                if entry.transactions:
                    for tx in entry.transactions:
                        yield statement, entry, tx
                else:
                    yield statement, entry, Transaction(amount_cents=entry.amount_cents)
