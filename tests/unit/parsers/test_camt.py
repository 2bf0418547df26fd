from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from functions.core.errors import StatementParseError, UnknownFormatError
from functions.core.statements import EntryStatus
from functions.ingest.parsers import parse_bytes, stream_file
from tests.unit.parsers.conftest import fixture_bytes

CAMT053 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><Othr><Id>ACC-1</Id></Othr></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt>
<CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-01-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLAV</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">5</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><DtTm>2024-07-01T23:30:00+00:00</DtTm></Dt></Bal>
{entries}
</Stmt></BkToCstmrStmt></Document>"""

ENTRY = """<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{cdi}</CdtDbtInd>{extra}
<BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>"""


def _camt(entries: str, version: str = "02") -> bytes:
    return CAMT053.format(version=version, entries=entries).encode()


def test_viban_credits_fixture() -> None:
    parsed = parse_bytes(fixture_bytes("camt054_viban_credits.xml"), "viban.xml")
    assert parsed.format == "camt.054.001.08"
    first, second = parsed.statements
    entry = first.entries[0]
    assert entry.amount_cents == 101250
    # 2024-03-04T23:30Z is 00:30 on 5 March in Paris.
    assert entry.booking_date == date(2024, 3, 5)
    assert entry.bank_transaction_code == "PMNT-RCDT-ESCT"
    tx1, tx2 = entry.transactions
    assert (tx1.amount_cents, tx2.amount_cents) == (61250, 40000)
    assert tx1.counterparty_iban == "FR1420041010050500013M02606"
    assert tx1.creditor_account_iban == "FR7630004000031234567890143"
    assert tx1.structured_reference == "RF18539007547034"
    assert tx2.end_to_end_id is None  # NOTPROVIDED
    assert tx2.counterparty_name == "CAF DE L'INDRE"
    assert tx2.creditor_account_iban == "FR7630004000039876543210187"
    assert tx2.remittance == "APL MARS 2024 ALLOCATAIRE 1234567"
    # Notification sent per vIBAN: the account is the vIBAN paid to.
    tx = second.entries[0].transactions[0]
    assert tx.creditor_account_iban == "FR7630004000035555555555518"
    assert tx.amount_cents == 53000
    assert tx.structured_reference == "RF4212345678"


@pytest.mark.parametrize("version", ["01", "02", "04", "08", "13"])
def test_any_version_and_balance_fallbacks(version: str) -> None:
    parsed = parse_bytes(_camt(ENTRY.format(amount="1.5", cdi="DBIT", extra=""), version), "f")
    (statement,) = parsed.statements
    assert parsed.format == f"camt.053.001.{version}"
    assert statement.account_iban is None
    assert statement.account_other_id == "ACC-1"
    assert statement.currency == "EUR"
    assert statement.opening_balance is not None
    assert statement.opening_balance.amount_cents == -1000
    assert statement.closing_balance is not None
    assert statement.closing_balance.amount_cents == 500
    assert statement.closing_balance.date == date(2024, 7, 2)  # 01:30 in Paris (summer)
    assert statement.entries[0].amount_cents == -150


def test_status_as_code_element_and_reversal() -> None:
    extra = "<RvslInd>true</RvslInd><Sts><Cd>PDNG</Cd></Sts>"
    entry = parse_bytes(_camt(ENTRY.format(amount="3", cdi="CRDT", extra=extra)), "f")
    e = entry.statements[0].entries[0]
    assert e.status is EntryStatus.PENDING
    assert e.reversal is True


def test_bad_amount_names_the_xml_path() -> None:
    with pytest.raises(StatementParseError) as info:
        parse_bytes(_camt(ENTRY.format(amount="1.234", cdi="CRDT", extra="")), "bad.xml")
    assert info.value.location == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"
    assert "more than two decimals" in info.value.reason


@pytest.mark.parametrize("cdi", ["CRDT", "DBIT"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_negative_amount_is_refused_with_its_entry_and_reference(cdi: str, stream: bool) -> None:
    ok = ENTRY.format(amount="12.00", cdi="CRDT", extra="")
    bad = ENTRY.format(amount="-500.00", cdi=cdi, extra="<AcctSvcrRef>BANKREF-7</AcctSvcrRef>")
    data = _camt(ok + "\n" + bad)
    with pytest.raises(StatementParseError) as info:
        if stream:
            list(stream_file(io.BytesIO(data), "neg.xml").transactions())
        else:
            parse_bytes(data, "neg.xml")
    assert info.value.location == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt"
    assert f"negative amount '-500.00' in a {cdi} entry" in info.value.reason
    assert "(entry reference BANKREF-7)" in info.value.reason


def _tx(amounts: str, party: str = "") -> str:
    return f"<TxDtls>{amounts}<RltdPties>{party}</RltdPties></TxDtls>"


@pytest.mark.parametrize("cdi", ["CRDT", "DBIT"])
def test_each_transaction_amount_where_it_stands(cdi: str) -> None:
    # A debit's related party is the creditor; a credit's the debtor.
    role = "Cdtr" if cdi == "DBIT" else "Dbtr"
    txs = [
        _tx(
            '<Amt Ccy="EUR">2.00</Amt>', f"<{role}><Nm>  </Nm><Pty><Nm>PTY NAME</Nm></Pty></{role}>"
        ),
        _tx(
            '<AmtDtls><TxAmt><Amt Ccy="EUR">3.00</Amt></TxAmt></AmtDtls>',
            f"<{role}><Nm>A  B</Nm></{role}>",
        ),
        _tx('<AmtDtls><InstdAmt><Amt Ccy="USD">9.00</Amt></InstdAmt></AmtDtls>'),
        _tx('<Amt Ccy="EUR">4.00</Amt><AmtDtls><TxAmt><Amt Ccy="EUR">4.50</Amt></TxAmt></AmtDtls>'),
        _tx(""),
    ]
    extra = f"<NtryDtls>{''.join(txs)}</NtryDtls>"
    parsed = parse_bytes(_camt(ENTRY.format(amount="10.00", cdi=cdi, extra=extra)), "f")
    entry = parsed.statements[0].entries[0]
    sign = -1 if cdi == "DBIT" else 1
    assert [tx.amount_cents * sign for tx in entry.transactions] == [200, 300, 1000, 400, 1000]
    names = [tx.counterparty_name for tx in entry.transactions]
    assert names == ["PTY NAME", "A B", None, None, None]


@pytest.mark.parametrize("at", ["Amt", "AmtDtls/TxAmt/Amt"])
def test_a_bad_transaction_amount_names_its_path(at: str) -> None:
    amount = '<Amt Ccy="EUR">1.234</Amt>'
    for part in reversed(at.split("/")[:-1]):
        amount = f"<{part}>{amount}</{part}>"
    extra = f"<NtryDtls>{_tx('')}{_tx(amount)}</NtryDtls>"
    with pytest.raises(StatementParseError) as info:
        parse_bytes(_camt(ENTRY.format(amount="1", cdi="CRDT", extra=extra)), "bad.xml")
    assert info.value.location == f"/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls/TxDtls[2]/{at}"


def test_bad_indicator() -> None:
    with pytest.raises(StatementParseError, match="neither CRDT nor DBIT"):
        parse_bytes(_camt(ENTRY.format(amount="1", cdi="XX", extra="")), "bad.xml")


def test_truncated_xml_is_a_parse_error() -> None:
    data = _camt(ENTRY.format(amount="1", cdi="CRDT", extra=""))
    with pytest.raises(StatementParseError, match="not well-formed XML") as info:
        parse_bytes(data[:-40], "cut.xml")
    assert info.value.location is not None and info.value.location.startswith("line ")


def test_foreign_namespace_is_unknown_format() -> None:
    data = _camt("").replace(b"camt.053.001.02", b"other.053.001.02")
    with pytest.raises(UnknownFormatError, match="namespace"):
        parse_bytes(data, "other.xml")


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = _camt(ENTRY.format(amount="1", cdi="CRDT", extra="")).decode()
    doc = doc.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>',
    ).replace("<Id>S1</Id>", "<Id>&x;</Id>")
    try:
        parsed = parse_bytes(doc.encode(), "xxe.xml")
    except StatementParseError:
        return
    assert "TOPSECRET" not in str(parsed)
