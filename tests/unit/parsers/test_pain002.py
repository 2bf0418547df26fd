from __future__ import annotations

import pytest

from functions.core.errors import StatementParseError, UnknownFormatError
from functions.ingest.parsers import parse_bytes

DOC = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.{v}"><CstmrPmtStsRpt>
<GrpHdr><MsgId>R1</MsgId></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>PRLV-2024-03</OrgnlMsgId><GrpSts>{grp}</GrpSts>
<StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>
{payments}
</CstmrPmtStsRpt></Document>"""

PAYMENT = """<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId><PmtInfSts>PART</PmtInfSts>
<TxInfAndSts><OrgnlEndToEndId>LOYER-A12-0324</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>
<OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{amount}</InstdAmt></Amt>
<MndtRltdInf><MndtId>RUM-A12</MndtId></MndtRltdInf></OrgnlTxRef></TxInfAndSts>
<TxInfAndSts><OrgnlEndToEndId>LOYER-B07-0324</OrgnlEndToEndId><TxSts>ACCP</TxSts></TxInfAndSts>
</OrgnlPmtInfAndSts>"""


def _doc(grp: str = "PART", payments: str = "", v: str = "10") -> bytes:
    return DOC.format(grp=grp, payments=payments, v=v).encode()


def test_rejected_collection() -> None:
    parsed = parse_bytes(_doc(payments=PAYMENT.format(amount="612.5")), "rej.xml")
    assert parsed.format == "pain.002.001.10"
    assert parsed.statements == ()
    (reject,) = parsed.rejects
    assert reject.original_end_to_end_id == "LOYER-A12-0324"
    assert reject.amount_cents == 61250
    assert reject.reason == "AM04"
    assert reject.mandate_id == "RUM-A12"


def test_whole_group_rejected_without_details() -> None:
    (reject,) = parse_bytes(_doc(grp="RJCT"), "grp.xml").rejects
    assert reject.original_end_to_end_id is None
    assert reject.amount_cents is None
    assert reject.reason == "FF01"


def test_accepted_report_has_no_rejects() -> None:
    assert parse_bytes(_doc(grp="ACCP"), "ok.xml").rejects == ()


def test_bad_amount() -> None:
    with pytest.raises(StatementParseError, match="not an amount") as info:
        parse_bytes(_doc(payments=PAYMENT.format(amount="12x")), "bad.xml")
    assert info.value.location is not None
    assert info.value.location.endswith("TxInfAndSts[1]/OrgnlTxRef/Amt/InstdAmt")


def test_foreign_namespace() -> None:
    data = _doc().replace(b"pain.002.001.10", b"pain.009.001.10")
    with pytest.raises(UnknownFormatError):
        parse_bytes(data, "x.xml")
