"""The camt reader: iterparse events turned into statements and entries."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from functions.core.errors import StatementParseError
from functions.core.statements import Entry, Statement
from functions.ingest.parsers.camt.batches import MARKER, EntryBatches
from functions.ingest.parsers.camt.document import BLOCKS, PARSER, Block, Document, local
from functions.ingest.parsers.camt.entries import read_entry
from functions.ingest.parsers.camt.header import read_header, statement
from functions.ingest.parsers.camt.source import without_default_namespace


class CamtReader:
    """One camt file read once, as statements (:meth:`read`) or entry by
    entry (:meth:`stream`); :attr:`format` is known once reading has begun."""

    def __init__(self, source: IO[bytes], filename: str) -> None:
        self.source = source
        self.doc = Document(filename)

    @property
    def format(self) -> str:
        return self.doc.format

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
        doc = self.doc
        block: Block | None = None
        counts = dict.fromkeys(BLOCKS, 0)
        started = False
        ntry_tag = ""
        # resolve_entities/no_network: a bank file must not make us read
        # local files or the network (XXE).
        source, doc.hidden_namespace, batches = without_default_namespace(self.source)
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
                    doc.start(elem.getroottree().getroot())
                    ntry_tag = doc.tags.t["Ntry"]
                    started = True
                tag = elem.tag
                # The document's own namespace first: no string slicing per entry.
                name = "Ntry" if tag == ntry_tag else local(tag)
                if name in ("Ntry", MARKER):
                    if event == "start":
                        continue
                    entries = (elem,) if name == "Ntry" else self._batch(batches, block)
                    parent = elem.getparent()
                    if block is not None:
                        for ntry in entries:
                            block.count += 1
                            header = block.header
                            if header is None:
                                header, entry = self._first_entry(ntry, parent, block)
                            else:
                                entry = read_entry(doc, ntry, block, block.count)
                            yield header, entry
                    # Free the entry and the siblings read before it (the
                    # header), so memory stays that of one entry.
                    elem.clear()
                    while parent is not None and elem.getprevious() is not None:
                        del parent[0]
                elif event == "start":
                    counts[name] += 1
                    block = Block(kind=name, index=counts[name])
                elif block is not None:
                    yield self._end_block(elem, block), None
                    block = None
            if not started:
                # No matching element at all: look at the root to say why.
                doc.start(events.root)
        except etree.XMLSyntaxError as e:
            raise self._syntax_error(e) from e
        if sum(counts.values()) == 0:
            raise doc.error(None, "", "no Stmt, Rpt or Ntfctn element: nothing to read")

    def _batch(self, batches: EntryBatches | None, block: Block | None) -> Any:
        """The run of entries a marker stands for, which iterparse did not see
        (:mod:`.batches`)."""
        entries = batches.pop() if batches is not None else None
        if entries is None:
            raise self.doc.error(block, MARKER, "element not expected in camt")
        return entries

    def _first_entry(self, ntry: Any, parent: Any, block: Block) -> tuple[Statement, Entry]:
        """The first entry of ``block``, and the header it completes."""
        if not block.header_read:
            read_header(self.doc, parent, block)
        entry = read_entry(self.doc, ntry, block, block.count)
        block.header = statement(block, entry.currency)
        return block.header, entry

    def _end_block(self, elem: Any, block: Block) -> Statement:
        """The header of the ``block`` that ended (``elem``), then freed."""
        if not block.header_read:
            read_header(self.doc, elem, block)
        header = block.header or statement(block, None)
        parent = elem.getparent()
        elem.clear()
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]
        return header

    def _syntax_error(self, e: etree.XMLSyntaxError) -> StatementParseError:
        line = e.position[0] if e.position else None
        return StatementParseError(
            self.doc.filename,
            f"line {line}" if line else None,
            f"not well-formed XML: {e.msg}",
            PARSER,
        )
