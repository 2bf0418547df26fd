"""Typed records that cross the boundaries between storage, services and the API.

Repositories return these (never storage items); the API and the CLI shape their
JSON from them. The fields a bank gives about a payment are listed once here
(:data:`PAYMENT_DETAILS`), for the parsed statement's JSON and for the API's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    # Named in annotations only: importing the matching package here made every
    # reader of PAYMENT_DETAILS (the CLI's statement parse) load it.
    from functions.core.matching import MatchDecision
    from functions.core.transactions import BankTransaction, TransactionStatus

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; ``cursor`` (opaque) fetches the next one, None at the end."""

    items: Sequence[T]
    cursor: str | None


# ---------------------------------------------------------------- payment details

PAYMENT_DETAILS = (
    "counterparty_name",
    "counterparty_iban",
    "creditor_account_iban",
    "end_to_end_id",
    "mandate_id",
    "remittance",
    "structured_reference",
    "return_reason",
    "original_end_to_end_id",
)
"""What the bank says about one payment, beyond its amount (statements.Transaction and
BankTransaction both carry these)."""


class _HasPaymentDetails(Protocol):
    @property
    def counterparty_name(self) -> str | None: ...


def payment_details(tx: _HasPaymentDetails) -> dict[str, str | None]:
    """The :data:`PAYMENT_DETAILS` of a parsed or recorded transaction."""
    return {name: getattr(tx, name) for name in PAYMENT_DETAILS}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def transaction_view(tx: BankTransaction) -> dict[str, str | None]:
    """A recorded transaction as JSON-ready text (amounts are left to the caller)."""
    return {
        "transaction_id": tx.transaction_id,
        "status": tx.status.value,
        "kind": tx.kind.value,
        "currency": tx.currency,
        "booking_date": _day(tx.booking_date),
        "value_date": _day(tx.value_date),
        "account_iban": tx.account_iban,
        "statement_id": tx.statement_id,
        "bank_reference": tx.bank_reference,
        "bank_transaction_code": tx.bank_transaction_code,
        **payment_details(tx),
        "file_id": tx.file_id,
    }


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """A decision as recorded on its transaction: what was decided, when, by whom
    (``decision.confirmed_by``); for an entry of the history, when it was replaced."""

    decision: MatchDecision
    decided_at: datetime | None
    replaced_at: datetime | None = None
    revision: int | None = None


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    """A transaction with its current decision, the decision's revision and the
    decisions it replaced (oldest first)."""

    transaction: BankTransaction
    decision: RecordedDecision | None = None
    revision: int = 0
    history: tuple[RecordedDecision, ...] = ()

    @property
    def transaction_id(self) -> str:
        return self.transaction.transaction_id

    @property
    def status(self) -> TransactionStatus:
        return self.transaction.status


# ---------------------------------------------------------------- statement files


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One distinct statement file (its content's SHA-256 is ``file_id``) an
    organisation sent, and what became of it: ``status`` is ``ingested`` (with the
    counts) or ``quarantined`` (with ``error``); ``duplicates`` counts the same content
    sent again."""

    org_id: str
    file_id: str
    key: str
    name: str
    size: int
    received_at: datetime | None = None
    status: str | None = None
    format: str | None = None
    statements: int | None = None
    transactions: int | None = None
    new_transactions: int | None = None
    rejects: int | None = None
    duplicates: int | None = None
    error: Mapping[str, Any] | None = None
