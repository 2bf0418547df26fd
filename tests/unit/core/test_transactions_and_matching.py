from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from functions.core.accounting import (
    AccountingEntry,
    EntryLine,
    SourceType,
    payment_entry,
    suspense_entry,
)
from functions.core.errors import ValidationError
from functions.core.lease import Lease, Tenant, rf_reference_for_viban
from functions.core.matching import Method, Outcome, decide
from functions.core.organisation import ChartOfAccounts
from functions.core.statements import Balance, Entry, ParsedFile, Reject, Statement, Transaction
from functions.core.transactions import TransactionKind, bank_transactions
from functions.core.viban import VirtualIbanRange

RANGE = VirtualIbanRange("30004", "00821", "57")
ORG = "org-a"


def _lease(n: int, org: str = ORG) -> Lease:
    viban = RANGE.iban_for(n)
    return Lease(
        org_id=org,
        lease_id=f"L{n}",
        tenants=(Tenant("Zoé LEFÈVRE"),),
        residence="R",
        commune="Orléans",
        unit="1",
        start_date=date(2020, 1, 1),
        rent_cents=50_000,
        charges_cents=8_000,
        viban=viban,
        rf_reference=rf_reference_for_viban(viban),
    )


class Directory:
    def __init__(self, *leases: Lease) -> None:
        self.leases = leases

    def by_viban(self, org_id: str, iban: str) -> Lease | None:
        return next((x for x in self.leases if x.org_id == org_id and x.viban == iban), None)

    def by_rf(self, org_id: str, reference: str) -> Lease | None:
        return next(
            (x for x in self.leases if x.org_id == org_id and x.rf_reference == reference), None
        )


def _file(*txs: Transaction, reversal: bool = False, ref: str | None = None) -> ParsedFile:
    entries = tuple(
        Entry(
            t.amount_cents,
            "EUR",
            date(2026, 11, 20),
            date(2026, 11, 20),
            reversal=reversal,
            bank_reference=ref,
            transactions=(t,),
        )
        for t in txs
    )
    st = Statement(
        "S1",
        "FR7630004008210000042000140",
        None,
        "EUR",
        Balance(0, date(2026, 11, 19)),
        None,
        entries,
    )
    return ParsedFile("camt.054.001.04", (st,))


def test_ids_are_deterministic_and_independent_of_the_file() -> None:
    t = Transaction(65_000, "M. DUPONT", creditor_account_iban=RANGE.iban_for(1))
    first = [x.transaction_id for x in bank_transactions(ORG, _file(t), "file-1")]
    again = [x.transaction_id for x in bank_transactions(ORG, _file(t), "file-2")]
    assert first == again
    other_org = [x.transaction_id for x in bank_transactions("org-b", _file(t), "file-1")]
    assert first != other_org


def test_identical_payments_in_one_file_stay_two_payments() -> None:
    t = Transaction(10_000, "M. DUPONT")
    ids = [x.transaction_id for x in bank_transactions(ORG, _file(t, t), "f")]
    assert len(set(ids)) == 2
    # the day's final statement repeating both (plus one more) gives the same two ids
    ids_053 = [x.transaction_id for x in bank_transactions(ORG, _file(t, t, t), "g")]
    assert ids_053[:2] == ids and ids_053[2] not in ids


def test_kinds() -> None:
    credit, debit = Transaction(100), Transaction(-100)
    kinds = [x.kind for x in bank_transactions(ORG, _file(credit, debit), "f")]
    assert kinds == [TransactionKind.CREDIT, TransactionKind.DEBIT]
    returned = [
        x.kind
        for x in bank_transactions(
            ORG, _file(Transaction(-100, return_reason="AM04"), reversal=True), "f"
        )
    ]
    assert returned == [TransactionKind.REJECT]
    rejects = ParsedFile("pain.002.001.03", rejects=(Reject("E2E-1", 6_500, "MD06", "RUM-1"),))
    (rj,) = bank_transactions(ORG, rejects, "f")
    assert rj.kind is TransactionKind.REJECT and rj.amount_cents == -6_500
    assert rj.return_reason == "MD06" and rj.original_end_to_end_id == "E2E-1"


def test_viban_credit_is_allocated_to_its_lease_even_after_the_lease_ended() -> None:
    lease = replace(_lease(7), end_date=date(2025, 6, 30))
    (tx,) = bank_transactions(
        ORG, _file(Transaction(12_345, creditor_account_iban=lease.viban)), "f"
    )
    d = decide(tx, Directory(_lease(6), lease))
    assert d.outcome is Outcome.ALLOCATED and d.method is Method.VIBAN and d.score == 1.0
    assert [(a.lease_id, a.amount_cents) for a in d.allocations] == [("L7", 12_345)]
    assert lease.viban not in " ".join(d.evidence)  # IBANs never in clear in evidence


def test_rf_reference_allocates_whatever_account_was_paid() -> None:
    lease = _lease(9)
    t = Transaction(5_000, structured_reference=lease.rf_reference.lower())
    (tx,) = bank_transactions(ORG, _file(t), "f")
    d = decide(tx, Directory(lease))
    assert d.outcome is Outcome.ALLOCATED and d.method is Method.RF_REFERENCE
    wrong_check = "RF00" + lease.rf_reference[4:]
    (tx2,) = bank_transactions(
        ORG, _file(Transaction(5_000, structured_reference=wrong_check)), "f"
    )
    assert decide(tx2, Directory(lease)).outcome is Outcome.UNMATCHED


def test_another_landlords_viban_never_matches() -> None:
    theirs = _lease(3, org="org-b")
    (tx,) = bank_transactions(ORG, _file(Transaction(100, creditor_account_iban=theirs.viban)), "f")
    assert decide(tx, Directory(theirs)).outcome is Outcome.UNMATCHED


def test_unknown_credit_is_unmatched_and_debits_are_not_rent() -> None:
    unknown = Transaction(100, creditor_account_iban="FR7630006000011234567890189")
    tx_u, tx_d = bank_transactions(ORG, _file(unknown, Transaction(-500)), "f")
    assert decide(tx_u, Directory(_lease(1))).outcome is Outcome.UNMATCHED
    assert decide(tx_d, Directory(_lease(1))).outcome is Outcome.NOT_RENT


def test_entries_balance() -> None:
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    (tx,) = bank_transactions(ORG, _file(Transaction(65_000, "Mme Zoé LEFÈVRE")), "f")
    chart = ChartOfAccounts()
    pay = payment_entry(chart, tx, "L1", 65_000, now)
    assert pay.amount_cents == 65_000
    assert [(x.account, x.subledger, x.debit_cents, x.credit_cents) for x in pay.lines] == [
        ("512000", None, 65_000, 0),
        ("411000", "L1", 0, 65_000),
    ]
    sus = suspense_entry(chart, tx, now)
    assert [x.account for x in sus.lines] == ["512000", "471000"]
    assert sus.source_type is SourceType.UNMATCHED and pay.entry_id != sus.entry_id
    with pytest.raises(ValidationError):
        AccountingEntry(
            ORG,
            "e",
            date(2026, 1, 1),
            "BQ",
            "x",
            SourceType.MANUAL,
            "s",
            "t",
            None,
            (EntryLine("512000", 1, 0), EntryLine("471000", 0, 2)),
            now,
        )
