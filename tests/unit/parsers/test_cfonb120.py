from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.errors import StatementParseError
from functions.ingest.parsers import cfonb120, common, parse_bytes
from functions.ingest.parsers.cfonb120 import entries, records
from tests.unit.parsers.conftest import fixture_bytes

FIXTURE = "cfonb120_fr_latin1_crlf.txt"


def _line(data: bytes, number: int) -> str:
    return data.decode("iso-8859-1").split("\r\n")[number - 1]


def test_french_fixture_balances_and_overpunch() -> None:
    parsed = parse_bytes(fixture_bytes(FIXTURE), FIXTURE)
    assert parsed.format == "cfonb120"
    first, idle, third = parsed.statements
    assert first.account_iban == "FR7630004000312345678901429"
    assert first.opening_balance is not None and first.opening_balance.amount_cents == 150000
    assert first.closing_balance is not None
    assert first.closing_balance.amount_cents == 201525
    assert first.closing_balance.date == date(2024, 3, 5)
    assert [e.amount_cents for e in first.entries] == [61250, -8525, -1200]
    # The balances reconcile with the operations.
    total = first.opening_balance.amount_cents + sum(e.amount_cents for e in first.entries)
    assert total == first.closing_balance.amount_cents
    assert idle.entries == ()  # "PAS DE MOUVEMENT"
    # Column 20 says three decimals: 0000000040000{ is 400.000.
    assert [e.amount_cents for e in third.entries] == [40000, -1230]
    assert third.entries[0].value_date == date(2024, 3, 7)


def test_french_fixture_complements() -> None:
    first = parse_bytes(fixture_bytes(FIXTURE), FIXTURE).statements[0]
    credit, debit, fee = (e.transactions[0] for e in first.entries)
    assert credit.counterparty_name == "Mme Hélène Dupré"  # ISO-8859-1 decoded
    assert credit.end_to_end_id == "LOYER-MARS-A12"
    assert credit.remittance == "LOYER MARS 2024 RF18 5390 0754 7034"
    assert credit.structured_reference == "RF18539007547034"
    assert credit.creditor_account_iban == first.account_iban
    assert first.entries[0].bank_reference == "BQ0403240001"
    assert first.entries[0].bank_transaction_code == "A1"
    assert debit.counterparty_name == "EDF ÉNERGIE"
    assert debit.mandate_id == "++EDF-4567"
    assert debit.creditor_account_iban is None
    assert fee.remittance == "FRAIS TENUE DE COMPTE"


def test_lf_utf8_and_glued_records_read_the_same() -> None:
    data = fixture_bytes(FIXTURE)
    expected = parse_bytes(data, "a")
    text = data.decode("iso-8859-1")
    assert parse_bytes(text.replace("\r\n", "\n").encode("utf-8"), "b") == expected
    assert parse_bytes(text.replace("\r\n", "").encode("cp1252"), "c") == expected
    assert parse_bytes(b"\n\n" + text.replace("\r\n", "\n\n").encode("utf-8"), "d") == expected


@pytest.mark.parametrize(
    ("line", "replacement", "reason"),
    [
        (1, ("010324", "320324"), "is not a DDMMYY date"),
        (2, ("0000000006125{", "00000000061X5{"), "is not a number"),
        (2, ("0000000006125{", "0000000006125*"), "bad sign character"),
        (10, ("07", "09"), "unknown record code"),
        (10, ("07", "01"), "before the new balance"),
    ],
)
def test_bad_records_name_the_line(line: int, replacement: tuple[str, str], reason: str) -> None:
    data = fixture_bytes(FIXTURE).decode("iso-8859-1").split("\r\n")
    data[line - 1] = data[line - 1].replace(*replacement, 1)
    with pytest.raises(StatementParseError, match=reason) as info:
        parse_bytes("\r\n".join(data).encode("iso-8859-1"), "bad.txt")
    assert info.value.location == f"line {line}"
    assert info.value.parser == "cfonb120"


def test_missing_new_balance() -> None:
    lines = fixture_bytes(FIXTURE).decode("iso-8859-1").split("\r\n")
    with pytest.raises(StatementParseError, match="before the new balance"):
        parse_bytes("\r\n".join(lines[:9]).encode("iso-8859-1"), "cut.txt")


# --- the fast paths give what the plain code gives -------------------------

_PIECES = [b"a", b"\r", b"\n", b"\r\n", b"\x1a", b"\xc3\xa9", b"\xe9", b"\x8d", b"\xb3"]
_PIECES += [b"z", b"\xef\xbb\xbf", b" ", b"\x00", b"\x81", b"\x90", b"\t", b"\xc2\xa0", b"05"]


@settings(max_examples=400)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join),
    st.sampled_from([1, 2, 3, 7, 1 << 16]),
)
def test_lines_are_those_of_the_decoded_text(data: bytes, chunk: int) -> None:
    # Small chunks cut CR LF pairs and UTF-8 sequences.
    source = io.BytesIO(data)
    encoding, start = common.guess_file_encoding(source)
    source.seek(start)
    text = common.TextSeen()
    lines = list(common.iter_lines(source, encoding, text, chunk))
    assert lines == common.decode_text(data).split("\n")
    # Said to hold no whitespace but spaces, it holds none.
    if text.spaces_only:
        assert all(c == " " or not c.isspace() for line in lines for c in line)


