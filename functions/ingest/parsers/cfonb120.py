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
(:func:`~.common.iter_lines`), then read record by record, one block (one account's day)
held at a time. Each record is sliced at fixed columns; amounts and dates go
through table and dict look-ups, and only an unusual value (spaces in an
amount, an unsigned last digit, three decimals) takes the slower, checking
path. No regex runs per record. What costs most is Python work per record
and per object, so the hot loops do as little as they can: a complement is
only put aside with its operation and looked at once, when the operation's
entry is built; text fields are stripped rather than split into words where
the text has no whitespace but spaces (:class:`TextSeen`); and the streaming
reader builds each entry as it hands it out (:func:`_entry_items`).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from datetime import date
from typing import IO

from functions.core.errors import StatementParseError
from functions.core.statements import (
    Balance,
    Entry,
    EntryStatus,
    ParsedFile,
    Statement,
    Transaction,
)
from functions.ingest.parsers.common import (
    TextSeen,
    clean,
    ddmmyy,
    find_rf,
    french_iban,
    guess_file_encoding,
    iter_lines,
)

PARSER = "cfonb120"
FORMAT = "cfonb120"
WIDTH = 120

_POSITIVE = {"{": 0} | {chr(ord("A") + i): i + 1 for i in range(9)}
_NEGATIVE = {"}": 0} | {chr(ord("J") + i): i + 1 for i in range(9)}
# The last character of an amount → (sign, units digit), in one look-up.
_OVERPUNCH: dict[str, tuple[int, int]] = (
    {c: (1, d) for c, d in _POSITIVE.items()}
    | {c: (-1, d) for c, d in _NEGATIVE.items()}
    | {str(d): (1, d) for d in range(10)}  # some banks write an unsigned last digit
)
# Number of decimals (column 20) → factor to cents, for the usual 0-2.
_TO_CENTS = {"0": 100, "1": 10, "2": 1}
_NOT_PROVIDED = "NOTPROVIDED"
_BOOKED = EntryStatus.BOOKED
_BLOCK_MARKS = ("01", "07")
_OUTSIDE = "operation (04) outside an 01…07 block"
_Dates = tuple[date, date | None]  # an operation's booking and value dates
# An operation: its 04 record, its 05 complements, its amount and dates.
_Operation = tuple[str, list[str], int, _Dates]
# A block: its first record, account IBAN, balances, operations and notes.
_Block = tuple[str, str | None, Balance | None, Balance | None, list[_Operation], tuple[str, ...]]
# Decimals of the currencies some French accounts hold that are not 2.
_CURRENCY_DECIMALS = {"XOF": "0", "XAF": "0", "XPF": "0", "JPY": "0", "KMF": "0"}

# --- text ------------------------------------------------------------------


class _Reader:
    """Errors and the checking (slow) decoding of amounts and dates."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def error(self, line: int, reason: str) -> StatementParseError:
        return StatementParseError(self.filename, f"line {line}", reason, PARSER)

    def amount(self, record: str, line: int) -> int:
        """Columns 91-104, signed overpunch, scaled by column 20 decimals."""
        zone = record[90:104]
        digits, last = zone[:-1], zone[-1:]
        if last in _POSITIVE:
            sign, unit = 1, _POSITIVE[last]
        elif last in _NEGATIVE:
            sign, unit = -1, _NEGATIVE[last]
        elif last.isdigit():  # some banks write an unsigned last digit
            sign, unit = 1, int(last)
        else:
            raise self.error(line, f"amount {zone.strip()!r}: bad sign character {last!r}")
        digits = digits.replace(" ", "0")
        if not digits.isdigit():
            raise self.error(line, f"amount {zone.strip()!r} is not a number")
        decimals_text = record[19]
        if not decimals_text.isdigit():
            raise self.error(line, f"number of decimals {decimals_text!r} is not a digit")
        decimals = int(decimals_text)
        raw = int(digits) * 10 + unit
        if decimals <= 2:
            scale: int = 10 ** (2 - decimals)
            cents = raw * scale
        else:
            cents, rest = divmod(raw, 10 ** (decimals - 2))
            if rest:
                raise self.error(line, f"amount {zone.strip()!r} has more than two decimals")
        return sign * cents

    def day(self, text: str, line: int, what: str) -> date:
        try:
            return ddmmyy(text)
        except ValueError as e:
            raise self.error(line, f"{what} {text!r} is not a DDMMYY date") from e

    def optional_day(self, text: str, line: int, what: str) -> date | None:
        if not text.strip() or text == "000000":
            return None
        return self.day(text, line, what)


def _amount(reader: _Reader, record: str, line: int) -> int:
    """The amount of a record: digits, a sign character and 0-2 decimals by
    table look-up; anything else by :meth:`_Reader.amount`, which checks it
    and names what is wrong. (``isdigit`` lets other scripts' digits through,
    which :meth:`_Reader.amount` reads the same way: a digit that ``int``
    refuses fails there with the same ``ValueError``.)"""
    sign_unit = _OVERPUNCH.get(record[103])
    scale = _TO_CENTS.get(record[19])
    digits = record[90:103]
    if sign_unit is not None and scale is not None and digits.isdigit():
        return sign_unit[0] * (int(digits) * 10 + sign_unit[1]) * scale
    return reader.amount(record, line)


def _too_long(reader: _Reader, line: int, record: str) -> StatementParseError:
    return reader.error(line, f"record is {len(record)} characters long, not {WIDTH}")


def _start(lines: Iterator[str]) -> tuple[int, Iterator[str], bool]:
    """Where the records begin: ``(number of the line before, lines, glued)``.

    A file without line ends (one long line of glued 120-column records, as
    some transfer tools produce) is cut up, its records numbered 1, 2…: that
    is a first non-blank line of a multiple of 120 characters with no other
    non-blank line after it, so only then are the next lines read ahead.
    """
    n = 0
    for line in lines:
        if not line.strip():
            n += 1
            continue
        if len(line) > WIDTH and len(line) % WIDTH == 0:
            ahead = []
            for after in lines:
                ahead.append(after)
                if after.strip():
                    break
            else:
                return 0, iter([line[i : i + WIDTH] for i in range(0, len(line), WIDTH)]), True
            return n, itertools.chain([line], ahead, lines), False
        return n, itertools.chain([line], lines), False
    return n, iter(()), False


class _Progress:
    """What the error checks need to know of the records read so far."""

    __slots__ = ("has_blocks", "line", "lines", "orphan_line")

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.line = 0  # the number of the last line read
        # The line of the first 04 read outside a block before any 01/07: an
        # intraday extract, unless an 01 or 07 comes later.
        self.orphan_line: int | None = None
        self.has_blocks = False


def iter_statements(
    lines: Iterator[str], filename: str, text: TextSeen | None = None
) -> Iterator[Statement]:
    """The statements of a CFONB 120 file given line by line (``str`` lines
    without their line ends, as :func:`~.common.iter_lines` gives), each one
    yielded when its ``07`` record is read. Memory is that of one block.

    Raises :class:`StatementParseError` naming the line for a malformed
    record or records out of order: the same error as if the whole file had
    been checked first (a record too long anywhere comes before the rest; a
    ``04`` outside a block is refused once a later ``01``/``07`` shows that
    the file has blocks), after yielding the statements before it.
    ``text`` tells what :func:`~.common.iter_lines` saw of the lines.
    """
    seen = text or TextSeen(spaces_only=False)
    entry = _entry
    for head, iban, opening, closing, operations, notes in _blocks(lines, filename):
        entries = [
            entry(record, complements, cents, dates, iban, seen.spaces_only)
            for record, complements, cents, dates in operations
        ]
        yield _statement(head, iban, opening, closing, tuple(entries), notes)


def _entry_items(
    blocks: Iterator[_Block], text: TextSeen
) -> Iterator[tuple[Statement, Entry | None]]:
    """``common.entry_items(iter_statements(…))``, without holding a block's
    entries: each is built as it is handed out, so that a consumer that does
    not keep it frees it at once. Reusing the memory just freed, with no
    entry for the garbage collector to go over again, is a fifth faster
    than building a block's thousand entries before the first goes out. (An
    entry is built from records already checked: building it raises no
    error.)"""
    entry = _entry
    for head, iban, opening, closing, operations, notes in blocks:
        header = _statement(head, iban, opening, closing, (), notes)
        for record, complements, cents, dates in operations:
            yield header, entry(record, complements, cents, dates, iban, text.spaces_only)
        yield header, None


def _blocks(lines: Iterator[str], filename: str) -> Iterator[_Block]:
    """The blocks of a file given line by line (see :func:`iter_statements`),
    with their operations' records, as each ``07`` is read."""
    reader = _Reader(filename)
    first, lines, glued = _start(lines)
    progress = _Progress(lines)
    try:
        yield from _read_blocks(lines, first, glued, reader, progress)
    except Exception:  # re-raised below, maybe after an error that comes first
        _raise_first_error(reader, progress)
        raise


