from __future__ import annotations

import gc
from datetime import date

import pytest

from functions.core.errors import StatementParseError
from functions.core.statements import Statement
from functions.ingest.parsers import parse_bytes

MT940 = """{1:F01BNPAFRPPAXXX0000000000}{2:O9401200240305BNPAFRPPAXXX00000000002403051200N}{4:
:20:REL240305
:25:FR7630004000031234567890143
:28C:64/1
:60F:C240304EUR1500,00
:61:2403050305C612,50NTRFNONREF//BQ0001
/OCMT/EUR612,50/
:86:/EREF/LOYER-MARS-A12/CNTP/FR1420041010050500013M02606/PSSTFRPP/MME HELENE DUP
RE/PARIS/REMI/USTD//LOYER MARS RF18 5390 0754 7034/
:61:2403050305D85,25NDDTNONREF//BQ0002
:86:166?00SEPA-LASTSCHRIFT?20EREF+EDF-2024-03?21MREF+++EDF-4567?22SVWZ+FACTURE MA
RS?30BDFEFRPP?31FR7630001007941234567890185?32EDF ENERGIE
:61:2403060306RD10,00NTRFNONREF
:86:RETOUR VIREMENT
:62F:C240306EUR2037,25
-}"""


def test_structured_french_style_statement() -> None:
    data = MT940.replace("\n", "\r\n").encode("utf-8")
    parsed = parse_bytes(data, "bnp.sta")
    assert parsed.format == "mt940"
    (st,) = parsed.statements
    assert st.id == "REL240305"
    assert st.account_iban == "FR7630004000031234567890143"
    assert st.currency == "EUR"
    assert st.opening_balance is not None and st.opening_balance.amount_cents == 150000
    assert st.closing_balance is not None and st.closing_balance.date == date(2024, 3, 6)
    credit, debit, reversal = st.entries
    tx = credit.transactions[0]
    assert credit.amount_cents == 61250 and credit.bank_reference == "BQ0001"
    assert tx.end_to_end_id == "LOYER-MARS-A12"
    assert tx.counterparty_iban == "FR1420041010050500013M02606"
    assert tx.counterparty_name == "MME HELENE DUPRE"
    assert tx.remittance == "LOYER MARS RF18 5390 0754 7034"
    assert tx.structured_reference == "RF18539007547034"
    assert tx.creditor_account_iban == st.account_iban
    dtx = debit.transactions[0]
    assert debit.amount_cents == -8525
    assert (dtx.end_to_end_id, dtx.mandate_id) == ("EDF-2024-03", "++EDF-4567")
    assert dtx.remittance == "FACTURE MARS"
    assert dtx.counterparty_name == "EDF ENERGIE"
    assert dtx.counterparty_iban == "FR7630001007941234567890185"
    # RD: reversal of a debit, i.e. money coming back.
    assert reversal.amount_cents == 1000 and reversal.reversal


def test_mt942_interim_report() -> None:
    text = (
        ":20:INTRA1\n:25:FR7630004000031234567890143\n:28C:1/1\n:34F:EUR0,\n"
        ":13D:2403051200+0100\n:61:2403050305C10,00NTRFNONREF\n:86:LOYER\n"
        ":90D:0EUR0,\n:90C:1EUR10,00\n"
    )
    parsed = parse_bytes(text.encode(), "intra.sta")
    assert parsed.format == "mt942"
    (st,) = parsed.statements
    assert st.currency == "EUR"
    assert st.opening_balance is None
    assert [e.amount_cents for e in st.entries] == [1000]


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (":60F:C240304EUR1500,00", ":60F:X240304EUR1500,00"),
        (":61:2403050305D85,25", ":61:2413050305D85,25"),
        (":61:2403050305D85,25", ":61:2403050305D85,255"),
    ],
)
def test_bad_tags_name_the_line(broken: str, reason: str) -> None:
    with pytest.raises(StatementParseError) as info:
        parse_bytes(MT940.replace(broken, reason).encode(), "bad.sta")
    assert info.value.location is not None and info.value.location.startswith("line ")


def _statement(text: str) -> Statement:
    (st,) = parse_bytes(text.encode(), "t.sta").statements
    return st


USUAL_ORDER = (
    ":20:ORDER\n:25:FR7630004000031234567890143\n:60F:C240304EUR0,00\n"
    ":61:2403050305C10,00NTRFNONREF\n:86:LOYER\n"
    ":61:2403050305D2,00NTRFNONREF\n:86:FRAIS\n:62F:C240306EUR8,00\n"
)


@pytest.mark.parametrize(
    "late",
    [
        # No opening balance: the currency comes with the closing one.
        USUAL_ORDER.replace(":60F:C240304EUR0,00\n", ""),
        # The account after the statement lines.
        USUAL_ORDER.replace(":25:FR7630004000031234567890143\n", "").replace(
            ":62F:", ":25:FR7630004000031234567890143\n:62F:"
        ),
        # A second :25: halfway: the last one is the statement's account.
        USUAL_ORDER.replace(":86:FRAIS\n", ":86:FRAIS\n:25:FR7630004000031234567890143\n").replace(
            ":25:FR7630004000031234567890143\n:60F:", ":25:NL91ABNA0417164300\n:60F:"
        ),
    ],
)
def test_entries_take_the_account_and_currency_read_after_them(late: str) -> None:
    # Entries are built as the lines go; one built before the statement's
    # final account or currency is read must end up as if read at the end.
    expected = _statement(USUAL_ORDER)
    st = _statement(late)
    assert (st.account_iban, st.currency) == ("FR7630004000031234567890143", "EUR")
    assert st.entries == expected.entries
    assert st.entries[0].transactions[0].creditor_account_iban == st.account_iban


@pytest.mark.parametrize(
    ("account", "iban"),
    [
        ("FR76 3000 4000 0312 3456 7890 143", "FR7630004000031234567890143"),  # valid
        ("NL77INGB0574908765EUR", "NL77INGB0574908765"),  # ING: currency after it
        ("NL91ABNA0417164300ABC", "NL91ABNA0417164300"),  # valid once cut by three
        ("FR7630004000031234567890199", "FR7630004000031234567890199"),  # kept unchecked
    ],
)
def test_account_iban(account: str, iban: str) -> None:
    assert (
        _statement(USUAL_ORDER.replace("FR7630004000031234567890143", account)).account_iban == iban
    )


def test_dutch_information() -> None:
    text = USUAL_ORDER.replace(
        ":86:LOYER\n",
        # A key cut by the line end: not the Dutch dialect, free text.
        ":86:/EREF\n/REMI/USTD//LOYER/\n",
    ).replace(":86:FRAIS\n", ":86:/EREF/FIRST/EREF/SECOND/REMI/USTD//FRAIS\n MARS/\n")
    cut, repeated = (entry.transactions[0] for entry in _statement(text).entries)
    assert (cut.end_to_end_id, cut.remittance) == (None, "/EREF /REMI/USTD//LOYER/")
    # A key given twice: its first value.
    assert (repeated.end_to_end_id, repeated.remittance) == ("FIRST", "FRAIS MARS")


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_state_is_restored(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        parse_bytes(USUAL_ORDER.encode(), "t.sta")
        assert gc.isenabled() is enabled
        with pytest.raises(StatementParseError):
            parse_bytes(USUAL_ORDER.replace("C10,00", "C10,001").encode(), "bad.sta")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
