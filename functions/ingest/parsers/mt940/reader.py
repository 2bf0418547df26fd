"""MT940/MT942 parsing: one pass over the lines, tag by tag."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache

from functions.core.errors import StatementParseError
from functions.core.statements import Balance, ParsedFile
from functions.ingest.parsers.common import cents_from_text, clean, yymmdd
from functions.ingest.parsers.mt940.statements import Line, OpenStatement, to_statement
from functions.ingest.parsers.mt940.text import file_lines, rejoin_split_tag_marker

PARSER = "mt940"

_TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_BALANCE = re.compile(r"^([CD])(\d{6})([A-Z]{3})(\d[\d,.]*)$")
_LINE = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?"
    r"(?P<mark>RC|RD|C|D)"
    r"(?P<funds>[A-Z](?=\d))?"
    r"(?P<amount>\d[\d ]*(?:,\d*)?)"
    r"(?P<type>[NSF].{3})?"
    r"(?P<rest>.*)$"
)


class Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        # (value date, entry date) of each :61: date pair seen: the lines of a
        # statement share a few, and a dict look-up costs less than the calls.
        self.dates: dict[tuple[str, str | None], tuple[date, date]] = {}

    def error(self, line: int, reason: str) -> StatementParseError:
        return StatementParseError(self.filename, f"line {line}", reason, PARSER)

    def balance(self, value: str, line: int, tag: str) -> tuple[Balance, str]:
        m = _BALANCE.match(value.strip().replace(" ", ""))
        if m is None:
            raise self.error(
                line, f":{tag}: {value.strip()!r} is not a balance (C/D, YYMMDD, currency, amount)"
            )
        mark, day, currency, amount = m.groups()
        cents = self.cents(amount, line, tag)
        return Balance(-cents if mark == "D" else cents, self.day(day, line, tag)), currency

    def cents(self, text: str, line: int, tag: str) -> int:
        try:
            return cents_from_text(text.replace(" ", ""))
        except ValueError as e:
            raise self.error(line, f":{tag}: {e}") from e

    def day(self, text: str, line: int, tag: str) -> date:
        try:
            return yymmdd(text)
        except ValueError as e:
            raise self.error(line, f":{tag}: {text!r} is not a YYMMDD date") from e

    def statement_line(self, number: int, lines: list[str]) -> Line:
        first = lines[0].strip()
        m = _LINE.match(first)
        details = 1  # index of the first supplementary-details line
        if m is None and len(lines) > 1:
            # Sparkasse quirk: the line breaks between the mark and the amount.
            # (A match always has an amount: the pattern requires a digit.)
            m = _LINE.match(first + lines[1].strip())
            details = 2
        if m is None:
            raise self.error(number, f":61: {first[:40]!r} is not a statement line")
        # One groups() call: named look-ups cost as much as the match.
        value_text, entry_text, mark, _, amount_text, type_code, rest = m.groups()
        dates = self.dates.get((value_text, entry_text))
        if dates is None:
            value = self.day(value_text, number, "61")
            booking = self._entry_date(value, entry_text, number) if entry_text else value
            dates = self.dates[value_text, entry_text] = (value, booking)
        value, booking = dates
        # The usual "612,51": what cents() gives, without its calls (the
        # pattern leaves only digits around the comma once ``whole`` is
        # decimal, so the digits read as one number are the cents).
        whole, _, hundredths = amount_text.partition(",")
        if len(hundredths) == 2 and len(whole) <= 18 and whole.isdecimal():
            amount = int(whole + hundredths)
        else:
            amount = self.cents(amount_text, number, "61")
        # RC (reversal of credit) is a debit, RD (reversal of debit) a credit.
        if mark in ("D", "RC"):
            amount = -amount
        customer, _, bank = rest.partition("//")
        # clean() has nothing to do on the usual one-word type (NTRF) and
        # bank reference: letters and digits hold no whitespace to collapse.
        if type_code is not None and not type_code.isalnum():
            type_code = clean(type_code)
        return (
            number,
            amount,
            value,
            booking,
            mark[0] == "R",  # reversal
            type_code,
            customer.rstrip() or None,  # customer reference
            bank if bank.isalnum() else clean(bank),  # bank reference
            clean(" ".join(lines[details:])) if len(lines) > details else None,
        )

    def _entry_date(self, value: date, mmdd: str, number: int) -> date:
        booking = _closest_date(value, mmdd)
        if booking is None:
            raise self.error(number, f":61: entry date {mmdd!r} is not MMDD")
        return booking


@lru_cache(maxsize=4096)
def _closest_date(value: date, mmdd: str) -> date | None:
    """The entry date has no year: take the one closest to the value date
    (an entry on 2 January may carry a value date of 31 December). ``None``
    if ``mmdd`` is no date. Cached: a statement's lines share a few dates."""
    try:
        month, day = int(mmdd[:2]), int(mmdd[2:])
    except ValueError:
        return None
    candidates = []
    for year in (value.year - 1, value.year, value.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda d: abs((d - value).days))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file is parsed, as it was
    before afterwards. A statement's entries are three tracked objects each,
    all kept to the end: every 700 of them start a collection, and the full
    ones walk the whole heap, again and again as the statement grows. On a
    100,000-entry file they took a third of the parse and freed nothing,
    since nothing here makes a reference cycle."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# The tags of every entry, found by their first four characters rather than