def _raise_first_error(reader: _Reader, progress: _Progress) -> None:
    """Read the rest of the file for the errors a whole-file check finds
    before the one at hand: a record too long, or an ``01``/``07`` that makes
    an earlier intraday-looking ``04`` the error."""
    n = progress.line
    for line in progress.lines:
        n += 1
        record = line.rstrip()
        if len(record) > WIDTH:
            raise _too_long(reader, n, record) from None
        if record[:2] in _BLOCK_MARKS:
            progress.has_blocks = True
    if progress.orphan_line is not None and progress.has_blocks:
        raise reader.error(progress.orphan_line, _OUTSIDE) from None


def _read_blocks(
    lines: Iterator[str], first: int, glued: bool, reader: _Reader, progress: _Progress
) -> Iterator[_Block]:
    # The open block: the record naming its account (01, or the first 04 of
    # an extract), that account's IBAN, its opening balance and its
    # operations: each 04 record, its 05 complements (kept as read, looked
    # at when its entry is built) and its amount and dates (decoded at once,
    # so that errors come in line order).
    head = ""
    iban: str | None = None
    opening: Balance | None = None
    in_block = False
    operations: list[_Operation] = []
    # The complements of the block's last 04; None before its first 04: a 05
    # there has no operation to complete.
    complements: list[str] | None = None
    # An 01 whose number-of-decimals zone is blank: (record, line, date),
    # read once the block's operations tell the decimals; and the currency
    # and decimals zone (columns 17-20) of the block's first operation.
    blank_opening: tuple[str, int, date] | None = None
    zone: str | None = None
    # The booking and value dates (columns 35-48) repeat across a file:
    # parse each pair once.
    known_dates: dict[str, _Dates] = {}
    amount = _amount
    overpunch, to_cents = _OVERPUNCH, _TO_CENTS
    # The last run of blank lines: an error at the end of the file names the
    # last record, before any trailing blank lines.
    blank_start = blank_end = -1
    n = first  # the number of the line at hand, then of the last line
    for n, line in enumerate(lines, first + 1):
        # (Characters compared one by one: cheaper than slicing line[:2].)
        if len(line) == WIDTH and line[1] == "5" and line[0] == "0" and complements is not None:
            # Most records: a complement of full width. Kept as it is: its
            # trailing whitespace, which padding would turn into spaces,
            # reaches nothing (the text is whitespace-collapsed, the
            # qualifier compared with letters).
            complements.append(line)
            continue
        record = line.rstrip()
        code = record[:2]
        if len(record) != WIDTH:
            if not record and not glued:
                if blank_end != n - 1:
                    blank_start = n
                blank_end = n
                continue
            if len(record) > WIDTH:
                # The first record too long: no error can come before it.
                progress.line, progress.lines = n, iter(())
                raise _too_long(reader, n, record)
            # Transfer tools trim trailing spaces: pad back to 120 columns.
            record = record.ljust(WIDTH)
            code = record[:2]
        if code == "05":
            if complements is None:
                progress.line = n
                raise reader.error(n, "complement (05) without a preceding operation (04)")
            complements.append(record)
            continue
        progress.line = n
        if code == "04":
            if not in_block:
                if progress.has_blocks:
                    raise reader.error(n, _OUTSIDE)
                progress.orphan_line = n
                head, iban, opening, in_block = record, _iban(record), None, True
            if zone is None and record[19].isdigit():  # for a blank 01/07
                zone = record[16:20]
            # _amount written out (it runs for every operation).
            sign_unit = overpunch.get(record[103])
            scale = to_cents.get(record[19])
            digits = record[90:103]
            if sign_unit is not None and scale is not None and digits.isdigit():
                cents = sign_unit[0] * (int(digits) * 10 + sign_unit[1]) * scale
            else:
                cents = reader.amount(record, n)
            columns = record[34:48]
            found = known_dates.get(columns)
            if found is None:
                found = known_dates[columns] = (
                    reader.day(columns[:6], n, "booking date"),
                    reader.optional_day(columns[8:], n, "value date"),
                )
            complements = []
            operations.append((record, complements, cents, found))
        elif code == "01":
            _check_not_an_extract(reader, progress)
            if in_block:
                raise reader.error(
                    n, "old balance (01) before the new balance (07) of the last block"
                )
            opened = reader.day(record[34:40], n, "date")
            if record[19] == " ":
                blank_opening, opening = (record, n, opened), None
            else:
                opening = Balance(amount(reader, record, n), opened)
            head, iban, in_block, zone = record, _iban(record), True, None
        elif code == "07":
            _check_not_an_extract(reader, progress)
            if not in_block:
                raise reader.error(n, "new balance (07) without its old balance (01)")
            notes: tuple[str, ...] = ()
            if blank_opening is not None or record[19] == " ":
                zone, note = _blank_decimals(head, record, blank_opening is not None, zone)
                notes = (note,)
                head = _filled(head, zone)
                record = _filled(record, zone)
                if blank_opening is not None:
                    first_record, first_line, first_day = blank_opening
                    opening = Balance(
                        amount(reader, _filled(first_record, zone), first_line), first_day
                    )
            closing = Balance(amount(reader, record, n), reader.day(record[34:40], n, "date"))
            yield head, iban, opening, closing, operations, notes
            in_block, complements, operations, blank_opening = False, None, [], None
        else:
            raise reader.error(n, f"unknown record code {code!r} (expected 01, 04, 05 or 07)")
    progress.line = n
    if blank_end == n:
        n = blank_start - 1
    if not (in_block or progress.has_blocks):  # (any record read gives one or the other)
        raise StatementParseError(reader.filename, None, "no CFONB record", PARSER)
    if in_block:
        if progress.has_blocks:
            raise StatementParseError(
                reader.filename, f"line {n}", "file ends before the new balance (07)", PARSER
            )
        yield head, iban, None, None, operations, ()


