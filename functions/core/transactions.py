"""Bank transactions as Encaisse records them: one record per payment, with an id
that depends only on what the bank says about it, never on the file.

So the same file uploaded twice, a ZIP holding an already-seen statement, and
an intraday CAMT.052 followed by the day's CAMT.053 all give the same ids, and
a conditional write books each payment once. The id rests on the bank's
reference and end-to-end id when there are any (not on the remittance text,
which a bank may change between an intraday and an end-of-day statement). Two
genuinely identical payments (same day, amount, payer, no bank reference) are
told apart by their rank among identical keys within the file, which is stable
across re-deliveries.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from functions.core.statements import Entry, Reject, Statement, StatementSource, Transaction


class TransactionStatus(StrEnum):
    NEW = "new"
    ALLOCATED = "allocated"
    UNMATCHED = "unmatched"
    REVIEW = "review"
    NOT_RENT = "not_rent"


class TransactionKind(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class BankTransaction:
    """One payment to book, with where it came from."""

    org_id: str
    transaction_id: str
    kind: TransactionKind
    amount_cents: int
    currency: str
    booking_date: date | None
    value_date: date | None
    account_iban: str | None
    statement_id: str | None
    bank_reference: str | None
    bank_transaction_code: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    creditor_account_iban: str | None
    end_to_end_id: str | None
    mandate_id: str | None
    remittance: str | None
    structured_reference: str | None
    return_reason: str | None
    original_end_to_end_id: str | None
    reversal: bool
    file_id: str
    status: TransactionStatus = TransactionStatus.NEW

    @property
    def is_credit(self) -> bool:
        return self.kind is TransactionKind.CREDIT


def _identity(parts: tuple[object, ...]) -> str:
    return "\x1f".join("" if p is None else str(p) for p in parts)


def _transaction_key(
    org_id: str, st: Statement, entry: Entry, tx: Transaction
) -> tuple[object, ...]:
    """What identifies a payment: the account, date, amount and direction,
    with the bank's reference and the end-to-end id when the bank gives them.

    A bank may send the same payment again with another remittance text (an
    intraday camt.052, then the day's camt.053), so the free text enters the
    key only when there is no reference at all; two payments with no
    reference and the same amount and date are then told apart by their
    payer, their text and, failing all, their rank in the file.
    """
    account = st.account_iban or st.account_other_id
    day = entry.booking_date or entry.value_date
    reference = _reference(entry.bank_reference)
    end_to_end = _reference(tx.end_to_end_id)
    if end_to_end:
        return (org_id, account, day, tx.amount_cents, entry.reversal, reference, end_to_end)
    if reference:
        # A batch entry's reference is shared by its payments: their payers
        # tell them apart (the text may change from one report to the next).
        payer = tx.counterparty_iban
        return (org_id, account, day, tx.amount_cents, entry.reversal, reference, None, payer)
    return (
        org_id,
        account,
        day,
        tx.amount_cents,
        entry.reversal,
        None,
        None,
        tx.counterparty_iban,
        tx.creditor_account_iban,
        tx.structured_reference,
        tx.remittance,
    )


# What some banks write where there is no reference.
_NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED", "NOREF", "NONE"})


def _reference(value: str | None) -> str | None:
    if value is None or value.strip().upper() in _NO_REFERENCE:
        return None
    return value


def transaction_id(key: tuple[object, ...], rank: int) -> str:
    digest = hashlib.sha256(f"{_identity(key)}\x1e{rank}".encode()).hexdigest()
    return f"tx_{digest[:32]}"


def bank_transactions(
    org_id: str, parsed: StatementSource, file_id: str
) -> Iterator[BankTransaction]:
    """Every transaction of a parsed file as a record with its deterministic id."""
    seen: Counter[tuple[object, ...]] = Counter()
    for st, entry, tx in parsed.transactions():
        key = _transaction_key(org_id, st, entry, tx)
        rank = seen[key]
        seen[key] += 1
        signed = tx.amount_cents
        kind = (
            TransactionKind.CREDIT if signed > 0 and not entry.reversal else TransactionKind.DEBIT
        )
        if entry.reversal or tx.return_reason:
            kind = TransactionKind.REJECT
        yield BankTransaction(
            org_id=org_id,
            transaction_id=transaction_id(key, rank),
            kind=kind,
            amount_cents=signed,
            currency=entry.currency,
            booking_date=entry.booking_date,
            value_date=entry.value_date,
            account_iban=st.account_iban,
            statement_id=st.id,
            bank_reference=entry.bank_reference,
            bank_transaction_code=entry.bank_transaction_code,
            counterparty_name=tx.counterparty_name,
            counterparty_iban=tx.counterparty_iban,
            creditor_account_iban=tx.creditor_account_iban,
            end_to_end_id=tx.end_to_end_id,
            mandate_id=tx.mandate_id,
            remittance=tx.remittance,
            structured_reference=tx.structured_reference,
            return_reason=tx.return_reason,
            original_end_to_end_id=tx.original_end_to_end_id,
            reversal=entry.reversal,
            file_id=file_id,
        )
    yield from _reject_transactions(org_id, parsed.rejects, file_id)


def _reject_transactions(
    org_id: str, rejects: tuple[Reject, ...], file_id: str
) -> Iterator[BankTransaction]:
    seen: Counter[tuple[object, ...]] = Counter()
    for rj in rejects:
        key = (org_id, "pain.002", rj.original_end_to_end_id, rj.amount_cents, rj.reason)
        rank = seen[key]
        seen[key] += 1
        yield BankTransaction(
            org_id=org_id,
            transaction_id=transaction_id(key, rank),
            kind=TransactionKind.REJECT,
            amount_cents=-(rj.amount_cents or 0),
            currency="EUR",
            booking_date=None,
            value_date=None,
            account_iban=None,
            statement_id=None,
            bank_reference=None,
            bank_transaction_code=None,
            counterparty_name=None,
            counterparty_iban=None,
            creditor_account_iban=None,
            end_to_end_id=None,
            mandate_id=rj.mandate_id,
            remittance=None,
            structured_reference=None,
            return_reason=rj.reason,
            original_end_to_end_id=rj.original_end_to_end_id,
            reversal=True,
            file_id=file_id,
        )
