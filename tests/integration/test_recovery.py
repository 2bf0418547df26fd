"""Self-healing on the embedded emulator: the sweeper re-drives what was left
behind, a duplicate upload re-drives its waiting transactions, dead-letter
queues are redriven, and the invariant check sees broken books (issue 9, item 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.adapters.dynamo import DynamoLeaseRepository, DynamoOrganisationRepository
from functions.adapters.settings import Settings
from functions.bootstrap import build_books_reader, build_ingestor, build_redriver, build_sweeper
from functions.core.integrity import check_books
from functions.core.lease import Lease
from tests.fixtures.camt054 import Credit, camt054, payer_iban
from tests.fixtures.lambda_events import LambdaContext, drain, sqs_event
from tests.integration.test_ingest_and_match import COLLECTION, _upload_and_run, org

pytestmark = pytest.mark.integration
__all__ = ["org"]  # the fixture, shared with the ingest-and-match tests


def _file(leases: list[Lease], tag: str) -> bytes:
    return camt054(
        COLLECTION,
        [
            Credit("560.00", leases[0].viban, "M. MARTIN", payer_iban(1), f"LOYER {tag}"),
            Credit("200.00", leases[1].viban, "LEA MARTIN", payer_iban(2), f"LOYER {tag}"),
        ],
        msg_id=tag,
    )


def _ingest_losing_match_messages(
    emulator: Any, settings: Settings, org_id: str, name: str, body: bytes
) -> list[str]:
    """Ingest, then lose the match messages (as if they had gone to the DLQ)."""
    key = f"{org_id}/{name}"
    emulator.client("s3").put_object(Bucket=settings.inbox_bucket, Key=key, Body=body)
    drain(emulator.client("sqs"), emulator.queues["IngestQueue"].url, org_id)
    result = build_ingestor(settings).ingest(settings.inbox_bucket, key)
    assert result.status == "ingested"
    lost = drain(emulator.client("sqs"), settings.match_queue_url, org_id)
    return [t for m in lost for t in json.loads(m["Body"])["transaction_ids"]]


def _match_what_is_queued(emulator: Any, settings: Settings, org_id: str) -> list[str]:
    from functions.match import handler as match

    messages = drain(emulator.client("sqs"), settings.match_queue_url, org_id)
    if messages:
        assert match.lambda_handler(sqs_event(messages), LambdaContext()) == {
            "batchItemFailures": []
        }
    return [t for m in messages for t in json.loads(m["Body"])["transaction_ids"]]


def _check(settings: Settings, org_id: str) -> Any:
    return check_books(build_books_reader(settings).snapshot(org_id))


def test_sweeper_redrives_transactions_left_new(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]]
) -> None:
    org_id, leases = org
    lost = _ingest_losing_match_messages(emulator, settings, org_id, "s1.xml", _file(leases, "S1"))
    assert len(lost) == 2
    assert _check(settings, org_id).ok  # waiting, not broken
    sweeper = build_sweeper(settings)
    # Young work is in flight: left alone.
    assert sweeper.sweep(timedelta(minutes=30), org_id).transactions == 0
    report = sweeper.sweep(timedelta(0), org_id)
    assert (report.transactions, report.organisations) == (2, 1)
    assert sorted(_match_what_is_queued(emulator, settings, org_id)) == sorted(lost)
    repo = DynamoLeaseRepository(settings.leases_table)
    assert repo.get(org_id, "L0").balance_cents == 0
    assert repo.get(org_id, "L1").balance_cents == 36_000
    assert _check(settings, org_id).ok
    assert build_sweeper(settings).sweep(timedelta(0), org_id).transactions == 0


def test_duplicate_upload_redrives_its_waiting_transactions(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]]
) -> None:
    org_id, leases = org
    body = _file(leases, "D1")
    lost = _ingest_losing_match_messages(emulator, settings, org_id, "d1.xml", body)
    key = f"{org_id}/d1-again.xml"
    emulator.client("s3").put_object(Bucket=settings.inbox_bucket, Key=key, Body=body)
    drain(emulator.client("sqs"), emulator.queues["IngestQueue"].url, org_id)
    again = build_ingestor(settings).ingest(settings.inbox_bucket, key)
    assert again.status == "duplicate" and "2 transaction(s) still waiting" in str(again.reason)
    assert sorted(_match_what_is_queued(emulator, settings, org_id)) == sorted(lost)
    assert DynamoLeaseRepository(settings.leases_table).get(org_id, "L0").balance_cents == 0
    # Once booked, a further duplicate re-drives nothing.
    emulator.client("s3").put_object(Bucket=settings.inbox_bucket, Key=key, Body=body)
    third = build_ingestor(settings).ingest(settings.inbox_bucket, key)
    assert third.status == "duplicate" and "waiting" not in str(third.reason)


def test_sweeper_redelivers_inbox_files_never_ingested(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]]
) -> None:
    from functions.ingest import handler as ingest

    org_id, leases = org
    key = f"{org_id}/lost file.xml"
    emulator.client("s3").put_object(
        Bucket=settings.inbox_bucket, Key=key, Body=_file(leases, "F1")
    )
    sqs = emulator.client("sqs")
    ingest_url = emulator.queues["IngestQueue"].url
    drain(sqs, ingest_url, org_id)  # the notification is lost
    assert build_sweeper(settings).sweep(timedelta(0), org_id).files == 1
    notes = drain(sqs, ingest_url, org_id)
    assert len(notes) == 1
    assert ingest.lambda_handler(sqs_event(notes), LambdaContext()) == {"batchItemFailures": []}
    _match_what_is_queued(emulator, settings, org_id)
    assert DynamoLeaseRepository(settings.leases_table).get(org_id, "L1").balance_cents == 36_000
    assert build_sweeper(settings).sweep(timedelta(0), org_id).files == 0
    assert _check(settings, org_id).ok


def test_redrive_moves_dead_letters_back_to_their_queue(emulator: Any, settings: Settings) -> None:
    sqs = emulator.client("sqs")
    marker = f"redrive-{datetime.now(UTC).timestamp()}"
    dlq = emulator.queues["MatchDeadLetterQueue"].url
    for n in range(12):
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"marker": marker, "n": n}))
    moved = build_redriver(settings).redrive(["match"])
    assert moved == {"match": 12}
    back = drain(sqs, settings.match_queue_url, marker)
    assert sorted(json.loads(m["Body"])["n"] for m in back) == list(range(12))
    assert drain(sqs, dlq, marker) == []


def test_check_reports_broken_books(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]]
) -> None:
    org_id, leases = org
    _upload_and_run(emulator, settings, org_id, "b1.xml", _file(leases, "B1"))
    assert _check(settings, org_id).ok
    ddb = emulator.client("dynamodb")
    # A balance credited with no ledger line, and a payment's ledger line gone.
    ddb.update_item(
        TableName=settings.leases_table,
        Key={"org_id": {"S": org_id}, "lease_id": {"S": "L2"}},
        UpdateExpression="SET balance_cents = balance_cents - :d",
        ExpressionAttributeValues={":d": {"N": "1000"}},
    )
    lines = ddb.query(
        TableName=settings.ledger_table,
        KeyConditionExpression="account_key = :k",
        ExpressionAttributeValues={":k": {"S": f"{org_id}#L1"}},
    )["Items"]
    payment = next(i for i in lines if i["kind"]["S"] == "payment")
    ddb.delete_item(
        TableName=settings.ledger_table,
        Key={"account_key": payment["account_key"], "line_id": payment["line_id"]},
    )
    report = _check(settings, org_id)
    rules = sorted((v.rule, v.subject) for v in report.violations)
    tx_id = payment["source_id"]["S"]
    assert ("balance", "L2") in rules and ("balance", "L1") in rules
    assert ("allocation", tx_id) in rules
    assert DynamoOrganisationRepository(settings.organisations_table).exists(org_id)


def test_cli_check_and_sweep(
    emulator: Any,
    settings: Settings,
    org: tuple[str, list[Lease]],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from infra.local.cli import main

    org_id, leases = org
    endpoints = {
        "aws_endpoint_url": emulator.endpoint_url,
        "region": emulator.region,
        "tables": emulator.by_role("tables"),
        "buckets": emulator.by_role("buckets"),
        "queues": emulator.by_role("queues"),
        "environment": emulator.environment,
    }
    (tmp_path / "endpoints.json").write_text(json.dumps(endpoints), encoding="utf-8")
    common = ["--state-dir", str(tmp_path), "--org", org_id]
    lost = _ingest_losing_match_messages(emulator, settings, org_id, "c1.xml", _file(leases, "C1"))
    assert main(["sweep", "--older-than", "0", *common]) == 0
    assert "2 transaction(s)" in capsys.readouterr().out
    assert sorted(_match_what_is_queued(emulator, settings, org_id)) == sorted(lost)
    assert main(["check", *common]) == 0
    assert "cohérent" in capsys.readouterr().out
    emulator.client("dynamodb").update_item(
        TableName=settings.leases_table,
        Key={"org_id": {"S": org_id}, "lease_id": {"S": "L0"}},
        UpdateExpression="SET balance_cents = :b",
        ExpressionAttributeValues={":b": {"N": "1"}},
    )
    assert main(["check", *common]) == 1
    out = capsys.readouterr().out
    assert "1 anomalie(s)" in out and "[balance] L0" in out


def test_redrive_route_is_for_operators_only(
    emulator: Any, settings: Settings, client: Any, org: tuple[str, list[Lease]]
) -> None:
    from functions.adapters.dynamo import DynamoApiKeyRepository
    from functions.api.auth import hash_key, new_key
    from functions.organisations.service import OPERATOR_ORG

    keys = DynamoApiKeyRepository(settings.api_keys_table)
    operator, clerk = new_key(), new_key()
    keys.put(hash_key(operator), OPERATOR_ORG, ["operator"], "test operator")
    keys.put(hash_key(clerk), org[0], ["erp", "backoffice"], "test clerk")

    def post(key: str, body: Any) -> Any:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        return client.http.post("/v1/ops/redrive", headers=headers, body=json.dumps(body))

    assert post(clerk, {"queue": "match"}).status_code == 403
    bad = post(operator, {"queue": "nope"})
    assert bad.status_code == 400 and json.loads(bad.body)["field"] == "queue"
    marker = f"route-{datetime.now(UTC).timestamp()}"
    sqs = emulator.client("sqs")
    sqs.send_message(QueueUrl=emulator.queues["IngestDeadLetterQueue"].url, MessageBody=marker)
    done = post(operator, {"queue": "ingest"})
    assert done.status_code == 200 and json.loads(done.body)["moved"]["ingest"] >= 1
    assert len(drain(sqs, emulator.queues["IngestQueue"].url, marker)) == 1
