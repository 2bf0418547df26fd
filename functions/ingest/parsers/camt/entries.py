"""An entry (``Ntry``): amount and direction, status, dates, bank codes,
and its transactions (:mod:`.transactions`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from functions.core.statements import Entry, EntryStatus, Transaction
from functions.ingest.parsers.camt.document import Block, Document
from functions.ingest.parsers.camt.paths import Trees, fields, walk
from functions.ingest.parsers.camt.transactions import read_transaction
from functions.ingest.parsers.common import cents_from_text, clean, iso_day

_STATUS = {
    "BOOK": EntryStatus.BOOKED,
    "PDNG": EntryStatus.PENDING,
    "INFO": EntryStatus.INFO,
    # "future" (camt v8+): not on the account yet, like a pending entry.
    "FUTR": EntryStatus.PENDING,
}

# ISO bank transaction codes already spelled, by their (domain, family,
# sub-family) texts: a file uses a handful of them. Bounded, so that a file
# of random codes cannot grow it.
_CODES: dict[tuple[str | None, str | None, str | None], str] = {}
_CODES_KEPT = 256


def read_entry(doc: Document, ntry: Any, block: Block, index: int) -> Entry:
    """The entry of the ``Ntry`` element ``ntry``, the ``index``-th of ``block``."""
    # Everything below runs once per entry: plain local code, error
    # locations built only when there is an error.
    trees = doc.trees
    (
        amt,
        indicator,
        reversal_text,
        sts,
        sts_cd,
        sts_prtry,
        booking_dt,
        booking_dttm,
        value_dt,
        value_dttm,
        reference,
        bank_code,
        domain,
        family,
        sub_family,
        details,
    ) = fields(ntry, trees.entry, trees.entry_slots)
    if amt is None:
        raise doc.error(block, f"Ntry[{index}]/Amt", "entry without an amount")
    try:
        amount = cents_from_text(amt.text)
    except ValueError as e:
        raise doc.error(block, f"Ntry[{index}]/Amt", str(e)) from e
    currency = amt.get("Ccy") or block.currency or "XXX"
    if indicator == "CRDT":
        credit = True
    elif indicator == "DBIT":
        credit = False
    else:
        indicator = (indicator or "").strip()
        credit = _is_credit(doc, block, index, indicator)
    if amount < 0:
        # The amount is unsigned: CdtDbtInd alone gives the direction. A
        # "CRDT -500.00" read as a debit (or a "DBIT -…" as a credit)
        # would book a payment nobody made.
        raise doc.error(block, f"Ntry[{index}]/Amt", _negative(amt.text, indicator, reference))
    if not credit:
        amount = -amount
    reversal = reversal_text is not None and reversal_text.strip().lower() in ("true", "1")
    status = EntryStatus.BOOKED
    if sts is not None:
        text = sts_cd or sts_prtry or sts
        status = _STATUS.get(text) or _STATUS.get(text.strip().upper(), EntryStatus.INFO)
    booking = value = None
    if booking_dt is not None or booking_dttm is not None:
        booking = _day(doc, booking_dt, booking_dttm, block, index, "BookgDt")
    if value_dt is not None or value_dttm is not None:
        value = _day(doc, value_dt, value_dttm, block, index, "ValDt")
    if reference is not None:
        reference = clean(reference)
    code = _CODES.get((domain, family, sub_family))
    if code is None:
        code = _bank_code(trees, bank_code, domain, family, sub_family)
    if details is None:
        transactions: tuple[Transaction, ...] = ()
    else:
        count = len(details)
        transactions = tuple(
            [
                read_transaction(
                    doc, tx, block, index, i, amount, currency, credit, reversal, count
                )
                for i, tx in enumerate(details, start=1)
            ]
        )
        if reference is None and count == 1:
            # Some banks (Goldman Sachs) give the servicer reference only per transaction.
            reference = clean(details[0].findtext(doc.tags.path("Refs/AcctSvcrRef")))
    # Positional arguments in field order: cheaper than keywords.
    return Entry(
        amount,  # amount_cents
        currency,
        booking,  # booking_date
        value,  # value_date
        status,
        reversal,
        reference,  # bank_reference
        code,  # bank_transaction_code
        transactions,
    )


def _bank_code(
    trees: Trees, bank_code: Any, domain: str | None, family: str | None, sub_family: str | None
) -> str | None:
    """The entry's bank transaction code: the ISO one, else the proprietary
    code of its first ``BkTxCd`` (``Prtry/Cd``)."""
    code = bank_transaction_code(domain, family, sub_family)
    if code is not None and len(_CODES) < _CODES_KEPT:
        _CODES[domain, family, sub_family] = code
    if code is None and bank_code is not None:
        proprietary: list[Any] = [None]
        walk(bank_code, trees.proprietary, proprietary)
        code = clean(proprietary[0])
    return code


def _is_credit(doc: Document, block: Block, index: int, indicator: str) -> bool:
    """A ``CdtDbtInd`` other than a bare ``CRDT``/``DBIT`` (``indicator``,
    stripped): a padded one, else an error."""
    if indicator not in ("CRDT", "DBIT"):
        raise doc.error(
            block, f"Ntry[{index}]/CdtDbtInd", f"{indicator!r} is neither CRDT nor DBIT"
        )
    return indicator == "CRDT"


def _negative(text: str | None, indicator: str, reference: str | None) -> str:
    # The XML path names the entry (Ntry[n]); its bank reference, if
    # any, finds it in the bank's own records.
    place = f" (entry reference {clean(reference)})" if reference and reference.strip() else ""
    return (
        f"negative amount {(text or '').strip()!r} in a {indicator} entry{place}: "
        "amounts are unsigned, CdtDbtInd gives the direction"
    )


def _day(
    doc: Document, dt: str | None, dttm: str | None, block: Block, index: int, what: str
) -> date | None:
    """The day of ``Ntry[index]/<what>``: its ``Dt``, else its ``DtTm``."""
    if dttm is None and dt is not None:
        try:  # the usual case first: a plain date
            return iso_day(dt)
        except ValueError:
            pass
    for text, name in ((dt, "Dt"), (dttm, "DtTm")):
        if text and text.strip():
            try:
                return iso_day(text)
            except ValueError as e:
                where = f"Ntry[{index}]/{what}/{name}"
                raise doc.error(block, where, f"{text.strip()!r} is not a date") from e
    return None


def bank_transaction_code(
    domain: str | None, family: str | None, sub_family: str | None
) -> str | None:
    """``PMNT-RCDT-ESCT`` from the ISO domain, family and sub-family codes
    (``None`` without a domain: the caller then takes the proprietary code,
    a French bank's CFONB operation code)."""
    domain = clean(domain)
    if domain:
        family = clean(family)
        sub_family = clean(sub_family)
        if family and sub_family:
            return f"{domain}-{family}-{sub_family}"
        return "-".join(part for part in (domain, family, sub_family) if part)
    return None
