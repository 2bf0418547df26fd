"""Issue 11's interface on the emulator: notices on rent calls, quittances, download, consent.

Renders real PDFs (WeasyPrint): a handful per test, ~0.2 s each.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client

from functions.adapters.documents import DynamoDocumentRepository
from functions.adapters.dynamo import (
    DynamoLeaseRepository,
    DynamoLedgerWriter,
    DynamoOrganisationRepository,
)
from functions.adapters.settings import Settings
from functions.bootstrap import build_org_secrets
from functions.core.ledger import LedgerLine, LineKind, payment_line_id
from functions.core.tenant_access import TenantGrant, issue_token
from functions.organisations.secrets import SecretKind
from infra.local import cli_documents
from infra.local.client import ApiCallError, ApiClient
from tests.integration.test_api import LEASE, _h, _new_org

pytestmark = pytest.mark.integration

ADDRESS = {
    "lines": ["Bât. A, apt 12", "3 rue des Tilleuls"],
    "postcode": "45000",
    "city": "Orléans",
}


def _lease(client: Client, key: str, lease_id: str, **changes: Any) -> dict[str, Any]:
    body = LEASE | {"postal_address": ADDRESS} | changes
    r = client.http.put(f"/v1/leases/{lease_id}", headers=_h(key), body=json.dumps(body))
    assert r.status_code in (200, 201), r.body
    return dict(json.loads(r.body))


def _rent_call(client: Client, key: str, lease_id: str, period: str) -> None:
    call = {
        "lease_id": lease_id,
        "period": period,
        "due_date": f"{period}-05",
        "rent": "412.30",
        "charges": "61.20",
        "apl": "120.00",
    }
    r = client.http.post("/v1/rent-calls", headers=_h(key), body=json.dumps(call))
    assert r.status_code in (200, 201), r.body


def _pay(settings: Settings, org_id: str, lease_id: str, cents: int, tx: str) -> None:
    lease = DynamoLeaseRepository(settings.leases_table).get(org_id, lease_id)
    day = date(2026, 1, 7)
    line = LedgerLine(
        org_id, lease_id, payment_line_id(day, tx, lease_id), LineKind.PAYMENT, day, -cents,
        "Virement", tx, datetime.now(UTC),
    )  # fmt: skip
    writer = DynamoLedgerWriter(settings.ledger_table, settings.leases_table)
    assert writer.post([line], {lease_id: lease})


def _tenant(settings: Settings, org_id: str, lease_id: str) -> dict[str, str]:
    org = DynamoOrganisationRepository(settings.organisations_table).get(org_id)
    secret = build_org_secrets(settings).signing_value(org, SecretKind.PORTAL)
    grant = TenantGrant(org_id, lease_id, datetime.now(UTC) + timedelta(days=1))
    token = issue_token(secret, grant)
    return {"Authorization": f"Tenant {token}", "Content-Type": "application/json"}


def test_rent_call_makes_one_notice_and_quittance_needs_a_paid_period(
    client: Client, settings: Settings
) -> None:
    org_id, key = _new_org(settings, ["erp", "backoffice"])
    lease_id = f"D-{uuid.uuid4().hex[:6]}"
    _lease(client, key, lease_id)
    _rent_call(client, key, lease_id, "2026-01")
    _rent_call(client, key, lease_id, "2026-01")  # a retry makes no second notice

    r = client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key))
    assert r.status_code == 200, r.body
    items = json.loads(r.body)["items"]
    assert [(i["kind"], i["period"]) for i in items] == [("avis_echeance", "2026-01")]
    notice = items[0]
    assert set(notice) >= {
        "document_id", "kind", "period", "created_at", "delivery", "status", "sha256", "size",
    }  # fmt: skip
    assert notice["delivery"] == "safe"  # the ERP said the tenants consented

    r = client.http.post(
        f"/v1/leases/{lease_id}/quittances", headers=_h(key), body=json.dumps({"period": "2026-01"})
    )
    assert r.status_code == 409, r.body
    assert r.headers["Content-Type"] == "application/problem+json"
    assert (
        "not fully paid" in json.loads(r.body)["detail"]
        or "paid of" in json.loads(r.body)["detail"]
    )

    _pay(settings, org_id, lease_id, 20_000, "tx-1")
    r = client.http.post(
        f"/v1/leases/{lease_id}/quittances", headers=_h(key), body=json.dumps({"period": "2026-01"})
    )
    assert r.status_code == 409, r.body  # partly paid: still no quittance

    _pay(settings, org_id, lease_id, 15_350, "tx-2")
    r = client.http.post(
        f"/v1/leases/{lease_id}/quittances", headers=_h(key), body=json.dumps({"period": "2026-01"})
    )
    assert r.status_code == 201, r.body
    quittance = json.loads(r.body)
    assert quittance["kind"] == "quittance" and quittance["period"] == "2026-01"

    r = client.http.post(
        f"/v1/leases/{lease_id}/quittances", headers=_h(key), body=json.dumps({"period": "2026-13"})
    )
    assert r.status_code == 400 and json.loads(r.body)["field"] == "period"

    r = client.http.get(f"/v1/documents/{quittance['document_id']}", headers=_h(key))
    assert r.status_code == 200, r.body
    got = json.loads(r.body)
    assert datetime.fromisoformat(got["expires_at"]) > datetime.now(UTC)
    with urllib.request.urlopen(got["url"]) as resp:
        pdf = resp.read()
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == quittance["sha256"]
    accesses = DynamoDocumentRepository(settings.documents_table).accesses(
        org_id, quittance["document_id"]
    )
    assert len(accesses) == 1 and accesses[0]["who"].startswith("key:")


def test_tenants_see_their_own_documents_only(client: Client, settings: Settings) -> None:
    org_id, key = _new_org(settings, ["erp"])
    mine, theirs = f"M-{uuid.uuid4().hex[:6]}", f"T-{uuid.uuid4().hex[:6]}"
    _lease(client, key, mine)
    _lease(client, key, theirs)
    _rent_call(client, key, mine, "2026-02")
    _rent_call(client, key, theirs, "2026-02")
    tenant = _tenant(settings, org_id, mine)

    r = client.http.get(f"/v1/leases/{mine}/documents", headers=tenant)
    assert r.status_code == 200, r.body
    own = json.loads(r.body)["items"][0]["document_id"]
    assert client.http.get(f"/v1/documents/{own}", headers=tenant).status_code == 200

    other = json.loads(client.http.get(f"/v1/leases/{theirs}/documents", headers=_h(key)).body)
    other_id = other["items"][0]["document_id"]
    assert client.http.get(f"/v1/leases/{theirs}/documents", headers=tenant).status_code == 404
    assert client.http.get(f"/v1/documents/{other_id}", headers=tenant).status_code == 404
    # another organisation's staff
    _, key_b = _new_org(settings, ["erp", "backoffice"])
    assert client.http.get(f"/v1/documents/{own}", headers=_h(key_b)).status_code == 404
    assert client.http.get(f"/v1/leases/{mine}/documents", headers=_h(key_b)).status_code == 404
    # no credentials, a forged token
    assert client.http.get(f"/v1/documents/{own}").status_code == 401
    forged = {"Authorization": "Tenant v1.e30.AAAA"}
    assert client.http.get(f"/v1/documents/{own}", headers=forged).status_code == 401
    accesses = DynamoDocumentRepository(settings.documents_table).accesses(org_id, own)
    assert [a["who"] for a in accesses] == [f"tenant:{mine}"]


def test_consent_is_recorded_withdrawn_and_counted(client: Client, settings: Settings) -> None:
    org_id, key = _new_org(settings, ["erp", "backoffice"])
    lease_id = f"C-{uuid.uuid4().hex[:6]}"
    _lease(client, key, lease_id, e_delivery_consent=False, residence="Les Acacias")
    _lease(client, key, f"{lease_id}-2", e_delivery_consent=False, residence="Les Acacias")
    r = client.http.get(f"/v1/leases/{lease_id}/consent", headers=_h(key))
    assert json.loads(r.body)["e_delivery"] is False

    _rent_call(client, key, lease_id, "2026-03")
    items = json.loads(client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key)).body)
    assert items["items"][0]["delivery"] == "print"
    assert items["items"][0]["status"] == "queued_for_print"

    tenant = _tenant(settings, org_id, lease_id)
    r = client.http.put(
        f"/v1/leases/{lease_id}/consent",
        headers=tenant,
        body=json.dumps({"e_delivery": True, "channel": "email"}),
    )
    assert r.status_code == 200, r.body
    body = json.loads(r.body)
    assert body["e_delivery"] is True and body["source"] == "portal"

    stats = json.loads(client.http.get("/v1/stats/adoption", headers=_h(key)).body)
    acacias = next(i for i in stats["items"] if i["residence"] == "Les Acacias")
    assert (acacias["leases"], acacias["e_delivery"], acacias["adoption_percent"]) == (2, 1, 50.0)

    _rent_call(client, key, lease_id, "2026-04")
    items = json.loads(client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key)).body)
    april = next(i for i in items["items"] if i["period"] == "2026-04")
    assert april["delivery"] == "safe"

    r = client.http.put(
        f"/v1/leases/{lease_id}/consent",
        headers=_h(key),
        body=json.dumps({"e_delivery": False, "source": "paper", "channel": "email"}),
    )
    body = json.loads(r.body)
    assert body["e_delivery"] is False
    assert [h["e_delivery"] for h in body["history"]] == [True, False]
    bad = client.http.put(
        f"/v1/leases/{lease_id}/consent", headers=_h(key), body=json.dumps({"e_delivery": "yes"})
    )
    assert bad.status_code == 400 and json.loads(bad.body)["field"] == "e_delivery"


class _InProcess(ApiClient):
    """The CLI's API client, its HTTP carried to the in-process Chalice app."""

    def __init__(self, client: Client, key: str) -> None:
        super().__init__("http://in-process", key)
        self.client = client

    def _send(
        self, method: str, path: str, data: bytes | None, query: dict[str, Any]
    ) -> tuple[bytes, dict[str, str]]:
        r = self.client.http.request(method, path, headers=_h(self.api_key), body=data or b"")
        if r.status_code >= 400:
            raise ApiCallError(r.status_code, json.loads(r.body))
        return r.body, {k.lower(): v for k, v in r.headers.items()}


