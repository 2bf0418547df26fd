"""ISO 20022 camt.052 (account report), camt.053 (statement), camt.054 (notification).

Every version from 001.01 to 001.13 shares the element names we read, so the
parser ignores the namespace URI (it only checks that it names a camt.052,
053 or 054 message) and matches local names. The file is streamed with
``lxml.etree.iterparse``: each ``Ntry`` is turned into an :class:`Entry` as
soon as its end tag is read, then cleared, so memory does not grow with the
file.

Choices (see docs/parsers.md):

* opening balance: ``OPBD``, else ``PRCD`` (previous closing booked, the same
  amount by definition); closing balance: ``CLBD``, else ``CLAV``. Other types
  (``ITBD``, ``FWAV``, …) are not opening or closing booked balances.
* dates: a ``DtTm`` is reduced to the booking day in French local time
  (:func:`~functions.ingest.parsers.common.iso_day`).
* a transaction's amount: ``TxDtls/Amt``, else ``AmtDtls/TxAmt/Amt``, else
  ``AmtDtls/InstdAmt/Amt`` (in the entry currency), else the entry amount;
  an entry's only ``TxDtls`` takes the entry amount when one of those equals
  it. Signed like the entry.
* counterparty: the debtor of a credit, the creditor of a debit; a return
  (``RtrInf``) or reversal swaps the roles, as the related parties are those of
  the original payment. When the chosen side is empty the other side is used.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from functions.core.errors import StatementParseError, UnknownFormatError
from functions.core.statements import (
    Balance,
    Entry,
    EntryStatus,
    ParsedFile,
    Statement,
    Transaction,
)
from functions.ingest.parsers.common import (
    cents_from_text,
    clean,
    find_rf,
    iso_day,
    normalize_iban,
    normalize_reference,
    xml_as_utf8,
)

PARSER = "camt"

_NAMESPACE = re.compile(r"camt\.(05[234])\.\d{3}\.\d{2}")
_BLOCKS = {"Stmt": "053", "Rpt": "052", "Ntfctn": "054"}
_ROOTS = {"BkToCstmrStmt": "053", "BkToCstmrAcctRpt": "052", "BkToCstmrDbtCdtNtfctn": "054"}
_STATUS = {
    "BOOK": EntryStatus.BOOKED,
    "PDNG": EntryStatus.PENDING,
    "INFO": EntryStatus.INFO,
    # "future" (camt v8+): not on the account yet, like a pending entry.
    "FUTR": EntryStatus.PENDING,
}
_NOT_PROVIDED = "NOTPROVIDED"
_NAMES = (
    "Acct",
    "Amt",
    "AmtDtls",
    "BkTxCd",
    "Bal",
    "BookgDt",
    "Ccy",
    "Cd",
    "CdOrPrtry",
    "CdtDbtInd",
    "Cdtr",
    "CdtrAcct",
    "CdtrRefInf",
    "Domn",
    "Dt",
    "DtTm",
    "EndToEndId",
    "Fmly",
    "FinInstnId",
    "Id",
    "IBAN",
    "InstdAmt",
    "Issr",
    "MndtId",
    "Nm",
    "NtryDtls",
    "Othr",
    "Prtry",
    "Pty",
    "Refs",
    "RltdPties",
    "RmtInf",
    "Rsn",
    "RtrInf",
    "RvslInd",
    "Strd",
    "SubFmlyCd",
    "Sts",
    "Tp",
    "TxAmt",
    "TxDtls",
    "Ustrd",
    "ValDt",
    "AcctSvcrRef",
    "Dbtr",
    "DbtrAcct",
    "UltmtDbtr",
    "UltmtCdtr",
    "Ref",
    "Agt",
)


class _Tags:
    """Clark-notation tag names (``{ns}Amt``) for one document's namespace."""

    def __init__(self, ns: str) -> None:
        prefix = f"{{{ns}}}" if ns else ""
        self.prefix = prefix
        self.t: dict[str, str] = {name: prefix + name for name in _NAMES}
        self._paths: dict[str, str] = {}

    def path(self, path: str) -> str:
        """``"Refs/EndToEndId"`` → ``"{ns}Refs/{ns}EndToEndId"`` (cached)."""
        found = self._paths.get(path)
        if found is None:
            found = "/".join(self.prefix + part for part in path.split("/"))
            self._paths[path] = found
        return found


