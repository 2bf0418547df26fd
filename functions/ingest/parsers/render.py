"""Write normalized statements back out as bank files.

Used by the property tests (``parse(render(s)) == s``), the benchmark (large
generated files) and the demo (sample statements for the local platform).
The output follows the same conventions the parsers read:

* camt: the counterparty is the debtor of a credit and the creditor of a
  debit, or the debtor of a debit carrying a return reason (an SDD return);
  a credit's ``creditor_account_iban`` is written as ``CdtrAcct``;
* CFONB 120: payer/beneficiary names in ``NPY``/``NBE``, end-to-end id in
  ``RCN``, mandate in ``RUM``, remittance in ``LCC`` records of 70 characters;
* MT940: Dutch structured ``:86:`` (``/EREF/``, ``/CNTP/``, ``/MARF/``,
  ``/RTRN/``, ``/REMI/USTD//``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape

from functions.core.money import format_cents
from functions.core.statements import Balance, Entry, Statement, Transaction

_CAMT_NS = {
    "053": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "054": "urn:iso:std:iso:20022:tech:xsd:camt.054.001.04",
}


def _x(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _amount(cents: int) -> str:
    return format_cents(abs(cents))


def _camt_balance(code: str, balance: Balance, currency: str) -> str:
    day = (balance.date or date(2000, 1, 1)).isoformat()
    mark = "DBIT" if balance.amount_cents < 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{_amount(balance.amount_cents)}</Amt>'
        f"<CdtDbtInd>{mark}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def _party(role: str, name: str | None, iban: str | None) -> str:
    out = f"<{role}><Nm>{_x(name)}</Nm></{role}>" if name else ""
    if iban:
        out += f"<{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct>"
    return out


def _camt_tx(tx: Transaction, credit: bool, kind: str) -> str:
    refs = ""
    if tx.end_to_end_id or tx.mandate_id:
        refs = "<Refs>"
        if tx.end_to_end_id:
            refs += f"<EndToEndId>{_x(tx.end_to_end_id)}</EndToEndId>"
        if tx.mandate_id:
            refs += f"<MndtId>{_x(tx.mandate_id)}</MndtId>"
        refs += "</Refs>"
    if kind == "053":  # camt.053.001.02: AmtDtls/TxAmt
        amount = (
            f'<AmtDtls><TxAmt><Amt Ccy="EUR">{_amount(tx.amount_cents)}</Amt></TxAmt></AmtDtls>'
        )
    else:  # camt.054.001.04 requires TxDtls/Amt and CdtDbtInd
        mark = "CRDT" if credit else "DBIT"
        amount = f'<Amt Ccy="EUR">{_amount(tx.amount_cents)}</Amt><CdtDbtInd>{mark}</CdtDbtInd>'
    if credit:
        parties = _party("Dbtr", tx.counterparty_name, tx.counterparty_iban)
        if tx.creditor_account_iban:
            parties += f"<CdtrAcct><Id><IBAN>{tx.creditor_account_iban}</IBAN></Id></CdtrAcct>"
    elif tx.return_reason or tx.original_end_to_end_id:  # a returned collection
        parties = _party("Dbtr", tx.counterparty_name, tx.counterparty_iban)
    else:
        parties = _party("Cdtr", tx.counterparty_name, tx.counterparty_iban)
    parties = f"<RltdPties>{parties}</RltdPties>" if parties else ""
    remittance = ""
    if tx.remittance or tx.structured_reference:
        remittance = "<RmtInf>"
        if tx.remittance:
            remittance += f"<Ustrd>{_x(tx.remittance)}</Ustrd>"
        if tx.structured_reference:
            remittance += (
                f"<Strd><CdtrRefInf><Ref>{_x(tx.structured_reference)}</Ref></CdtrRefInf></Strd>"
            )
        remittance += "</RmtInf>"
    returned = ""
    if tx.return_reason:
        returned = f"<RtrInf><Rsn><Cd>{_x(tx.return_reason)}</Cd></Rsn></RtrInf>"
    return f"<TxDtls>{refs}{amount}{parties}{remittance}{returned}</TxDtls>"


def _bank_code(code: str | None) -> str:
    parts = (code or "PMNT-RCDT-ESCT").split("-")
    if len(parts) == 3:
        domain, family, sub = parts
        return (
            f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd>"
            f"<SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        )
    return f"<BkTxCd><Prtry><Cd>{_x(code or '')}</Cd></Prtry></BkTxCd>"


def camt_entry(entry: Entry, kind: str = "053") -> str:
    """One ``<Ntry>`` element (unprefixed, default namespace)."""
    credit = entry.amount_cents > 0
    parts = [
        f'<Ntry><Amt Ccy="{entry.currency}">{_amount(entry.amount_cents)}</Amt>',
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>",
    ]
    if entry.reversal:
        parts.append("<RvslInd>true</RvslInd>")
    parts.append(f"<Sts>{entry.status.value}</Sts>")
    if entry.booking_date:
        parts.append(f"<BookgDt><Dt>{entry.booking_date.isoformat()}</Dt></BookgDt>")
    if entry.value_date:
        parts.append(f"<ValDt><Dt>{entry.value_date.isoformat()}</Dt></ValDt>")
    if entry.bank_reference:
        parts.append(f"<AcctSvcrRef>{_x(entry.bank_reference)}</AcctSvcrRef>")
    parts.append(_bank_code(entry.bank_transaction_code))
    if entry.transactions:
        parts.append("<NtryDtls>")
        parts.extend(_camt_tx(tx, credit, kind) for tx in entry.transactions)
        parts.append("</NtryDtls>")
    parts.append("</Ntry>")
    return "".join(parts)


def camt_header(kind: str, message_id: str = "ENCAISSE-RENDER") -> str:
    root = "BkToCstmrStmt" if kind == "053" else "BkToCstmrDbtCdtNtfctn"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{_CAMT_NS[kind]}">'
        f"<{root}><GrpHdr><MsgId>{_x(message_id)}</MsgId>"
        "<CreDtTm>2024-01-01T00:00:00</CreDtTm></GrpHdr>"
    )


def camt_footer(kind: str) -> str:
    root = "BkToCstmrStmt" if kind == "053" else "BkToCstmrDbtCdtNtfctn"
    return f"</{root}></Document>\n"


def camt_block_start(statement: Statement, kind: str) -> str:
    block = "Stmt" if kind == "053" else "Ntfctn"
    account = (
        f"<IBAN>{statement.account_iban}</IBAN>"
        if statement.account_iban
        else f"<Othr><Id>{_x(statement.account_other_id or 'UNKNOWN')}</Id></Othr>"
    )
    out = (
        f"<{block}><Id>{_x(statement.id or 'STATEMENT')}</Id>"
        "<CreDtTm>2024-01-01T00:00:00</CreDtTm>"
        f"<Acct><Id>{account}</Id><Ccy>{statement.currency}</Ccy></Acct>"
    )
    if kind == "053":
        # camt.053 requires at least one balance.
        opening = statement.opening_balance or Balance(0, None)
        out += _camt_balance("OPBD", opening, statement.currency)
        if statement.closing_balance:
            out += _camt_balance("CLBD", statement.closing_balance, statement.currency)
    return out


def camt_block_end(kind: str) -> str:
    return "</Stmt>" if kind == "053" else "</Ntfctn>"


def render_camt(statements: Iterable[Statement], kind: str = "053") -> bytes:
    """camt.053.001.02 (``kind="053"``) or camt.054.001.04 (``"054"``)."""
    parts = [camt_header(kind)]
    for statement in statements:
        parts.append(camt_block_start(statement, kind))
        parts.extend(camt_entry(entry, kind) for entry in statement.entries)
        parts.append(camt_block_end(kind))
    parts.append(camt_footer(kind))
    return "".join(parts).encode("utf-8")


# --- CFONB 120 -------------------------------------------------------------------

_OVERPUNCH_POS = "{ABCDEFGHI"
_OVERPUNCH_NEG = "}JKLMNOPQR"


def _cfonb_amount(cents: int) -> str:
    digits = f"{abs(cents):014d}"
    table = _OVERPUNCH_NEG if cents < 0 else _OVERPUNCH_POS
    return digits[:13] + table[int(digits[13])]


def _ddmmyy(day: date | None) -> str:
    return day.strftime("%d%m%y") if day else "      "


def _rib(statement: Statement) -> tuple[str, str, str]:
    iban = statement.account_iban or "FR7630004000031234567890143"
    return iban[4:9], iban[9:14], iban[14:25]


def cfonb_records(statement: Statement) -> list[str]:
    """The 120-column records of one statement (01, 04/05…, 07)."""
    bank, branch, account = _rib(statement)
    head = f"{bank}    {branch}{statement.currency}2 {account}  "

    def balance(code: str, bal: Balance | None) -> str:
        bal = bal or Balance(0, None)
        return (
            f"{code}{head}{_ddmmyy(bal.date)}"
            + " " * 50
            + _cfonb_amount(bal.amount_cents)
            + " " * 16
        )

    records = [balance("01", statement.opening_balance)]
    for entry in statement.entries:
        tx = entry.transactions[0] if entry.transactions else Transaction(entry.amount_cents)
        code = (entry.bank_transaction_code or "05")[:2].ljust(2)
        op = f"{bank}0117{branch}{statement.currency}2 {account}{code}{_ddmmyy(entry.booking_date)}"
        label = (tx.remittance or "")[:31] if not tx.remittance or len(tx.remittance) <= 31 else ""
        records.append(
            f"04{op}  {_ddmmyy(entry.value_date)}{label.ljust(31)}  0000000  "
            + _cfonb_amount(entry.amount_cents)
            + (entry.bank_reference or "").ljust(16)[:16]
        )

        def complement(qualifier: str, info: str, op: str = op) -> str:
            return f"05{op}     {qualifier}{info.ljust(70)[:70]}  "

        name_qualifier = "NPY" if entry.amount_cents > 0 else "NBE"
        if tx.counterparty_name:
            records.append(complement(name_qualifier, tx.counterparty_name))
        if tx.end_to_end_id:
            records.append(complement("RCN", tx.end_to_end_id.ljust(35)))
        if tx.mandate_id:
            records.append(complement("RUM", tx.mandate_id))
        if tx.remittance and not label:
            for chunk in _chunks(tx.remittance, 70):
                records.append(complement("LCC", chunk))
    records.append(balance("07", statement.closing_balance))
    return records


def _chunks(text: str, width: int) -> list[str]:
    """Split on spaces so that joining the chunks with one space restores ``text``."""
    chunks: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
        else:
            chunks.append(current)
            current = word
    chunks.append(current)
    return chunks


def render_cfonb120(statements: Iterable[Statement]) -> bytes:
    lines = [record for statement in statements for record in cfonb_records(statement)]
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


# --- MT940 ----------------------------------------------------------------------


def _mt_balance(tag: str, bal: Balance, currency: str) -> str:
    mark = "D" if bal.amount_cents < 0 else "C"
    day = (bal.date or date(2000, 1, 1)).strftime("%y%m%d")
    return f":{tag}:{mark}{day}{currency}{format_cents(abs(bal.amount_cents)).replace('.', ',')}"


def mt940_lines(statement: Statement) -> list[str]:
    lines = [
        f":20:{statement.id or 'ENCAISSE'}",
        f":25:{statement.account_iban or statement.account_other_id or ''}",
        ":28C:1/1",
    ]
    if statement.opening_balance:
        lines.append(_mt_balance("60F", statement.opening_balance, statement.currency))
    for entry in statement.entries:
        tx = entry.transactions[0] if entry.transactions else Transaction(entry.amount_cents)
        value = entry.value_date or entry.booking_date or date(2000, 1, 1)
        booking = entry.booking_date or value
        credit = entry.amount_cents > 0
        mark = ("RD" if credit else "RC") if entry.reversal else ("C" if credit else "D")
        amount = format_cents(abs(entry.amount_cents)).replace(".", ",")
        ref = f"//{entry.bank_reference}" if entry.bank_reference else ""
        lines.append(f":61:{value:%y%m%d}{booking:%m%d}{mark}{amount}NTRFNONREF{ref}")
        info = ""
        if tx.end_to_end_id:
            info += f"/EREF/{tx.end_to_end_id}"
        if tx.counterparty_iban or tx.counterparty_name:
            info += f"/CNTP/{tx.counterparty_iban or ''}//{tx.counterparty_name or ''}/"
        if tx.mandate_id:
            info += f"/MARF/{tx.mandate_id}"
        if tx.return_reason:
            info += f"/RTRN/{tx.return_reason}"
        if tx.remittance:
            info += f"/REMI/USTD//{tx.remittance}/"
        if info:
            lines.extend(_wrap86(info))
    if statement.closing_balance:
        lines.append(_mt_balance("62F", statement.closing_balance, statement.currency))
    return lines


def _wrap86(info: str) -> list[str]:
    """:86: lines of at most 65 characters (61 after the tag). A line never
    ends with a space: readers strip trailing padding, which would eat it."""
    lines: list[str] = []
    start, width = 0, 61
    while start < len(info):
        end = min(start + width, len(info))
        while end < len(info) and end > start + 1 and info[end - 1] == " ":
            end -= 1
        lines.append(info[start:end])
        start, width = end, 65
    lines[0] = ":86:" + lines[0]
    return lines


def render_mt940(statements: Iterable[Statement]) -> bytes:
    lines = [line for statement in statements for line in [*mt940_lines(statement), "-"]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
