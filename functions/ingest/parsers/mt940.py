"""SWIFT MT940 (customer statement) and MT942 (interim transaction report).

Tags read (SWIFT *Category 9 MT940/MT942* usage guidelines):

* ``:20:`` transaction reference (our statement id), ``:25:`` account,
  ``:28C:`` statement/sequence number;
* ``:60F:``/``:60M:`` opening balance (final or intermediate),
  ``:62F:``/``:62M:`` closing balance; ``:64:``/``:65:`` available balances
  are not booked balances and are skipped;
* ``:61:`` statement line, ``:86:`` information to the account owner for the
  preceding ``:61:``;
* MT942: ``:34F:`` floor limit, ``:13D:`` date-time, ``:90D:``/``:90C:``
  totals; it has no balances.

``:86:`` comes in three dialects, recognised from its content:

* German ZKA/GVC: ``166?00SEPA-GUTSCHRIFT?20EREF+…?32NAME`` — sub-fields
  ``?20``-``?29``/``?60``-``?63`` purpose (with SEPA keys ``EREF+``,
  ``MREF+``, ``SVWZ+``…), ``?31`` account, ``?32``/``?33`` name (Triodos uses
  ``>`` instead of ``?``);
* Dutch structured: ``/EREF/…/CNTP/iban/bic/name/city/REMI/USTD//text/``
  (ING), ``/BENM//NAME/…/REMI/…`` (Rabobank), ``/TRTP/…/IBAN/…/NAME/…`` (Knab);
* free text, kept as the remittance.

Bank quirks are small named functions below, each saying why it exists.

Speed: one pass over the lines, each entry built as soon as its lines are
read; the usual Dutch :86: is cut once; the garbage collector is paused
while a file is parsed; schwifty is only loaded when its verdict on an
account IBAN can change the result.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from functions.core.errors import InvalidIbanError, StatementParseError
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
    decode_text,
    find_rf,
    guess_file_encoding,
    iter_lines,
    normalize_iban,
    yymmdd,
)

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
_NOT_PROVIDED = "NOTPROVIDED"
_TAG_REST = re.compile(r"^\d{2}[A-Z]?:")
_IBAN_SHAPED = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,}$")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_LEGACY_COUNTERPARTY = re.compile(r"^(\d{9,10}|[A-Z]{2}\d{2}[A-Z0-9]{10,30})\s{2,}(\S.*)$")
_LEGACY_MIN_LENGTH = 9 + 2 + 1  # the shortest text _LEGACY_COUNTERPARTY matches
_KNAB_REK_NAAM = re.compile(r"REK:\s*([A-Z]{2}\d{2}[A-Z0-9]{10,30}|\d+)\s*/NAAM:\s*(.+)$")
_REMI_PREFIX = re.compile("USTD//|STRD/CUR/|STRD/ISO/")


# A :61: statement line: (line number, amount in cents, value date, booking
# date, reversal, type code, customer reference, bank reference,
# supplementary details). A plain tuple, built in one step.
_Line = tuple[int, int, date, date, bool, str | None, str | None, str | None, str | None]


@dataclass
class _Statement:
    id: str | None = None
    account: str | None = None
    currency: str | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    entries: list[Entry] = field(default_factory=list)
    # The last :61: read and the :86: lines after it so far. Its entry is
    # built as soon as the next :61: (or the end of the file) shows them
    # complete: no statement line is kept once read, which took 60 MB at the
    # peak of a 100,000-entry file.
    line: _Line | None = None
    info: list[str] = field(default_factory=list)
    # The (account, currency) the entries were built with, that account's
    # IBAN, and whether an entry was built with an earlier pair (a :25: or the
    # first balance read after some :61:): such entries are rebuilt at the end.
    basis: tuple[str | None, str | None] | None = None
    account_iban: str | None = None
    stale: bool = False

    def add_entry(self) -> None:
        """Build the entry of the pending statement line, if any, with the
        account and currency read so far (usually the final ones)."""
        if self.line is None:
            return
        basis = (self.account, self.currency)
        if basis != self.basis:
            self.stale = self.stale or bool(self.entries)
            self.basis = basis
            self.account_iban = _account_iban(self.account, self.currency) if self.account else None
        self.entries.append(_entry(self.line, self.info, self.currency or "XXX", self.account_iban))
        self.line = None
        self.info = []


# --- bank quirks (text level) ----------------------------------------------


def _strip_swift_envelope(text: str) -> str:
    """Files straight from SWIFTNet keep the ``{1:…}{2:…}{4:`` header and
    ``-}`` trailer blocks around the text block; only block 4 is the message."""
    if "{" in text:  # most files have no envelope: skip three passes over the text
        text = _ENVELOPE_BLOCK.sub("", text)
        text = text.replace("{4:", "\n")
    if "-}" in text:
        text = _ENVELOPE_END.sub("\n", text)
    return text


_ENVELOPE_BLOCK = re.compile(r"\{[1235]:(?:\{[^{}]*\}|[^{}])*\}")
_ENVELOPE_END = re.compile(r"(?m)^-\}\s*$|-\}")


def _rejoin_split_tag_marker(lines: Iterator[str]) -> Iterator[str]:
    """Some Sparkasse exports break a line right after the leading colon of a
    tag (``:`` then ``86:…``); glue such halves back together."""
    previous = next(lines, None)
    if previous is None:
        return
    for line in lines:
        if previous == ":" and _TAG_REST.match(line):
            previous = ":" + line
            continue
        yield previous
        previous = line
    yield previous


def _lines(data: bytes) -> Iterator[str]:
    """The file's lines, decoded. Read a chunk at a time (no whole-file
    text or list of lines) unless a SWIFT envelope, which may span lines,
    has to be cut out of the whole text first."""
    if b"{" not in data and b"}" not in data:  # no envelope block, no "-}" trailer
        source = io.BytesIO(data)
        encoding, start = guess_file_encoding(source)
        source.seek(start)
        return iter_lines(source, encoding)
    return iter(_strip_swift_envelope(decode_text(data)).split("\n"))


# --- bank quirks (values) ----------------------------------------------------


def _account_iban(value: str, currency: str | None) -> str | None:
    """:25: often holds an IBAN, sometimes followed by the currency (ING
    ``NL77INGB0574908765EUR``, Rabobank ``NL34RABO0142623393 EUR``). Sample
    files carry IBANs whose check digits fail, so an unchecked IBAN-shaped
    value is kept once a trailing currency code is removed."""
    compact = "".join(value.split()).upper()
    if not _IBAN_SHAPED.match(compact):
        return None
    if (
        len(compact) <= 34
        and not (currency and compact.endswith(currency))
        and _fails_check_digits(compact[:-3])
    ):
        # The value is then the answer whether it checks or not: only its
        # first characters checking as an IBAN could change it. Loading
        # schwifty for that verdict would cost 0.15 s.
        return compact
    # schwifty (behind viban) is imported on first use only, for that reason.
    from functions.core.viban import normalize_iban as checked_iban

    for candidate in (compact, compact[:-3]):
        try:
            return checked_iban(candidate)
        except InvalidIbanError:
            continue
    if currency and compact.endswith(currency):
        compact = compact[: -len(currency)]
    return compact if len(compact) <= 34 else None


def _fails_check_digits(iban: str) -> bool:
    """Whether ``iban`` fails the ISO 13616 mod-97 test, which every valid
    IBAN passes (letters count 10 to 35, the first four characters last).
    ``False`` when it is not plain ASCII letters and digits: not known."""
    if not (iban.isascii() and iban.isalnum()):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 != 1


def _rabobank_legacy_counterparty(reference: str | None) -> tuple[str | None, str | None]:
    """Old Rabobank files put the counter account and name in the :61:
    reference field (``1313131319      J. DOE``), past its 16 characters."""
    if reference:
        m = _LEGACY_COUNTERPARTY.match(reference)
        if m:
            return m.group(1), clean(m.group(2))
    return None, None


def _iban_in_line(*candidates: str | None) -> str | None:
    """Rabobank's structured files give the counter IBAN as the :61:
    supplementary details (second line); SNS puts it in the customer
    reference field."""
    for value in candidates:
        if value and _IBAN.fullmatch(value.strip()):
            return value.strip()
    return None


def _knab_rek_naam(text: str) -> tuple[str | None, str | None]:
    """Knab's free-text :86: ends with ``REK: <iban>/NAAM: <name>``."""
    m = _KNAB_REK_NAAM.search(text) if "REK:" in text else None
    if m:
        return m.group(1), clean(m.group(2))
    return None, None