def test_cli_lists_and_downloads(
    client: Client,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, key = _new_org(settings, ["erp", "backoffice"])
    lease_id = f"CLI-{uuid.uuid4().hex[:6]}"
    _lease(client, key, lease_id)
    _rent_call(client, key, lease_id, "2026-05")
    monkeypatch.setattr(cli_documents, "_client", lambda args: _InProcess(client, key))
    parser = argparse.ArgumentParser()
    cli_documents.add_parsers(parser.add_subparsers(dest="command", required=True))

    args = parser.parse_args(["documents", "list", lease_id])
    assert args.func(args) == 0
    line = capsys.readouterr().out.strip()
    assert "avis d'échéance" in line and "2026-05" in line
    doc_id = line.split()[0]

    out = tmp_path / "avis.pdf"
    args = parser.parse_args(["documents", "get", doc_id, "-o", str(out)])
    assert args.func(args) == 0
    assert out.read_bytes().startswith(b"%PDF")

    args = parser.parse_args(["documents", "quittance", lease_id, "2026-05"])
    with pytest.raises(ApiCallError, match="HTTP 409"):
        args.func(args)
    args = parser.parse_args(["documents", "consent", lease_id, "--off", "--source", "paper"])
    assert args.func(args) == 0
    assert "papier" in capsys.readouterr().out
    args = parser.parse_args(["documents", "campaign", "cli-1"])
    assert args.func(args) == 0
    assert "campagne cli-1 : 1 invitation(s) envoyée(s)" in capsys.readouterr().out


def test_print_run_takes_the_documents_without_consent(client: Client, settings: Settings) -> None:
    from functions.bootstrap import Composition

    org_id, key = _new_org(settings, ["erp"])
    paper, digital = f"P-{uuid.uuid4().hex[:6]}", f"E-{uuid.uuid4().hex[:6]}"
    _lease(client, key, paper, e_delivery_consent=False)
    _lease(client, key, digital, e_delivery_consent=True)
    for lease_id in (paper, digital):
        _rent_call(client, key, lease_id, "2026-06")

    result = Composition(settings).print_run.run(org_id)
    (batch,) = result["batches"]
    assert (batch["documents"], batch["pages"]) == (1, 2)
    s3 = boto3.client("s3")
    prefix = f"{org_id}/{batch['run_id']}"
    pdf = s3.get_object(Bucket=settings.print_bucket, Key=f"{prefix}/batch.pdf")["Body"].read()
    assert pdf.startswith(b"%PDF")
    index = s3.get_object(Bucket=settings.print_bucket, Key=f"{prefix}/index.csv")["Body"].read()
    lines = index.decode().splitlines()
    assert len(lines) == 2 and paper in lines[1] and "45000" in lines[1]

    def status(lease_id: str) -> str:
        r = client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key))
        return str(json.loads(r.body)["items"][0]["status"])

    assert status(paper) == "printed"
    assert status(digital) == "notified"  # in the safe, the tenant told by e-mail
    assert Composition(settings).print_run.run(org_id)["batches"] == []  # printed once


