from __future__ import annotations

from datetime import date

import pytest

from functions.core.errors import StatementParseError
from functions.ingest.parsers import parse_bytes
from tests.unit.parsers.conftest import fixture_bytes

FIXTURE = "cfonb120_fr_latin1_crlf.txt"


def _line(data: bytes, number: int) -> str:
    return data.decode("iso-8859-1").split("\r\n")[number - 1]


def test_french_fixture_balances_and_overpunch() -> None:
    parsed = parse_bytes(fixture_bytes(FIXTURE), FIXTURE)
    assert parsed.format == "cfonb120"
    first, idle, third = parsed.statements
    assert first.account_iban == "FR7630004000312345678901429"
    assert first.opening_balance is not None and first.opening_balance.amount_cents == 150000
    assert first.closing_balance is not None
    assert first.closing_balance.amount_cents == 201525
    assert first.closing_balance.date == date(2024, 3, 5)
    assert [e.amount_cents for e in first.entries] == [61250, -8525, -1200]
    # The balances reconcile with the operations.
    total = first.opening_balance.amount_cents + sum(e.amount_cents for e in first.entries)
    assert total == first.closing_balance.amount_cents
    assert idle.entries == ()  # "PAS DE MOUVEMENT"
    # Column 20 says three decimals: 0000000040000{ is 400.000.
    assert [e.amount_cents for e in third.entries] == [40000, -1230]
    assert third.entries[0].value_date == date(2024, 3, 7)


def test_french_fixture_complements() -> None:
    first = parse_bytes(fixture_bytes(FIXTURE), FIXTURE).statements[0]
    credit, debit, fee = (e.transactions[0] for e in first.entries)
    assert credit.counterparty_name == "Mme Hélène Dupré"  # ISO-8859-1 decoded
    assert credit.end_to_end_id == "LOYER-MARS-A12"
    assert credit.remittance == "LOYER MARS 2024 RF18 5390 0754 7034"
    assert credit.structured_reference == "RF18539007547034"
    assert credit.creditor_account_iban == first.account_iban
    assert first.entries[0].bank_reference == "BQ0403240001"
    assert first.entries[0].bank_transaction_code == "A1"
    assert debit.counterparty_name == "EDF ÉNERGIE"
    assert debit.mandate_id == "++EDF-4567"
    assert debit.creditor_account_iban is None
    assert fee.remittance == "FRAIS TENUE DE COMPTE"


def test_lf_utf8_and_glued_records_read_the_same() -> None:
    data = fixture_bytes(FIXTURE)
    expected = parse_bytes(data, "a")
    text = data.decode("iso-8859-1")
    assert parse_bytes(text.replace("\r\n", "\n").encode("utf-8"), "b") == expected
    assert parse_bytes(text.replace("\r\n", "").encode("cp1252"), "c") == expected
    assert parse_bytes(b"\n\n" + text.replace("\r\n", "\n\n").encode("utf-8"), "d") == expected


@pytest.mark.parametrize(
    ("line", "replacement", "reason"),
    [
        (1, ("010324", "320324"), "is not a DDMMYY date"),
        (2, ("0000000006125{", "00000000061X5{"), "is not a number"),
        (2, ("0000000006125{", "0000000006125*"), "bad sign character"),
        (10, ("07", "09"), "unknown record code"),
        (10, ("07", "01"), "before the new balance"),
    ],
)
def test_bad_records_name_the_line(line: int, replacement: tuple[str, str], reason: str) -> None:
    data = fixture_bytes(FIXTURE).decode("iso-8859-1").split("\r\n")
    data[line - 1] = data[line - 1].replace(*replacement, 1)
    with pytest.raises(StatementParseError, match=reason) as info:
        parse_bytes("\r\n".join(data).encode("iso-8859-1"), "bad.txt")
    assert info.value.location == f"line {line}"
    assert info.value.parser == "cfonb120"


def test_missing_new_balance() -> None:
    lines = fixture_bytes(FIXTURE).decode("iso-8859-1").split("\r\n")
    with pytest.raises(StatementParseError, match="before the new balance"):
        parse_bytes("\r\n".join(lines[:9]).encode("iso-8859-1"), "cut.txt")