# --- :86: dialects -----------------------------------------------------------

_GVC = re.compile(r"^\s*(\d{3})([?>])\d{2}")
_SEPA_KEYS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "IBAN", "BIC")
_SEPA_KEY = re.compile(r"(" + "|".join(_SEPA_KEYS) + r")\+")
_DUTCH_KEYS = [
    "EREF",
    "PREF",
    "MARF",
    "CSID",
    "CNTP",
    "REMI",
    "PURP",
    "ULTC",
    "ULTD",
    "ULTB",
    "TRTP",
    "IBAN",
    "BIC",
    "NAME",
    "ADDR",
    "BENM",
    "ORDP",
    "ISDT",
    "RTRN",
    "SVCL",
    "CREF",
    "ID",
    "CDTRREF",
    "CDTRREFTP",
    "CNTR",
]
_DUTCH = re.compile(r"/(" + "|".join(_DUTCH_KEYS) + r")/")


# What a :86: says: (counterparty name, counterparty IBAN, end-to-end id,
# mandate id, remittance, return reason). A plain tuple: built once per entry
# and unpacked at once, where a class would cost a call and six stores.
_Info = tuple[str | None, str | None, str | None, str | None, str | None, str | None]
_NO_INFO: _Info = (None, None, None, None, None, None)


