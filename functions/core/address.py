"""Postal addresses (of a landlord, of a let home) as French mail houses print them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.core.errors import EncaisseError


class AddressError(EncaisseError, ValueError):
    """An address that cannot be printed on an envelope."""


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """Up to four lines above the postcode and city (norme AFNOR NF Z10-011: six lines in all)."""

    lines: tuple[str, ...]
    postcode: str
    city: str
    country: str = "FR"

    def __post_init__(self) -> None:
        if not self.lines or len(self.lines) > 4:
            raise AddressError("address: between one and four lines before the postcode")
        if any(not line.strip() or len(line) > 38 for line in self.lines):
            raise AddressError("address: each line holds 1 to 38 characters")
        if self.country == "FR" and not (len(self.postcode) == 5 and self.postcode.isdigit()):
            raise AddressError(f"address: postcode {self.postcode!r} is not five digits")
        if not self.city.strip() or len(self.city) > 32:
            raise AddressError("address: the city holds 1 to 32 characters")

    def printed_lines(self) -> tuple[str, ...]:
        """The lines as printed on an envelope: the city in capitals after the postcode."""
        last = f"{self.postcode} {self.city.upper()}"
        if self.country != "FR":
            return (*self.lines, last, self.country)
        return (*self.lines, last)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": list(self.lines),
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PostalAddress:
        return cls(
            lines=tuple(str(line) for line in data.get("lines", ())),
            postcode=str(data.get("postcode", "")),
            city=str(data.get("city", "")),
            country=str(data.get("country", "FR")),
        )
