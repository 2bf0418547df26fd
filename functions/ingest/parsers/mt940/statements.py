"""MT940 statements and entries: a statement being read, a ``:61:`` line and
its ``:86:`` made into an entry, the finished statement."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from functions.core.statements import Balance, Entry, EntryStatus, Statement, Transaction
from functions.ingest.parsers.common import find_rf, normalize_iban
from functions.ingest.parsers.mt940.info import NO_INFO, read_info
from functions.ingest.parsers.mt940.quirks import (
    LEGACY_MIN_LENGTH,
    account_iban,
    iban_in_line,
    rabobank_legacy_counterparty,
)

# A :61: statement line: (line number, amount in cents, value date, booking
# date, reversal, type code, customer reference, bank reference,
# supplementary details). A plain tuple, built in one step.
Line = tuple[int, int, date, date, bool, str | None, str | None, str | None, str | None]


@dataclass
class OpenStatement:
    id: str | None = None
    account: str | None = None
    currency: str | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    entries: list[Entry] = field(default_factory=list)
    # The last :61: read and the :86: lines after it so far. Its entry is
    # built as soon as the next :61: (or the end of the file) shows them
    # complete: no statement line is kept once read, which took 60 MB at the
    # peak of a 100,000-entry file.
    line: Line | None = None
    info: list[str] = field(default_factory=list)
    # The (account, currency) the entries were built with, that account's
    # IBAN, and whether an entry was built with an earlier pair (a :25: or the
    # first balance read after some :61:): such entries are rebuilt at the end.
    basis: tuple[str | None, str | None] | None = None
    account_iban: str | None = None
    stale: bool = False

    def add_entry(self) -> None:
        """Build the entry of the pending statement line, if any, with the
        account and currency read so far (usually the final ones)."""
        if self.line is None:
            return
        basis = (self.account, self.currency)
        if basis != self.basis:
            self.stale = self.stale or bool(self.entries)
            self.basis = basis
            self.account_iban = account_iban(self.account, self.currency) if self.account else None
        self.entries.append(
            build_entry(self.line, self.info, self.currency or "XXX", self.account_iban)
        )
        self.line = None
        self.info = []


def to_statement(st: OpenStatement) -> Statement:
    st.add_entry()  # the last statement line's
    iban = account_iban(st.account, st.currency) if st.account else None
    currency = st.currency or "XXX"
    entries = st.entries
    if entries and (st.stale or st.basis != (st.account, st.currency)):
        entries = [_rebased(entry, currency, iban) for entry in entries]
    return Statement(
        id=st.id,
        account_iban=iban,
        account_other_id=None if iban else st.account,
        currency=currency,
        opening_balance=st.opening,
        closing_balance=st.closing,
        entries=tuple(entries),
    )


def _rebased(entry: Entry, currency: str, account_iban: str | None) -> Entry:
    """An entry built before the statement's final account or currency was
    read, as :func:`build_entry` builds it with them: they set the entry's
    currency and the creditor account of a credit."""
    (transaction,) = entry.transactions
    credit = entry.amount_cents > 0 and not entry.reversal
    return replace(
        entry,
        currency=currency,
        transactions=(
            replace(transaction, creditor_account_iban=account_iban if credit else None),
        ),
    )


_BOOKED = EntryStatus.BOOKED


def build_entry(
    line: Line, info_lines: list[str], currency: str, account_iban: str | None
) -> Entry:
    _, amount, value, booking, reversal, type_code, customer, bank, supplementary = line
    name, iban, end_to_end, mandate, remittance, return_reason = (
        read_info(info_lines) if info_lines else NO_INFO
    )
    legacy_account = legacy_name = None
    if customer is not None and len(customer) >= LEGACY_MIN_LENGTH:
        legacy_account, legacy_name = rabobank_legacy_counterparty(customer)
    # An IBAN from :86: is normalized already (normalize_iban is idempotent).
    if not iban:
        iban = iban_in_line(supplementary, customer)
        if iban is None and legacy_account and legacy_account[:2].isalpha():
            iban = legacy_account
        iban = normalize_iban(iban)
    # Positional arguments, in field order: a keyword call costs more, once
    # per line of a 100,000-line file.
    transaction = Transaction(
        amount,  # amount_cents
        name or legacy_name,  # counterparty_name
        iban,  # counterparty_iban
        account_iban if amount > 0 and not reversal else None,  # creditor_account_iban
        end_to_end,  # end_to_end_id
        mandate,  # mandate_id
        remittance,
        find_rf(remittance),  # structured_reference
        return_reason,
        end_to_end if reversal or return_reason else None,  # original_end_to_end_id
    )
    return Entry(
        amount,  # amount_cents
        currency,
        booking,  # booking_date
        value,  # value_date
        _BOOKED,
        reversal,
        bank,  # bank_reference
        type_code,  # bank_transaction_code
        (transaction,),
    )
