"""CFONB 120 records read in order into blocks (one account's day: ``01``,
``04``/``05``…, ``07``), and the checks on their order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from functions.core.errors import StatementParseError
from functions.core.statements import Balance
from functions.ingest.parsers.cfonb120.records import (
    OVERPUNCH,
    PARSER,
    TO_CENTS,
    WIDTH,
    Block,
    Dates,
    Operation,
    Reader,
    amount,
    iban,
    start,
    too_long,
)

_BLOCK_MARKS = ("01", "07")
_OUTSIDE = "operation (04) outside an 01…07 block"
# Decimals of the currencies some French accounts hold that are not 2.
_CURRENCY_DECIMALS = {"XOF": "0", "XAF": "0", "XPF": "0", "JPY": "0", "KMF": "0"}


class Progress:
    """What the error checks need to know of the records read so far."""

    __slots__ = ("blank_end", "blank_start", "has_blocks", "line", "lines", "orphan_line")

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.line = 0  # the number of the last line read
        # The line of the first 04 read outside a block before any 01/07: an
        # intraday extract, unless an 01 or 07 comes later.
        self.orphan_line: int | None = None
        self.has_blocks = False
        # The last run of blank lines: an error at the end of the file names
        # the last record, before any trailing blank lines.
        self.blank_start = self.blank_end = -1


class _Open:
    """The open block: the record naming its account (01, or the first 04 of
    an extract), that account's IBAN, its opening balance and its
    operations: each 04 record, its 05 complements (kept as read, looked at
    when its entry is built) and its amount and dates (decoded at once, so
    that errors come in line order)."""

    __slots__ = ("blank_opening", "head", "iban", "in_block", "opening", "operations", "zone")

    def __init__(self) -> None:
        self.head = ""
        self.iban: str | None = None
        self.opening: Balance | None = None
        self.in_block = False
        self.operations: list[Operation] = []
        # An 01 whose number-of-decimals zone is blank: (record, line, date),
        # read once the block's operations tell the decimals; and the
        # currency and decimals zone (columns 17-20) of the block's first
        # operation.
        self.blank_opening: tuple[str, int, date] | None = None
        self.zone: str | None = None


def blocks(lines: Iterator[str], filename: str) -> Iterator[Block]:
    """The blocks of a file given line by line (see
    :func:`~functions.ingest.parsers.cfonb120.iter_statements`), with their
    operations' records, as each ``07`` is read."""
    reader = Reader(filename)
    first, lines, glued = start(lines)
    progress = Progress(lines)
    try:
        yield from _read_blocks(lines, first, glued, reader, progress)
    except Exception:  # re-raised below, maybe after an error that comes first
        _raise_first_error(reader, progress)
        raise


def _raise_first_error(reader: Reader, progress: Progress) -> None:
    """Read the rest of the file for the errors a whole-file check finds
    before the one at hand: a record too long, or an ``01``/``07`` that makes
    an earlier intraday-looking ``04`` the error."""
    n = progress.line
    for line in progress.lines:
        n += 1
        record = line.rstrip()
        if len(record) > WIDTH:
            raise too_long(reader, n, record) from None
        if record[:2] in _BLOCK_MARKS:
            progress.has_blocks = True
    if progress.orphan_line is not None and progress.has_blocks:
        raise reader.error(progress.orphan_line, _OUTSIDE) from None


def _read_blocks(
    lines: Iterator[str], first: int, glued: bool, reader: Reader, progress: Progress
) -> Iterator[Block]:
    """The loop over the records. What most records are (a full-width
    ``05``, a well-formed ``04``) is handled here, in line; the rest by the
    functions below."""
    block = _Open()
    # The complements of the block's last 04; None before its first 04: a 05
    # there has no operation to complete.
    complements: list[str] | None = None
    # The booking and value dates (columns 35-48) repeat across a file:
    # parse each pair once.
    known_dates: dict[str, Dates] = {}
    overpunch, to_cents = OVERPUNCH, TO_CENTS
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
        if len(record) != WIDTH:
            record = _padded(record, n, glued, reader, progress)
            if not record:  # a blank line
                continue
        code = record[:2]
        if code == "05":
            if complements is None:
                progress.line = n
                raise reader.error(n, "complement (05) without a preceding operation (04)")
            complements.append(record)
            continue
        progress.line = n
        if code == "04":
            if not block.in_block:
                _extract_start(block, record, n, reader, progress)
            if block.zone is None and record[19].isdigit():  # for a blank 01/07
                block.zone = record[16:20]
            # amount() written out (it runs for every operation).
            sign_unit = overpunch.get(record[103])
            scale = to_cents.get(record[19])
            digits = record[90:103]
            if sign_unit is not None and scale is not None and digits.isdigit():
                cents = sign_unit[0] * (int(digits) * 10 + sign_unit[1]) * scale
            else:
                cents = reader.amount(record, n)
            columns = record[34:48]
            dates = known_dates.get(columns) or _dates(known_dates, columns, n, reader)
            complements = []
            block.operations.append((record, complements, cents, dates))
        elif code == "01":
            _old_balance(block, record, n, reader, progress)
        elif code == "07":
            yield _new_balance(block, record, n, reader, progress)
            complements = None
        else:
            raise reader.error(n, f"unknown record code {code!r} (expected 01, 04, 05 or 07)")
    last = _end_of_file(block, n, reader, progress)
    if last is not None:
        yield last


