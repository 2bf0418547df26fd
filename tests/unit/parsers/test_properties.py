"""Property tests: no input makes a parser raise anything but StatementParseError,
and rendering then parsing a statement gives it back."""

from __future__ import annotations

import contextlib
import io
import zipfile
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from functions.core.errors import StatementParseError
from functions.core.statements import Balance, Entry, EntryStatus, Statement, Transaction
from functions.ingest.parsers import parse_bytes
from functions.ingest.parsers.common import french_iban
from functions.ingest.parsers.mt940.info import DUTCH_KEYS
from functions.ingest.parsers.render import render_camt, render_cfonb120, render_mt940
from tests.unit.parsers.conftest import REPO, STATEMENTS, missing_shared, shared_dir

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- robustness ----------------------------------------------------------------


def _parses_or_refuses(data: bytes) -> None:
    with contextlib.suppress(StatementParseError):
        parse_bytes(data, "fuzz")


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _parses_or_refuses(data)


@SETTINGS
@given(
    st.sampled_from(
        [
            b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:"
            b"camt.053.001.02'><BkToCstmrStmt>",
            b":20:X\n:25:Y\n:61:",
            b"0130004",
            b"PK\x03\x04",
            b"\xef\xbb\xbf:20:",
        ]
    ),
    st.binary(max_size=1000),
)
def test_random_tails_after_valid_heads(head: bytes, tail: bytes) -> None:
    _parses_or_refuses(head + tail)


def _samples() -> list[bytes]:
    if not STATEMENTS.is_dir():
        return []
    return [
        p.read_bytes()
        for p in sorted(STATEMENTS.glob("*/*"))
        if p.is_file() and not p.name.endswith((".expected.json", ".pydata"))
    ]


SAMPLES = _samples()


OWN = sorted(
    p
    for p in (REPO / "tests" / "golden" / "own").glob("*/*")
    if p.is_file() and not p.name.endswith(".expected.json")
)


