"""The ERP push workflow end to end: the real ASL on the emulator, the real ERP handler,
and a webhook receiver in this test that checks every signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from chalice.test import Client

from functions.adapters.aws import client as aws_client
from functions.adapters.dynamo import (
    DynamoApiKeyRepository,
    DynamoEntryRepository,
    DynamoLeaseRepository,
    DynamoOrganisationRepository,
    entry_to_item,
    to_ddb,
)
from functions.adapters.settings import Settings
from functions.adapters.storage import S3BatchStore
from functions.api.auth import hash_key, new_key
from functions.bootstrap import build_org_secrets
from functions.core.accounting import AccountingEntry, EntryLine, SourceType, entry_id_for
from functions.core.organisation import ChartOfAccounts, Organisation
from functions.core.viban import VirtualIbanRange
from functions.erp.service import ErpPushService
from functions.organisations.secrets import SecretKind
from tests.unit.matching.helpers import lease

pytestmark = pytest.mark.integration

SECRET = "whsec-test-5f1c"


@dataclass
class Receiver:
    """A webhook on 127.0.0.1: answers ``statuses`` in turn (the last one forever)."""

    statuses: list[int]
    secret: str = SECRET
    received: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/encaisse"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers["X-Encaisse-Signature"]
                pairs = [p.split("=", 1) for p in signature.split(",")]
                parts = dict(pairs)
                expected = hmac.new(
                    receiver.secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256
                ).hexdigest()
                # one v1 per valid secret while a rotation's grace period runs
                ok = any(hmac.compare_digest(expected, v) for k, v in pairs if k == "v1")
                fresh = abs(time.time() - int(parts["t"])) < 300
                index = min(len(receiver.received), len(receiver.statuses) - 1)
                status = receiver.statuses[index] if ok and fresh else 401
                receiver.received.append(
                    {
                        "delivery": self.headers["X-Encaisse-Delivery"],
                        "content_type": self.headers["Content-Type"],
                        "signature_ok": ok,
                        "signature": signature,
                        "status": status,
                        "body": body,
                    }
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.received if 200 <= r["status"] < 300]


@pytest.fixture
def receiver_factory(settings: Settings) -> Iterator[Callable[..., tuple[str, Receiver]]]:
    started: list[tuple[str, Receiver]] = []
    orgs = DynamoOrganisationRepository(settings.organisations_table)

    def make(statuses: list[int], fmt: str = "json") -> tuple[str, Receiver]:
        receiver = Receiver(statuses)
        receiver.start()
        org_id = f"org-erp-{uuid.uuid4().hex[:8]}"
        org = Organisation(
            org_id,
            "OPH du Loiret",
            "FR7630004008210000420001774",
            VirtualIbanRange("30004", "00821", str(uuid.uuid4().int)[:4]),
            chart=ChartOfAccounts(),
            erp_format=fmt,
            erp_webhook_url=receiver.url,
        )
        orgs.put(build_org_secrets(settings).provision(org, erp_webhook_secret=SECRET))
        started.append((org_id, receiver))
        return org_id, receiver

    yield make
    for org_id, receiver in started:
        receiver.stop()
        # later runs in this session must not knock at a closed door
        org = orgs.get(org_id)
        orgs.put(
            Organisation(org.org_id, org.name, org.collection_iban, org.viban_range, org.chart)
        )


def _entries(settings: Settings, org_id: str, count: int) -> list[str]:
    ddb = aws_client("dynamodb")
    ids = []
    for i in range(count):
        created = datetime.now(UTC) + timedelta(microseconds=i)
        source = f"tx_{uuid.uuid4().hex}:L-{i}"
        amount = 41_230 + i
        entry = AccountingEntry(
            org_id=org_id,
            entry_id=entry_id_for(created, source),
            date=date(2026, 1, 5),
            journal="BQ",
            label=f"Virement locataire {i}",
            source_type=SourceType.ALLOCATION,
            source_id=source,
            transaction_id=source.split(":", maxsplit=1)[0],
            lease_id=f"L-{i}",
            lines=(
                EntryLine("512000", amount, 0, None, "Virement"),
                EntryLine("411000", 0, amount, f"L-{i}", "Virement"),
            ),
            created_at=created,
        )
        ddb.put_item(TableName=settings.entries_table, Item=to_ddb(entry_to_item(entry)))
        ids.append(entry.entry_id)
    return ids


def _run_push(emulator: Any) -> dict[str, Any]:
    if not getattr(emulator, "functions", None):
        pytest.skip("needs the emulator's ASL interpreter and in-process Lambda runner")
    sfn = emulator.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=emulator.state_machines["ErpPushStateMachine"],
        name=f"push-{uuid.uuid4().hex[:8]}",
        input="{}",
    )["executionArn"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2)
    sfn.stop_execution(executionArn=arn)
    raise AssertionError("the ERP push did not end within 120 s")


def _pending(settings: Settings, org_id: str) -> list[str]:
    entries, _ = DynamoEntryRepository(settings.entries_table).list_pending(org_id, None, 500)
    return [e.entry_id for e in entries]


def _api_key(settings: Settings, org_id: str) -> str:
    key = new_key()
    DynamoApiKeyRepository(settings.api_keys_table).put(hash_key(key), org_id, ["erp"], "t")
    return key


def test_a_batch_is_retried_after_a_500_and_each_entry_accepted_once(
    emulator: Any, settings: Settings, receiver_factory: Callable[..., tuple[str, Receiver]]
) -> None:
    org_id, receiver = receiver_factory([500, 200])
    ids = _entries(settings, org_id, 3)

    assert _run_push(emulator)["status"] == "SUCCEEDED"

    assert [r["status"] for r in receiver.received] == [500, 200]
    assert all(r["signature_ok"] for r in receiver.received)
    assert receiver.received[0]["delivery"] == receiver.received[1]["delivery"]
    assert receiver.received[0]["body"] == receiver.received[1]["body"]
    (accepted,) = receiver.accepted()
    assert accepted["content_type"] == "application/json"
    delivered = [e["entry_id"] for e in json.loads(accepted["body"])["entries"]]
    assert delivered == ids

    # acknowledged: never served again, neither by polling nor by the next run
    assert _pending(settings, org_id) == []
    from functions.api.app import app

    with Client(app) as api:
        r = api.http.get(
            "/v1/entries", headers={"Authorization": f"Bearer {_api_key(settings, org_id)}"}
        )
    assert json.loads(r.body)["items"] == []
    batch = S3BatchStore(settings.archive_bucket).get(org_id, accepted["delivery"])
    assert batch["status"] == "delivered" and batch["attempts"] == 2

    more = _entries(settings, org_id, 1)
    assert _run_push(emulator)["status"] == "SUCCEEDED"
    assert len(receiver.accepted()) == 2
    assert [e["entry_id"] for e in json.loads(receiver.accepted()[1]["body"])["entries"]] == more


def test_during_a_rotation_grace_webhooks_carry_both_signatures(
    emulator: Any, settings: Settings, receiver_factory: Callable[..., tuple[str, Receiver]]
) -> None:
    org_id, receiver = receiver_factory([200])  # the ERP knows only the old secret
    org = DynamoOrganisationRepository(settings.organisations_table).get(org_id)
    new = build_org_secrets(settings).rotate(org, SecretKind.ERP_WEBHOOK)
    _entries(settings, org_id, 1)

    assert _run_push(emulator)["status"] == "SUCCEEDED"

    (accepted,) = receiver.accepted()
    assert accepted["signature_ok"]
    t = accepted["signature"].split(",")[0][2:]
    with_new = hmac.new(new.encode(), f"{t}.".encode() + accepted["body"], hashlib.sha256)
    # an ERP that switched to the new secret already accepts it too
    assert f"v1={with_new.hexdigest()}" in accepted["signature"].split(",")


def test_a_webhook_that_keeps_failing_parks_the_batch_and_alerts(
    emulator: Any, settings: Settings, receiver_factory: Callable[..., tuple[str, Receiver]]
) -> None:
    sqs, sns = aws_client("sqs"), aws_client("sns")
    queue_url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=settings.alert_topic_arn, Protocol="sqs", Endpoint=queue_arn)

    org_id, receiver = receiver_factory([503], fmt="fec")
    ids = _entries(settings, org_id, 2)
    DynamoLeaseRepository(settings.leases_table).put_new(
        lease(8, "Awa DIALLO", org_id=org_id, lease_id="L-0")
    )

    assert _run_push(emulator)["status"] == "SUCCEEDED"

    assert len(receiver.received) == 6  # the first attempt and 5 retries
    assert receiver.accepted() == []
    assert receiver.received[0]["body"].startswith(b"JournalCode|JournalLib|EcritureNum|")
    assert b"|411000|Clients - locataires|L-0|Awa DIALLO|" in receiver.received[0]["body"]
    batch = S3BatchStore(settings.archive_bucket).get(org_id, receiver.received[0]["delivery"])
    assert batch["status"] == "parked"
    assert batch["error"]["Error"] == "ErpWebhookError"
    # the entries are still there for polling, and free for the next run
    assert _pending(settings, org_id) == ids
    held = DynamoEntryRepository(settings.entries_table).claim(
        org_id, "b_probe", 10, datetime.now(UTC), datetime.now(UTC) - timedelta(hours=1)
    )
    assert [e.entry_id for e in held] == ids

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    alerts = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    assert any(org_id in a["Message"] and "parked" in a["Message"] for a in alerts), alerts


def test_overlapping_runs_never_take_the_same_entries(
    emulator: Any, settings: Settings, receiver_factory: Callable[..., tuple[str, Receiver]]
) -> None:
    org_id, _ = receiver_factory([200])
    ids = _entries(settings, org_id, 3)
    service = ErpPushService(
        orgs=DynamoOrganisationRepository(settings.organisations_table),
        entries=DynamoEntryRepository(settings.entries_table),
        batches=S3BatchStore(settings.archive_bucket),
        webhook_keys=lambda org: (SECRET,),
    )
    first = service.collect(org_id)
    second = service.collect(org_id)
    assert first["count"] == 3 and second["count"] == 0 and second["batch_id"] is None
    # polling still serves them while the push holds them
    assert _pending(settings, org_id) == ids
    service.park(org_id, first["batch_id"], {"Error": "test"})
    third = service.collect(org_id)
    assert third["count"] == 3 and third["batch_id"] != first["batch_id"]
    assert S3BatchStore(settings.archive_bucket).get(org_id, third["batch_id"])["entry_ids"] == ids


def test_entries_export_as_fec_and_csv(
    emulator: Any, settings: Settings, receiver_factory: Callable[..., tuple[str, Receiver]]
) -> None:
    org_id, _ = receiver_factory([200])
    ids = _entries(settings, org_id, 2)
    DynamoEntryRepository(settings.entries_table).acknowledge(org_id, ids[:1], by="test")
    # L-0 is a known lease shared by two tenants; L-1 is no longer known.
    DynamoLeaseRepository(settings.leases_table).put_new(
        lease(7, "Awa DIALLO", "Jean MARTIN", org_id=org_id, lease_id="L-0")
    )
    headers = {"Authorization": f"Bearer {_api_key(settings, org_id)}"}
    from functions.api.app import app

    with Client(app) as api:
        fec = api.http.get(
            "/v1/entries/export?format=fec&from=2026-01-01&to=2026-12-31", headers=headers
        )
        csv = api.http.get(
            "/v1/entries/export?format=csv&from=2026-01-01&to=2026-01-31", headers=headers
        )
        none = api.http.get(
            "/v1/entries/export?format=fec&from=2026-02-01&to=2026-02-28", headers=headers
        )
        bad = api.http.get("/v1/entries/export?format=xls", headers=headers)
    assert fec.status_code == 200, fec.body
    assert "000000000FEC20261231.txt" in fec.headers["Content-Disposition"]
    lines = fec.body.decode().split("\r\n")
    assert lines[0].startswith("JournalCode|JournalLib|EcritureNum|EcritureDate|")
    assert len(lines) == 1 + 4 + 1  # header, two lines per entry (acknowledged or not), end
    assert {line.split("|")[2] for line in lines[1:-1]} == set(ids)
    assert lines[1].split("|")[3] == "20260105"
    aux = {tuple(line.split("|")[6:8]) for line in lines[1:-1]} - {("", "")}
    assert aux == {("L-0", "Awa DIALLO et Jean MARTIN"), ("L-1", "L-1")}
    assert csv.status_code == 200 and csv.body.decode().count("\r\n") == 5
    assert none.body.decode().count("\r\n") == 1
    assert bad.status_code == 400 and json.loads(bad.body)["field"] == "format"