def _dates(known: dict[str, Dates], columns: str, n: int, reader: Reader) -> Dates:
    """The booking and value dates of ``columns`` (35-48), remembered in ``known``."""
    dates = known[columns] = (
        reader.day(columns[:6], n, "booking date"),
        reader.optional_day(columns[8:], n, "value date"),
    )
    return dates


def _padded(record: str, n: int, glued: bool, reader: Reader, progress: Progress) -> str:
    """A record (``record``, right-stripped) that is not 120 characters long:
    ``""`` for a blank line (noted in ``progress``), padded back to 120
    columns when shorter (transfer tools trim trailing spaces), an error
    when longer."""
    if not record and not glued:
        if progress.blank_end != n - 1:
            progress.blank_start = n
        progress.blank_end = n
        return ""
    if len(record) > WIDTH:
        # The first record too long: no error can come before it.
        progress.line, progress.lines = n, iter(())
        raise too_long(reader, n, record)
    return record.ljust(WIDTH)


def _extract_start(block: _Open, record: str, n: int, reader: Reader, progress: Progress) -> None:
    """A ``04`` outside a block: the start of an intraday extract (records
    ``04``/``05`` only), unless the file has blocks."""
    if progress.has_blocks:
        raise reader.error(n, _OUTSIDE)
    progress.orphan_line = n
    block.head, block.iban, block.opening, block.in_block = record, iban(record), None, True


def _old_balance(block: _Open, record: str, n: int, reader: Reader, progress: Progress) -> None:
    """An ``01`` record: opens ``block``."""
    _check_not_an_extract(reader, progress)
    if block.in_block:
        raise reader.error(n, "old balance (01) before the new balance (07) of the last block")
    opened = reader.day(record[34:40], n, "date")
    if record[19] == " ":
        block.blank_opening, block.opening = (record, n, opened), None
    else:
        block.opening = Balance(amount(reader, record, n), opened)
    block.head, block.iban, block.in_block, block.zone = record, iban(record), True, None


def _new_balance(block: _Open, record: str, n: int, reader: Reader, progress: Progress) -> Block:
    """An ``07`` record: closes ``block``, which is returned and reset."""
    _check_not_an_extract(reader, progress)
    if not block.in_block:
        raise reader.error(n, "new balance (07) without its old balance (01)")
    head, opening = block.head, block.opening
    notes: tuple[str, ...] = ()
    if block.blank_opening is not None or record[19] == " ":
        zone, note = _blank_decimals(head, record, block.blank_opening is not None, block.zone)
        notes = (note,)
        head = _filled(head, zone)
        record = _filled(record, zone)
        if block.blank_opening is not None:
            first, first_line, first_day = block.blank_opening
            opening = Balance(amount(reader, _filled(first, zone), first_line), first_day)
    closing = Balance(amount(reader, record, n), reader.day(record[34:40], n, "date"))
    closed = (head, block.iban, opening, closing, block.operations, notes)
    block.in_block, block.operations, block.blank_opening = False, [], None
    return closed


def _end_of_file(block: _Open, n: int, reader: Reader, progress: Progress) -> Block | None:
    """The end of the file, after line ``n``: the last block of an intraday
    extract, or an error for a block left open."""
    progress.line = n
    if progress.blank_end == n:
        n = progress.blank_start - 1
    if not (block.in_block or progress.has_blocks):  # (any record read gives one or the other)
        raise StatementParseError(reader.filename, None, "no CFONB record", PARSER)
    if not block.in_block:
        return None
    if progress.has_blocks:
        raise StatementParseError(
            reader.filename, f"line {n}", "file ends before the new balance (07)", PARSER
        )
    return block.head, block.iban, None, None, block.operations, ()


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


def _check_not_an_extract(reader: Reader, progress: Progress) -> None:
    """An ``01``/``07`` record: the file has blocks, so a ``04`` read before
    outside a block (taken for an intraday extract) is an error."""
    progress.has_blocks = True
    if progress.orphan_line is not None:
        raise reader.error(progress.orphan_line, _OUTSIDE)
