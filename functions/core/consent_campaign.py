"""The e-delivery consent campaign: who is invited, the one-tap signed link, the messages.

A campaign invites, once per campaign id, every tenant of an active lease whose documents
still go to the print run and who has an e-mail address or a mobile number. The link opens
the portal on a one-tap confirmation; it carries a token ``c1.<payload>.<signature>`` whose
payload (base64url JSON) names the organisation, the lease, the campaign, the channel the
invitation went by and the expiry, signed (HMAC-SHA256) with the organisation's portal
secret. The ``c1`` prefix is part of what is signed, so a campaign token is never accepted
as a portal token (``v1``) nor the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from functions.core.documents import (
    Consent,
    ConsentChannel,
    ConsentSource,
    Delivery,
    delivery_for,
)
from functions.core.errors import AuthenticationError, ValidationError
from functions.core.lease import Lease
from functions.core.tenant_access import peek, seal, unseal

CAMPAIGN_LINK_DAYS = 30
MAX_INVITATIONS_PER_CALL = 2000
_CAMPAIGN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_campaign_id(value: object) -> str:
    if not isinstance(value, str) or not _CAMPAIGN_ID.match(value):
        raise ValidationError(
            "campaign_id", "1 to 64 letters, digits, '.', '_' or '-', starting with a letter/digit"
        )
    return value


@dataclass(frozen=True, slots=True)
class CampaignGrant:
    org_id: str
    lease_id: str
    campaign_id: str
    channel: ConsentChannel
    expires_at: datetime


def issue_campaign_token(secret: str, grant: CampaignGrant) -> str:
    if grant.expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    body = {
        "o": grant.org_id,
        "l": grant.lease_id,
        "c": grant.campaign_id,
        "m": grant.channel.value,
        "e": int(grant.expires_at.timestamp()),
    }
    return seal(secret, "c1", body)


def campaign_token_org(token: object) -> str:
    """The organisation a token claims (unverified: only to find its secret)."""
    try:
        assert isinstance(token, str)
        version, body = peek(token)
        org = body["o"]
    except (AssertionError, ValueError, KeyError, TypeError) as e:
        raise AuthenticationError("this consent link is not valid") from e
    if version != "c1" or not isinstance(org, str):
        raise AuthenticationError("this consent link is not valid")
    return org


def verify_campaign_token(secrets: Sequence[str], token: str, now: datetime) -> CampaignGrant:
    """The grant of a token signed with one of ``secrets``; AuthenticationError otherwise."""
    try:
        body = unseal(secrets, "c1", token)
    except ValueError as e:
        raise AuthenticationError("this consent link is not valid") from e
    try:
        grant = CampaignGrant(
            str(body["o"]),
            str(body["l"]),
            str(body["c"]),
            ConsentChannel(body["m"]),
            datetime.fromtimestamp(int(body["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError) as e:
        raise AuthenticationError("this consent link is not valid") from e
    if grant.expires_at <= now:
        raise AuthenticationError("this consent link has expired")
    return grant


@dataclass(frozen=True, slots=True)
class Invitee:
    lease: Lease
    channel: ConsentChannel
    address: str
    """The e-mail address or the phone number the invitation goes to."""


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    invitees: list[Invitee]
    consenting: int
    """Active leases whose documents already go to the safe."""
    without_contact: int
    """Active leases without consent and with neither e-mail nor phone: they stay on paper."""


def plan_campaign(
    leases: Iterable[Lease], consents: Mapping[str, Consent], today: datetime
) -> CampaignPlan:
    """Who to invite: active leases without e-delivery, by e-mail, else by SMS."""
    invitees: list[Invitee] = []
    consenting = without_contact = 0
    for lease in leases:
        if lease.end_date is not None and lease.end_date < today.date():
            continue
        consent = consents.get(lease.lease_id)
        if delivery_for(consent, lease.e_delivery_consent) is Delivery.SAFE:
            consenting += 1
            continue
        email = next((t.email for t in lease.tenants if t.email), None)
        phone = next((t.phone for t in lease.tenants if t.phone), None)
        if email:
            invitees.append(Invitee(lease, ConsentChannel.EMAIL, email))
        elif phone:
            invitees.append(Invitee(lease, ConsentChannel.SMS, phone))
        else:
            without_contact += 1
    return CampaignPlan(invitees, consenting, without_contact)


def invitation_email(landlord: str, tenant_names: str, link: str) -> tuple[str, str]:
    """Subject and text of the invitation (plain, polite French)."""
    subject = f"{landlord} : recevez vos avis d'échéance et quittances en ligne"
    text = (
        f"Bonjour {tenant_names},\n\n"
        "Vous recevez aujourd'hui vos avis d'échéance, quittances et courriers par la poste. "
        "Vous pouvez choisir de les recevoir dans votre espace locataire en ligne : ils y "
        "restent disponibles et vous êtes prévenu(e) à chaque nouveau document.\n\n"
        f"Pour accepter, il suffit d'ouvrir ce lien personnel (valable {CAMPAIGN_LINK_DAYS} "
        "jours) puis de confirmer :\n"
        f"{link}\n\n"
        "Ce choix est libre et vous pourrez revenir au courrier papier à tout moment depuis "
        "votre espace locataire. Sans réponse de votre part, rien ne change.\n\n"
        f"Bien cordialement,\n{landlord}"
    )
    return subject, text


def invitation_sms(landlord: str, link: str) -> str:
    return (
        f"{landlord} : recevez vos avis et quittances en ligne plutôt que par courrier. "
        f"Pour accepter, ouvrez ce lien puis confirmez : {link}"
    )


def campaign_consent(grant: CampaignGrant, at: datetime) -> Consent:
    return Consent(True, ConsentSource.CAMPAIGN, grant.channel, at)
