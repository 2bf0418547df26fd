"""Organisation secrets: rotation with a grace period, provisioning, migration (in memory)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from functions.core.errors import AuthenticationError, ConflictError, ValidationError
from functions.core.organisation import Organisation
from functions.core.secrets import PlainSecrets, RotatingSecret
from functions.core.tenant_access import TenantGrant, issue_token, verify_token
from functions.core.viban import VirtualIbanRange
from functions.erp.service import sign
from functions.organisations.secrets import (
    OrganisationSecrets,
    SecretKind,
    migrate_plain_secrets,
)

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
ORG = Organisation(
    "org-a", "OPH de test", "FR7630004008210000420001774", VirtualIbanRange("30004", "00821", "57")
)


class MemoryStore:
    def __init__(self) -> None:
        self.values: dict[str, RotatingSecret] = {}

    def create(self, name: str, value: RotatingSecret) -> str:
        ref = f"arn:test:secret:{name}"
        self.values[ref] = value
        return ref

    def get(self, ref: str) -> RotatingSecret:
        return self.values[ref]

    def put(self, ref: str, value: RotatingSecret) -> None:
        self.values[ref] = value


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class MemoryOrgs:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    plain: dict[str, PlainSecrets] = field(default_factory=dict)

    def get(self, org_id: str) -> Organisation:
        return self.orgs[org_id]

    def with_plain_secrets(self) -> list[PlainSecrets]:
        return list(self.plain.values())

    def store_secret_refs(self, org: Organisation) -> None:
        self.orgs[org.org_id] = org
        self.plain.pop(org.org_id, None)


def _service(clock: Clock) -> tuple[OrganisationSecrets, MemoryStore]:
    store = MemoryStore()
    return OrganisationSecrets(store, "encaisse/test", timedelta(days=7), clock), store


def test_the_document_round_trips_and_refuses_junk() -> None:
    value = RotatingSecret("new", "old", NOW)
    assert RotatingSecret.from_json(value.to_json()) == value
    assert RotatingSecret.from_json(RotatingSecret("only").to_json()) == RotatingSecret("only")
    for junk in ("", "[]", "{}", '{"current": ""}', '{"current": "a", "previous": "b"}'):
        with pytest.raises(ValidationError):
            RotatingSecret.from_json(junk)


def test_the_previous_value_is_accepted_only_during_the_grace_period() -> None:
    value = RotatingSecret("old").rotated("new", NOW, timedelta(days=7))
    assert value.accepted(NOW) == ("new", "old")
    assert value.accepted(NOW + timedelta(days=6, hours=23)) == ("new", "old")
    assert value.accepted(NOW + timedelta(days=7)) == ("new",)
    # a second rotation forgets the first value
    assert value.rotated("newer", NOW, timedelta(days=7)).accepted(NOW) == ("newer", "new")
    assert value.rotated("x" * 20, NOW, timedelta(0)).accepted(NOW) == ("x" * 20,)


def test_provision_stores_references_only() -> None:
    secrets, store = _service(Clock())
    org = secrets.provision(ORG, erp_webhook_secret="whsec-given-by-the-erp")
    assert org.portal_secret_arn == "arn:test:secret:encaisse/test/organisations/org-a/portal"
    assert org.erp_webhook_secret_arn is not None
    assert store.get(org.erp_webhook_secret_arn).current == "whsec-given-by-the-erp"
    assert len(secrets.signing_value(org, SecretKind.PORTAL)) >= 32
    # provisioning again keeps what exists
    assert secrets.provision(org) == org
    assert len(store.values) == 2


def test_tenant_tokens_signed_with_the_old_secret_work_during_grace_then_not() -> None:
    clock = Clock()
    secrets, _ = _service(clock)
    org = secrets.provision(ORG)
    grant = TenantGrant(org.org_id, "L-1", NOW + timedelta(days=45))
    old_token = issue_token(secrets.signing_value(org, SecretKind.PORTAL), grant)

    secrets.rotate(org, SecretKind.PORTAL)
    new_token = issue_token(secrets.signing_value(org, SecretKind.PORTAL), grant)
    assert new_token != old_token
    clock.now = NOW + timedelta(days=3)
    for token in (old_token, new_token):
        assert verify_token(secrets.accepted_values(org, SecretKind.PORTAL), token, clock.now)

    clock.now = NOW + timedelta(days=7, seconds=1)
    accepted = secrets.accepted_values(org, SecretKind.PORTAL)
    assert verify_token(accepted, new_token, clock.now) == grant
    with pytest.raises(AuthenticationError):
        verify_token(accepted, old_token, clock.now)


def test_webhooks_are_signed_with_both_secrets_during_grace() -> None:
    clock = Clock()
    secrets, _ = _service(clock)
    org = secrets.provision(ORG, erp_webhook_secret="whsec-old-0123456789")
    new = secrets.rotate(org, SecretKind.ERP_WEBHOOK)
    header = sign(secrets.accepted_values(org, SecretKind.ERP_WEBHOOK), 1767690900, b"{}")
    macs = [p[3:] for p in header.split(",") if p.startswith("v1=")]
    for key in (new, "whsec-old-0123456789"):
        expected = hmac.new(key.encode(), b"1767690900.{}", hashlib.sha256).hexdigest()
        assert expected in macs
    clock.now = NOW + timedelta(days=8)
    header = sign(secrets.accepted_values(org, SecretKind.ERP_WEBHOOK), 1767690900, b"{}")
    assert header.count("v1=") == 1


def test_rotation_needs_a_secret_and_a_long_enough_value() -> None:
    secrets, _ = _service(Clock())
    with pytest.raises(ConflictError):
        secrets.rotate(ORG, SecretKind.PORTAL)
    assert secrets.accepted_values(ORG, SecretKind.PORTAL) == ()
    with pytest.raises(ValidationError):
        secrets.rotate(secrets.provision(ORG), SecretKind.PORTAL, "short")


def test_migration_moves_plain_secrets_keeping_their_values() -> None:
    secrets, store = _service(Clock())
    orgs = MemoryOrgs({"org-a": ORG}, {"org-a": PlainSecrets("org-a", "portal-old", None)})
    assert migrate_plain_secrets(orgs, secrets) == ["org-a"]
    org = orgs.get("org-a")
    assert secrets.signing_value(org, SecretKind.PORTAL) == "portal-old"
    assert secrets.signing_value(org, SecretKind.ERP_WEBHOOK)  # drawn fresh
    assert migrate_plain_secrets(orgs, secrets) == []
    assert len(store.values) == 2
