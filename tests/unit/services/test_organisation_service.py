"""OrganisationService and OrganisationSecrets on the fakes."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest

from functions.core.errors import ConflictError, ValidationError
from functions.core.organisation import Organisation
from functions.core.secrets import PlainSecrets
from functions.core.viban import VirtualIbanRange
from functions.organisations.secrets import (
    OrganisationSecrets,
    SecretKind,
    migrate_plain_secrets,
)
from functions.organisations.service import OrganisationService
from tests.fakes import FakeSecretStore, FakeWorld
from tests.unit.matching.helpers import COLLECTION, ORG, RANGE
from tests.unit.services.conftest import NOW


def service(w: FakeWorld, secrets: OrganisationSecrets) -> OrganisationService:
    keys = iter(f"key-{n:02d}-{'x' * 30}" for n in range(100))
    return OrganisationService(
        w.organisations, w.api_keys, lambda: next(keys),
        lambda k: hashlib.sha256(k.encode()).hexdigest(), secrets,
    )  # fmt: skip


@pytest.fixture
def secrets() -> OrganisationSecrets:
    return OrganisationSecrets(FakeSecretStore(), clock=lambda: NOW)


def test_a_new_organisation_gets_its_secrets_and_a_first_key(
    world: FakeWorld, secrets: OrganisationSecrets
) -> None:
    org = Organisation("org-b", "Habitat B", COLLECTION, RANGE)

    stored, issued = service(world, secrets).create(org)

    assert world.organisations.get("org-b") == stored
    assert stored.portal_secret_arn and stored.erp_webhook_secret_arn
    assert len(secrets.signing_value(stored, SecretKind.PORTAL)) >= 16
    record = world.api_keys.find_by_id(issued.key_id)
    assert record.org_id == "org-b" and issued.key not in repr(record)
    with pytest.raises(ConflictError):
        service(world, secrets).create(org)


def test_the_viban_range_cannot_move_but_its_bic_can_be_corrected(
    world: FakeWorld, secrets: OrganisationSecrets
) -> None:
    org = world.organisations.get(ORG)
    admin = service(world, secrets)
    moved = VirtualIbanRange("30004", "00821", "58")

    with pytest.raises(ConflictError, match="vIBAN range"):
        admin.update(replace(org, viban_range=moved))
    fixed = admin.update(replace(org, viban_range=replace(RANGE, bic="BNPAFRPPXXX")))
    assert world.organisations.get(ORG).viban_range.bic == fixed.viban_range.bic == "BNPAFRPPXXX"


def test_a_rotated_secret_keeps_the_old_value_for_the_grace_period(
    world: FakeWorld, secrets: OrganisationSecrets
) -> None:
    stored, _ = service(world, secrets).create(Organisation("org-c", "C", COLLECTION, RANGE))
    old = secrets.signing_value(stored, SecretKind.ERP_WEBHOOK)

    new = secrets.rotate(stored, SecretKind.ERP_WEBHOOK, "n" * 20)

    assert secrets.accepted_values(stored, SecretKind.ERP_WEBHOOK) == (new, old)
    later = replace(secrets, clock=lambda: NOW + secrets.grace + timedelta(seconds=1))
    assert later.accepted_values(stored, SecretKind.ERP_WEBHOOK) == (new,)
    with pytest.raises(ValidationError):
        secrets.rotate(stored, SecretKind.ERP_WEBHOOK, "short")


def test_secrets_kept_in_clear_move_to_the_store_once_with_their_values(
    world: FakeWorld, secrets: OrganisationSecrets
) -> None:
    world.tables.plain_secrets[ORG] = PlainSecrets(ORG, "p" * 24, "w" * 24)

    moved = migrate_plain_secrets(world.organisations, secrets)
    again = migrate_plain_secrets(world.organisations, secrets)

    assert (moved, again) == ([ORG], [])
    org = world.organisations.get(ORG)
    assert secrets.signing_value(org, SecretKind.PORTAL) == "p" * 24
    assert secrets.signing_value(org, SecretKind.ERP_WEBHOOK) == "w" * 24