def test_bulk_rent_calls_fan_out_in_bounded_idempotent_batches(
    client: Client, settings: Settings
) -> None:
    from functions.adapters.documents import SqsNoticeQueue
    from functions.bootstrap import Composition
    from functions.documents.handler import issue_notices

    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=settings.notices_queue_url)
    _, key = _new_org(settings, ["erp"])
    count = SqsNoticeQueue.PER_MESSAGE + 3
    lease_ids = [f"B{n:03d}-{uuid.uuid4().hex[:4]}" for n in range(count)]
    r = client.http.post(
        "/v1/leases/bulk",
        headers=_h(key),
        body=json.dumps({"leases": [LEASE | {"lease_id": x} for x in lease_ids]}),
    )
    assert r.status_code == 200, r.body
    calls = [
        {"lease_id": x, "period": "2026-07", "due_date": "2026-07-05", "rent": "412.30",
         "charges": "61.20", "apl": "120.00"}
        for x in lease_ids
    ]  # fmt: skip
    bulk = json.dumps({"rent_calls": calls})
    r = client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=bulk)
    assert r.status_code == 200, r.body

    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=settings.notices_queue_url, MaxNumberOfMessages=10)
        if not got.get("Messages"):
            break
        bodies += [json.loads(m["Body"]) for m in got["Messages"]]
    assert sorted(len(b["notices"]) for b in bodies) == [3, SqsNoticeQueue.PER_MESSAGE]
    small = min(bodies, key=lambda b: len(b["notices"]))
    svc = Composition(settings).documents
    assert issue_notices(svc, small) == {"created": 3, "existing": 0}
    assert issue_notices(svc, small) == {"created": 0, "existing": 3}  # a retried message
    lease_id = small["notices"][0]["lease_id"]
    items = json.loads(client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key)).body)
    assert [(i["kind"], i["period"]) for i in items["items"]] == [("avis_echeance", "2026-07")]
    # a bulk replay of the same rent calls queues nothing more
    client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=bulk)
    assert not sqs.receive_message(QueueUrl=settings.notices_queue_url).get("Messages")


