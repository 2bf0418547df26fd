"""The consent campaign's pure core: who is invited, the signed link, the messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.core.consent_campaign import (
    CampaignGrant,
    check_campaign_id,
    invitation_email,
    issue_campaign_token,
    plan_campaign,
    verify_campaign_token,
)
from functions.core.documents import Consent, ConsentChannel, ConsentSource
from functions.core.errors import AuthenticationError, ValidationError
from functions.core.lease import Lease, Tenant
from functions.core.tenant_access import TenantGrant, issue_token, verify_token
from tests.unit.documents.conftest import make_lease

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
SECRET = "portal-secret-0123456789abcdef"


def _lease(lease_id: str, *tenants: Tenant, **changes: object) -> Lease:
    return make_lease(lease_id=lease_id, tenants=tenants, **changes)


def test_token_round_trip_and_refusals() -> None:
    grant = CampaignGrant("org", "L1", "c-1", ConsentChannel.SMS, NOW + timedelta(days=30))
    token = issue_campaign_token(SECRET, grant)
    assert verify_campaign_token([SECRET], token, NOW) == grant
    with pytest.raises(AuthenticationError, match="expired"):
        verify_campaign_token([SECRET], token, NOW + timedelta(days=31))
    with pytest.raises(AuthenticationError, match="not valid"):
        verify_campaign_token(["another-secret-0123456789"], token, NOW)
    _, payload, signature = token.split(".")
    with pytest.raises(AuthenticationError):  # a portal token's version on a campaign payload
        verify_campaign_token([SECRET], f"v1.{payload}.{signature}", NOW)
    portal = issue_token(SECRET, TenantGrant("org", "L1", NOW + timedelta(days=1)))
    with pytest.raises(AuthenticationError):
        verify_campaign_token([SECRET], portal, NOW)
    with pytest.raises(AuthenticationError):  # and a campaign token never opens the account
        verify_token(SECRET, token, NOW)


def test_plan_invites_only_active_leases_without_consent_and_with_a_contact() -> None:
    leases = [
        _lease("MAIL", Tenant("A", email="a@example.fr", phone="+33611111111")),
        _lease("SMS", Tenant("B"), Tenant("C", phone="+33622222222")),
        _lease("NONE", Tenant("D")),
        _lease("ERP-YES", Tenant("E", email="e@example.fr"), e_delivery_consent=True),
        _lease("GIVEN", Tenant("F", email="f@example.fr")),
        _lease("WITHDRAWN", Tenant("G", email="g@example.fr"), e_delivery_consent=True),
        _lease("ENDED", Tenant("H", email="h@example.fr"), end_date=date(2025, 1, 31)),
    ]
    consents = {
        "GIVEN": Consent(True, ConsentSource.PAPER, ConsentChannel.EMAIL, NOW),
        "WITHDRAWN": Consent(False, ConsentSource.PORTAL, ConsentChannel.PORTAL, NOW),
    }
    plan = plan_campaign(leases, consents, NOW)
    assert [(i.lease.lease_id, i.channel, i.address) for i in plan.invitees] == [
        ("MAIL", ConsentChannel.EMAIL, "a@example.fr"),
        ("SMS", ConsentChannel.SMS, "+33622222222"),
        ("WITHDRAWN", ConsentChannel.EMAIL, "g@example.fr"),
    ]
    assert (plan.consenting, plan.without_contact) == (2, 1)


def test_invitation_is_polite_french_with_the_link() -> None:
    subject, text = invitation_email("OPH du Loiret", "Zoé LEFÈVRE", "https://p/#c=abc")
    assert "en ligne" in subject
    assert text.startswith("Bonjour Zoé LEFÈVRE,")
    assert "https://p/#c=abc" in text and "à tout moment" in text


@pytest.mark.parametrize("bad", ["", "../x", "a" * 65, 12, None, "-x"])
def test_campaign_id_is_checked(bad: object) -> None:
    with pytest.raises(ValidationError):
        check_campaign_id(bad)
