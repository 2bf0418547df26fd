"""ISO 20022 camt.052 (account report), camt.053 (statement), camt.054 (notification).

Every version from 001.01 to 001.13 shares the element names we read, so the
parser ignores the namespace URI (it only checks that it names a camt.052,
053 or 054 message) and matches local names. The file is streamed with
``lxml.etree.iterparse``: each ``Ntry`` is turned into an :class:`Entry` as
soon as its end tag is read, then cleared, so memory does not grow with the
file. Runs of adjacent entries are parsed apart, a batch at a time, where
that cannot change their meaning (:mod:`.batches`), and the root's
default namespace is hidden from lxml (:func:`.source.without_default_namespace`):
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

The package, along the parts of a camt message:

* :mod:`.source`: the bytes handed to lxml (namespace hidden, batches cut);
* :mod:`.batches`: runs of entries parsed apart from iterparse;
* :mod:`.reader`: iterparse events → statements and entries;
* :mod:`.document`: the root and message checks, blocks, located errors;
* :mod:`.header`: a statement's id, account and balances;
* :mod:`.entries`: an entry's amount, direction, status, dates and bank code;
* :mod:`.transactions`: a transaction's amount, references, parties,
  remittance information and return information;
* :mod:`.paths`: the element paths read, compiled into one walk per entry.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO

from functions.core.statements import Entry, ParsedFile, Statement
from functions.ingest.parsers.camt.document import PARSER
from functions.ingest.parsers.camt.reader import CamtReader
from functions.ingest.parsers.common import xml_as_utf8

__all__ = ["PARSER", "iter_entries", "iter_statements", "parse", "parse_stream"]


def iter_statements(source: IO[bytes], filename: str) -> tuple[str, Iterator[Statement]]:
    """Stream statements from a binary file object; ``format`` is known once the
    first element has been read, so it is returned with the iterator primed."""
    reader = CamtReader(source, filename)
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
    reader = CamtReader(source, filename)
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
