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
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from functions.core.errors import InvalidIbanError, StatementParseError
from functions.core.statements import (
    Balance,
    Entry,
    EntryStatus,
    ParsedFile,
    Statement,
    Transaction,
)
from functions.core.viban import normalize_iban as checked_iban
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
_KNAB_REK_NAAM = re.compile(r"REK:\s*([A-Z]{2}\d{2}[A-Z0-9]{10,30}|\d+)\s*/NAAM:\s*(.+)$")
_REMI_PREFIXES = ("USTD//", "STRD/CUR/", "STRD/ISO/")


class _Line(NamedTuple):
    """A :61: statement line. A tuple of plain values: the garbage collector
    stops tracking it, where 100,000 tracked objects kept until the end of
    the file made its passes cost as much as the parsing."""

    number: int
    amount: int
    value: date
    booking: date
    reversal: bool
    type_code: str | None
    customer_reference: str | None
    bank_reference: str | None
    supplementary: str | None


@dataclass
class _Statement:
    id: str | None = None
    account: str | None = None
    currency: str | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    lines: list[_Line] = field(default_factory=list)
    # The :86: lines of each statement line (a tuple of str: untracked too).
    infos: list[tuple[str, ...]] = field(default_factory=list)


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
    for candidate in (compact, compact[:-3]):
        try:
            return checked_iban(candidate)
        except InvalidIbanError:
            continue
    if currency and compact.endswith(currency):
        compact = compact[: -len(currency)]
    return compact if len(compact) <= 34 else None


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


@dataclass(slots=True)
class _Info:
    name: str | None = None
    iban: str | None = None
    end_to_end: str | None = None
    mandate: str | None = None
    remittance: str | None = None
    return_reason: str | None = None


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
    return _Info(
        name=clean((sub.get("32") or "") + (sub.get("33") or "")),
        iban=normalize_iban(account) if account and account[:2].isalpha() else None,
        end_to_end=end_to_end,
        mandate=sepa.get("MREF") or None,
        remittance=remittance or clean(sub.get("00")),
    )


def _dutch_info(text: str) -> _Info:
    """Dutch structured :86: (``/KEY/value`` pairs). Lines are cut at 65
    characters mid-word, so they join without space. Only the keys read are
    cleaned, each once."""
    fields = _dutch_fields(text.replace("\n", ""))
    name = iban = None
    cntp = fields.get("CNTP")
    if cntp is not None:  # ING: /CNTP/iban/bic/name/city/
        counterparty = cntp.split("/")
        iban = normalize_iban(counterparty[0]) if counterparty[0] else None
        name = clean(counterparty[2]) if len(counterparty) > 2 else None
    name = name or _slashed(fields, "NAME")
    if fields.get("IBAN"):
        iban = iban or normalize_iban(fields["IBAN"].strip("/"))
    eref = _slashed(fields, "EREF")
    remi = fields.get("REMI", "")
    # ING: /REMI/USTD//free text/ or /REMI/STRD/CUR/reference/
    for prefix in _REMI_PREFIXES:
        if remi.startswith(prefix):
            remi = remi[len(prefix) :]
            break
    return _Info(
        name,
        iban,
        eref if eref and eref.upper() != _NOT_PROVIDED else None,
        _slashed(fields, "MARF"),
        clean(remi.strip("/")),
        _slashed(fields, "RTRN"),
    )


def _dutch_fields(body: str) -> dict[str, str]:
    """``/KEY/value`` pairs, the first value of each key."""
    parts = _DUTCH.split(body)
    fields: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        fields.setdefault(key, value)
    return fields


def _slashed(fields: dict[str, str], key: str) -> str | None:
    """A ``/KEY/value/`` value without its slashes, whitespace collapsed."""
    value = fields.get(key)
    return clean(value.strip("/")) if value else None


def _info(lines: Sequence[str]) -> _Info:
    text = "\n".join(lines)
    m = _GVC.match(text)
    if m:
        return _gvc_info(text[m.start(2) :], m.group(2))
    if _DUTCH.match(text.lstrip()):
        return _dutch_info(text.lstrip())
    free = clean(" ".join(lines))
    iban, name = _knab_rek_naam(free or "")
    return _Info(name=name, iban=normalize_iban(iban) if iban else None, remittance=free)


