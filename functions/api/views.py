"""JSON shapes of the API's resources (one place, shared by routes and OpenAPI)."""

from __future__ import annotations

from typing import Any

from functions.core.lease import Lease
from functions.core.money import format_cents


def lease_json(lease: Lease) -> dict[str, Any]:
    return {
        "lease_id": lease.lease_id,
        "tenants": [{"name": t.name, "email": t.email, "phone": t.phone} for t in lease.tenants],
        "residence": lease.residence,
        "commune": lease.commune,
        "unit": lease.unit,
        "start_date": lease.start_date.isoformat(),
        "end_date": lease.end_date.isoformat() if lease.end_date else None,
        "rent": format_cents(lease.rent_cents),
        "charges": format_cents(lease.charges_cents),
        "apl": format_cents(lease.apl_cents),
        "aid_paid_to_landlord": format_cents(lease.apl_cents),
        "payment_method": lease.payment_method.value,
        "mandate_id": lease.mandate_id,
        "e_delivery_consent": lease.e_delivery_consent,
        "viban": lease.viban,
        "rf_reference": lease.rf_reference,
        "balance": format_cents(lease.balance_cents),
        "external_id": lease.external_id,
        "household_id": lease.household_id,
        "mandate": lease.mandate.to_dict() if lease.mandate else None,
        "payer_ibans": list(lease.payer_ibans),
        "postal_address": lease.postal_address.to_dict() if lease.postal_address else None,
    }


_TX_FIELDS = (
    "transaction_id",
    "status",
    "kind",
    "currency",
    "booking_date",
    "value_date",
    "account_iban",
    "statement_id",
    "bank_reference",
    "bank_transaction_code",
    "counterparty_name",
    "counterparty_iban",
    "creditor_account_iban",
    "end_to_end_id",
    "mandate_id",
    "remittance",
    "structured_reference",
    "return_reason",
    "original_end_to_end_id",
    "file_id",
)


def transaction_json(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: item.get(k) for k in _TX_FIELDS}
    out["amount"] = format_cents(int(item["amount_cents"]))
    decision = item.get("decision")
    if decision:
        out["decision"] = {
            "outcome": decision.get("outcome"),
            "method": decision.get("method"),
            "score": float(decision.get("score", 0)),
            "evidence": decision.get("evidence", []),
            "reason": decision.get("reason"),
            "allocations": [
                {"lease_id": a["lease_id"], "amount": format_cents(int(a["amount_cents"]))}
                for a in decision.get("allocations", [])
            ],
            "decided_at": decision.get("decided_at"),
            "confirmed_by": decision.get("confirmed_by"),
        }
    else:
        out["decision"] = None
    return out


def file_json(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("file_id", "key", "name", "size", "received_at", "status", "format")
    out = {k: item.get(k) for k in keys}
    out |= {
        "statements": item.get("statements"),
        "transactions": item.get("transactions"),
        "new_transactions": item.get("new_transactions"),
        "duplicates": item.get("duplicates", 0),
        "error": item.get("error"),
    }
    return out