@dataclass
class _Block:
    """The header of one Stmt/Rpt/Ntfctn, read once its leading children are complete."""

    kind: str
    index: int
    id: str | None = None
    iban: str | None = None
    other_id: str | None = None
    currency: str | None = None
    balance_currency: str | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    entries: list[Entry] = field(default_factory=list)
    header_read: bool = False


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


class _CamtReader:
    def __init__(self, source: IO[bytes], filename: str) -> None:
        self.source = source
        self.filename = filename
        self.tags = _Tags("")
        self.root_name = "Document"
        self.message = ""
        self.format = ""

    # --- errors --------------------------------------------------------------
    def _error(self, block: _Block | None, where: str, reason: str) -> StatementParseError:
        location = f"/{self.root_name}/{self.message}"
        if block is not None:
            location += f"/{block.kind}[{block.index}]"
        if where:
            location += f"/{where}"
        return StatementParseError(self.filename, location, reason, PARSER)

    # --- document ------------------------------------------------------------
    def _start(self, root: Any) -> None:
        """Check the root and its message element; learn the namespace."""
        qname = etree.QName(root)
        ns = qname.namespace or ""
        self.root_name = qname.localname
        message = root[0] if len(root) else None
        if self.root_name in _ROOTS:  # no <Document> wrapper
            message = root
        self.message = _local(message.tag) if message is not None else ""
        kind = _ROOTS.get(self.message)
        if ns:
            m = _NAMESPACE.search(ns)
            if m is None:
                raise UnknownFormatError(
                    self.filename,
                    f"/{self.root_name}",
                    f"namespace {ns!r} is not a camt.052/053/054 message",
                    PARSER,
                )
            self.format = m.group(0)
            if kind is None:
                kind = m.group(1)
        elif kind is not None:
            # Some banks omit the namespace; the message element still says what it is.
            self.format = f"camt.{kind}"
        if kind is None:
            raise UnknownFormatError(
                self.filename,
                f"/{self.root_name}",
                f"root element {self.message or self.root_name!r} is not a camt.052/053/054 "
                "message",
                PARSER,
            )
        self.tags = _Tags(ns)

    def read(self) -> Iterator[Statement]:
        """Yield each statement once its end tag is read."""
        block: _Block | None = None
        counts = dict.fromkeys(_BLOCKS, 0)
        started = False
        # resolve_entities/no_network: a bank file must not make us read
        # local files or the network (XXE).
        events = etree.iterparse(
            self.source,
            events=("start", "end"),
            tag=("{*}Ntry", "{*}Stmt", "{*}Rpt", "{*}Ntfctn"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            remove_comments=True,
        )
        try:
            for event, elem in events:
                if not started:
                    self._start(elem.getroottree().getroot())
                    started = True
                name = _local(elem.tag)
                if name == "Ntry":
                    if event == "start" or block is None:
                        continue
                    parent = elem.getparent()
                    if not block.header_read:
                        self._header(parent, block)
                    block.entries.append(self._entry(elem, block, len(block.entries) + 1))
                    elem.clear()
                    while elem.getprevious() is not None:
                        del parent[0]
                elif event == "start":
                    counts[name] += 1
                    block = _Block(kind=name, index=counts[name])
                elif block is not None:
                    if not block.header_read:
                        self._header(elem, block)
                    yield self._statement(block)
                    block = None
                    parent = elem.getparent()
                    elem.clear()
                    if parent is not None:
                        while elem.getprevious() is not None:
                            del parent[0]
            if not started:
                # No matching element at all: look at the root to say why.
                self._start(events.root)
        except etree.XMLSyntaxError as e:
            line = e.position[0] if e.position else None
            raise StatementParseError(
                self.filename,
                f"line {line}" if line else None,
                f"not well-formed XML: {e.msg}",
                PARSER,
            ) from e
        if sum(counts.values()) == 0:
            raise self._error(None, "", "no Stmt, Rpt or Ntfctn element: nothing to read")

    # --- statement header ----------------------------------------------------
    def _header(self, elem: Any, block: _Block) -> None:
        t = self.tags.t
        block.header_read = True
        block.id = clean(elem.findtext(t["Id"]))
        acct = elem.find(t["Acct"])
        if acct is not None:
            block.iban = normalize_iban(acct.findtext(self.tags.path("Id/IBAN")))
            if block.iban is None:
                block.other_id = clean(acct.findtext(self.tags.path("Id/Othr/Id")))
            block.currency = clean(acct.findtext(t["Ccy"]))
        balances: dict[str, Balance] = {}
        first_ccy: str | None = None
        for i, bal in enumerate(elem.iterchildren(t["Bal"]), start=1):
            code = clean(bal.findtext(self.tags.path("Tp/CdOrPrtry/Cd"))) or clean(
                bal.findtext(self.tags.path("Tp/CdOrPrtry/Prtry"))
            )
            amt = bal.find(t["Amt"])
            where = f"Bal[{i}]/Amt"
            if amt is None:
                raise self._error(block, where, "balance without an amount")
            cents = self._cents(amt.text, block, where)
            if bal.findtext(t["CdtDbtInd"]) == "DBIT":
                cents = -cents
            day_text = bal.findtext(self.tags.path("Dt/Dt")) or bal.findtext(
                self.tags.path("Dt/DtTm")
            )
            day = self._day(day_text, block, f"Bal[{i}]/Dt") if day_text else None
            if code and code not in balances:
                balances[code] = Balance(cents, day)
            first_ccy = first_ccy or amt.get("Ccy")
        block.opening = balances.get("OPBD") or balances.get("PRCD")
        block.closing = balances.get("CLBD") or balances.get("CLAV")
        block.balance_currency = first_ccy

    def _statement(self, block: _Block) -> Statement:
        currency = block.currency
        if currency is None and block.entries:
            currency = block.entries[0].currency
        currency = currency or block.balance_currency
        return Statement(
            id=block.id,
            account_iban=block.iban,
            account_other_id=block.other_id,
            currency=currency or "XXX",
            opening_balance=block.opening,
            closing_balance=block.closing,
            entries=tuple(block.entries),
        )

    # --- values ----------------------------------------------------------------
    def _cents(self, text: str | None, block: _Block | None, where: str) -> int:
        try:
            return cents_from_text(text)
        except ValueError as e:
            raise self._error(block, where, str(e)) from e

    def _day(self, text: str, block: _Block, where: str) -> Any:
        try:
            return iso_day(text)
        except ValueError as e:
            raise self._error(block, where, f"{text.strip()!r} is not a date") from e

    def _date_of(self, elem: Any, block: _Block, where: str) -> Any:
        if elem is None:
            return None
        for child in elem:
            if child.text and child.text.strip():
                return self._day(child.text, block, f"{where}/{_local(child.tag)}")
        return None

    # --- entries -------------------------------------------------------------
    def _entry(self, ntry: Any, block: _Block, index: int) -> Entry:
        t = self.tags.t
        where = f"Ntry[{index}]"
        amount = None
        currency = "XXX"
        debit = False
        reversal = False
        status = EntryStatus.BOOKED
        booking = value = None
        reference = None
        code = None
        details: list[Any] = []
        for child in ntry:
            tag = child.tag
            if tag == t["Amt"]:
                amount = self._cents(child.text, block, f"{where}/Amt")
                currency = child.get("Ccy") or block.currency or "XXX"
            elif tag == t["CdtDbtInd"]:
                indicator = (child.text or "").strip()
                if indicator not in ("CRDT", "DBIT"):
                    raise self._error(
                        block, f"{where}/CdtDbtInd", f"{indicator!r} is neither CRDT nor DBIT"
                    )
                debit = indicator == "DBIT"
            elif tag == t["RvslInd"]:
                reversal = (child.text or "").strip().lower() in ("true", "1")
            elif tag == t["Sts"]:
                # Sts is a plain code up to v7, <Sts><Cd>…</Cd></Sts> from v8 on.
                text = child.findtext(t["Cd"]) or child.findtext(t["Prtry"]) or child.text or ""
                status = _STATUS.get(text.strip().upper(), EntryStatus.INFO)
            elif tag == t["BookgDt"]:
                booking = self._date_of(child, block, f"{where}/BookgDt")
            elif tag == t["ValDt"]:
                value = self._date_of(child, block, f"{where}/ValDt")
            elif tag == t["AcctSvcrRef"]:
                reference = clean(child.text)
            elif tag == t["BkTxCd"]:
                code = self._bank_code(child)
            elif tag == t["NtryDtls"]:
                details.extend(child.iterchildren(t["TxDtls"]))
        if amount is None:
            raise self._error(block, f"{where}/Amt", "entry without an amount")
        if reference is None and len(details) == 1:
            # Some banks (Goldman Sachs) give the servicer reference only per transaction.
            reference = clean(details[0].findtext(self.tags.path("Refs/AcctSvcrRef")))
        if debit:
            amount = -amount
        transactions = tuple(
            self._transaction(
                tx,
                block,
                f"{where}/NtryDtls/TxDtls[{i}]",
                amount,
                currency,
                not debit,
                reversal,
                len(details),
            )
            for i, tx in enumerate(details, start=1)
        )
        return Entry(
            amount_cents=amount,
            currency=currency,
            booking_date=booking,
            value_date=value,
            status=status,
            reversal=reversal,
            bank_reference=reference,
            bank_transaction_code=code,
            transactions=transactions,
        )

    def _bank_code(self, bktx: Any) -> str | None:
        p = self.tags.path
        domain = clean(bktx.findtext(p("Domn/Cd")))
        if domain:
            family = clean(bktx.findtext(p("Domn/Fmly/Cd"))) or ""
            sub = clean(bktx.findtext(p("Domn/Fmly/SubFmlyCd"))) or ""
            return "-".join(part for part in (domain, family, sub) if part)
        return clean(bktx.findtext(p("Prtry/Cd")))

    def _party_name(self, parties: Any, role: str) -> str | None:
        p = self.tags.path
        # v1-v7: <Dbtr><Nm>; v8+: <Dbtr><Pty><Nm> or <Dbtr><Agt><FinInstnId><Nm>.
        for path in (f"{role}/Nm", f"{role}/Pty/Nm", f"{role}/Agt/FinInstnId/Nm"):
            name = clean(parties.findtext(p(path)))
            if name:
                return name
        return None

    def _transaction(
        self,
        tx: Any,
        block: _Block,
        where: str,
        entry_amount: int,
        entry_currency: str,
        credit: bool,
        reversal: bool,
        siblings: int,
    ) -> Transaction:
        t = self.tags.t
        p = self.tags.path
        amount = self._tx_amount(tx, block, where, entry_amount, entry_currency, siblings)

        end_to_end = mandate = None
        refs = tx.find(t["Refs"])
        if refs is not None:
            end_to_end = clean(refs.findtext(t["EndToEndId"]))
            if end_to_end and end_to_end.upper() == _NOT_PROVIDED:
                end_to_end = None
            mandate = clean(refs.findtext(t["MndtId"]))

        return_reason = None
        rtr = tx.find(t["RtrInf"])
        if rtr is not None:
            return_reason = clean(rtr.findtext(p("Rsn/Cd"))) or clean(rtr.findtext(p("Rsn/Prtry")))
        is_return = rtr is not None or reversal

        name = iban = creditor_account = None
        parties = tx.find(t["RltdPties"])
        if parties is not None:
            debtor = (
                self._party_name(parties, "Dbtr") or self._party_name(parties, "UltmtDbtr"),
                normalize_iban(parties.findtext(p("DbtrAcct/Id/IBAN"))),
            )
            creditor = (
                self._party_name(parties, "Cdtr") or self._party_name(parties, "UltmtCdtr"),
                normalize_iban(parties.findtext(p("CdtrAcct/Id/IBAN"))),
            )
            if credit:
                creditor_account = creditor[1]
            # The related parties of a return are those of the original payment.
            first, second = (debtor, creditor) if credit != is_return else (creditor, debtor)
            if first == (None, None) and second[1] != block.iban:
                first = second
            name, iban = first
        if credit and creditor_account is None and block.kind == "Ntfctn" and not is_return:
            # A camt.054 sent per virtual IBAN names that vIBAN as its account.
            creditor_account = block.iban

        remittance = structured = None
        rmt = tx.find(t["RmtInf"])
        if rmt is not None:
            lines = [clean(u.text) for u in rmt.iterchildren(t["Ustrd"])]
            remittance = " ".join(line for line in lines if line) or None
            structured = normalize_reference(rmt.findtext(p("Strd/CdtrRefInf/Ref"))) or find_rf(
                remittance
            )

        return Transaction(
            amount_cents=amount,
            counterparty_name=name,
            counterparty_iban=iban,
            creditor_account_iban=creditor_account,
            end_to_end_id=end_to_end,
            mandate_id=mandate,
            remittance=remittance,
            structured_reference=structured,
            return_reason=return_reason,
            original_end_to_end_id=end_to_end if is_return else None,
        )

    def _tx_amount(
        self,
        tx: Any,
        block: _Block,
        where: str,
        entry_amount: int,
        entry_currency: str,
        siblings: int,
    ) -> int:
        t = self.tags.t
        p = self.tags.path
        candidates: list[tuple[str, int]] = []
        for at in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
            elem = tx.find(t["Amt"] if at == "Amt" else p(at))
            if elem is None:
                continue
            # The instructed amount may be in the payer's currency (FX).
            if at.endswith("InstdAmt/Amt") and elem.get("Ccy", entry_currency) != entry_currency:
                continue
            candidates.append((at, abs(self._cents(elem.text, block, f"{where}/{at}"))))
        # The only transaction of the entry: when one of its amounts is the
        # booked amount, that is the one (a Swiss sample puts 4500.00 in
        # InstdAmt and 0.04 in TxAmt for a 4500.00 entry).
        if siblings == 1 and (not candidates or any(c == abs(entry_amount) for _, c in candidates)):
            return entry_amount
        if not candidates:
            return entry_amount
        cents = candidates[0][1]
        return -cents if entry_amount < 0 else cents  # signed like the entry


def iter_statements(source: IO[bytes], filename: str) -> tuple[str, Iterator[Statement]]:
    """Stream statements from a binary file object; ``format`` is known once the
    first element has been read, so it is returned with the iterator primed."""
    reader = _CamtReader(source, filename)
    statements = reader.read()
    first = next(statements, None)

    def chained() -> Iterator[Statement]:
        if first is not None:
            yield first
            yield from statements

    return reader.format, chained()


def parse_stream(source: IO[bytes], filename: str) -> ParsedFile:
    """Parse a camt.052/053/054 file from a binary file object.

    Raises :class:`StatementParseError` (:class:`UnknownFormatError` when the
    XML is not a camt message).
    """
    fmt, statements = iter_statements(source, filename)
    collected = tuple(statements)
    return ParsedFile(format=fmt, statements=collected)


def parse(data: bytes, filename: str) -> ParsedFile:
    """Parse a camt.052/053/054 file held in memory (see :func:`parse_stream`)."""
    return parse_stream(io.BytesIO(xml_as_utf8(data.lstrip())), filename)