def _gvc_info(text: str, separator: str) -> _Info:
    """German structured :86: (ZKA "Geschäftsvorfallcode" + ?NN sub-fields).
    Sub-fields are cut at 27 characters mid-word, so lines join without space."""
    body = text.replace("\n", "")
    parts = re.split(re.escape(separator) + r"(\d{2})", body)
    sub: dict[str, str] = {}
    purpose: list[str] = []
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        if key.startswith("2") or key in ("60", "61", "62", "63"):
            purpose.append(value)
        else:
            sub[key] = sub.get(key, "") + value
    joined = "".join(purpose)
    sepa: dict[str, str] = {}
    pieces = _SEPA_KEY.split(joined)
    if len(pieces) > 1:
        for key, value in zip(pieces[1::2], pieces[2::2], strict=False):
            sepa[key] = clean(value) or ""
    end_to_end = sepa.get("EREF") or None
    if end_to_end and end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = None
    account = clean(sub.get("31"))
    remittance = sepa.get("SVWZ") or (clean(pieces[0]) if pieces[0].strip() else None)
    if not sepa:
        remittance = clean(joined)
    return (
        clean((sub.get("32") or "") + (sub.get("33") or "")),  # name
        normalize_iban(account) if account and account[:2].isalpha() else None,  # iban
        end_to_end,
        sepa.get("MREF") or None,  # mandate
        remittance or clean(sub.get("00")),
        None,  # return reason
    )


