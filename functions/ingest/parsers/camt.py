"""ISO 20022 camt.052 (account report), camt.053 (statement), camt.054 (notification).

Every version from 001.01 to 001.13 shares the element names we read, so the
parser ignores the namespace URI (it only checks that it names a camt.052,
053 or 054 message) and matches local names. The file is streamed with
``lxml.etree.iterparse``: each ``Ntry`` is turned into an :class:`Entry` as
soon as its end tag is read, then cleared, so memory does not grow with the
file. Runs of adjacent entries are parsed apart, a batch at a time, where
that cannot change their meaning (:mod:`.camt_batches`), and the root's
default namespace is hidden from lxml (:func:`_without_default_namespace`):
both for speed, with the same result.

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
from functions.ingest.parsers.camt_batches import MARKER, EntryBatches
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
# Element names the statement header reader looks up.
_NAMES = (
    "Acct",
    "Amt",
    "Bal",
    "Ccy",
    "CdOrPrtry",
    "CdtDbtInd",
    "Cd",
    "Dt",
    "DtTm",
    "Id",
    "IBAN",
    "Ntry",
    "Othr",
    "Prtry",
    "Tp",
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


# --- reading an entry in one walk ----------------------------------------------
# A 100,000-entry file spends most of its time turning each ``Ntry`` into an
# Entry, and in that mostly on the Python side of lxml: making a proxy per
# element, building its tag string, comparing. So each entry is read in one
# walk over the elements on the paths we want, driven by a tree of dicts
# compiled once per document from the path lists below; a subtree that
# holds nothing we read is never entered. Each path keeps the ElementPath
# meaning the parser always had: the first match in document order, even
# when its text is empty ("", not None).
#
# Kinds of field: the text of the first match, the first matching element
# itself (amounts, whose ``Ccy`` attribute matters), or every match.
_TEXT, _ELEMENT, _ALL = "text", "element", "all"

_ENTRY_FIELDS: dict[str, str] = {
    "Amt": _ELEMENT,
    "CdtDbtInd": _TEXT,
    "RvslInd": _TEXT,
    # Sts is a plain code up to v7, <Sts><Cd>…</Cd></Sts> from v8 on.
    "Sts": _TEXT,
    "Sts/Cd": _TEXT,
    "Sts/Prtry": _TEXT,
    "BookgDt/Dt": _TEXT,
    "BookgDt/DtTm": _TEXT,
    "ValDt/Dt": _TEXT,
    "ValDt/DtTm": _TEXT,
    "AcctSvcrRef": _TEXT,
    # The proprietary code (BkTxCd/Prtry/Cd) is only read when there is no
    # domain code: from the first BkTxCd, along _PROPRIETARY_FIELDS.
    "BkTxCd": _ELEMENT,
    "BkTxCd/Domn/Cd": _TEXT,
    "BkTxCd/Domn/Fmly/Cd": _TEXT,
    "BkTxCd/Domn/Fmly/SubFmlyCd": _TEXT,
    "NtryDtls/TxDtls": _ALL,
}

_PROPRIETARY_FIELDS: dict[str, str] = {"Prtry/Cd": _TEXT}

# Party names: v1-v7 ``<Dbtr><Nm>``; v8+ ``<Dbtr><Pty><Nm>`` or
# ``<Dbtr><Agt><FinInstnId><Nm>``, in that order of preference.
_PARTY_NAMES = ("Nm", "Pty/Nm", "Agt/FinInstnId/Nm")
_TX_FIELDS: dict[str, str] = {
    "Amt": _ELEMENT,
    "AmtDtls/TxAmt/Amt": _ELEMENT,
    "AmtDtls/InstdAmt/Amt": _ELEMENT,
    "Refs/EndToEndId": _TEXT,
    "Refs/MndtId": _TEXT,
    "RtrInf": _ELEMENT,
    "RtrInf/Rsn/Cd": _TEXT,
    "RtrInf/Rsn/Prtry": _TEXT,
    **{
        f"RltdPties/{role}/{name}": _TEXT
        for role in ("Dbtr", "UltmtDbtr", "Cdtr", "UltmtCdtr")
        for name in _PARTY_NAMES
    },
    "RltdPties/DbtrAcct/Id/IBAN": _TEXT,
    "RltdPties/CdtrAcct/Id/IBAN": _TEXT,
    "RmtInf/Ustrd": _ALL,
    "RmtInf/Strd/CdtrRefInf/Ref": _TEXT,
}

# Where the related parties' names sit among the transaction fields: the
# debtor's and ultimate debtor's, then the creditor's and ultimate
# creditor's (each Nm, Pty/Nm, Agt/FinInstnId/Nm).
_TX_PATHS = list(_TX_FIELDS)
_DEBTOR_NAMES = slice(_TX_PATHS.index("RltdPties/Dbtr/Nm"), _TX_PATHS.index("RltdPties/Cdtr/Nm"))
_CREDITOR_NAMES = slice(
    _TX_PATHS.index("RltdPties/Cdtr/Nm"), _TX_PATHS.index("RltdPties/DbtrAcct/Id/IBAN")
)
_PARTIES = slice(_DEBTOR_NAMES.start, _CREDITOR_NAMES.stop)

# A compiled path tree: tag → slot number (the text of a leaf), a nested
# tree (a container), or (slot, kind, nested tree or None) for the rest.
_Tree = dict[Any, Any]


def _compile(fields: dict[str, str], prefixes: tuple[str, ...]) -> _Tree:
    """The path tree of ``fields`` (slot ``i`` is the ``i``-th path), keyed
    by each tag spelling in ``prefixes`` (``""`` and/or ``"{ns}"``)."""
    root: dict[str, list[Any]] = {}
    for slot, (path, kind) in enumerate(fields.items()):
        node = root
        *parents, leaf = path.split("/")
        for part in parents:
            spec = node.setdefault(part, [None, None, {}])
            if spec[2] is None:
                spec[2] = {}
            node = spec[2]
        spec = node.setdefault(leaf, [None, None, None])
        spec[0], spec[1] = slot, kind

    def freeze(node: dict[str, list[Any]]) -> _Tree:
        out: _Tree = {}
        for name, (slot, kind, children) in node.items():
            sub = freeze(children) if children is not None else None
            if slot is None:
                value: Any = sub
            elif kind == _TEXT and sub is None:
                value = slot
            else:
                value = (slot, kind, sub)
            for prefix in prefixes:
                out[prefix + name] = value
        return out

    return freeze(root)


def _walk(elem: Any, tree: _Tree, slots: list[Any]) -> None:
    """Fill ``slots`` from the children of ``elem`` along ``tree``."""
    # elem[:] builds the list of children in one call: cheaper than an
    # iterator object per container.
    for child in elem[:]:
        spec = tree.get(child.tag)
        if spec is None:
            continue
        kind = type(spec)
        if kind is int:
            if slots[spec] is None:
                slots[spec] = child.text or ""
        elif kind is dict:
            _walk(child, spec, slots)
        else:
            slot, what, sub = spec
            if what == _ALL:
                if slots[slot] is None:
                    slots[slot] = [child]
                else:
                    slots[slot].append(child)
            elif slots[slot] is None:
                slots[slot] = (child.text or "") if what == _TEXT else child
            if sub is not None:
                _walk(child, sub, slots)


def _fields(elem: Any, tree: _Tree, size: int) -> list[Any]:
    """The ``size`` fields ``tree`` reads from ``elem`` (``None`` where absent)."""
    slots: list[Any] = [None] * size
    _walk(elem, tree, slots)
    return slots


class _Trees:
    """The entry and transaction path trees for one document's tag spelling."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.entry = _compile(_ENTRY_FIELDS, prefixes)
        self.entry_slots = len(_ENTRY_FIELDS)
        self.tx = _compile(_TX_FIELDS, prefixes)
        self.tx_slots = len(_TX_FIELDS)
        self.proprietary = _compile(_PROPRIETARY_FIELDS, prefixes)


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