def test_a_document_in_the_safe_is_notified_with_a_portal_link_not_attached(
    client: Client, settings: Settings
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    _, key = _new_org(settings, ["erp", "backoffice"])
    lease_id = f"N-{uuid.uuid4().hex[:6]}"
    email = f"{lease_id.lower()}@example.fr"
    _lease(client, key, lease_id, tenants=[{"name": "Zoé LEFÈVRE", "email": email}])
    _rent_call(client, key, lease_id, "2026-08")
    items = json.loads(client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key)).body)
    assert items["items"][0]["status"] == "notified"
    sent = [
        m
        for m in ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
        if email in m.destinations.get("ToAddresses", [])
    ]
    assert len(sent) == 1
    body = str(sent[0].body)
    assert "un nouveau document est disponible" in str(sent[0].subject).lower()
    assert "Avis d'échéance de août 2026" in body
    assert "/#t=" in body  # the signed portal link
    assert "%PDF" not in body and not getattr(sent[0], "attachments", None)


def test_a_payment_completing_a_period_brings_its_quittance_once(
    client: Client, settings: Settings
) -> None:
    from functions.bootstrap import Composition
    from functions.documents.handler import issue_notices

    org_id, key = _new_org(settings, ["erp"])
    lease_id = f"Q-{uuid.uuid4().hex[:6]}"
    _lease(client, key, lease_id)
    _rent_call(client, key, lease_id, "2026-09")
    svc = Composition(settings).documents
    check = {"org_id": org_id, "quittance_checks": [lease_id]}

    _pay(settings, org_id, lease_id, 30_000, "tx-a")
    assert issue_notices(svc, check) == {"created": 0, "existing": 0}  # partly paid
    _pay(settings, org_id, lease_id, 5_350, "tx-b")
    assert issue_notices(svc, check) == {"created": 1, "existing": 0}
    assert issue_notices(svc, check) == {"created": 0, "existing": 0}  # a retried message
    r = client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key))
    kinds = sorted((i["kind"], i["period"]) for i in json.loads(r.body)["items"])
    assert kinds == [("avis_echeance", "2026-09"), ("quittance", "2026-09")]


