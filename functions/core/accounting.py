"""Double-entry accounting entries for the landlord's ERP.

Each entry balances (total debit = total credit). A payment allocated to a lease
debits the bank account and credits the tenant sub-ledger of that lease; a
credit nobody can allocate yet goes to the suspense account until a person
decides.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from functions.core.errors import ValidationError
from functions.core.money import format_cents
from functions.core.organisation import ChartOfAccounts
from functions.core.transactions import BankTransaction


class SourceType(StrEnum):
    ALLOCATION = "allocation"
    UNMATCHED = "unmatched"
    REVERSAL = "reversal"
    MANUAL = "manual"
    OPENING_BALANCE = "opening_balance"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class EntryLine:
    account: str
    debit_cents: int
    credit_cents: int
    subledger: str | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class AccountingEntry:
    org_id: str
    entry_id: str
    date: date
    journal: str
    label: str
    source_type: SourceType
    source_id: str
    transaction_id: str
    lease_id: str | None
    lines: tuple[EntryLine, ...]
    created_at: datetime

    def __post_init__(self) -> None:
        debit = sum(line.debit_cents for line in self.lines)
        credit = sum(line.credit_cents for line in self.lines)
        if debit != credit:
            raise ValidationError("lines", f"entry does not balance: {debit} != {credit}")
        if self.created_at.tzinfo is None:
            raise ValidationError("created_at", "must be timezone-aware")

    @property
    def amount_cents(self) -> int:
        return sum(line.debit_cents for line in self.lines)


def entry_id_for(created_at: datetime, source_id: str) -> str:
    """Sortable by creation time, unique per source: the ERP's polling cursor."""
    digest = hashlib.sha256(source_id.encode()).hexdigest()[:12]
    return f"{created_at.strftime('%Y%m%dT%H%M%S%fZ')}-{digest}"


def _label(tx: BankTransaction) -> str:
    who = tx.counterparty_name or "payeur inconnu"
    return f"Virement {who}"[:120]


def payment_entry(
    chart: ChartOfAccounts,
    tx: BankTransaction,
    lease_id: str,
    amount_cents: int,
    created_at: datetime,
) -> AccountingEntry:
    """Bank (debit) / tenant sub-ledger of the lease (credit)."""
    source_id = f"{tx.transaction_id}:{lease_id}"
    label = _label(tx)
    return AccountingEntry(
        org_id=tx.org_id,
        entry_id=entry_id_for(created_at, source_id),
        date=tx.booking_date or tx.value_date or created_at.date(),
        journal=chart.journal,
        label=label,
        source_type=SourceType.ALLOCATION,
        source_id=source_id,
        transaction_id=tx.transaction_id,
        lease_id=lease_id,
        lines=(
            EntryLine(chart.bank, amount_cents, 0, None, label),
            EntryLine(chart.tenants, 0, amount_cents, lease_id, label),
        ),
        created_at=created_at,
    )


def suspense_entry(
    chart: ChartOfAccounts, tx: BankTransaction, created_at: datetime
) -> AccountingEntry:
    """Bank (debit) / suspense (credit): the money is in, its tenant is not known yet."""
    label = f"{_label(tx)} (en attente d'affectation)"[:120]
    return AccountingEntry(
        org_id=tx.org_id,
        entry_id=entry_id_for(created_at, tx.transaction_id),
        date=tx.booking_date or tx.value_date or created_at.date(),
        journal=chart.journal,
        label=label,
        source_type=SourceType.UNMATCHED,
        source_id=tx.transaction_id,
        transaction_id=tx.transaction_id,
        lease_id=None,
        lines=(
            EntryLine(chart.bank, tx.amount_cents, 0, None, label),
            EntryLine(chart.suspense, 0, tx.amount_cents, None, label),
        ),
        created_at=created_at,
    )


def balance_operation_entry(
    chart: ChartOfAccounts,
    org_id: str,
    lease_id: str,
    source_type: SourceType,
    reference: str,
    day: date,
    amount_cents: int,
    label: str,
    created_at: datetime,
) -> AccountingEntry:
    """An opening balance or an adjustment: the tenant sub-ledger against its counterpart.

    ``amount_cents`` is signed like the balance: owed by the tenant debits the tenant
    account (opening balance: against the opening account, in the opening journal;
    adjustment: against the adjustments account, in the miscellaneous journal); a
    credit is the other way round.
    """
    if source_type is SourceType.OPENING_BALANCE:
        counterpart, journal = chart.opening, chart.opening_journal
    else:
        counterpart, journal = chart.adjustments, chart.adjustments_journal
    owed, credit = max(amount_cents, 0), max(-amount_cents, 0)
    source_id = f"{lease_id}:{source_type.value}:{reference}"
    return AccountingEntry(
        org_id=org_id,
        entry_id=entry_id_for(created_at, source_id),
        date=day,
        journal=journal,
        label=label[:120],
        source_type=source_type,
        source_id=source_id,
        transaction_id="",
        lease_id=lease_id,
        lines=(
            EntryLine(chart.tenants, owed, credit, lease_id, label[:120]),
            EntryLine(counterpart, credit, owed, None, label[:120]),
        ),
        created_at=created_at,
    )


def entry_as_dict(entry: AccountingEntry) -> dict[str, Any]:
    """The JSON shape of an entry, as the ERP reads it (API and webhook alike)."""
    return {
        "entry_id": entry.entry_id,
        "date": entry.date.isoformat(),
        "journal": entry.journal,
        "label": entry.label,
        "amount": format_cents(entry.amount_cents),
        "currency": "EUR",
        "lease_id": entry.lease_id,
        "source": {
            "type": entry.source_type.value,
            "id": entry.source_id,
            "transaction_id": entry.transaction_id,
        },
        "lines": [
            {
                "account": line.account,
                "subledger": line.subledger,
                "debit": format_cents(line.debit_cents),
                "credit": format_cents(line.credit_cents),
                "label": line.label,
            }
            for line in entry.lines
        ],
        "created_at": entry.created_at.isoformat(),
    }


CSV_COLUMNS = (
    "entry_id",
    "date",
    "journal",
    "account",
    "subledger",
    "label",
    "debit",
    "credit",
    "lease_id",
    "transaction_id",
    "source_type",
)


# What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula
    (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def entries_as_csv(entries: list[AccountingEntry]) -> str:
    """One row per entry line, ``;``-separated with decimal commas (French spreadsheets)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        for line in e.lines:
            writer.writerow(
                (
                    csv_safe(e.entry_id),
                    e.date.isoformat(),
                    csv_safe(e.journal),
                    csv_safe(line.account),
                    csv_safe(line.subledger or ""),
                    csv_safe(line.label),
                    # amounts are ours: digits, a comma and maybe a minus sign, read as numbers
                    format_cents(line.debit_cents).replace(".", ","),
                    format_cents(line.credit_cents).replace(".", ","),
                    csv_safe(e.lease_id or ""),
                    csv_safe(e.transaction_id),
                    e.source_type.value,
                )
            )
    return out.getvalue()