# The start tag of the root element, after an optional BOM, XML declaration,
# processing instructions and comments; group 1 is its attributes. A root
# with a prefix (``<ns2:Document xmlns:ns2=…>``) does not match.
_ROOT_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:(?:<\?.*?\?>|<!--.*?-->)\s*)*<[A-Za-z_][\w.-]*(\s[^<>]*)?>",
    re.DOTALL,
)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DEFAULT_NAMESPACE = re.compile(rb"""\sxmlns\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)')""")
# How far into the file the root start tag is looked for.
_HEAD = 64 * 1024
# Entries parsed in batches where that cannot change their meaning (see
# camt_batches); off, every entry goes through iterparse (tests compare).
USE_BATCHES = True


class _Prepended:
    """A binary file object that reads ``head`` first, then ``source``."""

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        self._head = head
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._source.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._source.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def _without_default_namespace(
    source: IO[bytes],
) -> tuple[IO[bytes] | _Prepended | EntryBatches, str | None, EntryBatches | None]:
    """``source`` with the root element's default camt namespace declaration
    blanked out, and that namespace (``None`` when left as it was).

    Why: lxml spells each tag it hands to Python as ``{namespace}Name``,
    building that string anew at every look-up; with the 50-character camt
    namespace this was a third of the time spent reading an entry. The
    declaration is overwritten by spaces of the same length (line and column
    numbers in errors stay right); the elements are then in no namespace and
    the reader, which already checked the namespace in the root tag, matches
    plain names. Left as it is: a prefixed root, a namespace that is not
    camt (the reader then says so), a root that also binds a prefix to the
    same namespace (its elements could use either spelling), and a file
    whose root tag is not near its start.

    The third value, when not ``None``, is the returned file object itself,
    an :class:`EntryBatches`: the document's plain-name entries can be parsed
    in batches (a UTF-8 document whose elements, once the declaration is
    hidden, are in no namespace).
    """
    head = source.read(_HEAD)
    root = _ROOT_START.match(head)
    if root is None:
        return _Prepended(head, source), None, None
    declaration = _DEFAULT_NAMESPACE.search(root.group(1) or b"")
    encoding = _DECLARED_ENCODING.search(head, 0, root.start(1) if root.group(1) else root.end())
    utf8 = encoding is None or encoding.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8")
    batchable = utf8 and USE_BATCHES
    if declaration is None:
        # No namespace at all (some banks omit it): the names are plain already.
        batches = EntryBatches(head, source) if batchable else None
        return batches or _Prepended(head, source), None, batches
    uri = declaration.group(1) if declaration.group(1) is not None else declaration.group(2)
    attributes = root.group(1)
    if not _NAMESPACE.search(uri.decode("latin-1")) or re.search(
        rb"\sxmlns:[\w.-]+\s*=\s*[\"']" + re.escape(uri) + rb"[\"']", attributes
    ):
        return _Prepended(head, source), None, None
    start = root.start(1) + declaration.start()
    end = root.start(1) + declaration.end()
    head = head[:start] + b" " * (end - start) + head[end:]
    batches = EntryBatches(head, source) if batchable else None
    return batches or _Prepended(head, source), uri.decode("latin-1"), batches


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


