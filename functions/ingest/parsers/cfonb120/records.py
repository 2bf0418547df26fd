"""CFONB 120 records: fixed columns, signed-overpunch amounts, DDMMYY dates,
the errors that name a line, and where the records of a file begin."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date

from functions.core.errors import StatementParseError
from functions.core.statements import Balance
from functions.ingest.parsers.common import ddmmyy, french_iban

PARSER = "cfonb120"
WIDTH = 120

_POSITIVE = {"{": 0} | {chr(ord("A") + i): i + 1 for i in range(9)}
_NEGATIVE = {"}": 0} | {chr(ord("J") + i): i + 1 for i in range(9)}
# The last character of an amount → (sign, units digit), in one look-up.
OVERPUNCH: dict[str, tuple[int, int]] = (
    {c: (1, d) for c, d in _POSITIVE.items()}
    | {c: (-1, d) for c, d in _NEGATIVE.items()}
    | {str(d): (1, d) for d in range(10)}  # some banks write an unsigned last digit
)
# Number of decimals (column 20) → factor to cents, for the usual 0-2.
TO_CENTS = {"0": 100, "1": 10, "2": 1}
Dates = tuple[date, date | None]  # an operation's booking and value dates
# An operation: its 04 record, its 05 complements, its amount and dates.
Operation = tuple[str, list[str], int, Dates]
# A block: its first record, account IBAN, balances, operations and notes.
Block = tuple[str, str | None, Balance | None, Balance | None, list[Operation], tuple[str, ...]]


class Reader:
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


def amount(reader: Reader, record: str, line: int) -> int:
    """The amount of a record: digits, a sign character and 0-2 decimals by
    table look-up; anything else by :meth:`Reader.amount`, which checks it
    and names what is wrong. (``isdigit`` lets other scripts' digits through,
    which :meth:`Reader.amount` reads the same way: a digit that ``int``
    refuses fails there with the same ``ValueError``.)"""
    sign_unit = OVERPUNCH.get(record[103])
    scale = TO_CENTS.get(record[19])
    digits = record[90:103]
    if sign_unit is not None and scale is not None and digits.isdigit():
        return sign_unit[0] * (int(digits) * 10 + sign_unit[1]) * scale
    return reader.amount(record, line)


def too_long(reader: Reader, line: int, record: str) -> StatementParseError:
    return reader.error(line, f"record is {len(record)} characters long, not {WIDTH}")


def start(lines: Iterator[str]) -> tuple[int, Iterator[str], bool]:
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


def iban(head: str) -> str | None:
    """The IBAN of the account a block's first record names (bank, branch
    and account number of a French RIB), if it makes one."""
    return french_iban(head[2:7], head[11:16], head[21:32].strip())
