from __future__ import annotations

from decimal import Decimal

import pytest

from functions.core.errors import MoneyError
from functions.core.money import Money, cents_from_decimal, format_cents, format_cents_fr


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
