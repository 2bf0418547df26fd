"""ConsentCampaign on the fakes: each lease invited once, each link used once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from functions.core.documents import ConsentSource
from functions.core.errors import ConflictError
from functions.core.lease import Tenant
from functions.documents.campaign import ConsentCampaign
from tests.fakes import FakeDocumentRepository, FakeMailer, FakeSmsSender, FakeWorld
from tests.unit.matching.helpers import ORG
from tests.unit.services.conftest import clock

SECRET = "portal-secret-of-org-a-0123456789"


class Campaign:
    def __init__(self, w: FakeWorld) -> None:
        self.store = FakeDocumentRepository()
        self.mailer = FakeMailer()
        self.sms = FakeSmsSender()
        self.service = ConsentCampaign(
            w.organisations, w.leases, self.store, self.mailer, self.sms,
            "https://portail.example", lambda org: SECRET, lambda org: [SECRET], clock,
        )  # fmt: skip


@pytest.fixture
def campaign(world: FakeWorld) -> Campaign:
    for n, contact in ((1, Tenant("Zoé LEFÈVRE", "zoe@example.fr")), (2, Tenant("Karim BENALI"))):
        lease = world.leases.get(ORG, f"TIL-0000{n}")
        world.tables.leases[(ORG, lease.lease_id)] = replace(lease, tenants=(contact,))
    return Campaign(world)


def test_each_lease_with_a_contact_is_invited_once(world: FakeWorld, campaign: Campaign) -> None:
    leases = list(world.leases.iter_all(ORG))

    first = campaign.service.invite(ORG, "c-2026-12", leases, limit=100)
    second = campaign.service.invite(ORG, "c-2026-12", leases, limit=100)

    assert (first.invited, first.without_contact) == (1, 1)
    assert (second.invited, second.already_invited) == (0, 1)
    [(to, email)] = campaign.mailer.sent
    assert to == "zoe@example.fr" and "https://portail.example/#c=" in email.text


def test_an_undelivered_invitation_is_tried_again_by_the_next_call(
    world: FakeWorld, campaign: Campaign
) -> None:
    leases = list(world.leases.iter_all(ORG))
    campaign.mailer.rejecting.add("zoe@example.fr")
    assert campaign.service.invite(ORG, "c-1", leases, limit=100).failed == 1

    campaign.mailer.rejecting.clear()
    assert campaign.service.invite(ORG, "c-1", leases, limit=100).invited == 1


def test_a_link_records_the_consent_once(world: FakeWorld, campaign: Campaign) -> None:
    campaign.service.invite(ORG, "c-1", list(world.leases.iter_all(ORG)), limit=100)
    [(_, email)] = campaign.mailer.sent
    token = email.text.split("#c=")[1].split()[0]

    grant, consent = campaign.service.accept(token)

    assert grant.lease_id == "TIL-00001"
    assert consent.e_delivery and consent.source is ConsentSource.CAMPAIGN
    assert campaign.store.consents(ORG)["TIL-00001"] == consent
    with pytest.raises(ConflictError, match="already been used"):
        campaign.service.accept(token)
