"""The EPC QR code payload (EPC069-12, "Quick Response Code: guidelines to enable
data capture for the initiation of a SEPA credit transfer", version 002).

A banking app that scans the code prefills a SEPA transfer: beneficiary, IBAN,
amount and the structured RF reference that lets Encaisse match the payment.
Only the text is built here; drawing the code (error level M, at most version 13)
belongs to the document renderers.
"""

from __future__ import annotations

from functions.core.errors import ValidationError
from functions.core.rf import normalize_rf
from functions.core.viban import normalize_iban

MAX_PAYLOAD_BYTES = 331  # EPC069-12 §3.3
MAX_NAME = 70
MAX_AMOUNT_CENTS = 99_999_999_999  # EUR 999999999.99
# ISO 20022 ExternalPurpose1Code for the payment of rent.
PURPOSE_RENT = "RENT"


def _amount(cents: int | None) -> str:
    if cents is None:
        return ""  # the payer types the amount
    if isinstance(cents, bool) or not 1 <= cents <= MAX_AMOUNT_CENTS:
        raise ValidationError("amount", "must be from 0.01 to 999999999.99 EUR")
    whole, frac = divmod(cents, 100)
    return f"EUR{whole}.{frac:02d}"


def _bic(bic: str | None) -> str:
    if not bic:
        return ""  # optional in version 002 inside the EEA
    compact = bic.replace(" ", "").upper()
    if len(compact) not in (8, 11) or not compact.isalnum():
        raise ValidationError("bic", f"{bic!r} is not a BIC")
    return compact


def _name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError("name", "the beneficiary's name is required")
    return clean[:MAX_NAME]


def epc_payload(
    *,
    name: str,
    iban: str,
    amount_cents: int | None,
    rf_reference: str,
    bic: str | None = None,
    purpose: str = PURPOSE_RENT,
    note: str = "",
) -> str:
    """The text to encode (UTF-8, lines separated by LF, no trailing separator).

    ``rf_reference`` goes into the structured remittance field, so the
    unstructured one stays empty (the standard allows only one of them).
    ``note`` is the beneficiary-to-originator information shown to the payer.

    Raises ValidationError (bad amount, BIC, name or note), InvalidIbanError,
    InvalidReferenceError.
    """
    if purpose and (len(purpose) != 4 or not purpose.isalnum()):
        raise ValidationError("purpose", f"{purpose!r} is not a four-character purpose code")
    note = " ".join(note.split())
    if len(note) > 70:
        raise ValidationError("note", "at most 70 characters")
    fields = [
        "BCD",
        "002",
        "1",  # character set: UTF-8
        "SCT",
        _bic(bic),
        _name(name),
        normalize_iban(iban),
        _amount(amount_cents),
        purpose.upper(),
        normalize_rf(rf_reference),
        "",  # unstructured remittance: not with a structured one
        note,
    ]
    while fields[-1] == "":
        fields.pop()
    payload = "\n".join(fields)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValidationError("payload", f"longer than {MAX_PAYLOAD_BYTES} bytes")
    return payload
