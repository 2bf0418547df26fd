"""CFONB 120: the French banks' fixed-width account statement ("relevé 120 caractères").

One 120-column record per line (CFONB, *Brochure relevé de compte sur
support informatique*):

* ``01`` old balance: opens an account's statement for a day;
* ``04`` operation (one booking);
* ``05`` complement of the preceding ``04``: a 3-letter qualifier at columns
  46-48 and 70 characters of information (``LIB`` label, ``LCC`` remittance
  text, ``RCN`` client reference = SEPA end-to-end id, ``NPY``/``IPY`` payer
  name/id, ``NBE``/``IBE`` beneficiary name/id, ``RUM`` mandate…);
* ``07`` new balance: closes the statement.

A file holds any number of ``01…07`` blocks, for one or several accounts
(one per account and day, "PAS DE MOUVEMENT" days included). Amounts are 14
digits whose last character carries the sign ("signed overpunch": ``{`` and
``A``-``I`` positive 0-9, ``}`` and ``J``-``R`` negative 0-9), scaled by the
number-of-decimals digit in column 20. Dates are ``DDMMYY``.

A file made only of ``04``/``05`` records (some banks' intraday extracts)
gives one statement without balances; a ``04`` or ``07`` outside a block in a
file that has blocks, or a ``05`` without its ``04``, is refused.

Speed: the file is decoded and cut into lines 64 KiB at a time
(:func:`~functions.ingest.parsers.common.iter_lines`), then read record by
record, one block (one account's day) held at a time. Each record is sliced
at fixed columns; amounts and dates go through table and dict look-ups, and
only an unusual value (spaces in an amount, an unsigned last digit, three
decimals) takes the slower, checking path. No regex runs per record. What
costs most is Python work per record and per object, so the hot loops do as
little as they can: a complement is only put aside with its operation and
looked at once, when the operation's entry is built; text fields are
stripped rather than split into words where the text has no whitespace but
spaces (:class:`TextSeen`); and the streaming reader builds each entry as it
hands it out (:func:`.entries.entry_items`).

The package: :mod:`.records` (columns, amounts, dates, errors), :mod:`.blocks`
(records read in order into blocks, and the checks on their order),
:mod:`.entries` (an operation and its complements made into an entry).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO

from functions.core.statements import Entry, ParsedFile, Statement
from functions.ingest.parsers.cfonb120.blocks import blocks
from functions.ingest.parsers.cfonb120.entries import entry as make_entry
from functions.ingest.parsers.cfonb120.entries import entry_items, statement
from functions.ingest.parsers.cfonb120.records import PARSER, WIDTH
from functions.ingest.parsers.common import TextSeen, guess_file_encoding, iter_lines

__all__ = ["FORMAT", "PARSER", "WIDTH", "iter_entries", "iter_statements", "parse"]

FORMAT = "cfonb120"


def iter_statements(
    lines: Iterator[str], filename: str, text: TextSeen | None = None
) -> Iterator[Statement]:
    """The statements of a CFONB 120 file given line by line (``str`` lines
    without their line ends, as :func:`~functions.ingest.parsers.common.iter_lines` gives), each one
    yielded when its ``07`` record is read. Memory is that of one block.

    Raises :class:`StatementParseError` naming the line for a malformed
    record or records out of order: the same error as if the whole file had
    been checked first (a record too long anywhere comes before the rest; a
    ``04`` outside a block is refused once a later ``01``/``07`` shows that
    the file has blocks), after yielding the statements before it.
    ``text`` tells what :func:`~functions.ingest.parsers.common.iter_lines` saw of the lines.
    """
    seen = text or TextSeen(spaces_only=False)
    entry = make_entry
    for head, iban, opening, closing, operations, notes in blocks(lines, filename):
        entries = [
            entry(record, complements, cents, dates, iban, seen.spaces_only)
            for record, complements, cents, dates in operations
        ]
        yield statement(head, iban, opening, closing, tuple(entries), notes)


def parse(data: bytes, filename: str) -> ParsedFile:
    """Parse a CFONB 120 statement file.

    Raises :class:`StatementParseError` naming the line for a malformed record
    or records out of order.
    """
    source = io.BytesIO(data)
    encoding, start = guess_file_encoding(source)
    source.seek(start)
    text = TextSeen()
    statements = tuple(iter_statements(iter_lines(source, encoding, text), filename, text))
    return ParsedFile(format=FORMAT, statements=statements)


def iter_entries(source: IO[bytes], filename: str) -> Iterator[tuple[Statement, Entry | None]]:
    """Stream a CFONB 120 file from a seekable binary file: ``(statement,
    entry)`` pairs, then ``(statement, None)`` once a statement has ended;
    the statement is a header without entries (``StatementStream`` items).
    The file is read twice: once for its encoding, once to parse it."""
    encoding, start = guess_file_encoding(source)
    source.seek(start)
    text = TextSeen()
    return entry_items(blocks(iter_lines(source, encoding, text), filename), text)
