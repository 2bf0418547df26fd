"""Leases and bank transactions for the matching tests, built in one line each."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from functions.core.lease import Lease, PaymentMethod, Tenant, rf_reference_for_viban
from functions.core.lease_index import LeaseIndex
from functions.core.transactions import BankTransaction, TransactionKind
from functions.core.viban import VirtualIbanRange

ORG = "org-a"
RANGE = VirtualIbanRange("30004", "00821", "57")
COLLECTION = VirtualIbanRange("30004", "00821", "00").iban_for(4_200_017)
PAYER_1 = "FR7630006000011234567890189"
PAYER_2 = "FR7610107001011234567890129"


def lease(
    n: int,
    *names: str,
    rent: int = 50_000,
    charges: int = 6_000,
    balance: int | None = None,
    **extra: Any,
) -> Lease:
    viban = RANGE.iban_for(n)
    base = Lease(
        org_id=extra.pop("org_id", ORG),
        lease_id=extra.pop("lease_id", f"TIL-{n:05d}"),
        tenants=tuple(Tenant(x) for x in (names or ("Zoé LEFÈVRE",))),
        residence="Résidence Les Tilleuls",
        commune="Orléans",
        unit=f"apt {n}",
        start_date=date(2020, 1, 1),
        rent_cents=rent,
        charges_cents=charges,
        viban=viban,
        rf_reference=rf_reference_for_viban(viban),
        balance_cents=rent + charges if balance is None else balance,
    )
    if "mandate_id" in extra:
        extra.setdefault("payment_method", PaymentMethod.DIRECT_DEBIT)
    return replace(base, **extra)


def index(*leases: Lease) -> LeaseIndex:
    return LeaseIndex(ORG, leases)


def tx(amount: int, name: str | None = None, **fields: Any) -> BankTransaction:
    kind = fields.pop("kind", TransactionKind.CREDIT if amount > 0 else TransactionKind.DEBIT)
    values: dict[str, Any] = dict(
        org_id=ORG,
        transaction_id=fields.pop("transaction_id", f"tx_{abs(hash((amount, name))) % 10**12}"),
        kind=kind,
        amount_cents=amount,
        currency="EUR",
        booking_date=date(2026, 11, 20),
        value_date=date(2026, 11, 20),
        account_iban=COLLECTION,
        statement_id="S1",
        bank_reference=None,
        bank_transaction_code=None,
        counterparty_name=name,
        counterparty_iban=PAYER_1,
        creditor_account_iban=None,
        end_to_end_id=None,
        mandate_id=None,
        remittance=None,
        structured_reference=None,
        return_reason=None,
        original_end_to_end_id=None,
        reversal=False,
        file_id="f",
    )
    values.update(fields)
    return BankTransaction(**values)
