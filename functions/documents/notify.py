"""The deposit notification: "un nouveau document est disponible", with a signed, expiring
link to the portal (never the PDF attached), by e-mail, else by SMS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from aws_lambda_powertools import Logger

from functions.core.documents import DEPOSIT_LINK_DAYS, DocumentRecord, deposit_email, deposit_sms
from functions.core.errors import DeliveryError
from functions.core.lease import Lease
from functions.core.messages import Email
from functions.core.organisation import Organisation
from functions.core.tenant_access import TenantGrant, issue_token
from functions.organisations.secrets import OrganisationSecrets, SecretKind

logger = Logger(child=True)


class Mailer(Protocol):
    def send(self, to: str, email: Email) -> str: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> str: ...


@dataclass
class DepositNotifier:
    mailer: Mailer
    sms: SmsSender
    portal_base_url: str
    portal_secret: Callable[[Organisation], str | None]
    """The organisation's current portal signing secret (None: tenant links disabled)."""

    def link(self, org: Organisation, lease: Lease, now: datetime) -> str | None:
        secret = self.portal_secret(org)
        if not secret:
            return None
        grant = TenantGrant(org.org_id, lease.lease_id, now + timedelta(days=DEPOSIT_LINK_DAYS))
        return f"{self.portal_base_url.rstrip('/')}/#t={issue_token(secret, grant)}"

    def notify(
        self, org: Organisation, lease: Lease, record: DocumentRecord, now: datetime
    ) -> bool:
        """True once a tenant was told; False when there is no way to (or delivery failed)."""
        link = self.link(org, lease, now)
        if link is None:
            return False
        try:
            for tenant in lease.tenants:
                if tenant.email:
                    subject, text = deposit_email(
                        record.kind, record.period, org.name, lease.tenant_names, link
                    )
                    self.mailer.send(tenant.email, Email(subject, text))
                    return True
            for tenant in lease.tenants:
                if tenant.phone:
                    self.sms.send(tenant.phone, deposit_sms(record.kind, org.name, link))
                    return True
        except DeliveryError as e:
            logger.warning("deposit notification not delivered", extra={"error": str(e)})
        return False


def portal_secret_from(secrets: OrganisationSecrets) -> Callable[[Organisation], str | None]:
    def current(org: Organisation) -> str | None:
        if not org.portal_secret_arn:
            return None
        return secrets.signing_value(org, SecretKind.PORTAL)

    return current
