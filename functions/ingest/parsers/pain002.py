"""ISO 20022 pain.002 (customer payment status report): rejected collections.

A landlord's bank answers each SEPA direct-debit file (pain.008) with a
pain.002. We keep what matching needs to undo a rent collection: every
transaction whose status is ``RJCT`` becomes a :class:`Reject`. Accepted or
pending statuses (``ACCP``, ``ACTC``, ``ACSP``, ``PDNG``…) are not rejects.

* A transaction without its own ``TxSts`` takes the status of its payment
  information block (``PmtInfSts``), then of the group (``GrpSts``); likewise
  for the reason (``StsRsnInf/Rsn/Cd`` or ``Prtry``).
* A payment block or a whole group rejected *without* transaction details
  gives one reject without end-to-end id or amount: the whole file (or batch)
  was refused, so none of its collections will be paid.

The file is small (one line per rejected collection), so it is read whole
with a hardened parser; element names are matched in any namespace.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from functions.core.errors import StatementParseError, UnknownFormatError
from functions.core.statements import ParsedFile, Reject
from functions.ingest.parsers.common import cents_from_text, clean, xml_as_utf8

PARSER = "pain.002"
_NAMESPACE = re.compile(r"pain\.002\.\d{3}\.\d{2}")
_REJECTED = "RJCT"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )


def _reason(elem: Any) -> str | None:
    for info in elem.iterfind("{*}StsRsnInf"):
        code = clean(info.findtext("{*}Rsn/{*}Cd")) or clean(info.findtext("{*}Rsn/{*}Prtry"))
        if code:
            return code
    return None


def parse(data: bytes, filename: str) -> ParsedFile:
    """Parse a pain.002 status report into rejects.

    Raises :class:`StatementParseError` for malformed XML or a bad amount,
    :class:`UnknownFormatError` when the XML is not a pain.002.
    """
    try:
        root = etree.fromstring(xml_as_utf8(data.lstrip()), _parser())
    except etree.XMLSyntaxError as e:
        line = e.position[0] if e.position else None
        raise StatementParseError(
            filename, f"line {line}" if line else None, f"not well-formed XML: {e.msg}", PARSER
        ) from e
    qname = etree.QName(root)
    ns = qname.namespace or ""
    report = root.find("{*}CstmrPmtStsRpt")
    if qname.localname == "CstmrPmtStsRpt":
        report = root
    fmt = "pain.002"
    if ns:
        m = _NAMESPACE.search(ns)
        if m is None:
            raise UnknownFormatError(
                filename, f"/{qname.localname}", f"namespace {ns!r} is not a pain.002", PARSER
            )
        fmt = m.group(0)
    if report is None:
        raise UnknownFormatError(
            filename, f"/{qname.localname}", "no CstmrPmtStsRpt element: not a pain.002", PARSER
        )
    base = f"/{qname.localname}/CstmrPmtStsRpt"

    rejects: list[Reject] = []
    group = report.find("{*}OrgnlGrpInfAndSts")
    group_status = clean(group.findtext("{*}GrpSts")) if group is not None else None
    group_reason = _reason(group) if group is not None else None
    payments = report.findall("{*}OrgnlPmtInfAndSts")
    if group_status == _REJECTED and not payments:
        rejects.append(Reject(None, None, group_reason))

    for p_index, payment in enumerate(payments, start=1):
        p_status = clean(payment.findtext("{*}PmtInfSts")) or group_status
        p_reason = _reason(payment) or group_reason
        transactions = payment.findall("{*}TxInfAndSts")
        if p_status == _REJECTED and not transactions:
            rejects.append(Reject(None, None, p_reason))
        for t_index, tx in enumerate(transactions, start=1):
            status = clean(tx.findtext("{*}TxSts")) or p_status
            if status != _REJECTED:
                continue
            where = f"{base}/OrgnlPmtInfAndSts[{p_index}]/TxInfAndSts[{t_index}]"
            amount = None
            amount_text = tx.findtext("{*}OrgnlTxRef/{*}Amt/{*}InstdAmt")
            if amount_text is None:
                amount_text = tx.findtext("{*}OrgnlTxRef/{*}Amt/{*}EqvtAmt/{*}Amt")
            if amount_text is not None:
                try:
                    amount = abs(cents_from_text(amount_text))
                except ValueError as e:
                    raise StatementParseError(
                        filename, f"{where}/OrgnlTxRef/Amt/InstdAmt", str(e), PARSER
                    ) from e
            rejects.append(
                Reject(
                    original_end_to_end_id=clean(tx.findtext("{*}OrgnlEndToEndId")),
                    amount_cents=amount,
                    reason=_reason(tx) or p_reason,
                    mandate_id=clean(tx.findtext("{*}OrgnlTxRef/{*}MndtRltdInf/{*}MndtId")),
                )
            )
    return ParsedFile(format=fmt, rejects=tuple(rejects))
