"""Money as integer cents; ``Decimal`` only at the edges (files, JSON)."""

from __future__ import annotations

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