class _CamtReader:
    def __init__(self, source: IO[bytes], filename: str) -> None:
        self.source = source
        self.filename = filename
        self.tags = _Tags("")
        self.trees = _Trees(("",))
        # The root's default namespace when it was hidden from lxml (see
        # _without_default_namespace).
        self.hidden_namespace: str | None = None
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
        # Not etree.QName: it refuses the odd names a garbled file can have.
        tag = root.tag if isinstance(root.tag, str) else ""
        ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        ns = ns or self.hidden_namespace or ""
        self.root_name = local
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
        if self.hidden_namespace:
            # Elements are in no namespace, except under an element that
            # declares it again: the entry walks accept both spellings.
            self.tags = _Tags("")
            self.trees = _Trees(("", f"{{{ns}}}"))
        else:
            self.tags = _Tags(ns)
            self.trees = _Trees((self.tags.prefix,))

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
        source, self.hidden_namespace, batches = _without_default_namespace(self.source)
        events = etree.iterparse(
            source,
            events=("start", "end"),
            tag=("{*}Ntry", "{*}Stmt", "{*}Rpt", "{*}Ntfctn", "{*}" + MARKER),
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
                if name in ("Ntry", MARKER):
                    if event == "start":
                        continue
                    if name == "Ntry":
                        entries: Any = (elem,)
                    else:
                        # A run of entries iterparse did not see (camt_batches).
                        entries = batches.pop() if batches is not None else None
                        if entries is None:
                            raise self._error(block, MARKER, "element not expected in camt")
                    parent = elem.getparent()
                    if block is not None:
                        for ntry in entries:
                            block.count += 1
                            if block.header is None:
                                if not block.header_read:
                                    self._header(parent, block)
                                entry = self._entry(ntry, block, block.count)
                                block.header = self._statement(block, entry.currency)
                            else:
                                entry = self._entry(ntry, block, block.count)
                            yield block.header, entry
                    # Free the entry and the siblings read before it (the
                    # header), so memory stays that of one entry.
                    elem.clear()
                    while parent is not None and elem.getprevious() is not None:
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

    # --- entries -------------------------------------------------------------
    def _entry(self, ntry: Any, block: _Block, index: int) -> Entry:
        # Everything below runs once per entry: plain local code, error
        # locations built only when there is an error.
        trees = self.trees
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
        ) = _fields(ntry, trees.entry, trees.entry_slots)
        if amt is None:
            raise self._error(block, f"Ntry[{index}]/Amt", "entry without an amount")
        try:
            amount = cents_from_text(amt.text)
        except ValueError as e:
            raise self._error(block, f"Ntry[{index}]/Amt", str(e)) from e
        currency = amt.get("Ccy") or block.currency or "XXX"
        if indicator == "CRDT":
            credit = True
        elif indicator == "DBIT":
            credit = False
        else:
            indicator = (indicator or "").strip()
            if indicator not in ("CRDT", "DBIT"):
                raise self._error(
                    block, f"Ntry[{index}]/CdtDbtInd", f"{indicator!r} is neither CRDT nor DBIT"
                )
            credit = indicator == "CRDT"
        if amount < 0:
            # The amount is unsigned: CdtDbtInd alone gives the direction. A
            # "CRDT -500.00" read as a debit (or a "DBIT -…" as a credit)
            # would book a payment nobody made.
            raise self._error(
                block, f"Ntry[{index}]/Amt", self._negative(amt.text, indicator, reference)
            )
        if not credit:
            amount = -amount
        reversal = reversal_text is not None and reversal_text.strip().lower() in ("true", "1")
        status = EntryStatus.BOOKED
        if sts is not None:
            text = sts_cd or sts_prtry or sts
            status = _STATUS.get(text.strip().upper(), EntryStatus.INFO)
        booking = value = None
        if booking_dt is not None or booking_dttm is not None:
            try:  # the usual case first: a plain date
                booking = iso_day(booking_dt) if booking_dttm is None else None
            except ValueError:
                booking = None
            if booking is None:
                booking = self._date_of(booking_dt, booking_dttm, block, index, "BookgDt")
        if value_dt is not None or value_dttm is not None:
            try:
                value = iso_day(value_dt) if value_dttm is None else None
            except ValueError:
                value = None
            if value is None:
                value = self._date_of(value_dt, value_dttm, block, index, "ValDt")
        if reference is not None:
            reference = clean(reference)
        code = _bank_code(domain, family, sub_family)
        if code is None and bank_code is not None:
            proprietary: list[Any] = [None]
            _walk(bank_code, trees.proprietary, proprietary)
            code = clean(proprietary[0])
        if details is None:
            transactions: tuple[Transaction, ...] = ()
        else:
            count = len(details)
            transactions = tuple(
                [
                    self._transaction(
                        tx, block, index, i, amount, currency, credit, reversal, count
                    )
                    for i, tx in enumerate(details, start=1)
                ]
            )
            if reference is None and count == 1:
                # Some banks (Goldman Sachs) give the servicer reference only per transaction.
                reference = clean(details[0].findtext(self.tags.path("Refs/AcctSvcrRef")))
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

    @staticmethod
    def _negative(text: str | None, indicator: str, reference: str | None) -> str:
        # The XML path names the entry (Ntry[n]); its bank reference, if
        # any, finds it in the bank's own records.
        place = f" (entry reference {clean(reference)})" if reference and reference.strip() else ""
        return (
            f"negative amount {(text or '').strip()!r} in a {indicator} entry{place}: "
            "amounts are unsigned, CdtDbtInd gives the direction"
        )

    def _date_of(
        self, dt: str | None, dttm: str | None, block: _Block, index: int, what: str
    ) -> Any:
        """The day of ``Ntry[index]/<what>``: its ``Dt``, else its ``DtTm``."""
        for text, name in ((dt, "Dt"), (dttm, "DtTm")):
            if text and text.strip():
                try:
                    return iso_day(text)
                except ValueError as e:
                    where = f"Ntry[{index}]/{what}/{name}"
                    raise self._error(block, where, f"{text.strip()!r} is not a date") from e
        return None

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
        fields = _fields(tx, self.trees.tx, self.trees.tx_slots)
        (amt, tx_amt, instd_amt, e2e_text, mandate_text, rtr, reason_cd, reason_prtry) = fields[
            : _PARTIES.start
        ]
        debtor_iban, creditor_iban, unstructured, reference_text = fields[_PARTIES.stop :]
        if amt is None and tx_amt is None and instd_amt is None:
            amount = entry_amount
        else:
            amount = self._tx_amount(
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
        sides = ((debtor_iban, _DEBTOR_NAMES), (creditor_iban, _CREDITOR_NAMES))
        (iban, names), (other_iban, other_names) = sides if credit != is_return else sides[::-1]
        name = _party_name(*fields[names])
        if name is None and iban is None and other_iban != block.iban:
            iban, name = other_iban, _party_name(*fields[other_names])
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
        amt, tx_amt, instd_amt = amounts
        # The instructed amount may be in the payer's currency (FX).
        if instd_amt is not None and instd_amt.get("Ccy", entry_currency) != entry_currency:
            instd_amt = None
        candidates: list[int] = []
        for at, elem in zip(_TX_AMOUNTS, (amt, tx_amt, instd_amt), strict=True):
            if elem is not None:
                try:
                    cents = cents_from_text(elem.text)
                except ValueError as e:
                    where = f"Ntry[{entry_index}]/NtryDtls/TxDtls[{index}]/{at}"
                    raise self._error(block, where, str(e)) from e
                candidates.append(-cents if cents < 0 else cents)
        # The only transaction of the entry: when one of its amounts is the
        # booked amount, that is the one (a Swiss sample puts 4500.00 in
        # InstdAmt and 0.04 in TxAmt for a 4500.00 entry).
        booked = -entry_amount if entry_amount < 0 else entry_amount
        if not candidates or (siblings == 1 and booked in candidates):
            return entry_amount
        cents = candidates[0]
        return -cents if entry_amount < 0 else cents  # signed like the entry


_TX_AMOUNTS = ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt")


def _party_name(
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


def _bank_code(domain: str | None, family: str | None, sub_family: str | None) -> str | None:
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
