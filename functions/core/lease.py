"""Leases and their tenants, as the ERP describes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from functions.core.address import PostalAddress
from functions.core.rf import make_rf
from functions.core.sepa import Mandate


class PaymentMethod(StrEnum):
    DIRECT_DEBIT = "direct_debit"
    TRANSFER = "transfer"
    CARD = "card"
    CHEQUE = "cheque"
    CASH = "cash"


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease and what Encaisse keeps for it.

    ``balance_cents`` is the tenant's account from the landlord's side: positive
    means the tenant owes that much, negative is a credit in the tenant's favour.
    It is a cache of the ledger, written with ``version`` for optimistic locking.
    """

    org_id: str
    lease_id: str
    tenants: tuple[Tenant, ...]
    residence: str
    commune: str
    unit: str
    start_date: date
    rent_cents: int
    charges_cents: int
    viban: str
    rf_reference: str
    end_date: date | None = None
    payment_method: PaymentMethod = PaymentMethod.TRANSFER
    mandate_id: str | None = None
    apl_cents: int = 0
    e_delivery_consent: bool = False
    balance_cents: int = 0
    version: int = 0
    payer_ibans: tuple[str, ...] = field(default=())
    postal_address: PostalAddress | None = None
    mandate: Mandate | None = None
    household_id: str | None = None
    """The tenant account (compte locataire) grouping a household's leases (flat, parking …)."""
    external_id: str | None = None
    """The ERP's own number for the lease, as the ERP writes it (``0010666/02``)."""

    @property
    def aid_paid_to_landlord_cents(self) -> int:
        """The housing aid (APL/AL, tiers payant) the CAF pays the landlord each month."""
        return self.apl_cents

    @property
    def tenant_names(self) -> str:
        return " et ".join(t.name for t in self.tenants)

    @property
    def monthly_due_cents(self) -> int:
        """What the tenant pays each month: rent + charges - APL paid to the landlord."""
        return self.rent_cents + self.charges_cents - self.apl_cents

    def is_active(self, on: date) -> bool:
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)


def rf_reference_for_viban(viban: str) -> str:
    """The lease's RF reference, derived from its vIBAN's BBAN (bank, branch, account).

    Unique wherever the vIBAN is, readable on a notice, and checkable by any bank.
    """
    compact = viban.replace(" ", "").upper()
    return make_rf(compact[4:25])
