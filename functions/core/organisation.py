"""A landlord (organisation) and its accounting settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from functions.core.viban import VirtualIbanRange


@dataclass(frozen=True, slots=True)
class ChartOfAccounts:
    """The accounts an organisation's ERP books payments on (French PCG defaults)."""

    bank: str = "512000"
    tenants: str = "411000"
    suspense: str = "471000"
    journal: str = "BQ"


@dataclass(frozen=True, slots=True)
class Organisation:
    org_id: str
    name: str
    collection_iban: str
    viban_range: VirtualIbanRange
    chart: ChartOfAccounts = field(default_factory=ChartOfAccounts)
    siren: str | None = None
    erp_format: str = "json"
    erp_webhook_url: str | None = None
    erp_webhook_secret: str | None = None
    portal_secret: str | None = None