def test_the_handler_answers_a_quittance_check_without_failing_it(
    client: Client, settings: Settings
) -> None:
    """The function logs its counts at INFO (the template's level): a message whose
    documents were made must not come back as a failure (it did: the log's extra
    named "created", which logging refuses to overwrite, and SQS redelivered it)."""
    from functions.documents.handler import lambda_handler

    org_id, key = _new_org(settings, ["erp"])
    lease_id = f"Q-{uuid.uuid4().hex[:6]}"
    _lease(client, key, lease_id)
    _rent_call(client, key, lease_id, "2026-10")
    _pay(settings, org_id, lease_id, 35_350, "tx-c")
    body = json.dumps({"org_id": org_id, "quittance_checks": [lease_id]})
    record = {
        "messageId": "m-1", "receiptHandle": "r-1", "body": body, "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:notices", "awsRegion": "eu-west-3",
    }  # fmt: skip
    assert os.environ["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert lambda_handler({"Records": [record]}, None) == {"batchItemFailures": []}
    r = client.http.get(f"/v1/leases/{lease_id}/documents", headers=_h(key))
    assert ("quittance", "2026-10") in {
        (i["kind"], i["period"]) for i in json.loads(r.body)["items"]
    }


def _campaign_links(to: str) -> list[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    mails = [
        str(m.body)
        for m in ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
        if to in m.destinations.get("ToAddresses", [])
    ]
    sms = [
        t
        for n, t in list(sns_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sms_messages.values())
        if n == to
    ]
    return [
        word.split("/#c=", 1)[1] for text in mails + sms for word in text.split() if "/#c=" in word
    ]


def test_consent_campaign_invites_once_and_its_link_records_consent_once(
    client: Client, settings: Settings
) -> None:
    from functions.core.consent_campaign import CampaignGrant, issue_campaign_token
    from functions.core.documents import ConsentChannel

    org_id, key = _new_org(settings, ["erp", "backoffice"])
    base = f"K-{uuid.uuid4().hex[:6]}"
    mail, phone = f"{base.lower()}@example.fr", "+33612345678"
    _lease(client, key, f"{base}-mail", e_delivery_consent=False, residence="Les Ormes",
           tenants=[{"name": "Zoé LEFÈVRE", "email": mail}])  # fmt: skip
    _lease(client, key, f"{base}-sms", e_delivery_consent=False, residence="Les Ormes",
           tenants=[{"name": "Noël N'DIAYE", "phone": phone}])  # fmt: skip
    _lease(client, key, f"{base}-none", e_delivery_consent=False, residence="Les Ormes",
           tenants=[{"name": "Anne MARTIN"}])  # fmt: skip
    _lease(client, key, f"{base}-yes", e_delivery_consent=True, residence="Les Ormes",
           tenants=[{"name": "Paul DURAND", "email": f"yes-{mail}"}])  # fmt: skip

    def run(campaign_id: str) -> dict[str, Any]:
        r = client.http.post(
            "/v1/documents/consent-campaign",
            headers=_h(key),
            body=json.dumps({"campaign_id": campaign_id}),
        )
        assert r.status_code == 200, r.body
        return dict(json.loads(r.body))

    first = run("2026-12")
    assert (first["invited"], first["consenting"], first["without_contact"]) == (2, 1, 0 + 1)
    assert run("2026-12")["invited"] == 0  # the same campaign sends nothing twice
    assert run("2026-12")["already_invited"] == 2
    (mail_token,) = _campaign_links(mail)
    (sms_token,) = _campaign_links(phone)
    assert _campaign_links(f"yes-{mail}") == []  # already consenting: not invited

    def accept(token: str) -> Any:
        return client.http.post(
            "/v1/tenant/consent-campaign",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"token": token}),
        )

    r = accept(mail_token)
    assert r.status_code == 200, r.body
    body = json.loads(r.body)
    assert (body["e_delivery"], body["source"], body["channel"]) == (True, "campaign", "email")
    again = accept(mail_token)
    assert again.status_code == 409, again.body  # a link is accepted once
    assert again.headers["Content-Type"] == "application/problem+json"
    consent = json.loads(client.http.get(f"/v1/leases/{base}-mail/consent", headers=_h(key)).body)
    assert [h["source"] for h in consent["history"]] == ["campaign"]

    # forged (signed with another secret), expired, a portal token, garbage: all 4xx, no consent
    past = datetime.now(UTC) - timedelta(minutes=1)
    forged = issue_campaign_token(
        "not-the-portal-secret-0123456789",
        CampaignGrant(org_id, f"{base}-sms", "2026-12", ConsentChannel.SMS,
                      datetime.now(UTC) + timedelta(days=1)),
    )  # fmt: skip
    org = DynamoOrganisationRepository(settings.organisations_table).get(org_id)
    secret = build_org_secrets(settings).signing_value(org, SecretKind.PORTAL)
    expired = issue_campaign_token(
        secret, CampaignGrant(org_id, f"{base}-sms", "2026-12", ConsentChannel.SMS, past)
    )
    portal = _tenant(settings, org_id, f"{base}-sms")["Authorization"].split()[1]
    for bad in (forged, expired, portal, "c1.e30.AAAA", "nonsense"):
        r = accept(bad)
        assert r.status_code == 401, (bad, r.body)
        assert r.headers["Content-Type"] == "application/problem+json"
    assert accept("").status_code == 400
    sms_consent = client.http.get(f"/v1/leases/{base}-sms/consent", headers=_h(key))
    assert json.loads(sms_consent.body)["history"] == []

    r = accept(sms_token)
    assert r.status_code == 200 and json.loads(r.body)["channel"] == "sms"
    stats = json.loads(client.http.get("/v1/stats/adoption", headers=_h(key)).body)
    ormes = next(i for i in stats["items"] if i["residence"] == "Les Ormes")
    assert (ormes["leases"], ormes["e_delivery"]) == (4, 3)

    # staff cannot set the campaign source by hand; a bad campaign id is a 400
    r = client.http.put(
        f"/v1/leases/{base}-none/consent",
        headers=_h(key),
        body=json.dumps({"e_delivery": True, "source": "campaign"}),
    )
    assert r.status_code == 400 and json.loads(r.body)["field"] == "source"
    r = client.http.post(
        "/v1/documents/consent-campaign", headers=_h(key), body=json.dumps({"campaign_id": "../x"})
    )
    assert r.status_code == 400 and json.loads(r.body)["field"] == "campaign_id"
