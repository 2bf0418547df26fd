"""Money as integer cents; ``Decimal`` only at the edges (files, JSON)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from functions.core.errors import MoneyError

_CENT = Decimal("0.01")


def cents_from_decimal(value: Decimal | str | int, field: str = "amount") -> int:
    """Exact conversion to cents; refuses sub-cent precision and non-numbers."""
    try:
        dec = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as e:
        raise MoneyError(field, f"{value!r} is not a number") from e
    if not dec.is_finite():
        raise MoneyError(field, f"{value!r} is not a finite number")
    quantized = dec.quantize(_CENT, rounding=ROUND_HALF_EVEN)
    if quantized != dec:
        raise MoneyError(field, f"{value!r} has more than two decimals")
    return int(quantized * 100)


# Bounds per kind of amount at the API (inclusive, in cents); anything above is a typo.
RENT_LINE_MAX_CENTS = 99_999_99  # a monthly rent, charges or housing-aid line
PAYMENT_MAX_CENTS = 9_999_999_99  # a payment or its share in an allocation
ADJUSTMENT_MAX_CENTS = 9_999_999_99  # an opening balance, credit note or adjustment
THRESHOLD_MAX_CENTS = 99_999_99  # a dunning threshold
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,2})?")


def plain_decimal_pattern(max_cents: int, *, signed: bool = False) -> str:
    """The JSON-schema ``pattern`` of an amount bounded by ``max_cents`` (for OpenAPI)."""
    digits = len(str(max_cents // 100))
    sign = "-?" if signed else ""
    return f"^{sign}[0-9]{{1,{digits}}}(\\.[0-9]{{1,2}})?$"


def cents_from_plain_decimal(
    value: object, field: str, max_cents: int, *, signed: bool = False
) -> int:
    """The one parser of amounts received at the API.

    Accepts a JSON string holding a plain decimal (``"512.30"``, ``"-12"``: digits, an
    optional point and at most two decimals; no exponent, no spaces, no ``+``) or a JSON
    integer (whole euros). Refuses floats, booleans, exponents, sub-cent precision,
    negative values unless ``signed``, and anything beyond ``max_cents`` in magnitude.
    """
    example = '"-512.30"' if signed else '"512.30"'
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MoneyError(field, f"an amount as a decimal string, e.g. {example}")
    text = str(value) if isinstance(value, str) else None
    if isinstance(value, int):
        if abs(value) > max_cents // 100 + 1:
            raise MoneyError(field, f"is out of range (at most {format_cents(max_cents)})")
        text = str(value)
    assert text is not None
    if len(text) > 20 or not _PLAIN_DECIMAL.fullmatch(text):
        if len(text) <= 20 and re.fullmatch(r"-?[0-9]+\.[0-9]{3,}", text):
            raise MoneyError(field, f"{text!r} has more than two decimals")
        if re.fullmatch(r"-?[0-9]{13,}(\.[0-9]*)?", text[:40]):
            raise MoneyError(field, f"is out of range (at most {format_cents(max_cents)})")
        raise MoneyError(
            field, f"an amount as a plain decimal string with at most two decimals, e.g. {example}"
        )
    cents = int(Decimal(text) * 100)
    if cents < 0 and not signed:
        raise MoneyError(field, "must not be negative")
    if abs(cents) > max_cents:
        raise MoneyError(field, f"is out of range (at most {format_cents(max_cents)})")
    return cents


def format_cents(cents: int) -> str:
    """Signed decimal string with two decimals: ``-1234`` → ``"-12.34"``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def format_cents_fr(cents: int) -> str:
    """French display: ``123456`` → ``"1 234,56 €"`` (narrow no-break space)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{frac:02d}\u00a0€"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency, in minor units."""

    cents: int
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise MoneyError("amount", f"{self.cents!r} is not integer cents")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise MoneyError("currency", f"{self.currency!r} is not an ISO 4217 code")

    @classmethod
    def parse(cls, value: Decimal | str | int, currency: str = "EUR") -> Money:
        return cls(cents_from_decimal(value), currency)

    def __str__(self) -> str:
        return f"{format_cents(self.cents)} {self.currency}"
