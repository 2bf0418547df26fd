"""MT940 bank quirks in values: account IBANs, counterparties where some
banks put them."""

from __future__ import annotations

import re

from functions.core.errors import InvalidIbanError
from functions.ingest.parsers.common import clean

_IBAN_SHAPED = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,}$")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_LEGACY_COUNTERPARTY = re.compile(r"^(\d{9,10}|[A-Z]{2}\d{2}[A-Z0-9]{10,30})\s{2,}(\S.*)$")
LEGACY_MIN_LENGTH = 9 + 2 + 1  # the shortest text _LEGACY_COUNTERPARTY matches
_KNAB_REK_NAAM = re.compile(r"REK:\s*([A-Z]{2}\d{2}[A-Z0-9]{10,30}|\d+)\s*/NAAM:\s*(.+)$")


def account_iban(value: str, currency: str | None) -> str | None:
    """:25: often holds an IBAN, sometimes followed by the currency (ING
    ``NL77INGB0574908765EUR``, Rabobank ``NL34RABO0142623393 EUR``). Sample
    files carry IBANs whose check digits fail, so an unchecked IBAN-shaped
    value is kept once a trailing currency code is removed."""
    compact = "".join(value.split()).upper()
    if not _IBAN_SHAPED.match(compact):
        return None
    if (
        len(compact) <= 34
        and not (currency and compact.endswith(currency))
        and _fails_check_digits(compact[:-3])
    ):
        # The value is then the answer whether it checks or not: only its
        # first characters checking as an IBAN could change it. Loading
        # schwifty for that verdict would cost 0.15 s.
        return compact
    # schwifty (behind viban) is imported on first use only, for that reason.
    from functions.core.viban import normalize_iban as checked_iban

    for candidate in (compact, compact[:-3]):
        try:
            return checked_iban(candidate)
        except InvalidIbanError:
            continue
    if currency and compact.endswith(currency):
        compact = compact[: -len(currency)]
    return compact if len(compact) <= 34 else None


def _fails_check_digits(iban: str) -> bool:
    """Whether ``iban`` fails the ISO 13616 mod-97 test, which every valid
    IBAN passes (letters count 10 to 35, the first four characters last).
    ``False`` when it is not plain ASCII letters and digits: not known."""
    if not (iban.isascii() and iban.isalnum()):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 != 1


def rabobank_legacy_counterparty(reference: str | None) -> tuple[str | None, str | None]:
    """Old Rabobank files put the counter account and name in the :61:
    reference field (``1313131319      J. DOE``), past its 16 characters."""
    if reference:
        m = _LEGACY_COUNTERPARTY.match(reference)
        if m:
            return m.group(1), clean(m.group(2))
    return None, None


def iban_in_line(*candidates: str | None) -> str | None:
    """Rabobank's structured files give the counter IBAN as the :61:
    supplementary details (second line); SNS puts it in the customer
    reference field."""
    for value in candidates:
        if value and _IBAN.fullmatch(value.strip()):
            return value.strip()
    return None


def knab_rek_naam(text: str) -> tuple[str | None, str | None]:
    """Knab's free-text :86: ends with ``REK: <iban>/NAAM: <name>``."""
    m = _KNAB_REK_NAAM.search(text) if "REK:" in text else None
    if m:
        return m.group(1), clean(m.group(2))
    return None, None
