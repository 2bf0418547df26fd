"""A transaction's details (``TxDtls``): amount, references, related
parties, remittance information, and the return information of a returned
or reversed payment (``RtrInf``, ``RvslInd``)."""

from __future__ import annotations

from typing import Any

from functions.core.statements import Transaction
from functions.ingest.parsers.camt.document import Block, Document
from functions.ingest.parsers.camt.paths import CREDITOR_NAMES, DEBTOR_NAMES, PARTIES, fields
from functions.ingest.parsers.common import (
    cents_from_text,
    clean,
    find_rf,
    normalize_iban,
    normalize_reference,
)

_NOT_PROVIDED = "NOTPROVIDED"
_TX_AMOUNTS = ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt")


def read_transaction(
    doc: Document,
    tx: Any,
    block: Block,
    entry_index: int,
    index: int,
    entry_amount: int,
    entry_currency: str,
    credit: bool,
    reversal: bool,
    siblings: int,
) -> Transaction:
    """The ``index``-th ``TxDtls`` (``tx``) of entry ``entry_index`` (of
    ``siblings``), signed like its entry."""
    found = fields(tx, doc.trees.tx, doc.trees.tx_slots)
    (amt, tx_amt, instd_amt, e2e_text, mandate_text, rtr, reason_cd, reason_prtry) = found[
        : PARTIES.start
    ]
    debtor_iban, creditor_iban, unstructured, reference_text = found[PARTIES.stop :]
    if instd_amt is None and (amt is None or tx_amt is None):
        # One amount or none, the usual case: with a single candidate the
        # rule of _amount gives that amount signed like the entry.
        amount = entry_amount
        single, at = (tx_amt, "AmtDtls/TxAmt/Amt") if tx_amt is not None else (amt, "Amt")
        if single is not None:
            cents = _cents(doc, single, at, block, entry_index, index)
            amount = -cents if entry_amount < 0 else cents
    else:
        amount = _amount(
            doc,
            (amt, tx_amt, instd_amt),
            block,
            entry_index,
            index,
            entry_amount,
            entry_currency,
            siblings,
        )

    end_to_end = clean(e2e_text)
    if end_to_end is not None and end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = None
    mandate = clean(mandate_text)

    return_reason = None
    if rtr is not None:
        return_reason = clean(reason_cd) or clean(reason_prtry)
    is_return = rtr is not None or reversal

    debtor_iban = normalize_iban(debtor_iban)
    creditor_iban = normalize_iban(creditor_iban)
    # The counterparty is the debtor of a credit, the creditor of a
    # debit; the related parties of a return are those of the original
    # payment. When that side is empty the other side is used, unless it
    # is only our own account. A side: its account's IBAN, and where its
    # names (in order of preference) are among the fields.
    sides = ((debtor_iban, DEBTOR_NAMES), (creditor_iban, CREDITOR_NAMES))
    (iban, names), (other_iban, other_names) = sides if credit != is_return else sides[::-1]
    name = party_name(*found[names])
    if name is None and iban is None and other_iban != block.iban:
        iban, name = other_iban, party_name(*found[other_names])
    creditor_account = creditor_iban if credit else None
    if credit and creditor_account is None and block.kind == "Ntfctn" and not is_return:
        # A camt.054 sent per virtual IBAN names that vIBAN as its account.
        creditor_account = block.iban

    remittance = None
    if unstructured is not None:
        if len(unstructured) == 1:
            remittance = clean(unstructured[0].text)
        else:
            lines = [line for line in (clean(e.text) for e in unstructured) if line]
            remittance = " ".join(lines) or None
    structured = None
    if reference_text is not None:
        if reference_text.isalnum():  # the usual compact reference
            structured = (
                reference_text.upper() if reference_text[:2].upper() == "RF" else reference_text
            )
        else:
            structured = normalize_reference(reference_text)
    if structured is None and remittance is not None:
        structured = find_rf(remittance)

    return Transaction(
        amount,  # amount_cents
        name,  # counterparty_name
        iban,  # counterparty_iban
        creditor_account,  # creditor_account_iban
        end_to_end,  # end_to_end_id
        mandate,  # mandate_id
        remittance,
        structured,  # structured_reference
        return_reason,
        end_to_end if is_return else None,  # original_end_to_end_id
    )


def _cents(doc: Document, elem: Any, at: str, block: Block, entry_index: int, index: int) -> int:
    """The amount of ``elem`` (at ``TxDtls/<at>``) in cents, without its sign."""
    try:
        cents = cents_from_text(elem.text)
    except ValueError as e:
        where = f"Ntry[{entry_index}]/NtryDtls/TxDtls[{index}]/{at}"
        raise doc.error(block, where, str(e)) from e
    return -cents if cents < 0 else cents


def _amount(
    doc: Document,
    amounts: tuple[Any, Any, Any],
    block: Block,
    entry_index: int,
    index: int,
    entry_amount: int,
    entry_currency: str,
    siblings: int,
) -> int:
    """``amounts``: the first ``Amt``, ``AmtDtls/TxAmt/Amt`` and
    ``AmtDtls/InstdAmt/Amt`` elements of the transaction (or ``None``)."""
    amt, tx_amt, instd_amt = amounts
    # The instructed amount may be in the payer's currency (FX).
    if instd_amt is not None and instd_amt.get("Ccy", entry_currency) != entry_currency:
        instd_amt = None
    candidates: list[int] = []
    for at, elem in zip(_TX_AMOUNTS, (amt, tx_amt, instd_amt), strict=True):
        if elem is not None:
            candidates.append(_cents(doc, elem, at, block, entry_index, index))
    # The only transaction of the entry: when one of its amounts is the
    # booked amount, that is the one (a Swiss sample puts 4500.00 in
    # InstdAmt and 0.04 in TxAmt for a 4500.00 entry).
    booked = -entry_amount if entry_amount < 0 else entry_amount
    if not candidates or (siblings == 1 and booked in candidates):
        return entry_amount
    cents = candidates[0]
    return -cents if entry_amount < 0 else cents  # signed like the entry


def party_name(
    nm: str | None,
    pty: str | None,
    agt: str | None,
    ultimate_nm: str | None,
    ultimate_pty: str | None,
    ultimate_agt: str | None,
) -> str | None:
    """A party's name: its ``Nm``, ``Pty/Nm`` or ``Agt/FinInstnId/Nm``, else
    its ultimate party's, the first that is not blank."""
    if nm is not None:
        name = clean(nm)
        if name is not None:
            return name
    for value in (pty, agt, ultimate_nm, ultimate_pty, ultimate_agt):
        if value is not None:
            name = clean(value)
            if name is not None:
                return name
    return None
