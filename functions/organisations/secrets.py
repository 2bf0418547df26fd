"""Provisioning, reading and rotating an organisation's secrets.

The organisation record holds ``portal_secret_arn`` and ``erp_webhook_secret_arn``;
this service is the only one that turns them into values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from functions.core.errors import ConflictError, ValidationError
from functions.core.organisation import Organisation
from functions.core.secrets import PlainSecrets, RotatingSecret, SecretStore, new_secret_value

DEFAULT_GRACE = timedelta(days=7)
"""How long the previous value stays valid after a rotation."""


class SecretKind(StrEnum):
    PORTAL = "portal"
    ERP_WEBHOOK = "erp-webhook"


@dataclass
class OrganisationSecrets:
    store: SecretStore
    prefix: str = "encaisse"
    grace: timedelta = DEFAULT_GRACE
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    new_value: Callable[[], str] = new_secret_value

    def name(self, org_id: str, kind: SecretKind) -> str:
        return f"{self.prefix.rstrip('/')}/organisations/{org_id}/{kind.value}"

    def provision(
        self,
        org: Organisation,
        erp_webhook_secret: str | None = None,
        portal_secret: str | None = None,
    ) -> Organisation:
        """The organisation with both secrets in the store (created where missing).

        Given values (e.g. plain secrets being migrated) are stored as they are;
        otherwise fresh random ones are drawn.
        """
        portal = org.portal_secret_arn or self.store.create(
            self.name(org.org_id, SecretKind.PORTAL),
            RotatingSecret(portal_secret or self.new_value()),
        )
        webhook = org.erp_webhook_secret_arn or self.store.create(
            self.name(org.org_id, SecretKind.ERP_WEBHOOK),
            RotatingSecret(erp_webhook_secret or self.new_value()),
        )
        return replace(org, portal_secret_arn=portal, erp_webhook_secret_arn=webhook)

    def _ref(self, org: Organisation, kind: SecretKind) -> str | None:
        if kind is SecretKind.PORTAL:
            return org.portal_secret_arn
        return org.erp_webhook_secret_arn

    def signing_value(self, org: Organisation, kind: SecretKind) -> str:
        """The current value, to sign with; ConflictError if the organisation has none."""
        ref = self._ref(org, kind)
        if not ref:
            raise ConflictError(f"the organisation has no {kind.value} secret")
        return self.store.get(ref).current

    def accepted_values(self, org: Organisation, kind: SecretKind) -> tuple[str, ...]:
        """The values valid now (current first); empty if the organisation has none."""
        ref = self._ref(org, kind)
        if not ref:
            return ()
        return self.store.get(ref).accepted(self.clock())

    def rotate(self, org: Organisation, kind: SecretKind, new_value: str | None = None) -> str:
        """Draw (or set) a new value; the old one stays accepted for the grace period.

        Returns the new value (the landlord's ERP needs the webhook one).
        """
        ref = self._ref(org, kind)
        if not ref:
            raise ConflictError(f"the organisation has no {kind.value} secret to rotate")
        value = new_value or self.new_value()
        if len(value) < 16:
            raise ValidationError("secret", "must be at least 16 characters long")
        self.store.put(ref, self.store.get(ref).rotated(value, self.clock(), self.grace))
        return value


class PlainSecretSource(Protocol):
    def get(self, org_id: str) -> Organisation: ...
    def with_plain_secrets(self) -> list[PlainSecrets]: ...
    def store_secret_refs(self, org: Organisation) -> None: ...


def migrate_plain_secrets(orgs: PlainSecretSource, secrets: OrganisationSecrets) -> list[str]:
    """Move every secret still stored in clear into the store; the ids of the orgs moved.

    The values are kept (links already sent and the ERP's configuration stay valid);
    running it again finds nothing to do.
    """
    moved = []
    for plain in orgs.with_plain_secrets():
        org = secrets.provision(
            orgs.get(plain.org_id),
            erp_webhook_secret=plain.erp_webhook_secret,
            portal_secret=plain.portal_secret,
        )
        orgs.store_secret_refs(org)
        moved.append(plain.org_id)
    return moved