def _dutch_info(parts: list[str]) -> _Info:
    """Dutch structured :86: (``/KEY/value`` pairs), as ``_DUTCH.split`` cuts
    its lines joined without space (they are cut at 65 characters mid-word):
    the text before the first key, then key, value, key, value… Only the keys
    read are cleaned, each once."""
    pairs = iter(parts)
    next(pairs)
    # zip() without strict=, which would cost a keyword call per entry: the
    # split gives a value for every key.
    fields = dict(zip(pairs, pairs))  # noqa: B905
    if 2 * len(fields) + 1 < len(parts):
        # A key given twice: the dict kept its last value. Stored last to
        # first instead, the first value is the one that stays.
        fields = dict(zip(parts[-2:0:-2], parts[:0:-2]))  # noqa: B905
    get = fields.get
    name = iban = None
    cntp = get("CNTP")
    if cntp is not None:  # ING: /CNTP/iban/bic/name/city/
        counterparty = cntp.split("/")
        iban = normalize_iban(counterparty[0]) if counterparty[0] else None
        name = clean(counterparty[2]) if len(counterparty) > 2 else None
    name = name or _slashed(get("NAME"))
    if get("IBAN"):
        iban = iban or normalize_iban(fields["IBAN"].strip("/"))
    # Each value read at most once, and cleaned only when present.
    eref = get("EREF")
    if eref:
        eref = _slashed(eref)
    mandate = get("MARF")
    reason = get("RTRN")
    remi = get("REMI", "")
    prefix = _REMI_PREFIX.match(remi)  # ING: /REMI/USTD//free text/ or /REMI/STRD/CUR/ref/
    if prefix:
        remi = remi[prefix.end() :]
    return (
        name,
        iban,
        eref if eref and eref.upper() != _NOT_PROVIDED else None,
        _slashed(mandate) if mandate else None,
        clean(remi.strip("/")),
        _slashed(reason) if reason else None,
    )


def _slashed(value: str | None) -> str | None:
    """A ``/KEY/value/`` value without its slashes, whitespace collapsed."""
    return clean(value.strip("/")) if value else None


def _info(lines: Sequence[str]) -> _Info:
    first = lines[0]
    if first[:1] == "/":
        # The usual Dutch :86: starts with its first key: no GVC code (a
        # digit after spaces), nothing to strip, one split for the test and
        # the reading. The dialect is told from the lines as read, so the
        # first key must lie on the first line.
        parts = _DUTCH.split("".join(lines))
        if parts[0] == "" and len(parts) > 1 and len(parts[1]) + 2 <= len(first):
            return _dutch_info(parts)
    text = "\n".join(lines)
    m = _GVC.match(text)
    if m:
        return _gvc_info(text[m.start(2) :], m.group(2))
    body = text.lstrip()
    if _DUTCH.match(body):
        return _dutch_info(_DUTCH.split(body.replace("\n", "")))
    free = clean(" ".join(lines))
    iban, name = _knab_rek_naam(free or "")
    return (name, normalize_iban(iban) if iban else None, None, None, free, None)


# --- parsing -------------------------------------------------------------------


class _Reader:
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

    def statement_line(self, number: int, lines: list[str]) -> _Line:
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
    reader = _Reader(filename)
    builder = _Builder(reader)
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
    for n, raw in enumerate(_rejoin_split_tag_marker(_lines(data)), start=1):
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
        statements=tuple(_statement(s) for s in statements),
    )


