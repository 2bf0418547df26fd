"""What the tenant portal shows: the tenant's account and how to pay."""

from __future__ import annotations

from typing import Any

from functions.core.epc_qr import epc_payload
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine
from functions.core.money import format_cents, format_cents_fr
from functions.core.organisation import Organisation
from functions.core.rf import format_rf
from functions.core.viban import Rib, format_iban

HISTORY_LINES = 36


def payment_instructions(
    org: Organisation, lease: Lease, amount_cents: int | None
) -> dict[str, Any]:
    """Everything a payer needs for a transfer that Encaisse matches on its own."""
    rib = Rib.from_iban(lease.viban, org.viban_range.bic)
    payload = epc_payload(
        name=org.name,
        iban=lease.viban,
        amount_cents=amount_cents if amount_cents and amount_cents > 0 else None,
        rf_reference=lease.rf_reference,
        bic=org.viban_range.bic,
    )
    return {
        "beneficiary": org.name,
        "iban": lease.viban,
        "iban_display": format_iban(lease.viban),
        "bic": org.viban_range.bic,
        "rib": {
            "bank_code": rib.bank_code,
            "branch_code": rib.branch_code,
            "account_number": rib.account_number,
            "key": rib.key,
        },
        "rf_reference": lease.rf_reference,
        "rf_display": format_rf(lease.rf_reference),
        "amount": format_cents(amount_cents) if amount_cents and amount_cents > 0 else None,
        # What the EPC QR code holds: the portal draws it (portal/qr.js), the same symbol as
        # the notices' (segno, functions/documents/render.py).
        "epc_payload": payload,
    }


def tenant_account(org: Organisation, lease: Lease, lines: list[LedgerLine]) -> dict[str, Any]:
    """The tenant's page: the balance is the sum of ``lines`` (all of the lease's lines,
    read now); ``lease`` gives the rest and may have been read a little earlier."""
    running = 0
    history = []
    for line in lines:
        running += line.amount_cents
        history.append(
            {
                "date": line.date.isoformat(),
                "kind": line.kind.value,
                "label": line.label,
                "amount": format_cents(line.amount_cents),
                "amount_display": format_cents_fr(abs(line.amount_cents)),
                "balance": format_cents(running),
            }
        )
    due = max(running, 0)
    return {
        "landlord": org.name,
        "lease_id": lease.lease_id,
        "tenants": [t.name for t in lease.tenants],
        "residence": lease.residence,
        "commune": lease.commune,
        "unit": lease.unit,
        "monthly_due": format_cents(lease.monthly_due_cents),
        "monthly_due_display": format_cents_fr(lease.monthly_due_cents),
        "balance": format_cents(running),
        "balance_display": format_cents_fr(abs(running)),
        "history": list(reversed(history))[:HISTORY_LINES],
        "pay": payment_instructions(org, lease, due),
    }
