"""Virtual IBANs: one French IBAN per lease, taken from the landlord's bank range.

A French BBAN is ``bank code (5 digits) + branch code (5 digits) + account number
(11 alphanumerics) + clé RIB (2 digits)``. The landlord's bank grants a range of
account numbers sharing a prefix; we number leases inside it and never reuse a
number, so a former tenant paying off arrears still reaches the right lease.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.core.errors import InvalidIbanError, VirtualIbanRangeExhaustedError

ACCOUNT_NUMBER_LENGTH = 11

# Letters in a French account number count as digits for the clé RIB
# (CFONB convention: A/J→1, B/K/S→2, … I/R/Z→9).
_RIB_LETTERS = {c: str((i % 9) + 1) for i, c in enumerate("ABCDEFGHIJKLMNOPQR")} | {
    c: str(i + 2) for i, c in enumerate("STUVWXYZ")
}


def _rib_digits(value: str) -> int:
    return int("".join(_RIB_LETTERS.get(c, c) for c in value.upper()))


def cle_rib(bank_code: str, branch_code: str, account_number: str) -> str:
    """The two-digit French RIB key: ``97 - (89·bank + 15·branch + 3·account) mod 97``."""
    total = 89 * _rib_digits(bank_code) + 15 * _rib_digits(branch_code)
    total += 3 * _rib_digits(account_number)
    return f"{97 - total % 97:02d}"


def normalize_iban(value: str, field: str = "iban") -> str:
    """Upper-case, no spaces, checked with schwifty (country format and check digits).

    schwifty is imported here, on first use: loading it costs ~0.1 s of a cold start
    that most handlers spend without checking an IBAN."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(value.replace(" ", "").upper()).compact)
    except SchwiftyException as e:
        raise InvalidIbanError(field, f"{value!r} is not a valid IBAN ({e})") from e


def format_iban(iban: str) -> str:
    """Print form in groups of four: ``FR76 3000 4005 …``."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@dataclass(frozen=True, slots=True)
class Rib:
    """The French bank details printed on a RIB, derived from an FR IBAN."""

    bank_code: str
    branch_code: str
    account_number: str
    key: str
    iban: str
    bic: str | None = None

    @classmethod
    def from_iban(cls, iban: str, bic: str | None = None) -> Rib:
        compact = normalize_iban(iban)
        if not compact.startswith("FR"):
            raise InvalidIbanError("iban", f"{iban!r} is not a French IBAN")
        bban = compact[4:]
        return cls(bban[:5], bban[5:10], bban[10:21], bban[21:23], compact, bic)


@dataclass(frozen=True, slots=True)
class VirtualIbanRange:
    """The range of account numbers the landlord's bank grants for vIBANs."""

    bank_code: str
    branch_code: str
    account_prefix: str
    bic: str | None = None

    def __post_init__(self) -> None:
        if len(self.bank_code) != 5 or not self.bank_code.isdigit():
            raise InvalidIbanError("bank_code", f"{self.bank_code!r} is not 5 digits")
        if len(self.branch_code) != 5 or not self.branch_code.isdigit():
            raise InvalidIbanError("branch_code", f"{self.branch_code!r} is not 5 digits")
        prefix = self.account_prefix
        if not prefix.isalnum() or not prefix.isascii() or len(prefix) >= ACCOUNT_NUMBER_LENGTH:
            raise InvalidIbanError(
                "account_prefix",
                f"{prefix!r} must be 1 to {ACCOUNT_NUMBER_LENGTH - 1} letters or digits",
            )

    @property
    def capacity(self) -> int:
        return int(10 ** (ACCOUNT_NUMBER_LENGTH - len(self.account_prefix)))

    def iban_for(self, sequence: int) -> str:
        """The vIBAN numbered ``sequence`` (0-based) in this range."""
        if not 0 <= sequence < self.capacity:
            raise VirtualIbanRangeExhaustedError(
                f"vIBAN range {self.bank_code}/{self.branch_code}/{self.account_prefix}* "
                f"holds {self.capacity} numbers; {sequence} is outside it"
            )
        width = ACCOUNT_NUMBER_LENGTH - len(self.account_prefix)
        account = f"{self.account_prefix.upper()}{sequence:0{width}d}"
        key = cle_rib(self.bank_code, self.branch_code, account)
        bban = f"{self.bank_code}{self.branch_code}{account}{key}"
        check = 98 - int(_iso_digits(bban + "FR00")) % 97
        iban = f"FR{check:02d}{bban}"
        # schwifty re-checks country format, IBAN check digits and the clé RIB.
        return normalize_iban(iban, "viban")

    def contains(self, iban: str) -> bool:
        compact = iban.replace(" ", "").upper()
        return (
            compact.startswith("FR")
            and compact[4:14] == (self.bank_code + self.branch_code)
            and compact[14:25].startswith(self.account_prefix.upper())
        )


def _iso_digits(value: str) -> str:
    """ISO 7064 letters-to-digits (A=10 … Z=35), used by IBAN and RF check digits."""
    return "".join(str(int(c, 36)) for c in value.upper())
