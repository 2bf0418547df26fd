"""Running a consent campaign and accepting its one-tap links.

``invite`` is idempotent per campaign id: each lease is marked invited (a conditional
write) before its message goes out, so calling it again sends nothing twice and carries on
where a bounded call stopped. ``accept`` records the consent with source ``campaign`` once
per link; a second use is a conflict, an expired or forged link an authentication error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aws_lambda_powertools import Logger

from functions.core.consent_campaign import (
    CAMPAIGN_LINK_DAYS,
    CampaignGrant,
    campaign_consent,
    campaign_token_org,
    invitation_email,
    invitation_sms,
    issue_campaign_token,
    plan_campaign,
    verify_campaign_token,
)
from functions.core.documents import Consent, ConsentChannel
from functions.core.errors import (
    AuthenticationError,
    ConflictError,
    DeliveryError,
    NotFoundError,
)
from functions.core.lease import Lease
from functions.core.messages import Email
from functions.core.organisation import Organisation

logger = Logger(child=True)


class Orgs(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Leases(Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...


class CampaignStore(Protocol):
    def consents(self, org_id: str) -> dict[str, Consent]: ...
    def put_consent(self, org_id: str, lease_id: str, consent: Consent) -> None: ...
    def mark_invited(
        self, org_id: str, campaign_id: str, lease_id: str, channel: str, at: datetime
    ) -> bool: ...
    def unmark_invited(self, org_id: str, campaign_id: str, lease_id: str) -> None: ...
    def mark_accepted(self, org_id: str, campaign_id: str, lease_id: str, at: datetime) -> bool: ...


class Mailer(Protocol):
    def send(self, to: str, email: Email) -> str: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign_id: str
    invited: int
    already_invited: int
    consenting: int
    without_contact: int
    failed: int
    remaining: int
    """Invitations left for a next call (the call was bounded by ``limit``)."""


@dataclass
class ConsentCampaign:
    orgs: Orgs
    leases: Leases
    store: CampaignStore
    mailer: Mailer
    sms: SmsSender
    portal_base_url: str
    signing_secret: Callable[[Organisation], str]
    """The organisation's current portal secret (ConflictError when it has none)."""
    accepted_secrets: Callable[[Organisation], Sequence[str]]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def link(self, org: Organisation, grant: CampaignGrant) -> str:
        token = issue_campaign_token(self.signing_secret(org), grant)
        return f"{self.portal_base_url.rstrip('/')}/#c={token}"

    def invite(
        self, org_id: str, campaign_id: str, leases: Iterable[Lease], limit: int
    ) -> CampaignReport:
        org = self.orgs.get(org_id)
        now = self.clock()
        self.signing_secret(org)  # no portal secret: refused before anything is marked
        plan = plan_campaign(leases, self.store.consents(org_id), now)
        invited = already = failed = 0
        expires = now + timedelta(days=CAMPAIGN_LINK_DAYS)
        pending = list(plan.invitees)
        while pending and invited + failed < limit:
            who = pending.pop(0)
            lease = who.lease
            if not self.store.mark_invited(
                org_id, campaign_id, lease.lease_id, who.channel.value, now
            ):
                already += 1
                continue
            grant = CampaignGrant(org_id, lease.lease_id, campaign_id, who.channel, expires)
            link = self.link(org, grant)
            try:
                if who.channel is ConsentChannel.EMAIL:
                    subject, text = invitation_email(org.name, lease.tenant_names, link)
                    self.mailer.send(who.address, Email(subject, text))
                else:
                    self.sms.send(who.address, invitation_sms(org.name, link))
            except DeliveryError as e:
                # Unmarked so that the next call of the same campaign tries again.
                self.store.unmark_invited(org_id, campaign_id, lease.lease_id)
                logger.warning(
                    "campaign invitation not delivered",
                    extra={"lease_id": lease.lease_id, "error": str(e)},
                )
                failed += 1
                continue
            invited += 1
        return CampaignReport(
            campaign_id,
            invited,
            already,
            plan.consenting,
            plan.without_contact,
            failed,
            len(pending),
        )

    def accept(self, token: str) -> tuple[CampaignGrant, Consent]:
        """Records the consent of the link's lease (source ``campaign``), once per link."""
        try:
            org = self.orgs.get(campaign_token_org(token))
        except NotFoundError as e:
            raise AuthenticationError("this consent link is not valid") from e
        now = self.clock()
        grant = verify_campaign_token(tuple(self.accepted_secrets(org)), token, now)
        lease = self.leases.get(grant.org_id, grant.lease_id)
        if not self.store.mark_accepted(org.org_id, grant.campaign_id, lease.lease_id, now):
            raise ConflictError("this consent link has already been used")
        consent = campaign_consent(grant, now)
        self.store.put_consent(org.org_id, lease.lease_id, consent)
        return grant, consent
