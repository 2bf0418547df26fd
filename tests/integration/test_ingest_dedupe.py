"""The same payment delivered again, in any wrapping, is recorded once.

Intraday CAMT.052 then the day's CAMT.053, a ZIP holding an already-seen
statement, the same file under another name: each payment keeps one record.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from functions.adapters.dynamo import DynamoFileRepository, DynamoOrganisationRepository
from functions.adapters.dynamo import transactions as dynamo_transactions
from functions.adapters.settings import Settings
from functions.bootstrap import build_ingestor
from functions.core.organisation import Organisation
from functions.core.statements import Balance, Entry, Statement, Transaction
from functions.core.viban import VirtualIbanRange
from functions.ingest import service as ingest_service
from functions.ingest.parsers.render import render_camt
from tests.fixtures.camt054 import payer_iban

pytestmark = pytest.mark.integration
ACCOUNT = "FR7630004008210000420001774"
DAY = date(2026, 11, 20)


def _entry(n: int, cents: int) -> Entry:
    return Entry(
        cents,
        "EUR",
        DAY,
        DAY,
        bank_reference=f"REF-{n}",
        transactions=(
            Transaction(
                cents,
                f"PAYEUR {n}",
                payer_iban(n),
                end_to_end_id=f"E2E-{n}",
                remittance=f"LOYER {n}",
            ),
        ),
    )


def _statement(*entries: Entry) -> Statement:
    return Statement("STMT-1", ACCOUNT, None, "EUR", Balance(0, DAY), None, entries)


def _as_camt052(camt053: bytes) -> bytes:
    """The intraday report of the same bookings (camt.052 shares camt.053's entry shape)."""
    text = camt053.decode()
    text = text.replace("camt.053.001.02", "camt.052.001.02")
    text = text.replace("BkToCstmrStmt", "BkToCstmrAcctRpt")
    text = text.replace("<Stmt>", "<Rpt>").replace("</Stmt>", "</Rpt>")
    return text.encode()


@pytest.fixture
def org(emulator: Any) -> str:
    settings = Settings.from_env()
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    DynamoOrganisationRepository(settings.organisations_table).put(
        Organisation(org_id, "HLM", ACCOUNT, VirtualIbanRange("30004", "00821", "77"))
    )
    return org_id


def _ingest(emulator: Any, org_id: str, name: str, body: bytes) -> Any:
    settings = Settings.from_env()
    key = f"{org_id}/{name}"
    emulator.client("s3").put_object(Bucket=settings.inbox_bucket, Key=key, Body=body)
    return build_ingestor(settings).ingest(settings.inbox_bucket, key)


def test_intraday_report_then_day_statement(emulator: Any, org: str) -> None:
    morning = _as_camt052(render_camt([_statement(_entry(1, 50_000), _entry(2, 61_000))]))
    first = _ingest(emulator, org, "intraday.xml", morning)
    assert first.format == "camt.052.001.02" and first.new_transactions == 2
    day = render_camt([_statement(_entry(1, 50_000), _entry(2, 61_000), _entry(3, 7_000))])
    second = _ingest(emulator, org, "statement.xml", day)
    assert (second.status, second.transactions, second.new_transactions) == ("ingested", 3, 1)


def _retold(entry: Entry, remittance: str) -> Entry:
    """The same booking as the bank tells it again, with another text."""
    (tx,) = entry.transactions
    return replace(entry, transactions=(replace(tx, remittance=remittance),))


def test_a_payment_sent_again_with_another_text_is_recorded_once(emulator: Any, org: str) -> None:
    first, second = _entry(21, 48_000), _entry(22, 48_000)
    morning = _as_camt052(render_camt([_statement(first, second)]))
    assert _ingest(emulator, org, "intraday-21.xml", morning).new_transactions == 2
    evening = render_camt(
        [_statement(_retold(first, "LOYER NOV APPT 21"), _retold(second, "VIR SEPA LOYER"))]
    )
    result = _ingest(emulator, org, "statement-21.xml", evening)
    assert (result.status, result.transactions, result.new_transactions) == ("ingested", 2, 0)
    assert len(_transaction_ids(emulator, org)) == 2


def test_payments_without_references_are_never_merged(emulator: Any, org: str) -> None:
    def bare(name: str, text: str) -> Entry:
        return Entry(
            9_900, "EUR", DAY, DAY, transactions=(Transaction(9_900, name, remittance=text),)
        )

    body = render_camt([_statement(bare("M. MARTIN", "LOYER A"), bare("MME PETIT", "LOYER B"))])
    assert _ingest(emulator, org, "bare.xml", body).new_transactions == 2


def test_a_redriven_file_never_resets_a_decided_transaction(
    emulator: Any, org: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.from_env()
    body = render_camt([_statement(_entry(31, 12_300))])
    first = _ingest(emulator, org, "decided.xml", body)
    (tx_id,) = _transaction_ids(emulator, org)
    ddb = emulator.client("dynamodb")
    key = {"org_id": {"S": org}, "transaction_id": {"S": tx_id}}
    ddb.update_item(
        TableName=settings.transactions_table,
        Key=key,
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "allocated"}},
    )
    # The file record lost (a crash before it was written): the file is re-driven.
    ddb.delete_item(
        TableName=settings.files_table,
        Key={"org_id": {"S": org}, "file_id": {"S": str(first.file_id)}},
    )
    # And any read of the stored records saw nothing: only the conditional write
    # stands between it and a reset to "new".
    monkeypatch.setattr(dynamo_transactions, "_batch_get", lambda *_, **__: [])
    again = _ingest(emulator, org, "decided.xml", body)
    assert (again.status, again.new_transactions) == ("ingested", 0)
    item = ddb.get_item(TableName=settings.transactions_table, Key=key, ConsistentRead=True)
    assert item["Item"]["status"]["S"] == "allocated"


