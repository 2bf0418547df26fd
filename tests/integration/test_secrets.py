"""Organisations' secrets in Secrets Manager (moto), never in a table item."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from functions.adapters.aws import client as aws_client
from functions.adapters.dynamo import DynamoOrganisationRepository, to_ddb
from functions.adapters.secrets import SecretsManagerStore
from functions.adapters.settings import Settings
from functions.bootstrap import build_org_secrets
from functions.core.errors import NotFoundError
from functions.core.organisation import Organisation
from functions.core.secrets import RotatingSecret
from functions.core.tenant_access import TenantGrant, issue_token
from functions.core.viban import VirtualIbanRange
from functions.organisations.secrets import SecretKind, migrate_plain_secrets

pytestmark = pytest.mark.integration

PLAIN_NAMES = ("portal_secret", "erp_webhook_secret")


def _org(org_id: str) -> Organisation:
    return Organisation(
        org_id,
        "OPH des secrets",
        "FR7630004008210000420001774",
        VirtualIbanRange("30004", "00821", str(uuid.uuid4().int)[:4]),
    )


def _items(settings: Settings) -> list[dict[str, Any]]:
    ddb = aws_client("dynamodb")
    tables = [
        getattr(settings, name)
        for name in Settings.__dataclass_fields__
        if name.endswith("_table") and getattr(settings, name)
    ]
    found = []
    for table in tables:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            found.extend(page["Items"])
    return found


def _assert_nowhere_in_clear(settings: Settings, values: list[str]) -> None:
    for item in _items(settings):
        assert not set(PLAIN_NAMES) & set(item), item
        text = json.dumps(item)
        for value in values:
            assert value not in text


def test_the_store_round_trips_and_updates(emulator: Any) -> None:
    store = SecretsManagerStore(ttl=0)
    name = f"encaisse/test/{uuid.uuid4().hex[:8]}"
    arn = store.create(name, RotatingSecret("first-value-0123456789"))
    assert arn.startswith("arn:aws:secretsmanager:")
    assert store.get(arn) == RotatingSecret("first-value-0123456789")
    rotated = store.get(arn).rotated("second-value-012345", datetime.now(UTC), timedelta(days=1))
    store.put(arn, rotated)
    assert store.get(arn) == rotated
    # the same name again: the value is replaced, the reference stays
    assert store.create(name, RotatingSecret("third-value-0123456")) == arn
    assert store.get(arn).current == "third-value-0123456"
    with pytest.raises(NotFoundError):
        store.get(f"{name}-missing")


def test_the_seed_keeps_only_references(emulator: Any, settings: Settings) -> None:
    from infra.local.seed import DEMO_ORG_ID, seed_demo

    seed_demo(dict(os.environ))
    org = DynamoOrganisationRepository(settings.organisations_table).get(DEMO_ORG_ID)
    assert org.portal_secret_arn and org.erp_webhook_secret_arn
    secrets = build_org_secrets(settings)
    values = [secrets.signing_value(org, kind) for kind in SecretKind]
    _assert_nowhere_in_clear(settings, values)


def _legacy_org(settings: Settings) -> tuple[str, dict[str, str]]:
    """An organisation written before Secrets Manager: its secrets in clear in its item."""
    org_id = f"org-legacy-{uuid.uuid4().hex[:8]}"
    DynamoOrganisationRepository(settings.organisations_table).put(_org(org_id))
    legacy = {"portal_secret": f"portal-{uuid.uuid4().hex}", "erp_webhook_secret": "whsec-legacy"}
    aws_client("dynamodb").update_item(
        TableName=settings.organisations_table,
        Key={"org_id": {"S": org_id}},
        UpdateExpression="SET portal_secret = :p, erp_webhook_secret = :e",
        ExpressionAttributeValues=to_ddb(
            {":p": legacy["portal_secret"], ":e": legacy["erp_webhook_secret"]}
        ),
    )
    return org_id, legacy


def test_the_cli_migrates_then_rotates(
    emulator: Any, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.local.cli import main

    endpoints = {
        "aws_endpoint_url": emulator.endpoint_url,
        "region": emulator.region,
        "tables": emulator.by_role("tables"),
        "secrets_prefix": settings.secrets_prefix,
    }
    (tmp_path / "endpoints.json").write_text(json.dumps(endpoints), encoding="utf-8")
    org_id, legacy = _legacy_org(settings)
    state = ["--state-dir", str(tmp_path)]

    assert main([*state, "secrets", "migrate"]) == 0
    assert org_id in capsys.readouterr().out.split()
    assert main([*state, "secrets", "rotate", org_id, "--kind", "erp-webhook"]) == 0
    new = capsys.readouterr().out.strip()
    org = DynamoOrganisationRepository(settings.organisations_table).get(org_id)
    secrets = build_org_secrets(settings)
    # webhooks are now signed with the new secret and, for the grace period, the old one
    assert secrets.accepted_values(org, SecretKind.ERP_WEBHOOK) == (new, "whsec-legacy")
    assert secrets.accepted_values(org, SecretKind.PORTAL) == (legacy["portal_secret"],)
    _assert_nowhere_in_clear(settings, [new, *legacy.values()])

    assert main([*state, "secrets", "rotate", "org-nobody"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("encaisse secrets rotate:") and "\n" not in err


def test_migrate_moves_plain_secrets_out_of_the_table(emulator: Any, settings: Settings) -> None:
    org_id, legacy = _legacy_org(settings)
    repo = DynamoOrganisationRepository(settings.organisations_table)
    secrets = build_org_secrets(settings)
    assert org_id in migrate_plain_secrets(repo, secrets)
    org = repo.get(org_id)
    # the values are kept: links already sent and the ERP's configuration stay valid
    assert secrets.signing_value(org, SecretKind.PORTAL) == legacy["portal_secret"]
    assert secrets.signing_value(org, SecretKind.ERP_WEBHOOK) == "whsec-legacy"
    _assert_nowhere_in_clear(settings, list(legacy.values()))
    assert org_id not in migrate_plain_secrets(repo, secrets)


def test_the_api_accepts_old_tenant_links_during_grace_only(
    client: Client, settings: Settings
) -> None:
    from functions.api.http import deps

    org_id = f"org-rot-{uuid.uuid4().hex[:8]}"
    secrets = build_org_secrets(settings)
    org = secrets.provision(_org(org_id))
    DynamoOrganisationRepository(settings.organisations_table).put(org)
    # No such lease: a token that passes the signature check gets 404, else 401.
    grant = TenantGrant(org_id, "L-none", datetime.now(UTC) + timedelta(days=1))
    old = issue_token(secrets.signing_value(org, SecretKind.PORTAL), grant)

    def status(token: str) -> int:
        store = deps.secrets.store
        assert isinstance(store, SecretsManagerStore)
        store.forget()  # what the API's cache would see once its TTL has run out
        r = client.http.get("/v1/tenant/account", headers={"Authorization": f"Tenant {token}"})
        return r.status_code

    assert status(old) == 404
    secrets.rotate(org, SecretKind.PORTAL)  # grace: 7 days from now
    new = issue_token(secrets.signing_value(org, SecretKind.PORTAL), grant)
    assert (status(old), status(new)) == (404, 404)

    # Eight days on (the stored end of grace moved back instead): the old link is refused.
    ref = org.portal_secret_arn
    assert ref
    stored = secrets.store.get(ref)
    assert stored.previous and stored.previous_until
    eight_days_on = stored.previous_until - timedelta(days=8)
    secrets.store.put(ref, RotatingSecret(stored.current, stored.previous, eight_days_on))
    assert (status(old), status(new)) == (401, 404)


def test_a_new_organisation_gets_references_not_values(client: Client, settings: Settings) -> None:
    from functions.adapters.dynamo import DynamoApiKeyRepository
    from functions.api.auth import hash_key, new_key
    from functions.organisations.service import OPERATOR_ORG

    key = new_key()
    DynamoApiKeyRepository(settings.api_keys_table).put(
        hash_key(key), OPERATOR_ORG, ["operator"], "test operator"
    )
    org_id = f"org-new-{uuid.uuid4().hex[:8]}"
    body = {
        "org_id": org_id,
        "name": "OPH neuf",
        "collection_iban": VirtualIbanRange("30004", "00821", "00").iban_for(4_200_017),
        "viban_range": {
            "bank_code": "30004",
            "branch_code": "00821",
            "account_prefix": str(uuid.uuid4().int)[:4],
        },
    }
    r = client.http.post(
        "/v1/organisations",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        body=json.dumps(body),
    )
    assert r.status_code == 201, r.body
    webhook_secret = json.loads(r.body)["erp"]["webhook_secret"]
    org = DynamoOrganisationRepository(settings.organisations_table).get(org_id)
    assert org.portal_secret_arn and org.erp_webhook_secret_arn
    secrets = build_org_secrets(settings)
    assert secrets.signing_value(org, SecretKind.ERP_WEBHOOK) == webhook_secret
    _assert_nowhere_in_clear(
        settings, [webhook_secret, secrets.signing_value(org, SecretKind.PORTAL)]
    )
