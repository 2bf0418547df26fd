"""A landlord (organisation) and its accounting settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from functions.core.address import PostalAddress
from functions.core.dunning import DunningPolicy
from functions.core.viban import VirtualIbanRange


@dataclass(frozen=True, slots=True)
class ChartOfAccounts:
    """The accounts an organisation's ERP books payments on (French PCG defaults)."""

    bank: str = "512000"
    tenants: str = "411000"
    suspense: str = "471000"
    journal: str = "BQ"
    opening: str = "890000"
    """Counterpart of opening balances taken over from the previous system."""
    adjustments: str = "708000"
    """Counterpart of credit notes and regularisations (charges, rent corrections)."""
    opening_journal: str = "AN"
    adjustments_journal: str = "OD"


class HouseholdSplit(StrEnum):
    """How a lump payment to a household (tenant account) is shared over its leases."""

    OLDEST_DEBT_FIRST = "oldest_debt_first"
    PRO_RATA = "pro_rata"


@dataclass(frozen=True, slots=True)
class Branding:
    """How the landlord's documents, messages and pages look and what they must state.

    ``logo`` is a ``data:image/png;base64,…`` or ``data:image/svg+xml;base64,…`` URI (at most
    100 KB, so the organisation stays one DynamoDB item); colours are ``#rrggbb``;
    ``legal_mentions`` is the footer of every document (company form, capital, RCS, seat).
    """

    logo: str | None = None
    primary_colour: str = "#1d4f91"
    accent_colour: str = "#b3541e"
    legal_mentions: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    website: str | None = None


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
    erp_webhook_secret_arn: str | None = None
    """Reference of the ERP webhook's signing secret in the secret store (never the value)."""
    portal_secret_arn: str | None = None
    """Reference of the secret signing tenant portal links (never the value)."""
    address: PostalAddress | None = None
    branding: Branding = field(default_factory=Branding)
    ics: str | None = None
    """SEPA creditor identifier (identifiant créancier SEPA) for direct debits."""
    dunning: DunningPolicy | None = None
    """The landlord's own dunning policy; None follows the platform's."""
    household_split: HouseholdSplit = HouseholdSplit.OLDEST_DEBT_FIRST