def _blank_decimals(
    head: str, closing: str, opening_blank: bool, zone: str | None
) -> tuple[str, str]:
    """The currency and decimals zone to read balance records with when the
    bank left it blank (some banks fill it only in the 04 records): the
    block's operations', else the currency's default; and a note saying so."""
    blank = " and ".join(
        name for name, is_blank in (("01", opening_blank), ("07", closing[19] == " ")) if is_blank
    )
    if zone is not None:
        source = f"the {zone[3]} decimals of the operations (04)"
    else:
        currency = head[16:19].strip() or closing[16:19].strip() or "EUR"
        zone = f"{currency:<3.3}{_CURRENCY_DECIMALS.get(currency, '2')}"
        source = f"the {zone[3]} decimals of {currency.strip()}"
    records = f"records ({blank}) leave" if " and " in blank else f"record ({blank}) leaves"
    note = f"balance {records} the number-of-decimals zone blank: read with {source}"
    return zone, note


def _filled(record: str, zone: str) -> str:
    """``record`` with its blank currency and decimals zones taken from ``zone``."""
    currency = record[16:19] if record[16:19].strip() else zone[:3]
    decimals = record[19] if record[19] != " " else zone[3]
    return f"{record[:16]}{currency}{decimals}{record[20:]}"


def _check_not_an_extract(reader: _Reader, progress: _Progress) -> None:
    """An ``01``/``07`` record: the file has blocks, so a ``04`` read before
    outside a block (taken for an intraday extract) is an error."""
    progress.has_blocks = True
    if progress.orphan_line is not None:
        raise reader.error(progress.orphan_line, _OUTSIDE)


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
    return _entry_items(_blocks(iter_lines(source, encoding, text), filename), text)