# by the tag pattern (which gives the same for them).
_ENTRY_TAGS = {":61:": "61", ":86:": "86"}


def parse(data: bytes, filename: str) -> ParsedFile:
    """Parse an MT940 or MT942 file (one or several statements).

    Raises :class:`StatementParseError` naming the line of a malformed tag.
    """
    with _collector_paused():
        return _parse(data, filename)


def _parse(data: bytes, filename: str) -> ParsedFile:
    reader = Reader(filename)
    builder = Builder(reader)
    tag_match = _TAG.match
    entry_tag = _ENTRY_TAGS.get
    statement_line = reader.statement_line
    # One pass over the lines: a tag line starts a field, the lines after it
    # continue its value, and a field is read once the next tag shows that
    # it is complete (a :61: may go on over two lines, a :86: over several).
    # Text before the first tag (Danske Bank's example preamble, ABN AMRO's
    # ``ABNANL2A/940`` and ING's ``0000 01INGBNL2AXXXX`` header lines) and
    # ``-`` message separators are dropped.
    tag: str | None = None
    number = 0
    values: list[str] = []
    for n, raw in enumerate(rejoin_split_tag_marker(file_lines(data)), start=1):
        line = raw.rstrip()
        # Only a line starting with a colon can be a tag: no regex for the
        # continuation lines of :86:, nor for the :61: and :86: tag lines.
        if line[:1] == ":":
            new_tag = entry_tag(line[:4])
            if new_tag is not None:
                value = line[4:]
            else:
                m = tag_match(line)
                if m is not None:
                    new_tag, value = m.groups()
            if new_tag is not None:
                # The field before is complete. Those of each entry are
                # handled here as builder.field() handles them, without its
                # two calls.
                current = builder.current
                if current is not None and tag == "61":
                    read = statement_line(number, values)
                    current.add_entry()  # the entry of the :61: before
                    current.line = read
                elif current is not None and tag == "86":
                    if current.line is not None:
                        current.info += values
                elif tag is not None:
                    builder.field(number, tag, values)
                tag, number, values = new_tag, n, [value]
                continue
        if tag is not None and line and line.lstrip() != "-":
            values.append(line)
    if tag is None:
        raise StatementParseError(filename, None, "no MT940 tag found", PARSER)
    builder.field(number, tag, values)
    statements = builder.statements
    if not any(s.entries or s.line is not None or s.opening or s.closing for s in statements):
        raise StatementParseError(filename, None, "no balance or statement line", PARSER)
    return ParsedFile(
        format="mt942" if builder.interim else "mt940",
        statements=tuple(to_statement(s) for s in statements),
    )


class Builder:
    """The statements of a file, field by field (tag dispatch by dict)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.statements: list[OpenStatement] = []
        self.current: OpenStatement | None = None
        self.interim = False

    def field(self, number: int, tag: str, lines: list[str]) -> None:
        if tag == "20":
            self.current = OpenStatement(id=clean(lines[0].strip()))
            self.statements.append(self.current)
            return
        current = self.current
        if current is None:
            # A fragment without :20: (some exports cut the header off).
            current = self.current = OpenStatement()
            self.statements.append(current)
        handler = _HANDLERS.get(tag)
        if handler is not None:
            handler(self, current, number, tag, lines)

    def account(self, current: OpenStatement, number: int, tag: str, lines: list[str]) -> None:
        current.account = clean(lines[0].strip())

    def opening(self, current: OpenStatement, number: int, tag: str, lines: list[str]) -> None:
        current.opening, currency = self.reader.balance(lines[0].strip(), number, tag)
        current.currency = current.currency or currency

    def closing(self, current: OpenStatement, number: int, tag: str, lines: list[str]) -> None:
        current.closing, currency = self.reader.balance(lines[0].strip(), number, tag)
        current.currency = current.currency or currency

    def statement_line(
        self, current: OpenStatement, number: int, tag: str, lines: list[str]
    ) -> None:
        line = self.reader.statement_line(number, lines)
        current.add_entry()
        current.line = line

    def information(self, current: OpenStatement, number: int, tag: str, lines: list[str]) -> None:
        # :86: belongs to the :61: before it, even after other tags.
        if current.line is not None:
            current.info += lines

    def interim_tag(self, current: OpenStatement, number: int, tag: str, lines: list[str]) -> None:
        self.interim = True
        value = lines[0].strip()
        if tag == "34F" and current.currency is None:
            current.currency = value[:3] if value[:3].isalpha() else None


# Tag dispatch. Plain functions, not methods bound to the builder: a dict of
# those on the builder would be a reference cycle, which would keep every
# statement line read until the garbage collector's next pass.
_HANDLERS: dict[str, Callable[[Builder, OpenStatement, int, str, list[str]], None]] = {
    "25": Builder.account,
    "60F": Builder.opening,
    "60M": Builder.opening,
    "62F": Builder.closing,
    "62M": Builder.closing,
    "61": Builder.statement_line,
    "86": Builder.information,
    "34F": Builder.interim_tag,
    "13D": Builder.interim_tag,
    "90D": Builder.interim_tag,
    "90C": Builder.interim_tag,
}