_SPACES = " \t\x0b\x1f\x85\xa0\u2003\u3000"
_QUALIFIERS = ["NPY", "NBE", "RCN", "LCC", "LIB", "REF", "RUM"]


@given(
    st.lists(
        st.tuples(st.sampled_from(_QUALIFIERS), st.text("aZé-RF0" + _SPACES, max_size=80)),
        max_size=4,
    ),
    st.text("aZé-" + _SPACES, max_size=16),
    st.sampled_from([-5, 5]),
)
def test_text_fields_are_whitespace_collapsed(
    complements: list[tuple[str, str]], reference: str, cents: int
) -> None:
    record = "04".ljust(104) + reference.ljust(16)
    lines = [
        ("05".ljust(45) + qualifier + text).ljust(120)[:120] for qualifier, text in complements
    ]
    entry = entries.entry(record, lines, cents, (date(2024, 3, 5), None), None, False)
    transaction = entry.transactions[0]
    if reference.strip():
        assert entry.bank_reference == common.clean(reference)
    texts = [entry.bank_reference, transaction.counterparty_name, transaction.remittance]
    for value in [*texts, transaction.end_to_end_id]:
        assert value is None or value == common.clean(value)
    if [q for q, _ in complements] == ["LCC"] and complements[0][1][:70].strip():
        assert transaction.remittance == common.clean(complements[0][1][:70])
    # Where spaces are the only whitespace, stripping is enough.
    if not any(c.isspace() and c != " " for line in [record, *lines] for c in line):
        assert entries.entry(record, lines, cents, (date(2024, 3, 5), None), None, True) == entry


def _outcome(read: Callable[[], int]) -> int | str:
    try:
        return read()
    except (StatementParseError, ValueError) as e:
        return f"{type(e).__name__}: {e}"


# Signs and unsigned digits; spaces; other scripts' digits, one int() refuses; bad signs.
_ZONES = ["0000000006125{", "0000000006125J", "00000000061255", "   0000006125{"]
_ZONES += ["0000000061 5{", "٠٠٠٠٠٠٠٠٠٦١٢٥{", "²000000006125{", "+000000006125{", "0000000006125*"]


@pytest.mark.parametrize("zone", _ZONES)
@pytest.mark.parametrize("decimals", ["0", "1", "2", "3", "x"])
def test_amount_fast_path_reads_as_the_checking_one(zone: str, decimals: str) -> None:
    record = ("04" + " " * 17 + decimals).ljust(90) + zone + " " * 16
    reader = records.Reader("x.txt")
    fast = _outcome(lambda: records.amount(reader, record, 1))
    assert fast == _outcome(lambda: reader.amount(record, 1))


# --- balance records with blank currency / decimals zones (a real bank's export)


def _blank_balance_zones(data: bytes, codes: tuple[str, ...] = ("01", "07")) -> bytes:
    lines = data.decode("iso-8859-1").split("\n")
    return "\n".join(
        f"{line[:16]}    {line[20:]}" if line[:2] in codes else line for line in lines
    ).encode("iso-8859-1")


def _rendered(currency: str = "EUR", entries: int = 2) -> bytes:
    from functions.core.statements import Balance, Entry, Statement, Transaction
    from functions.ingest.parsers.render import render_cfonb120

    day = date(2026, 11, 5)
    ops = tuple(
        Entry(12_345 * (n + 1), currency, day, day, transactions=(Transaction(12_345 * (n + 1)),))
        for n in range(entries)
    )
    total = sum(e.amount_cents for e in ops)
    st = Statement(
        None,
        "FR7630004000031234567890143",
        None,
        currency,
        Balance(100_000, day),
        Balance(100_000 + total, day),
        ops,
    )
    return render_cfonb120([st])


@pytest.mark.parametrize("codes", [("01", "07"), ("01",), ("07",)])
def test_blank_balance_decimals_take_the_operations(codes: tuple[str, ...]) -> None:
    data = _blank_balance_zones(_rendered(), codes)
    with_zones = parse_bytes(_rendered(), "ok.txt").statements[0]
    (statement,) = parse_bytes(data, "blank.txt").statements
    assert statement.opening_balance == with_zones.opening_balance
    assert statement.closing_balance == with_zones.closing_balance
    assert statement.currency == "EUR"
    assert statement.entries == with_zones.entries
    (note,) = statement.notes
    assert f"({' and '.join(codes)})" in note and "decimals of the operations" in note
    assert with_zones.notes == ()


def test_blank_balance_decimals_without_operations_take_the_currency_default() -> None:
    data = _blank_balance_zones(_rendered(entries=0))
    (statement,) = parse_bytes(data, "idle.txt").statements
    assert statement.opening_balance is not None
    assert statement.opening_balance.amount_cents == 100_000
    assert statement.notes == (
        "balance records (01 and 07) leave the number-of-decimals zone blank: "
        "read with the 2 decimals of EUR",
    )


def test_blank_balance_decimals_streamed_as_parsed() -> None:
    data = _blank_balance_zones(_rendered())
    stream = cfonb120.iter_entries(io.BytesIO(data), "blank.txt")
    headers = [st for st, entry in stream if entry is None]
    assert headers[0].notes == parse_bytes(data, "blank.txt").statements[0].notes
    assert headers[0].closing_balance == parse_bytes(data, "x").statements[0].closing_balance