def _iban(head: str) -> str | None:
    """The IBAN of the account a block's first record names (bank, branch
    and account number of a French RIB), if it makes one."""
    return french_iban(head[2:7], head[11:16], head[21:32].strip())


def _statement(
    head: str,
    iban: str | None,
    opening: Balance | None,
    closing: Balance | None,
    entries: tuple[Entry, ...],
    notes: tuple[str, ...] = (),
) -> Statement:
    return Statement(
        None,
        iban,
        None if iban else f"{head[2:7]}{head[11:16]}{head[21:32].strip()}",
        head[16:19].strip() or "EUR",
        opening,
        closing,
        entries,
        notes,
    )


def _entry(
    record: str,
    complements: list[str],
    cents: int,
    dates: _Dates,
    account_iban: str | None,
    spaces_only: bool,
) -> Entry:
    """The entry of the 04 ``record`` and its 05 ``complements``. A
    complement's qualifier read more than once counts by its first line (the
    remittance lines excepted). ``spaces_only``: the records hold no other
    whitespace (see :class:`TextSeen`)."""
    firsts: dict[str, str] = {}  # each qualifier's first complement
    more_text = False  # several LCC lines, or LIB lines: the general case
    for complement in complements:
        qualifier = complement[45:48]
        if qualifier == "LIB" or (qualifier == "LCC" and "LCC" in firsts):
            more_text = True
        firsts.setdefault(qualifier, complement)
    payer, beneficiary = firsts.get("NPY"), firsts.get("NBE")
    client_ref, mandate, bank_ref, lcc = (firsts.get(q) for q in ("RCN", "RUM", "REF", "LCC"))
    credit = cents > 0
    # Text fields are whitespace-collapsed as common.clean does, written out
    # here: the calls cost as much as the rest of the entry. Stripping the
    # ends is enough for a field whose only whitespace is spaces (every
    # other whitespace character is unprintable) and that has no two
    # spaces in a row; only other fields are split into words and joined.
    # The payer of a credit, the beneficiary of a debit; banks fill one or
    # both (the other one stands in for a blank or missing name).
    first, second = (payer, beneficiary) if credit else (beneficiary, payer)
    name = first[48:118].strip() if first is not None else ""
    if not name and second is not None:
        name = second[48:118].strip()
    if "  " in name or not (spaces_only or name.isprintable()):
        name = " ".join(name.split())
    # RCN: the client's reference (35 characters: the SEPA end-to-end id),
    # then the purpose. (Only an 11-character text upper-cases to
    # NOTPROVIDED: the length spares most upper() calls.)
    end_to_end = client_ref[48:83].strip() if client_ref is not None else ""
    if "  " in end_to_end or not (spaces_only or end_to_end.isprintable()):
        end_to_end = " ".join(end_to_end.split())
    if len(end_to_end) == len(_NOT_PROVIDED) and end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = ""
    # One LCC line (the usual case) is the remittance text.
    remittance = lcc[48:118].strip() if lcc is not None and not more_text else ""
    if "  " in remittance or not (spaces_only or remittance.isprintable()):
        remittance = " ".join(remittance.split())
    if not remittance:
        remittance = _remittance(record, complements) or ""
    reference = record[104:120].strip()
    if "  " in reference or not (spaces_only or reference.isprintable()):
        reference = " ".join(reference.split())
    transaction = Transaction(
        cents,
        name or None,
        None,
        account_iban if credit else None,
        end_to_end or None,
        (" ".join(mandate[48:83].split()) or None) if mandate is not None else None,
        remittance or None,
        find_rf(remittance) if "rf" in remittance.lower() else None,
    )
    return Entry(
        cents,
        record[16:19].strip() or "EUR",
        dates[0],
        dates[1],
        _BOOKED,
        False,
        reference or (clean(bank_ref[48:118]) if bank_ref is not None else None),
        # Two columns: strip() collapses them as clean() would.
        record[32:34].strip() or None,
        (transaction,),
    )


def _remittance(record: str, complements: list[str]) -> str | None:
    """The ``LCC`` lines (the payer's remittance text) joined, else the label
    (columns 49-79) followed by the ``LIB`` lines; blank lines left out."""
    lines = _texts(complements, "LCC") or [
        clean(record[48:79]) or "",
        *_texts(complements, "LIB"),
    ]
    return " ".join(line for line in lines if line) or None


def _texts(complements: list[str], qualifier: str) -> list[str]:
    found = (clean(c[48:118]) for c in complements if c[45:48] == qualifier)
    return [text for text in found if text]