def _mutated(data: st.DataObject, sample: bytes) -> bytes:
    """``sample`` with up to eight bytes flipped, runs deleted or inserted,
    or its tail cut off."""
    original = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 8))):
        if not original:
            break
        at = data.draw(st.integers(0, len(original) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            original[at] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del original[at : at + data.draw(st.integers(1, 40))]
        elif action == "insert":
            original[at:at] = data.draw(st.binary(min_size=1, max_size=20))
        else:
            del original[at:]
    return bytes(original)


@pytest.mark.usefixtures("shared_statements")
@SETTINGS
@given(st.data())
def test_mutated_real_files(data: st.DataObject) -> None:
    _parses_or_refuses(_mutated(data, data.draw(st.sampled_from(SAMPLES))))


@SETTINGS
@given(st.data())
def test_mutated_own_samples(data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from(OWN))
    _parses_or_refuses(_mutated(data, sample.read_bytes()))


# --- round trips -----------------------------------------------------------------

# No "F": a remittance must not hold an RF reference the parser would lift out.
TEXT = st.text(alphabet="ABCDEGHIJKLMNOPQRSTUVWXYZ0123456789-.", min_size=1, max_size=12)
WORDS = st.lists(TEXT, min_size=1, max_size=12).map(" ".join).filter(lambda s: len(s) <= 140)
DAYS = st.dates(min_value=date(2001, 1, 1), max_value=date(2078, 12, 31))
IBANS = st.builds(
    lambda bank, branch, account: french_iban(f"{bank:05d}", f"{branch:05d}", f"{account:011d}"),
    st.integers(10000, 99999),
    st.integers(0, 99999),
    st.integers(0, 10**11 - 1),
)
REFS = st.text(alphabet="ABCDEGHJK0123456789", min_size=1, max_size=16)
CENTS = st.integers(1, 10**11)


@st.composite
def transactions(draw: st.DrawFn, amount: int, single: bool, returned: bool) -> Transaction:
    credit = amount > 0
    e2e = draw(st.none() | REFS)
    return Transaction(
        amount_cents=amount if single else (1 if credit else -1) * draw(CENTS),
        counterparty_name=draw(WORDS),
        counterparty_iban=draw(st.none() | IBANS),
        creditor_account_iban=draw(st.none() | IBANS) if credit else None,
        end_to_end_id=e2e,
        mandate_id=draw(st.none() | REFS),
        remittance=draw(st.none() | WORDS),
        structured_reference=draw(st.none() | REFS),
        return_reason=draw(st.sampled_from(["AC04", "MD06", "AM04"])) if returned else None,
        original_end_to_end_id=e2e if returned else None,
    )


@st.composite
def entries(draw: st.DrawFn, max_tx: int = 3) -> Entry:
    amount = draw(CENTS) * draw(st.sampled_from([1, -1]))
    count = draw(st.integers(0, max_tx))
    # Only a debit can be a return (an SDD collection coming back).
    returned = amount < 0 and count > 0 and draw(st.booleans())
    txs = tuple(draw(transactions(amount, count == 1, returned)) for _ in range(count))
    value = draw(DAYS)
    return Entry(
        amount_cents=amount,
        currency="EUR",
        booking_date=draw(st.none() | DAYS),
        value_date=value,
        status=draw(st.sampled_from(list(EntryStatus))),
        reversal=returned and draw(st.booleans()),
        bank_reference=draw(st.none() | REFS),
        bank_transaction_code=draw(st.sampled_from(["PMNT-RCDT-ESCT", "PMNT-IDDT-ESDD"])),
        transactions=txs,
    )


@st.composite
def statements(draw: st.DrawFn, entry: st.SearchStrategy[Entry]) -> Statement:
    return Statement(
        id=draw(REFS),
        account_iban=draw(IBANS),
        account_other_id=None,
        currency="EUR",
        opening_balance=Balance(draw(st.integers(-(10**11), 10**11)), draw(DAYS)),
        closing_balance=Balance(draw(st.integers(-(10**11), 10**11)), draw(DAYS)),
        entries=tuple(draw(st.lists(entry, max_size=5))),
    )


def _camt054_view(statement: Statement) -> Statement:
    """camt.054 has no balances, and names the notified account as the vIBAN
    of a credit without CdtrAcct."""

    def fix(tx: Transaction, credit: bool) -> Transaction:
        if credit and tx.creditor_account_iban is None:
            return replace(tx, creditor_account_iban=statement.account_iban)
        return tx

    return replace(
        statement,
        opening_balance=None,
        closing_balance=None,
        entries=tuple(
            replace(e, transactions=tuple(fix(tx, e.amount_cents > 0) for tx in e.transactions))
            for e in statement.entries
        ),
    )


@SETTINGS
@given(st.lists(statements(entries()), min_size=1, max_size=3))
def test_camt053_round_trip(generated: list[Statement]) -> None:
    parsed = parse_bytes(render_camt(generated, "053"), "rt.xml")
    assert parsed.format == "camt.053.001.02"
    assert list(parsed.statements) == generated


@SETTINGS
@given(st.lists(statements(entries()), min_size=1, max_size=3))
def test_camt054_round_trip(generated: list[Statement]) -> None:
    parsed = parse_bytes(render_camt(generated, "054"), "rt.xml")
    assert parsed.format == "camt.054.001.04"
    assert list(parsed.statements) == [_camt054_view(s) for s in generated]


@st.composite
def simple_entries(draw: st.DrawFn, mt940: bool) -> Entry:
    """One transaction per entry, as CFONB and MT940 carry."""
    amount = draw(CENTS) * draw(st.sampled_from([1, -1]))
    value = draw(DAYS)
    reversal = mt940 and draw(st.booleans())

    # The Dutch structured :86: cannot carry a value that is one of its own keywords
    # ("/NAME/ULTB/" reads as an ULTB field): no bank writes that, and no parser can.
    def field(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
        return st.none() | strategy.filter(lambda s: not mt940 or s not in DUTCH_KEYS)

    tx = Transaction(
        amount_cents=amount,
        counterparty_name=draw(field(WORDS.filter(lambda s: len(s) <= 70))),
        counterparty_iban=draw(st.none() | IBANS) if mt940 else None,
        end_to_end_id=draw(field(REFS)),
        mandate_id=draw(field(REFS)),
        remittance=draw(field(WORDS)),
    )
    return Entry(
        amount_cents=amount,
        currency="EUR",
        booking_date=value + timedelta(days=draw(st.integers(0, 60))) if mt940 else draw(DAYS),
        value_date=value,
        reversal=reversal,
        bank_reference=draw(st.none() | REFS),
        bank_transaction_code="NTRF" if mt940 else draw(st.sampled_from(["A1", "B1", "62"])),
        transactions=(tx,),
    )


def _with_account(statement: Statement, mt940: bool) -> Statement:
    def fix(e: Entry) -> Entry:
        credit = e.amount_cents > 0 and not e.reversal
        tx = replace(
            e.transactions[0], creditor_account_iban=statement.account_iban if credit else None
        )
        if e.reversal:  # MT940 RC/RD: the end-to-end id is the original payment's
            tx = replace(tx, original_end_to_end_id=tx.end_to_end_id)
        return replace(e, transactions=(tx,))

    return replace(
        statement,
        id=statement.id if mt940 else None,
        entries=tuple(fix(e) for e in statement.entries),
    )


@SETTINGS
@given(st.lists(statements(simple_entries(mt940=False)), min_size=1, max_size=3))
def test_cfonb120_round_trip(generated: list[Statement]) -> None:
    parsed = parse_bytes(render_cfonb120(generated), "rt.txt")
    assert list(parsed.statements) == [_with_account(s, mt940=False) for s in generated]


@SETTINGS
@given(st.lists(statements(simple_entries(mt940=True)), min_size=1, max_size=3))
def test_mt940_round_trip(generated: list[Statement]) -> None:
    parsed = parse_bytes(render_mt940(generated), "rt.sta")
    assert list(parsed.statements) == [_with_account(s, mt940=True) for s in generated]


# --- XSD --------------------------------------------------------------------------

XSD = shared_dir() / "testdata" / "xsd"


@pytest.mark.parametrize(
    ("kind", "schema"), [("053", "camt.053.001.02.xsd"), ("054", "camt.054.001.04.xsd")]
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=st.lists(statements(entries()), min_size=1, max_size=2))
def test_rendered_camt_is_schema_valid(kind: str, schema: str, generated: list[Statement]) -> None:
    path = XSD / schema
    if not path.is_file():
        missing_shared(path)
    validator = _schema(path)
    document = etree.fromstring(render_camt(generated, kind))
    assert validator.validate(document), validator.error_log.last_error


_SCHEMAS: dict[str, etree.XMLSchema] = {}


def _schema(path: object) -> etree.XMLSchema:
    key = str(path)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = etree.XMLSchema(etree.parse(key))
    return _SCHEMAS[key]


# --- archives ---------------------------------------------------------------------


@SETTINGS
@given(st.lists(statements(entries()), min_size=2, max_size=2))
def test_zip_of_two_files_merges_statements(generated: list[Statement]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("b.xml", render_camt(generated[1:], "053"))
        archive.writestr("a.xml", render_camt(generated[:1], "053"))
        archive.writestr("__MACOSX/._a.xml", b"junk")
    parsed = parse_bytes(buffer.getvalue(), "two.zip")
    assert parsed.format == "camt.053.001.02"
    assert list(parsed.statements) == generated  # member-name order
