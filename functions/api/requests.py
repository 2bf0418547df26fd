"""Parsing request bodies into domain objects; every error names its field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from functions.core.address import AddressError, PostalAddress
from functions.core.errors import ValidationError
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.ledger import LineKind
from functions.core.money import (
    ADJUSTMENT_MAX_CENTS,
    RENT_LINE_MAX_CENTS,
    cents_from_plain_decimal,
)
from functions.core.sepa import Mandate, MandateSequence
from functions.core.viban import normalize_iban
from functions.leases.service import BalanceOperation, RentCall

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# An ERP's own number: printable, no control characters (``0010666/02``, ``B 12#3``).
_EXTERNAL_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
MAX_IMPORTED_PAYER_IBANS = 8


def check_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValidationError(field, "1 to 64 letters, digits, '.', '_', ':' or '-'")
    return value


def _obj(body: Any, field: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError(field, "must be a JSON object")
    return body


def _str(
    body: dict[str, Any], key: str, *, required: bool = True, max_len: int = 200
) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(key, "must be a non-empty string")
    if len(value) > max_len:
        raise ValidationError(key, f"at most {max_len} characters")
    return value.strip()


def _date(body: dict[str, Any], key: str, *, required: bool = True) -> date | None:
    raw = _str(body, key, required=required, max_len=10)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as e:
        raise ValidationError(key, f"{raw!r} is not a date (YYYY-MM-DD)") from e


def _amount(body: dict[str, Any], key: str, *, default: str | None = None) -> int:
    """A rent line (rent, charges, housing aid): a plain decimal string, not negative."""
    raw = body.get(key, default)
    if raw is None:
        raise ValidationError(key, "is required")
    return cents_from_plain_decimal(raw, key, RENT_LINE_MAX_CENTS)


def signed_amount(body: dict[str, Any], key: str) -> int:
    """A signed amount (a credit is negative), bounded, as a plain decimal string."""
    raw = body.get(key)
    if raw is None:
        raise ValidationError(key, "is required")
    return cents_from_plain_decimal(raw, key, ADJUSTMENT_MAX_CENTS, signed=True)


def postal_address(value: Any, field: str) -> PostalAddress | None:
    if value is None:
        return None
    data = _obj(value, field)
    lines = data.get("lines")
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise ValidationError(f"{field}.lines", "a list of one to four lines of text")
    try:
        return PostalAddress.from_dict(data)
    except AddressError as e:
        raise ValidationError(field, str(e).removeprefix("address: ")) from e


def _mandate(value: Any) -> Mandate | None:
    if value is None:
        return None
    try:
        return _mandate_fields(_obj(value, "mandate"))
    except ValidationError as e:
        if e.field.startswith("mandate"):
            raise
        raise ValidationError(f"mandate.{e.field}", e.reason) from e


def _mandate_fields(data: dict[str, Any]) -> Mandate:
    signed = _date(data, "signed_on")
    assert signed is not None
    try:
        sequence = MandateSequence(data.get("sequence", "RCUR"))
    except ValueError as e:
        choices = ", ".join(m.value for m in MandateSequence)
        raise ValidationError("mandate.sequence", f"one of {choices}") from e
    return Mandate(
        rum=str(_str(data, "rum", max_len=35)),
        signed_on=signed,
        debtor_iban=str(_str(data, "debtor_iban", max_len=42)),
        debtor_name=str(_str(data, "debtor_name", max_len=70)),
        sequence=sequence,
    )


def _payer_ibans(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValidationError("payer_ibans", "a list of IBANs")
    if len(value) > MAX_IMPORTED_PAYER_IBANS:
        raise ValidationError("payer_ibans", f"at most {MAX_IMPORTED_PAYER_IBANS} IBANs")
    ibans = [normalize_iban(x, f"payer_ibans[{i}]") for i, x in enumerate(value)]
    return tuple(dict.fromkeys(ibans))


def external_id(value: Any, field: str = "external_id") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or not _EXTERNAL_ID.fullmatch(value):
        raise ValidationError(field, "1 to 64 printable characters")
    return value.strip()


def lease_from_body(org_id: str, lease_id: str, body: Any) -> Lease:
    data = _obj(body)
    tenants_raw = data.get("tenants")
    if not isinstance(tenants_raw, list) or not tenants_raw:
        raise ValidationError("tenants", "a non-empty list of tenants")
    tenants = []
    for i, raw in enumerate(tenants_raw):
        t = _obj(raw, f"tenants[{i}]")
        name = _str(t, "name")
        tenants.append(
            Tenant(
                name=str(name),
                email=_str(t, "email", required=False),
                phone=_str(t, "phone", required=False, max_len=30),
            )
        )
    method = data.get("payment_method", "transfer")
    try:
        payment_method = PaymentMethod(method)
    except ValueError as e:
        choices = ", ".join(m.value for m in PaymentMethod)
        raise ValidationError("payment_method", f"one of {choices}") from e
    consent = data.get("e_delivery_consent", False)
    if not isinstance(consent, bool):
        raise ValidationError("e_delivery_consent", "true or false")
    start = _date(data, "start_date")
    end = _date(data, "end_date", required=False)
    assert start is not None
    if end is not None and end < start:
        raise ValidationError("end_date", "is before start_date")
    if (
        "aid_paid_to_landlord" in data
        and "apl" in data
        and data["apl"] != data["aid_paid_to_landlord"]
    ):
        raise ValidationError("aid_paid_to_landlord", "differs from apl (the same amount)")
    aid = "aid_paid_to_landlord" if "aid_paid_to_landlord" in data else "apl"
    mandate = _mandate(data.get("mandate"))
    household = data.get("household_id")
    return Lease(
        org_id=org_id,
        lease_id=check_id(lease_id, "lease_id"),
        tenants=tuple(tenants),
        residence=_str(data, "residence") or "",
        commune=_str(data, "commune") or "",
        unit=_str(data, "unit") or "",
        start_date=start,
        end_date=end,
        rent_cents=_amount(data, "rent"),
        charges_cents=_amount(data, "charges", default="0"),
        apl_cents=_amount(data, aid, default="0"),
        payment_method=payment_method,
        mandate_id=_str(data, "mandate_id", required=False, max_len=35)
        or (mandate.rum if mandate else None),
        e_delivery_consent=consent,
        viban="",
        rf_reference="",
        payer_ibans=_payer_ibans(data.get("payer_ibans")),
        postal_address=postal_address(data.get("postal_address"), "postal_address"),
        mandate=mandate,
        household_id=check_id(household, "household_id") if household is not None else None,
        external_id=external_id(data.get("external_id")),
    )


def rent_call_from_body(org_id: str, body: Any, field: str = "body") -> RentCall:
    data = _obj(body, field)
    period = _str(data, "period", max_len=7)
    if period is None or not _PERIOD.match(period):
        raise ValidationError("period", "a month as YYYY-MM")
    lease_id = check_id(data.get("lease_id"), "lease_id")
    due = _date(data, "due_date")
    assert due is not None
    call_id = data.get("rent_call_id") or f"{lease_id}:{period}"
    return RentCall(
        org_id=org_id,
        lease_id=lease_id,
        rent_call_id=check_id(call_id, "rent_call_id"),
        period=period,
        due_date=due,
        rent_cents=_amount(data, "rent"),
        charges_cents=_amount(data, "charges", default="0"),
        apl_cents=_amount(data, "apl", default="0"),
    )


def balance_operation_from_body(
    org_id: str, lease_id: object, kind: LineKind, body: Any, field: str = "body"
) -> BalanceOperation:
    """``{"amount", "date", "reference", "label"?}``: positive owed, negative a credit."""
    data = _obj(body, field)
    amount = signed_amount(data, "amount")
    if amount == 0:
        raise ValidationError("amount", "must not be zero")
    day = _date(data, "date")
    assert day is not None
    reference = external_id(data.get("reference"), "reference")
    if reference is None:
        raise ValidationError("reference", "is required (the ERP's document number)")
    return BalanceOperation(
        org_id=org_id,
        lease_id=check_id(lease_id, "lease_id"),
        kind=kind,
        amount_cents=amount,
        date=day,
        reference=reference,
        label=_str(data, "label", required=False, max_len=120),
    )
