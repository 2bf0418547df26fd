"""Ingest and match on the embedded emulator, through the real Lambda handlers.

The S3 notification the ingest handler receives is the one the emulator really
put on the ingest queue; the match handler gets what ingest really sent.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest

from functions.adapters.dynamo import (
    DynamoEntryRepository,
    DynamoLeaseRepository,
    DynamoLedgerRepository,
    DynamoLedgerWriter,
    DynamoOrganisationRepository,
    DynamoTransactionRepository,
)
from functions.adapters.settings import Settings
from functions.core.lease import Lease, Tenant
from functions.core.organisation import Organisation
from functions.core.viban import VirtualIbanRange
from functions.leases.service import LeaseService, RentCall
from tests.fixtures.archives import corrupt_deflate, encrypted, zip_bomb, zip_of
from tests.fixtures.camt054 import Credit, camt054, payer_iban
from tests.fixtures.lambda_events import LambdaContext, drain, sqs_event

pytestmark = pytest.mark.integration
COLLECTION = "FR7630004008210000420001774"


@pytest.fixture
def org(settings: Settings) -> tuple[str, list[Lease]]:
    """A landlord of its own (so tests do not see each other's data) with 3 leases."""
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    orgs = DynamoOrganisationRepository(settings.organisations_table)
    prefix = str(uuid.uuid4().int)[:4]
    orgs.put(
        Organisation(org_id, "Test HLM", COLLECTION, VirtualIbanRange("30004", "00821", prefix))
    )
    leases_repo = DynamoLeaseRepository(settings.leases_table)
    service = LeaseService(
        orgs, leases_repo, DynamoLedgerWriter(settings.ledger_table, settings.leases_table)
    )
    leases = []
    for n in range(3):
        lease, created = service.register(
            Lease(
                org_id,
                f"L{n}",
                (Tenant("Léa MARTIN"),),
                "Les Tilleuls",
                "Orléans",
                "A1",
                date(2024, 1, 1),
                50_000,
                6_000,
                viban="",
                rf_reference="",
            )
        )
        assert created
        service.post_rent_call(
            RentCall(
                org_id, lease.lease_id, f"L{n}:2026-11", "2026-11", date(2026, 11, 5), 50_000, 6_000
            )
        )
        leases.append(lease)
    return org_id, leases


def _upload_and_run(emulator: Any, settings: Settings, org_id: str, name: str, body: bytes) -> Any:
    from functions.ingest import handler as ingest
    from functions.match import handler as match

    emulator.client("s3").put_object(
        Bucket=settings.inbox_bucket, Key=f"{org_id}/{name}", Body=body
    )
    ingest_url = emulator.queues["IngestQueue"].url
    notes = drain(emulator.client("sqs"), ingest_url, org_id)
    assert notes, "the inbox did not notify the ingest queue"
    result = ingest.lambda_handler(sqs_event(notes), LambdaContext())
    assert result == {"batchItemFailures": []}
    matches = drain(emulator.client("sqs"), settings.match_queue_url, org_id)
    if matches:
        assert match.lambda_handler(sqs_event(matches), LambdaContext()) == {
            "batchItemFailures": []
        }
    return matches


def test_viban_credits_are_booked_once(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]]
) -> None:
    org_id, leases = org
    body = camt054(
        COLLECTION,
        [
            Credit("560.00", leases[0].viban, "M. OU MME MARTIN", payer_iban(1), "LOYER NOVEMBRE"),
            Credit("200.00", leases[1].viban, "LEA MARTIN", payer_iban(2)),
            Credit("99.99", "FR7610107001011234567890129", "INCONNU", payer_iban(3)),
        ],
    )
    _upload_and_run(emulator, settings, org_id, "n1.xml", body)

    repo = DynamoLeaseRepository(settings.leases_table)
    assert repo.get(org_id, "L0").balance_cents == 0
    assert repo.get(org_id, "L1").balance_cents == 36_000
    assert repo.get(org_id, "L2").balance_cents == 56_000
    entries, _ = DynamoEntryRepository(settings.entries_table).list_pending(org_id)
    assert sorted((e.lease_id or "", e.amount_cents, e.source_type.value) for e in entries) == [
        ("", 9_999, "unmatched"),
        ("L0", 56_000, "allocation"),
        ("L1", 20_000, "allocation"),
    ]
    lines = DynamoLedgerRepository(settings.ledger_table).lines(org_id, "L0")
    assert [(x.kind.value, x.amount_cents) for x in lines] == [
        ("rent_call", 56_000),
        ("payment", -56_000),
    ]
    # nothing points to a lease: unmatched, waiting for a person, its money in suspense
    page = DynamoTransactionRepository(settings.transactions_table).list(org_id, "unmatched")
    assert [t.transaction.amount_cents for t in page.items] == [9_999]

    # the same payments again, in a file with one more: only the new one is booked
    body2 = camt054(
        COLLECTION,
        [
            Credit("560.00", leases[0].viban, "M. OU MME MARTIN", payer_iban(1), "LOYER NOVEMBRE"),
            Credit("200.00", leases[1].viban, "LEA MARTIN", payer_iban(2)),
            Credit("99.99", "FR7610107001011234567890129", "INCONNU", payer_iban(3)),
            Credit("10.00", leases[2].viban, "M. X", payer_iban(4)),
        ],
    )
    _upload_and_run(emulator, settings, org_id, "n2.xml", body2)
    assert repo.get(org_id, "L0").balance_cents == 0
    assert repo.get(org_id, "L2").balance_cents == 55_000
    entries, _ = DynamoEntryRepository(settings.entries_table).list_pending(org_id)
    assert len(entries) == 4


