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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from functions.core.errors import StatementParseError
from functions.core.statements import Balance, Entry, ParsedFile, Statement, Transaction
from functions.ingest.parsers.common import clean, ddmmyy, decode_text, find_rf, french_iban

PARSER = "cfonb120"
FORMAT = "cfonb120"
WIDTH = 120

_POSITIVE = {"{": 0} | {chr(ord("A") + i): i + 1 for i in range(9)}
_NEGATIVE = {"}": 0} | {chr(ord("J") + i): i + 1 for i in range(9)}
_NOT_PROVIDED = "NOTPROVIDED"


@dataclass
class _Operation:
    line: int
    record: str
    amount: int
    currency: str
    booking: date
    value: date | None
    label: str | None
    reference: str | None
    code: str | None
    details: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Block:
    bank: str
    branch: str
    account: str
    currency: str
    opening: Balance | None
    operations: list[_Operation] = field(default_factory=list)


class _Reader:
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
            cents = raw * 10 ** (2 - decimals)
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


def _records(text: str) -> list[tuple[int, str]]:
    """Numbered non-blank records. A file without line ends (one long line of
    glued 120-column records, as some transfer tools produce) is cut up."""
    lines = text.split("\n")
    non_blank = [line for line in lines if line.strip()]
    if len(non_blank) == 1 and len(non_blank[0]) > WIDTH and len(non_blank[0]) % WIDTH == 0:
        glued = non_blank[0]
        return [(i + 1, glued[i * WIDTH : (i + 1) * WIDTH]) for i in range(len(glued) // WIDTH)]
    return [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]


def _fit(record: str, reader: _Reader, line: int) -> str:
    """Pad records whose trailing spaces a transfer tool trimmed."""
    record = record.rstrip()
    if len(record) > WIDTH:
        raise reader.error(line, f"record is {len(record)} characters long, not {WIDTH}")
    return record.ljust(WIDTH)


def parse(data: bytes, filename: str) -> ParsedFile:
    """Parse a CFONB 120 statement file.

    Raises :class:`StatementParseError` naming the line for a malformed record
    or records out of order.
    """
    reader = _Reader(filename)
    text = decode_text(data)
    records = [(n, _fit(r, reader, n)) for n, r in _records(text)]
    if not records:
        raise StatementParseError(filename, None, "no CFONB record", PARSER)
    has_blocks = any(r[:2] in ("01", "07") for _, r in records)

    statements: list[Statement] = []
    block: _Block | None = None
    operation: _Operation | None = None
    for n, record in records:
        code = record[:2]
        if code == "01":
            if block is not None:
                raise reader.error(
                    n, "old balance (01) before the new balance (07) of the last block"
                )
            opening = Balance(reader.amount(record, n), reader.day(record[34:40], n, "date"))
            block = _Block(
                bank=record[2:7],
                branch=record[11:16],
                account=record[21:32].strip(),
                currency=record[16:19].strip() or "EUR",
                opening=opening,
            )
            operation = None
        elif code == "04":
            if block is None:
                if has_blocks:
                    raise reader.error(n, "operation (04) outside an 01…07 block")
                block = _Block(
                    bank=record[2:7],
                    branch=record[11:16],
                    account=record[21:32].strip(),
                    currency=record[16:19].strip() or "EUR",
                    opening=None,
                )
            operation = _operation(reader, record, n)
            block.operations.append(operation)
        elif code == "05":
            if operation is None:
                raise reader.error(n, "complement (05) without a preceding operation (04)")
            qualifier = record[45:48]
            info = record[48:118]
            operation.details.setdefault(qualifier, []).append(info)
        elif code == "07":
            if block is None:
                raise reader.error(n, "new balance (07) without its old balance (01)")
            closing = Balance(reader.amount(record, n), reader.day(record[34:40], n, "date"))
            statements.append(_statement(block, closing))
            block = None
            operation = None
        else:
            raise reader.error(n, f"unknown record code {code!r} (expected 01, 04, 05 or 07)")
    if block is not None:
        if has_blocks:
            raise StatementParseError(
                filename, f"line {records[-1][0]}", "file ends before the new balance (07)", PARSER
            )
        statements.append(_statement(block, None))
    return ParsedFile(format=FORMAT, statements=tuple(statements))


def _operation(reader: _Reader, record: str, n: int) -> _Operation:
    return _Operation(
        line=n,
        record=record,
        amount=reader.amount(record, n),
        currency=record[16:19].strip() or "EUR",
        booking=reader.day(record[34:40], n, "booking date"),
        value=reader.optional_day(record[42:48], n, "value date"),
        label=clean(record[48:79]),
        reference=clean(record[104:120]),
        code=clean(record[32:34]),
    )


def _detail(op: _Operation, qualifier: str) -> list[str]:
    return [text for text in (clean(v) for v in op.details.get(qualifier, ())) if text]


def _first(op: _Operation, qualifier: str, width: int = 70) -> str | None:
    values = op.details.get(qualifier)
    return clean(values[0][:width]) if values else None


def _statement(block: _Block, closing: Balance | None) -> Statement:
    iban = french_iban(block.bank, block.branch, block.account)
    entries = tuple(_entry(op, iban) for op in block.operations)
    return Statement(
        id=None,
        account_iban=iban,
        account_other_id=None if iban else f"{block.bank}{block.branch}{block.account}",
        currency=block.currency,
        opening_balance=block.opening,
        closing_balance=closing,
        entries=entries,
    )


def _entry(op: _Operation, account_iban: str | None) -> Entry:
    credit = op.amount > 0
    # The payer of a credit, the beneficiary of a debit; banks fill one or both.
    payer, beneficiary = _first(op, "NPY"), _first(op, "NBE")
    name = (payer or beneficiary) if credit else (beneficiary or payer)
    # RCN: the client's reference (35 characters: the SEPA end-to-end id),
    # then the purpose.
    end_to_end = _first(op, "RCN", 35)
    if end_to_end and end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = None
    remittance_lines = _detail(op, "LCC") or [op.label or "", *_detail(op, "LIB")]
    remittance = " ".join(line for line in remittance_lines if line) or None
    transaction = Transaction(
        amount_cents=op.amount,
        counterparty_name=name,
        creditor_account_iban=account_iban if credit else None,
        end_to_end_id=end_to_end,
        mandate_id=_first(op, "RUM", 35),
        remittance=remittance,
        structured_reference=find_rf(remittance),
    )
    return Entry(
        amount_cents=op.amount,
        currency=op.currency,
        booking_date=op.booking,
        value_date=op.value,
        bank_reference=op.reference or _first(op, "REF"),
        bank_transaction_code=op.code,
        transactions=(transaction,),
    )
