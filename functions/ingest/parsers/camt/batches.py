"""Entry batches: the camt reader's fast lane through the bulk of a file.

``lxml.etree.iterparse`` calls back into lxml for every element it builds
(to look for the events asked for), which makes it much slower than libxml2
building the same elements in one ``fromstring`` call. A statement is almost
all ``Ntry`` elements, one after the other, so the reader hands iterparse
the document with each run of adjacent entries (about :data:`BATCH_BYTES`)
replaced by one empty marker element, and gets the run, parsed in one call,
when iterparse reaches its marker. The statement structure (blocks, headers,
balances) still comes from iterparse, memory stays that of one batch, and
every byte is still read by libxml2.

A run is only taken apart when that cannot change what the file says: it
starts at an entry start tag outside any comment, CDATA section or
processing instruction; it ends at an entry end tag; it parses on its own
(so it holds whole elements, no name whose prefix is declared outside it);
and everything at its top level is an ``Ntry``. The document is UTF-8 and
its elements are in no namespace once the root's is hidden (the reader
checks both), and the fast lane stops at a DOCTYPE, whose entities could
change the text. Anything else goes to iterparse as it is, and the reader's
usual path reads it, errors and all. The marker keeps the run's line ends,
so line numbers in iterparse errors stay those of the file.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

# The marker element; the reader asks iterparse for it as for ``Ntry``.
MARKER = "EncaisseEntryBatch"
_MARKER = f"<{MARKER}/>".encode()
# A batch is cut after the entry that reaches this size: small enough to
# stay in the CPU cache while it is parsed and read.
BATCH_BYTES = 64 * 1024
_READ_BYTES = 64 * 1024

# What the scanner stops at outside entries: an entry start tag, or a
# construct whose content must be skipped unread (a "<Ntry>" inside a comment
# is text). A DOCTYPE turns the fast lane off for the rest of the file.
_NEXT = re.compile(rb"<Ntry[\s>]|<!--|<!\[CDATA\[|<\?|<!DOCTYPE")
_CLOSERS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
_END_TAG = b"</Ntry>"
# Room kept at the end of the buffer when nothing was found, in case a
# token ("<![CDATA[", "<!DOCTYPE") straddles two reads.
_TAIL = 9
# The same safety settings as the reader's iterparse: no entity expansion,
# no network, no DTD (XXE), comments dropped.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=True,
    remove_comments=True,
)


class EntryBatches:
    """A binary file object over ``head`` + ``source`` for iterparse, in which
    runs of entries are replaced by markers; :meth:`pop` gives each run back,
    parsed (its entries), in order."""

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        self._buffer = head
        self._source = source
        self._eof = False
        self._pieces = self._scan()
        self._batches: deque[Any] = deque()

    def pop(self) -> Any:
        """The next run of entries (a list of ``Ntry`` elements), or ``None``."""
        return self._batches.popleft() if self._batches else None

    def read(self, size: int = -1) -> bytes:
        # One piece per call: a marker is handed over on its own, so that
        # iterparse reports it before this object reads further ahead, and
        # at most a batch or two are held at a time.
        return next(self._pieces, b"")

    # --- scanning -------------------------------------------------------------
    def _more(self) -> bool:
        """Append the next block of the source to the buffer; False at its end."""
        if self._eof:
            return False
        data = self._source.read(_READ_BYTES)
        if not data:
            self._eof = True
            return False
        self._buffer += data
        return True

    def _scan(self) -> Iterator[bytes]:
        while True:
            buffer = self._buffer
            found = _NEXT.search(buffer)
            if found is None:
                if self._eof:
                    break
                cut = max(0, len(buffer) - _TAIL)
                if cut:
                    self._buffer = buffer[cut:]
                    yield buffer[:cut]
                self._more()
                continue
            token = found.group()
            if token == b"<!DOCTYPE":
                break
            start = found.start()
            closer = _CLOSERS.get(token)
            if closer is not None:
                end = buffer.find(closer, found.end())
                if end < 0:
                    if not self._more():
                        break
                    continue
                end += len(closer)
            else:
                # Entries are small: read ahead so that a whole batch is there.
                while len(buffer) - start < 2 * BATCH_BYTES and self._more():
                    buffer = self._buffer
                end, batch = _run(buffer, start)
                if batch is not None:
                    if start:
                        yield buffer[:start]
                    self._buffer = buffer[end:]
                    self._batches.append(batch)
                    yield _MARKER + b"\n" * buffer.count(b"\n", start, end)
                    continue
                # Not one to take apart: pass its start tag on and go on
                # scanning inside it (its comments, if any, are skipped).
                end = found.end()
            self._buffer = buffer[end:]
            yield buffer[:end]
        # The rest of the file, as it is.
        rest = self._buffer
        self._buffer = b""
        if rest:
            yield rest
        while chunk := self._source.read(_READ_BYTES):
            yield chunk


def _run(buffer: bytes, start: int) -> tuple[int, Any]:
    """The end of the run of entries starting at ``start`` and the run,
    parsed (its entries, as a list); ``(0, None)`` when it is not one to
    take apart."""
    close = buffer.rfind(_END_TAG, start, start + BATCH_BYTES)
    if close < 0:
        close = buffer.find(_END_TAG, start)
        if close < 0:
            return 0, None
    end = close + len(_END_TAG)
    try:
        # One copy of the run (a memoryview slice is not one).
        run = b"".join((b"<Batch>", memoryview(buffer)[start:end], b"</Batch>"))
        batch = etree.fromstring(run, _PARSER)
    except etree.XMLSyntaxError:
        # A run cut inside a comment or across the end of its statement,
        # an undeclared prefix, a malformed entry: iterparse will say.
        return 0, None
    # The entries' elements, checked here, are the ones the reader reads:
    # lxml makes a Python object per element each time one is asked for.
    entries = batch[:]
    for child in entries:
        tag = child.tag
        if tag != "Ntry" and not (isinstance(tag, str) and tag.endswith("}Ntry")):
            return 0, None
    return end, entries