def test_redelivered_match_message_books_nothing(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]]
) -> None:
    from functions.match import handler as match

    org_id, leases = org
    body = camt054(
        COLLECTION, [Credit("1.00", leases[2].viban, "M. X", payer_iban(4))], msg_id="R1"
    )
    messages = _upload_and_run(emulator, settings, org_id, "r1.xml", body)
    assert messages
    # SQS delivers at least once: the same message again
    assert match.lambda_handler(sqs_event(messages), LambdaContext()) == {"batchItemFailures": []}
    assert DynamoLeaseRepository(settings.leases_table).get(org_id, "L2").balance_cents == 55_900


def test_unreadable_file_is_quarantined_with_a_reason(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]]
) -> None:
    org_id, _ = org
    _upload_and_run(
        emulator,
        settings,
        org_id,
        "broken.xml",
        b"<?xml version='1.0'?><Document><BkToCstmrStmt><Stmt>",
    )
    s3 = emulator.client("s3")
    report = json.loads(
        s3.get_object(Bucket=settings.quarantine_bucket, Key=f"{org_id}/broken.xml.error.json")[
            "Body"
        ].read()
    )
    assert report["file"] == "broken.xml" and report["reason"] and report["parser"]
    kept = s3.get_object(Bucket=settings.quarantine_bucket, Key=f"{org_id}/broken.xml")
    assert kept["Body"].read().startswith(b"<?xml")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=settings.inbox_bucket, Key=f"{org_id}/broken.xml")


def test_file_outside_an_organisation_folder_is_quarantined(
    emulator: Any, settings: Settings
) -> None:
    from functions.ingest import handler as ingest

    emulator.client("s3").put_object(Bucket=settings.inbox_bucket, Key="stray.xml", Body=b"x")
    notes = drain(emulator.client("sqs"), emulator.queues["IngestQueue"].url, "stray.xml")
    ingest.lambda_handler(sqs_event(notes), LambdaContext())
    report = emulator.client("s3").get_object(
        Bucket=settings.quarantine_bucket, Key="stray.xml.error.json"
    )
    assert "organisation" in json.loads(report["Body"].read())["reason"]


def _sound_zip() -> bytes:
    return zip_of({"n.xml": camt054(COLLECTION, [Credit("1.00", None, "M. X", payer_iban(9))])})


@pytest.mark.parametrize(
    ("name", "build", "reason"),
    [
        ("locked.zip", lambda: encrypted(_sound_zip()), "encrypted"),
        ("corrupt.zip", lambda: corrupt_deflate(_sound_zip(), "n.xml"), "unreadable ZIP member"),
        ("cut.zip", lambda: _sound_zip()[:-40], "unreadable ZIP archive"),
        ("bomb.zip", lambda: zip_bomb(64 * 1024 * 1024), "times its compressed size"),
    ],
)
def test_a_broken_or_hostile_zip_is_quarantined_once_with_its_reason(
    emulator: Any,
    settings: Settings,
    org: tuple[str, list[Lease]],
    caplog: pytest.LogCaptureFixture,
    name: str,
    build: Any,
    reason: str,
) -> None:
    org_id, _ = org
    # The handler answers no failure: the file is not retried into the DLQ.
    _upload_and_run(emulator, settings, org_id, name, build())
    s3 = emulator.client("s3")
    report = json.loads(
        s3.get_object(Bucket=settings.quarantine_bucket, Key=f"{org_id}/{name}.error.json")[
            "Body"
        ].read()
    )
    assert reason in report["reason"] and report["parser"] == "zip"
    # And one log line says so.
    assert any(
        record.getMessage() == "statement file processed"
        and getattr(record, "status", None) == "quarantined"
        and reason in str(getattr(record, "reason", ""))
        for record in caplog.records
    )