# --- parsing -------------------------------------------------------------------


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename

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
        rest_lines = lines[1:]
        if (m is None or not m.group(5)) and len(lines) > 1:
            # Sparkasse quirk: the line breaks between the mark and the amount.
            m = _LINE.match(first + lines[1].strip())
            rest_lines = lines[2:]
        if m is None:
            raise self.error(number, f":61: {first[:40]!r} is not a statement line")
        # One groups() call: named look-ups cost as much as the match.
        value_text, entry_text, mark, _, amount_text, type_code, rest = m.groups()
        value = self.day(value_text, number, "61")
        booking = value
        if entry_text:
            booking = self._entry_date(value, entry_text, number)
        amount = self.cents(amount_text, number, "61")
        # RC (reversal of credit) is a debit, RD (reversal of debit) a credit.
        if mark in ("D", "RC"):
            amount = -amount
        customer, _, bank = (rest or "").partition("//")
        return _Line(
            number,
            amount,
            value,
            booking,
            mark.startswith("R"),
            clean(type_code),
            customer.rstrip() or None,
            clean(bank),
            clean(" ".join(rest_lines)) if rest_lines else None,
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


def parse(data: bytes, filename: str) -> ParsedFile:
    """Parse an MT940 or MT942 file (one or several statements).

    Raises :class:`StatementParseError` naming the line of a malformed tag.
    """
    reader = _Reader(filename)
    builder = _Builder(reader)
    tag_match = _TAG.match
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
        # continuation lines of :86:.
        m = tag_match(line) if line[:1] == ":" else None
        if m is not None:
            if tag is not None:
                builder.field(number, tag, values)
            tag, number, values = m.group(1), n, [m.group(2)]
        elif tag is not None and line and line.lstrip() != "-":
            values.append(line)
    if tag is None:
        raise StatementParseError(filename, None, "no MT940 tag found", PARSER)
    builder.field(number, tag, values)
    statements = builder.statements
    if not any(s.lines or s.opening or s.closing for s in statements):
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
        self.handlers: dict[str, Callable[[_Statement, int, str, list[str]], None]] = {
            "25": self.account,
            "60F": self.opening,
            "60M": self.opening,
            "62F": self.closing,
            "62M": self.closing,
            "61": self.statement_line,
            "86": self.information,
            "34F": self.interim_tag,
            "13D": self.interim_tag,
            "90D": self.interim_tag,
            "90C": self.interim_tag,
        }

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
        handler = self.handlers.get(tag)
        if handler is not None:
            handler(current, number, tag, lines)

    def account(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        current.account = clean(lines[0].strip())

    def opening(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        current.opening, currency = self.reader.balance(lines[0].strip(), number, tag)
        current.currency = current.currency or currency

    def closing(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        current.closing, currency = self.reader.balance(lines[0].strip(), number, tag)
        current.currency = current.currency or currency

    def statement_line(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        current.lines.append(self.reader.statement_line(number, lines))
        current.infos.append(())

    def information(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        # :86: belongs to the :61: before it; kept as read, parsed per entry.
        if current.lines:
            current.infos[-1] += tuple(lines)

    def interim_tag(self, current: _Statement, number: int, tag: str, lines: list[str]) -> None:
        self.interim = True
        value = lines[0].strip()
        if tag == "34F" and current.currency is None:
            current.currency = value[:3] if value[:3].isalpha() else None


def _statement(st: _Statement) -> Statement:
    iban = _account_iban(st.account, st.currency) if st.account else None
    currency = st.currency or "XXX"
    return Statement(
        id=st.id,
        account_iban=iban,
        account_other_id=None if iban else st.account,
        currency=currency,
        opening_balance=st.opening,
        closing_balance=st.closing,
        entries=tuple(
            [
                _entry(line, info, currency, iban)
                for line, info in zip(st.lines, st.infos, strict=True)
            ]
        ),
    )


def _entry(
    line: _Line, info_lines: tuple[str, ...], currency: str, account_iban: str | None
) -> Entry:
    info = _info(info_lines) if info_lines else _Info()
    legacy_account, legacy_name = _rabobank_legacy_counterparty(line.customer_reference)
    iban = info.iban or _iban_in_line(line.supplementary, line.customer_reference)
    if iban is None and legacy_account and legacy_account[:2].isalpha():
        iban = legacy_account
    remittance = info.remittance
    credit = line.amount > 0
    # Positional arguments, in field order: a keyword call costs more, once
    # per line of a 100,000-line file.
    transaction = Transaction(
        line.amount,  # amount_cents
        info.name or legacy_name,  # counterparty_name
        normalize_iban(iban),  # counterparty_iban
        account_iban if credit and not line.reversal else None,  # creditor_account_iban
        info.end_to_end,  # end_to_end_id
        info.mandate,  # mandate_id
        remittance,
        find_rf(remittance),  # structured_reference
        info.return_reason,
        info.end_to_end if line.reversal or info.return_reason else None,  # original e2e
    )
    return Entry(
        line.amount,  # amount_cents
        currency,
        line.booking,  # booking_date
        line.value,  # value_date
        EntryStatus.BOOKED,
        line.reversal,
        line.bank_reference,
        line.type_code,  # bank_transaction_code
        (transaction,),
    )
