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

import dataclasses
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
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
    "Ntry",
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
        # Clark name → local name, for dispatching on an element's tag with
        # one dict look-up; a tag in another namespace is not in it.
        self.names: dict[str, str] = {prefix + name: name for name in _NAMES}
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
    count: int = 0  # entries read so far
    header_read: bool = False
    header: Statement | None = None  # built at the first entry


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
        """Yield each statement, with its entries, once its end tag is read."""
        entries: list[Entry] = []
        owner: Statement | None = None  # the header the collected entries belong to
        for header, entry in self.stream():
            if header is not owner:
                # A new block (a malformed file may open one inside another,
                # whose entries so far are then dropped, as they always were).
                entries = []
                owner = header
            if entry is None:
                yield dataclasses.replace(header, entries=tuple(entries))
                entries = []
                owner = None
            else:
                entries.append(entry)

    def stream(self) -> Iterator[tuple[Statement, Entry | None]]:
        """``(statement, entry)`` for each entry as soon as it is read, then
        ``(statement, None)`` when the statement ends. ``statement`` is the
        header (``entries=()``): in every camt version the balances come
        before the first ``Ntry``, so it is complete at the first entry."""
        block: _Block | None = None
        counts = dict.fromkeys(_BLOCKS, 0)
        started = False
        ntry_tag = ""
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
                    ntry_tag = self.tags.t["Ntry"]
                    started = True
                tag = elem.tag
                # The document's own namespace first: no string slicing per entry.
                name = "Ntry" if tag == ntry_tag else _local(tag)
                if name == "Ntry":
                    if event == "start" or block is None:
                        continue
                    parent = elem.getparent()
                    if block.header is None:
                        if not block.header_read:
                            self._header(parent, block)
                        block.count += 1
                        entry = self._entry(elem, block, block.count)
                        block.header = self._statement(block, entry.currency)
                    else:
                        block.count += 1
                        entry = self._entry(elem, block, block.count)
                    yield block.header, entry
                    # Free the entry and the siblings read before it (the
                    # header), so memory stays that of one entry.
                    elem.clear()
                    while elem.getprevious() is not None:
                        del parent[0]
                elif event == "start":
                    counts[name] += 1
                    block = _Block(kind=name, index=counts[name])
                elif block is not None:
                    if not block.header_read:
                        self._header(elem, block)
                    yield block.header or self._statement(block, None), None
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

    def _statement(self, block: _Block, first_entry_currency: str | None) -> Statement:
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

    def _date_of(self, elem: Any, block: _Block, index: int, what: str) -> Any:
        """The first non-blank ``Dt``/``DtTm`` of ``Ntry[index]/<what>``."""
        for child in elem:
            text = child.text
            if text and text.strip():
                try:
                    return iso_day(text)
                except ValueError as e:
                    where = f"Ntry[{index}]/{what}/{_local(child.tag)}"
                    raise self._error(block, where, f"{text.strip()!r} is not a date") from e
        return None

    # --- entries -------------------------------------------------------------
    # The entry and transaction readers below visit each child element once
    # and dispatch on its tag: a 100,000-entry file spends most of its time
    # here, and one lxml ``find``/``findtext`` path lookup costs about as much
    # as reading the whole element. Each multi-step lookup keeps the
    # ElementPath meaning the parser always had: the first match in document
    # order, even when its text is empty.
    def _entry(self, ntry: Any, block: _Block, index: int) -> Entry:
        names = self.tags.names
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
            name = names.get(child.tag)
            if name is None:
                continue
            if name == "Amt":
                amount = self._cents(child.text, block, f"Ntry[{index}]/Amt")
                currency = child.get("Ccy") or block.currency or "XXX"
            elif name == "CdtDbtInd":
                indicator = (child.text or "").strip()
                if indicator not in ("CRDT", "DBIT"):
                    raise self._error(
                        block,
                        f"Ntry[{index}]/CdtDbtInd",
                        f"{indicator!r} is neither CRDT nor DBIT",
                    )
                debit = indicator == "DBIT"
            elif name == "RvslInd":
                reversal = (child.text or "").strip().lower() in ("true", "1")
            elif name == "Sts":
                status = self._status(child)
            elif name == "BookgDt":
                booking = self._date_of(child, block, index, "BookgDt")
            elif name == "ValDt":
                value = self._date_of(child, block, index, "ValDt")
            elif name == "AcctSvcrRef":
                reference = clean(child.text)
            elif name == "BkTxCd":
                code = self._bank_code(child)
            elif name == "NtryDtls":
                tx_tag = self.tags.t["TxDtls"]
                details.extend(tx for tx in child if tx.tag == tx_tag)
        if amount is None:
            raise self._error(block, f"Ntry[{index}]/Amt", "entry without an amount")
        if reference is None and len(details) == 1:
            # Some banks (Goldman Sachs) give the servicer reference only per transaction.
            reference = clean(details[0].findtext(self.tags.path("Refs/AcctSvcrRef")))
        if debit:
            amount = -amount
        count = len(details)
        transactions = tuple(
            [
                self._transaction(tx, block, index, i, amount, currency, not debit, reversal, count)
                for i, tx in enumerate(details, start=1)
            ]
        )
        # Positional arguments in field order: cheaper than keywords, once
        # per entry of a 100,000-entry file.
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

    def _status(self, sts: Any) -> EntryStatus:
        # Sts is a plain code up to v7, <Sts><Cd>…</Cd></Sts> from v8 on.
        names = self.tags.names
        cd = prtry = None
        for child in sts:
            name = names.get(child.tag)
            if name == "Cd" and cd is None:
                cd = child.text or ""
            elif name == "Prtry" and prtry is None:
                prtry = child.text or ""
        text = cd or prtry or sts.text or ""
        return _STATUS.get(text.strip().upper(), EntryStatus.INFO)

    def _bank_code(self, bktx: Any) -> str | None:
        names = self.tags.names
        domain = family = sub = proprietary = None
        for part in bktx:
            name = names.get(part.tag)
            if name == "Domn":
                for child in part:
                    child_name = names.get(child.tag)
                    if child_name == "Cd" and domain is None:
                        domain = child.text or ""
                    elif child_name == "Fmly":
                        for leaf in child:
                            leaf_name = names.get(leaf.tag)
                            if leaf_name == "Cd" and family is None:
                                family = leaf.text or ""
                            elif leaf_name == "SubFmlyCd" and sub is None:
                                sub = leaf.text or ""
            elif name == "Prtry" and proprietary is None:
                for child in part:
                    if names.get(child.tag) == "Cd":
                        proprietary = child.text or ""
                        break
        domain = clean(domain)
        if domain:
            parts = (domain, clean(family) or "", clean(sub) or "")
            return "-".join(part for part in parts if part)
        return clean(proprietary)

    def _party(self, elem: Any, found: dict[str, str]) -> None:
        """First ``Nm``, ``Pty/Nm`` and ``Agt/FinInstnId/Nm`` of a party
        (v1-v7: ``<Dbtr><Nm>``; v8+: ``<Dbtr><Pty><Nm>`` or
        ``<Dbtr><Agt><FinInstnId><Nm>``), or ``Id/IBAN`` of an account,
        keyed by path; a key already found is kept."""
        names = self.tags.names
        for child in elem:
            name = names.get(child.tag)
            if name == "Nm":
                found.setdefault("Nm", (child.text or ""))
            elif name == "Pty":
                if "Pty" not in found:
                    for leaf in child:
                        if names.get(leaf.tag) == "Nm":
                            found["Pty"] = leaf.text or ""
                            break
            elif name == "Agt":
                if "Agt" not in found:
                    for inst in child:
                        if names.get(inst.tag) == "FinInstnId":
                            for leaf in inst:
                                if names.get(leaf.tag) == "Nm":
                                    found["Agt"] = leaf.text or ""
                                    break
                            if "Agt" in found:
                                break
            elif name == "Id" and "IBAN" not in found:
                for leaf in child:
                    if names.get(leaf.tag) == "IBAN":
                        found["IBAN"] = leaf.text or ""
                        break

    def _transaction(
        self,
        tx: Any,
        block: _Block,
        entry_index: int,
        index: int,
        entry_amount: int,
        entry_currency: str,
        credit: bool,
        reversal: bool,
        siblings: int,
    ) -> Transaction:
        names = self.tags.names
        amt = tx_amt = instd_amt = None
        refs = rtr = parties = rmt = None
        for child in tx:
            name = names.get(child.tag)
            if name is None:
                continue
            if name == "Amt":
                if amt is None:
                    amt = child
            elif name == "AmtDtls":
                for kind in child:
                    kind_name = names.get(kind.tag)
                    if (kind_name == "TxAmt" and tx_amt is None) or (
                        kind_name == "InstdAmt" and instd_amt is None
                    ):
                        for leaf in kind:
                            if names.get(leaf.tag) == "Amt":
                                if kind_name == "TxAmt":
                                    tx_amt = leaf
                                else:
                                    instd_amt = leaf
                                break
            elif name == "Refs":
                if refs is None:
                    refs = child
            elif name == "RtrInf":
                if rtr is None:
                    rtr = child
            elif name == "RltdPties":
                if parties is None:
                    parties = child
            elif name == "RmtInf" and rmt is None:
                rmt = child

        amount = self._tx_amount(
            (amt, tx_amt, instd_amt),
            block,
            entry_index,
            index,
            entry_amount,
            entry_currency,
            siblings,
        )

        end_to_end = mandate = None
        if refs is not None:
            e2e_text = mandate_text = None
            for child in refs:
                name = names.get(child.tag)
                if name == "EndToEndId" and e2e_text is None:
                    e2e_text = child.text or ""
                elif name == "MndtId" and mandate_text is None:
                    mandate_text = child.text or ""
            end_to_end = clean(e2e_text)
            if end_to_end and end_to_end.upper() == _NOT_PROVIDED:
                end_to_end = None
            mandate = clean(mandate_text)

        return_reason = None
        if rtr is not None:
            reason_cd = reason_prtry = None
            for rsn in rtr:
                if names.get(rsn.tag) != "Rsn":
                    continue
                for leaf in rsn:
                    leaf_name = names.get(leaf.tag)
                    if leaf_name == "Cd" and reason_cd is None:
                        reason_cd = leaf.text or ""
                    elif leaf_name == "Prtry" and reason_prtry is None:
                        reason_prtry = leaf.text or ""
            return_reason = clean(reason_cd) or clean(reason_prtry)
        is_return = rtr is not None or reversal

        name = iban = creditor_account = None
        if parties is not None:
            found: dict[str, dict[str, str]] = {}
            for child in parties:
                role = names.get(child.tag)
                if role in _ROLES:
                    self._party(child, found.setdefault(role, {}))
            debtor = (
                _party_name(found.get("Dbtr")) or _party_name(found.get("UltmtDbtr")),
                normalize_iban(found.get("DbtrAcct", {}).get("IBAN")),
            )
            creditor = (
                _party_name(found.get("Cdtr")) or _party_name(found.get("UltmtCdtr")),
                normalize_iban(found.get("CdtrAcct", {}).get("IBAN")),
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
        if rmt is not None:
            lines: list[str] = []
            reference_text = None
            for child in rmt:
                part = names.get(child.tag)
                if part == "Ustrd":
                    line = clean(child.text)
                    if line:
                        lines.append(line)
                elif part == "Strd" and reference_text is None:
                    reference_text = self._creditor_reference(child)
            remittance = " ".join(lines) or None
            structured = normalize_reference(reference_text) or find_rf(remittance)

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

    def _creditor_reference(self, strd: Any) -> str | None:
        """Text of the first ``CdtrRefInf/Ref`` of a ``Strd`` (``""`` when empty)."""
        names = self.tags.names
        for info in strd:
            if names.get(info.tag) == "CdtrRefInf":
                for leaf in info:
                    if names.get(leaf.tag) == "Ref":
                        return leaf.text or ""
        return None

    def _tx_amount(
        self,
        amounts: tuple[Any, Any, Any],
        block: _Block,
        entry_index: int,
        index: int,
        entry_amount: int,
        entry_currency: str,
        siblings: int,
    ) -> int:
        """``amounts``: the first ``Amt``, ``AmtDtls/TxAmt/Amt`` and
        ``AmtDtls/InstdAmt/Amt`` elements of the transaction (or ``None``)."""
        candidates: list[int] = []
        for at, elem in zip(_TX_AMOUNTS, amounts, strict=True):
            if elem is None:
                continue
            # The instructed amount may be in the payer's currency (FX).
            if at == "AmtDtls/InstdAmt/Amt" and elem.get("Ccy", entry_currency) != entry_currency:
                continue
            try:
                cents = cents_from_text(elem.text)
            except ValueError as e:
                where = f"Ntry[{entry_index}]/NtryDtls/TxDtls[{index}]/{at}"
                raise self._error(block, where, str(e)) from e
            candidates.append(abs(cents))
        # The only transaction of the entry: when one of its amounts is the
        # booked amount, that is the one (a Swiss sample puts 4500.00 in
        # InstdAmt and 0.04 in TxAmt for a 4500.00 entry).
        if siblings == 1 and (not candidates or abs(entry_amount) in candidates):
            return entry_amount
        if not candidates:
            return entry_amount
        cents = candidates[0]
        return -cents if entry_amount < 0 else cents  # signed like the entry


_TX_AMOUNTS = ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt")
_ROLES = frozenset(("Dbtr", "UltmtDbtr", "Cdtr", "UltmtCdtr", "DbtrAcct", "CdtrAcct"))


def _party_name(found: dict[str, str] | None) -> str | None:
    if not found:
        return None
    for key in ("Nm", "Pty", "Agt"):
        name = clean(found.get(key))
        if name:
            return name
    return None


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


def iter_entries(
    source: IO[bytes], filename: str
) -> tuple[str, Iterator[tuple[Statement, Entry | None]]]:
    """Stream a camt file entry by entry, in memory bounded by one entry:
    ``(statement, entry)`` for each entry, then ``(statement, None)`` at the
    end of each statement (so a statement without entries is seen too).
    ``statement`` is the header, without entries. The format is returned
    with the iterator, which is primed."""
    reader = _CamtReader(source, filename)
    items = reader.stream()
    first = next(items, None)

    def chained() -> Iterator[tuple[Statement, Entry | None]]:
        if first is not None:
            yield first
            yield from items

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
