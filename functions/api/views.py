"""JSON shapes of the API's resources (one place, shared by routes and OpenAPI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from functions.core.allocation import Allocation
from functions.core.lease import Lease
from functions.core.money import format_cents
from functions.core.records import FileRecord, TransactionRecord, transaction_view


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


def allocations_json(allocations: Sequence[Allocation]) -> list[dict[str, Any]]:
    return [{"lease_id": a.lease_id, "amount": format_cents(a.amount_cents)} for a in allocations]


def transaction_json(record: TransactionRecord) -> dict[str, Any]:
    out: dict[str, Any] = transaction_view(record.transaction)
    out["amount"] = format_cents(record.transaction.amount_cents)
    recorded = record.decision
    if recorded is None:
        out["decision"] = None
        return out
    d = recorded.decision
    out["decision"] = {
        "outcome": d.outcome.value,
        "method": d.method.value if d.method else None,
        "score": float(d.score),
        "evidence": list(d.evidence),
        "reason": d.reason,
        "allocations": allocations_json(d.allocations),
        "decided_at": moment(recorded.decided_at),
        "confirmed_by": d.confirmed_by,
    }
    return out


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def file_json(record: FileRecord) -> dict[str, Any]:
    return {
        "file_id": record.file_id,
        "key": record.key,
        "name": record.name,
        "size": record.size,
        "received_at": record.received_at.isoformat() if record.received_at else None,
        "status": record.status,
        "format": record.format,
        "statements": record.statements,
        "transactions": record.transactions,
        "new_transactions": record.new_transactions,
        "duplicates": record.duplicates or 0,
        "error": dict(record.error) if record.error is not None else None,
    }
