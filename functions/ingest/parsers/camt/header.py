"""A statement's header: its id, account and balances."""

from __future__ import annotations

from datetime import date
from typing import Any

from functions.core.statements import Balance, Statement
from functions.ingest.parsers.camt.document import Block, Document
from functions.ingest.parsers.common import cents_from_text, clean, iso_day, normalize_iban


def read_header(doc: Document, elem: Any, block: Block) -> None:
    """Fill ``block`` from the ``Stmt``/``Rpt``/``Ntfctn`` element ``elem``,
    whose children before the first ``Ntry`` are complete."""
    t = doc.tags.t
    path = doc.tags.path
    block.header_read = True
    block.id = clean(elem.findtext(t["Id"]))
    acct = elem.find(t["Acct"])
    if acct is not None:
        block.iban = normalize_iban(acct.findtext(path("Id/IBAN")))
        if block.iban is None:
            block.other_id = clean(acct.findtext(path("Id/Othr/Id")))
        block.currency = clean(acct.findtext(t["Ccy"]))
    balances: dict[str, Balance] = {}
    first_ccy: str | None = None
    for i, bal in enumerate(elem.iterchildren(t["Bal"]), start=1):
        code = clean(bal.findtext(path("Tp/CdOrPrtry/Cd"))) or clean(
            bal.findtext(path("Tp/CdOrPrtry/Prtry"))
        )
        amt = bal.find(t["Amt"])
        where = f"Bal[{i}]/Amt"
        if amt is None:
            raise doc.error(block, where, "balance without an amount")
        cents = _cents(doc, amt.text, block, where)
        if bal.findtext(t["CdtDbtInd"]) == "DBIT":
            cents = -cents
        day_text = bal.findtext(path("Dt/Dt")) or bal.findtext(path("Dt/DtTm"))
        day = _day(doc, day_text, block, f"Bal[{i}]/Dt") if day_text else None
        if code and code not in balances:
            balances[code] = Balance(cents, day)
        first_ccy = first_ccy or amt.get("Ccy")
    # Opening: OPBD, else PRCD (previous closing booked, the same amount by
    # definition); closing: CLBD, else CLAV.
    block.opening = balances.get("OPBD") or balances.get("PRCD")
    block.closing = balances.get("CLBD") or balances.get("CLAV")
    block.balance_currency = first_ccy


def statement(block: Block, first_entry_currency: str | None) -> Statement:
    """The statement header (no entries). Its currency is the account's,
    else the first entry's, else the first balance's."""
    currency = block.currency or first_entry_currency or block.balance_currency
    return Statement(
        id=block.id,
        account_iban=block.iban,
        account_other_id=block.other_id,
        currency=currency or "XXX",
        opening_balance=block.opening,
        closing_balance=block.closing,
    )


def _cents(doc: Document, text: str | None, block: Block | None, where: str) -> int:
    try:
        return cents_from_text(text)
    except ValueError as e:
        raise doc.error(block, where, str(e)) from e


def _day(doc: Document, text: str, block: Block, where: str) -> date:
    try:
        return iso_day(text)
    except ValueError as e:
        raise doc.error(block, where, f"{text.strip()!r} is not a date") from e