def test_zip_holding_a_seen_statement_adds_only_the_new_one(emulator: Any, org: str) -> None:
    seen = render_camt([_statement(_entry(11, 1_000), _entry(12, 2_000))])
    assert _ingest(emulator, org, "s1.xml", seen).new_transactions == 2
    fresh = render_camt([_statement(_entry(13, 3_000))], "054")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/s1.xml", seen)
        archive.writestr("a/n2.xml", fresh)
    result = _ingest(emulator, org, "bundle.zip", buffer.getvalue())
    assert (result.status, result.transactions, result.new_transactions) == ("ingested", 3, 1)


def test_two_identical_payments_in_one_file_stay_two(emulator: Any, org: str) -> None:
    same = Entry(2_500, "EUR", DAY, DAY, transactions=(Transaction(2_500, "M. DUPONT"),))
    result = _ingest(emulator, org, "twins.xml", render_camt([_statement(same, same)]))
    assert result.new_transactions == 2
    again = _ingest(emulator, org, "twins-again.xml", render_camt([_statement(same, same, same)]))
    assert again.new_transactions == 1


# --- large files: read entry by entry ---------------------------------------


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as large: read twice, entry by entry, recorded in
    small batches."""
    monkeypatch.setattr(ingest_service, "WHOLE_FILE_BYTES", 100)
    monkeypatch.setattr(ingest_service, "RECORD_BATCH", 7)


def _transaction_ids(emulator: Any, org_id: str) -> set[str]:
    settings = Settings.from_env()
    pages = (
        emulator.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=settings.transactions_table,
            KeyConditionExpression="org_id = :o",
            ExpressionAttributeValues={":o": {"S": org_id}},
        )
    )
    return {i["transaction_id"]["S"] for page in pages for i in page["Items"]}


def test_a_large_file_is_streamed_and_records_what_a_small_one_does(
    emulator: Any, org: str, streamed: None
) -> None:
    entries = [_entry(n, 10_000 + n) for n in range(1, 41)]
    body = render_camt([_statement(*entries[:25]), _statement(*entries[25:])])
    result = _ingest(emulator, org, "big.xml", body)
    assert (result.status, result.transactions, result.new_transactions) == ("ingested", 40, 40)
    assert len(_transaction_ids(emulator, org)) == 40
    settings = Settings.from_env()
    record = DynamoFileRepository(settings.files_table).get(org, result.file_id)
    assert record is not None and record.statements == 2
    assert record.size == len(body)
    again = _ingest(emulator, org, "big-renamed.xml", body)
    assert again.status == "duplicate"


def test_a_large_file_broken_near_its_end_books_nothing(
    emulator: Any, org: str, streamed: None
) -> None:
    entries = [_entry(n, 20_000 + n) for n in range(1, 31)]
    body = render_camt([_statement(*entries)])
    cut = body.rindex(b"<Amt")
    broken = body[:cut] + b"<Amt>12,3,4</Amt>" + body[body.index(b"</Amt>", cut) + 6 :]
    result = _ingest(emulator, org, "broken.xml", broken)
    assert result.status == "quarantined"
    assert "not an amount" in str(result.reason)
    assert _transaction_ids(emulator, org) == set()


def test_batch_payments_sharing_a_reference_keep_their_ids_across_reports(
    emulator: Any, org: str
) -> None:
    """One batch entry (one bank reference, no end-to-end ids) of two equal
    collections: the intraday report lists only the second payer, the day's
    statement both, with other texts. Each payment is recorded once."""

    def batch(*payers: int, text: str) -> Entry:
        txs = tuple(
            Transaction(30_000, f"PAYEUR {n}", payer_iban(n), remittance=f"{text} {n}")
            for n in payers
        )
        return Entry(30_000 * len(txs), "EUR", DAY, DAY, bank_reference="LOT-7", transactions=txs)

    morning = _as_camt052(render_camt([_statement(batch(42, text="PRLV"))], "053"))
    assert _ingest(emulator, org, "lot-intraday.xml", morning).new_transactions == 1
    evening = render_camt([_statement(batch(41, 42, text="PRELEVEMENT LOYER"))])
    result = _ingest(emulator, org, "lot-day.xml", evening)
    assert (result.transactions, result.new_transactions) == (2, 1)
    settings = Settings.from_env()
    items = emulator.client("dynamodb").query(
        TableName=settings.transactions_table,
        KeyConditionExpression="org_id = :o",
        ExpressionAttributeValues={":o": {"S": org}},
    )["Items"]
    assert sorted(i["counterparty_name"]["S"] for i in items) == ["PAYEUR 41", "PAYEUR 42"]
