from __future__ import annotations

from decimal import Decimal

import pytest

from functions.core.errors import MoneyError
from functions.core.money import (
    ADJUSTMENT_MAX_CENTS,
    RENT_LINE_MAX_CENTS,
    Money,
    cents_from_decimal,
    cents_from_plain_decimal,
    format_cents,
    format_cents_fr,
    plain_decimal_pattern,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("0", 0), ("12.3", 1230), ("-0.01", -1), ("1234.56", 123456), (" 7 ", 700)],
)
def test_exact_cents(text: str, cents: int) -> None:
    assert cents_from_decimal(text) == cents
    assert cents_from_decimal(Decimal(text.strip())) == cents


@pytest.mark.parametrize("bad", ["1.001", "abc", "NaN", "Infinity", ""])
def test_refuses_what_is_not_cents(bad: str) -> None:
    with pytest.raises(MoneyError) as e:
        cents_from_decimal(bad, "rent")
    assert e.value.field == "rent"


def test_formats() -> None:
    assert format_cents(-123456) == "-1234.56"
    assert format_cents(5) == "0.05"
    assert format_cents_fr(123456) == "1\u202f234,56\u00a0€"
    assert str(Money.parse("10.5")) == "10.50 EUR"
    with pytest.raises(MoneyError):
        Money(1.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------- amounts at the API


@pytest.mark.parametrize(
    ("value", "cents"),
    [("512.30", 51230), ("0", 0), ("7.5", 750), ("99999.99", 9_999_999), (3, 300)],
)
def test_plain_decimal_amounts(value: object, cents: int) -> None:
    assert cents_from_plain_decimal(value, "rent", RENT_LINE_MAX_CENTS) == cents


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1e6", "plain decimal"),
        ("1E2", "plain decimal"),
        ("99999999999999999999999.99", "out of range"),
        ("9" * 400, "out of range"),
        (int("9" * 400), "out of range"),
        ("100000", "out of range"),
        ("12.345", "more than two decimals"),
        ("-3", "must not be negative"),
        (" 5", "plain decimal"),
        ("+5", "plain decimal"),
        ("5.", "plain decimal"),
        ("١٢", "plain decimal"),  # Arabic-Indic digits are not ASCII digits
        ("NaN", "plain decimal"),
        (12.5, "decimal string"),
        (True, "decimal string"),
        (None, "decimal string"),
    ],
)
def test_plain_decimal_refusals_name_the_field(value: object, says: str) -> None:
    with pytest.raises(MoneyError) as e:
        cents_from_plain_decimal(value, "rent", RENT_LINE_MAX_CENTS)
    assert e.value.field == "rent"
    assert says in str(e.value)


def test_signed_amounts_and_their_bound() -> None:
    assert (
        cents_from_plain_decimal("-512.30", "amount", ADJUSTMENT_MAX_CENTS, signed=True) == -51230
    )
    with pytest.raises(MoneyError, match="out of range"):
        cents_from_plain_decimal("-10000000", "amount", ADJUSTMENT_MAX_CENTS, signed=True)


def test_the_documented_pattern_matches_the_parser() -> None:
    import re

    pattern = re.compile(plain_decimal_pattern(RENT_LINE_MAX_CENTS))
    assert pattern.pattern == r"^[0-9]{1,5}(\.[0-9]{1,2})?$"
    for text in ("0", "99999.99", "12.3"):
        assert pattern.search(text)
        cents_from_plain_decimal(text, "rent", RENT_LINE_MAX_CENTS)
    for text in ("100000", "1e6", "-1", "1.234"):
        assert not pattern.search(text)
    signed = plain_decimal_pattern(ADJUSTMENT_MAX_CENTS, signed=True)
    assert signed == r"^-?[0-9]{1,7}(\.[0-9]{1,2})?$"
