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

import re
from dataclasses import dataclass, field
from datetime import date

from functions.core.errors import InvalidIbanError, StatementParseError
from functions.core.statements import Balance, Entry, ParsedFile, Statement, Transaction
from functions.core.viban import normalize_iban as checked_iban
from functions.ingest.parsers.common import (
    cents_from_text,
    clean,
    decode_text,
    find_rf,
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


@dataclass
class _Line:
    number: int
    amount: int
    value: date
    booking: date
    reversal: bool
    type_code: str | None
    customer_reference: str | None
    bank_reference: str | None
    supplementary: str | None
    info: list[str] = field(default_factory=list)


@dataclass
class _Statement:
    id: str | None = None
    account: str | None = None
    currency: str | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    lines: list[_Line] = field(default_factory=list)


# --- bank quirks (text level) ----------------------------------------------


def _strip_swift_envelope(text: str) -> str:
    """Files straight from SWIFTNet keep the ``{1:…}{2:…}{4:`` header and
    ``-}`` trailer blocks around the text block; only block 4 is the message."""
    text = re.sub(r"\{[1235]:(?:\{[^{}]*\}|[^{}])*\}", "", text)
    text = re.sub(r"\{4:", "\n", text)
    return re.sub(r"(?m)^-\}\s*$|-\}", "\n", text)


def _rejoin_split_tag_marker(lines: list[str]) -> list[str]:
    """Some Sparkasse exports break a line right after the leading colon of a
    tag (``:`` then ``86:…``); glue such halves back together."""
    out: list[str] = []
    for line in lines:
        if out and out[-1] == ":" and re.match(r"^\d{2}[A-Z]?:", line):
            out[-1] = ":" + line
        else:
            out.append(line)
    return out


def _split_fields(text: str) -> list[tuple[int, str, list[str]]]:
    """``(line number, tag, value lines)`` in file order.

    Text before the first tag (Danske Bank's example preamble, ABN AMRO's
    ``ABNANL2A/940`` and ING's ``0000 01INGBNL2AXXXX`` header lines) and ``-``
    message separators are dropped.
    """
    lines = _rejoin_split_tag_marker(text.split("\n"))
    fields: list[tuple[int, str, list[str]]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        m = _TAG.match(line)
        if m:
            fields.append((number, m.group(1), [m.group(2)]))
        elif fields and line.strip() and line.strip() != "-":
            fields[-1][2].append(line)
    return fields


# --- bank quirks (values) ----------------------------------------------------


def _account_iban(value: str, currency: str | None) -> str | None:
    """:25: often holds an IBAN, sometimes followed by the currency (ING
    ``NL77INGB0574908765EUR``, Rabobank ``NL34RABO0142623393 EUR``). Sample
    files carry IBANs whose check digits fail, so an unchecked IBAN-shaped
    value is kept once a trailing currency code is removed."""
    compact = "".join(value.split()).upper()
    if not re.match(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,}$", compact):
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
        m = re.match(r"^(\d{9,10}|[A-Z]{2}\d{2}[A-Z0-9]{10,30})\s{2,}(\S.*)$", reference)
        if m:
            return m.group(1), clean(m.group(2))
    return None, None


def _iban_in_line(*candidates: str | None) -> str | None:
    """Rabobank's structured files give the counter IBAN as the :61:
    supplementary details (second line); SNS puts it in the customer
    reference field."""
    for value in candidates:
        if value and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", value.strip()):
            return value.strip()
    return None


def _knab_rek_naam(text: str) -> tuple[str | None, str | None]:
    """Knab's free-text :86: ends with ``REK: <iban>/NAAM: <name>``."""
    m = re.search(r"REK:\s*([A-Z]{2}\d{2}[A-Z0-9]{10,30}|\d+)\s*/NAAM:\s*(.+)$", text)
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


@dataclass
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
    characters mid-word, so they join without space."""
    body = text.replace("\n", "")
    parts = _DUTCH.split(body)
    fields: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        fields.setdefault(key, value)
    info = _Info()
    if "CNTP" in fields:  # ING: /CNTP/iban/bic/name/city/
        cntp = fields["CNTP"].split("/")
        info.iban = normalize_iban(cntp[0]) if cntp and cntp[0] else None
        info.name = clean(cntp[2]) if len(cntp) > 2 else None
    info.name = info.name or clean(fields.get("NAME", "").strip("/"))
    if fields.get("IBAN"):
        info.iban = info.iban or normalize_iban(fields["IBAN"].strip("/"))
    eref = clean(fields.get("EREF", "").strip("/"))
    info.end_to_end = eref if eref and eref.upper() != _NOT_PROVIDED else None
    info.mandate = clean(fields.get("MARF", "").strip("/"))
    remi = fields.get("REMI", "")
    # ING: /REMI/USTD//free text/ or /REMI/STRD/CUR/reference/
    remi = re.sub(r"^(?:USTD//|STRD/CUR/|STRD/ISO/)", "", remi).strip("/")
    info.remittance = clean(remi)
    info.return_reason = clean(fields.get("RTRN", "").strip("/"))
    return info


def _info(lines: list[str]) -> _Info:
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
        if (m is None or not m.group("amount")) and len(lines) > 1:
            # Sparkasse quirk: the line breaks between the mark and the amount.
            m = _LINE.match(first + lines[1].strip())
            rest_lines = lines[2:]
        if m is None:
            raise self.error(number, f":61: {first[:40]!r} is not a statement line")
        value = self.day(m.group("value"), number, "61")
        booking = value
        if m.group("entry"):
            booking = self._entry_date(value, m.group("entry"), number)
        amount = self.cents(m.group("amount"), number, "61")
        mark = m.group("mark")
        # RC (reversal of credit) is a debit, RD (reversal of debit) a credit.
        if mark in ("D", "RC"):
            amount = -amount
        rest = m.group("rest") or ""
        customer, _, bank = rest.partition("//")
        return _Line(
            number=number,
            amount=amount,
            value=value,
            booking=booking,
            reversal=mark.startswith("R"),
            type_code=clean(m.group("type")),
            customer_reference=customer.rstrip() or None,
            bank_reference=clean(bank),
            supplementary=clean(" ".join(rest_lines)),
        )

    def _entry_date(self, value: date, mmdd: str, number: int) -> date:
        """The entry date has no year: take the one closest to the value date
        (an entry on 2 January may carry a value date of 31 December)."""
        try:
            month, day = int(mmdd[:2]), int(mmdd[2:])
            candidates = []
            for year in (value.year - 1, value.year, value.year + 1):
                try:
                    candidates.append(date(year, month, day))
                except ValueError:
                    continue
            if not candidates:
                raise ValueError(mmdd)
        except ValueError as e:
            raise self.error(number, f":61: entry date {mmdd!r} is not MMDD") from e
        return min(candidates, key=lambda d: abs((d - value).days))


def parse(data: bytes, filename: str) -> ParsedFile:
    """Parse an MT940 or MT942 file (one or several statements).

    Raises :class:`StatementParseError` naming the line of a malformed tag.
    """
    reader = _Reader(filename)
    text = _strip_swift_envelope(decode_text(data))
    fields = _split_fields(text)
    if not fields:
        raise StatementParseError(filename, None, "no MT940 tag found", PARSER)
    statements: list[_Statement] = []
    current: _Statement | None = None
    interim = False
    for number, tag, lines in fields:
        value = lines[0].strip()
        if tag == "20":
            current = _Statement(id=clean(value))
            statements.append(current)
            continue
        if current is None:
            # A fragment without :20: (some exports cut the header off).
            current = _Statement()
            statements.append(current)
        if tag == "25":
            current.account = clean(value)
        elif tag in ("60F", "60M"):
            current.opening, currency = reader.balance(value, number, tag)
            current.currency = current.currency or currency
        elif tag in ("62F", "62M"):
            current.closing, currency = reader.balance(value, number, tag)
            current.currency = current.currency or currency
        elif tag == "61":
            current.lines.append(reader.statement_line(number, lines))
        elif tag == "86":
            if current.lines:
                current.lines[-1].info.extend(lines)
        elif tag in ("34F", "13D", "90D", "90C"):
            interim = True
            if tag == "34F" and current.currency is None:
                current.currency = value[:3] if value[:3].isalpha() else None
    if not any(s.lines or s.opening or s.closing for s in statements):
        raise StatementParseError(filename, None, "no balance or statement line", PARSER)
    return ParsedFile(
        format="mt942" if interim else "mt940",
        statements=tuple(_statement(s) for s in statements),
    )


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
        entries=tuple(_entry(line, currency, iban) for line in st.lines),
    )


def _entry(line: _Line, currency: str, account_iban: str | None) -> Entry:
    info = _info(line.info) if line.info else _Info()
    legacy_account, legacy_name = _rabobank_legacy_counterparty(line.customer_reference)
    iban = info.iban or _iban_in_line(line.supplementary, line.customer_reference)
    if iban is None and legacy_account and legacy_account[:2].isalpha():
        iban = legacy_account
    remittance = info.remittance
    credit = line.amount > 0
    transaction = Transaction(
        amount_cents=line.amount,
        counterparty_name=info.name or legacy_name,
        counterparty_iban=normalize_iban(iban),
        creditor_account_iban=account_iban if credit and not line.reversal else None,
        end_to_end_id=info.end_to_end,
        mandate_id=info.mandate,
        remittance=remittance,
        structured_reference=find_rf(remittance),
        return_reason=info.return_reason,
        original_end_to_end_id=info.end_to_end if line.reversal or info.return_reason else None,
    )
    return Entry(
        amount_cents=line.amount,
        currency=currency,
        booking_date=line.booking,
        value_date=line.value,
        reversal=line.reversal,
        bank_reference=line.bank_reference,
        bank_transaction_code=line.type_code,
        transactions=(transaction,),
    )