class _Builder:
    """The statements of a file, field by field (tag dispatch by dict)."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.statements: list[_Statement] = []
        self.current: _Statement | None = None
        self.interim = False

    def field(self, number: int, tag: str, lines: list[str]) -> None:
        if tag == "20":
            self.current = _Statement(id=clean(lines[0].strip()))
            self.statements.append(self.current)
            return
        current = self.current
        if current is None:
            # A fragment without :20: (some exports cut the header off).
            current = self.current = _Statement()
            self.statements.append(current)
        handler = _HANDLERS.get(tag)
        if handler is not None:
            handler(self, current, number, tag, lines)

    def account(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        current.account = clean(lines[0].strip())

    def opening(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        current.opening, currency = self.reader.balance(lines[0].strip(), number, tag)
        current.currency = current.currency or currency

    def closing(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        current.closing, currency = self.reader.balance(lines[0].strip(), number, tag)
        current.currency = current.currency or currency

    def statement_line(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        line = self.reader.statement_line(number, lines)
        current.add_entry()
        current.line = line

    def information(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        # :86: belongs to the :61: before it, even after other tags.
        if current.line is not None:
            current.info += lines

    def interim_tag(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        self.interim = True
        value = lines[0].strip()
        if tag == "34F" and current.currency is None:
            current.currency = value[:3] if value[:3].isalpha() else None


# Tag dispatch. Plain functions, not methods bound to the builder: a dict of
# those on the builder would be a reference cycle, which would keep every
# statement line read until the garbage collector's next pass.
_HANDLERS: dict[str, Callable[[_Builder, _Statement, int, str, list[str]], None]] = {
    "25": _Builder.account,
    "60F": _Builder.opening,
    "60M": _Builder.opening,
    "62F": _Builder.closing,
    "62M": _Builder.closing,
    "61": _Builder.statement_line,
    "86": _Builder.information,
    "34F": _Builder.interim_tag,
    "13D": _Builder.interim_tag,
    "90D": _Builder.interim_tag,
    "90C": _Builder.interim_tag,
}


def _statement(st: _Statement) -> Statement:
    st.add_entry()  # the last statement line's
    iban = _account_iban(st.account, st.currency) if st.account else None
    currency = st.currency or "XXX"
    entries = st.entries
    if entries and (st.stale or st.basis != (st.account, st.currency)):
        entries = [_rebased(entry, currency, iban) for entry in entries]
    return Statement(
        id=st.id,
        account_iban=iban,
        account_other_id=None if iban else st.account,
        currency=currency,
        opening_balance=st.opening,
        closing_balance=st.closing,
        entries=tuple(entries),
    )


def _rebased(entry: Entry, currency: str, account_iban: str | None) -> Entry:
    """An entry built before the statement's final account or currency was
    read, as :func:`_entry` builds it with them: they set the entry's
    currency and the creditor account of a credit."""
    (transaction,) = entry.transactions
    credit = entry.amount_cents > 0 and not entry.reversal
    return replace(
        entry,
        currency=currency,
        transactions=(
            replace(transaction, creditor_account_iban=account_iban if credit else None),
        ),
    )


_BOOKED = EntryStatus.BOOKED


def _entry(line: _Line, info_lines: list[str], currency: str, account_iban: str | None) -> Entry:
    _, amount, value, booking, reversal, type_code, customer, bank, supplementary = line
    name, iban, end_to_end, mandate, remittance, return_reason = (
        _info(info_lines) if info_lines else _NO_INFO
    )
    legacy_account = legacy_name = None
    if customer is not None and len(customer) >= _LEGACY_MIN_LENGTH:
        legacy_account, legacy_name = _rabobank_legacy_counterparty(customer)
    # An IBAN from :86: is normalized already (normalize_iban is idempotent).
    if not iban:
        iban = _iban_in_line(supplementary, customer)
        if iban is None and legacy_account and legacy_account[:2].isalpha():
            iban = legacy_account
        iban = normalize_iban(iban)
    # Positional arguments, in field order: a keyword call costs more, once
    # per line of a 100,000-line file.
    transaction = Transaction(
        amount,  # amount_cents
        name or legacy_name,  # counterparty_name
        iban,  # counterparty_iban
        account_iban if amount > 0 and not reversal else None,  # creditor_account_iban
        end_to_end,  # end_to_end_id
        mandate,  # mandate_id
        remittance,
        find_rf(remittance),  # structured_reference
        return_reason,
        end_to_end if reversal or return_reason else None,  # original_end_to_end_id
    )
    return Entry(
        amount,  # amount_cents
        currency,
        booking,  # booking_date
        value,  # value_date
        _BOOKED,
        reversal,
        bank,  # bank_reference
        type_code,  # bank_transaction_code
        (transaction,),
    )
