"""SEPA direct-debit identifiers: the creditor identifier (ICS) and the mandate.

The SEPA creditor identifier (EPC262-08, "Creditor Identifier Overview") is
``country (2) + check digits (2) + creditor business code (3) + national id``;
its check digits are ISO 7064 MOD 97-10 over the national id followed by the
country code and ``00`` — the business code is left out, so a creditor may
change it freely. In France (the ICS) the national id is 6 letters or digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from functions.core.errors import ValidationError
from functions.core.viban import normalize_iban

_CI = re.compile(r"^([A-Z]{2})(\d{2})([A-Z0-9]{3})([A-Z0-9]{1,28})$")
_RUM = re.compile(r"^[A-Za-z0-9+?/:().,' -]{1,35}$")  # the SEPA Latin character set


def _iso_digits(value: str) -> str:
    return "".join(str(int(c, 36)) for c in value)


def normalize_ics(value: str, field: str = "ics") -> str:
    """The creditor identifier upper-cased without spaces, its check digits verified."""
    compact = value.replace(" ", "").upper()
    m = _CI.match(compact)
    if not m:
        raise ValidationError(field, f"{value!r} is not a SEPA creditor identifier")
    country, check, _, national = m.groups()
    if country == "FR" and len(national) != 6:
        raise ValidationError(field, f"{value!r}: a French ICS has 13 characters")
    if int(_iso_digits(national + country + check)) % 97 != 1:
        raise ValidationError(field, f"{value!r}: wrong check digits")
    return compact


def ics_check_digits(country: str, national: str) -> str:
    """The two check digits of a creditor identifier (to build examples and test data)."""
    return f"{98 - int(_iso_digits(national.upper() + country.upper() + '00')) % 97:02d}"


class MandateSequence(StrEnum):
    """The SEPA sequence type the next collection under the mandate carries."""

    FIRST = "FRST"
    RECURRING = "RCUR"
    FINAL = "FNAL"
    ONE_OFF = "OOFF"


@dataclass(frozen=True, slots=True)
class Mandate:
    """A direct-debit mandate as the ERP keeps it; ``rum`` is its unique reference."""

    rum: str
    signed_on: date
    debtor_iban: str
    debtor_name: str
    sequence: MandateSequence = MandateSequence.RECURRING

    def __post_init__(self) -> None:
        if not _RUM.match(self.rum):
            raise ValidationError("mandate.rum", "1 to 35 SEPA characters")
        if not self.debtor_name.strip() or len(self.debtor_name) > 70:
            raise ValidationError("mandate.debtor_name", "1 to 70 characters")
        object.__setattr__(
            self, "debtor_iban", normalize_iban(self.debtor_iban, "mandate.debtor_iban")
        )

    def to_dict(self) -> dict[str, str]:
        return {
            "rum": self.rum,
            "signed_on": self.signed_on.isoformat(),
            "debtor_iban": self.debtor_iban,
            "debtor_name": self.debtor_name,
            "sequence": self.sequence.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Mandate:
        return cls(
            rum=data["rum"],
            signed_on=date.fromisoformat(data["signed_on"]),
            debtor_iban=data["debtor_iban"],
            debtor_name=data["debtor_name"],
            sequence=MandateSequence(data.get("sequence", "RCUR")),
        )
