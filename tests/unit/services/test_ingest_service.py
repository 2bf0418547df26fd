"""StatementIngestor on the fakes: record once, hand to matching, archive or quarantine."""

from __future__ import annotations

from functions.ingest.parsers import parse_bytes, stream_file
from functions.ingest.service import StatementIngestor
from tests.fakes import FakeWorld
from tests.fixtures.camt054 import Credit, camt054, payer_iban
from tests.unit.matching.helpers import COLLECTION, ORG, RANGE
from tests.unit.services.conftest import clock

BUCKET = "inbox"


def ingestor(w: FakeWorld) -> StatementIngestor:
    return StatementIngestor(
        w.organisations, w.files, w.transactions, w.file_store, w.match_queue,
        parse_bytes, stream_file, clock,
    )  # fmt: skip


def statement(*amounts: str) -> bytes:
    credits = [
        Credit(a, RANGE.iban_for(n), f"PAYER {n}", payer_iban(n)) for n, a in enumerate(amounts, 1)
    ]
    return camt054(COLLECTION, credits)


def test_a_statement_is_recorded_handed_to_matching_and_archived(world: FakeWorld) -> None:
    world.file_store.put_inbox(f"{ORG}/nov.xml", statement("560.00", "120.50"))

    result = ingestor(world).ingest(BUCKET, f"{ORG}/nov.xml")

    assert (result.status, result.transactions, result.new_transactions) == ("ingested", 2, 2)
    ids = world.match_queue.ids()
    assert len(ids) == 2
    amounts = sorted(t.amount_cents for t in world.transactions.get_many(ORG, ids))
    assert amounts == [12_050, 56_000]
    assert f"{ORG}/nov.xml" in world.file_store.archive
    assert result.file_id is not None
    record = world.files.get(ORG, result.file_id)
    assert record is not None and record.status == "ingested"
    assert record.transactions == 2


def test_the_same_content_again_books_nothing_new(world: FakeWorld) -> None:
    body = statement("560.00")
    world.file_store.put_inbox(f"{ORG}/a.xml", body)
    first = ingestor(world).ingest(BUCKET, f"{ORG}/a.xml")
    world.file_store.put_inbox(f"{ORG}/again.xml", body)

    second = ingestor(world).ingest(BUCKET, f"{ORG}/again.xml")

    assert (second.status, second.new_transactions) == ("duplicate", 0)
    assert second.reason is not None and f"{ORG}/a.xml" in second.reason
    assert first.file_id is not None
    again = world.files.get(ORG, first.file_id)
    assert again is not None and again.duplicates == 1
    assert f"{ORG}/again.xml" in world.file_store.archive


def test_a_duplicate_hands_its_still_new_transactions_to_matching_again(world: FakeWorld) -> None:
    body = statement("560.00")
    world.file_store.put_inbox(f"{ORG}/a.xml", body)
    ingestor(world).ingest(BUCKET, f"{ORG}/a.xml")
    world.file_store.put_inbox(f"{ORG}/a.xml", body)  # the first match message was lost

    ingestor(world).ingest(BUCKET, f"{ORG}/a.xml")

    assert len(world.match_queue.sent) == 2
    assert world.match_queue.sent[0] == world.match_queue.sent[1]


def test_an_unreadable_file_is_quarantined_with_its_reason(world: FakeWorld) -> None:
    world.file_store.put_inbox(f"{ORG}/broken.xml", b"<Document><oops")

    result = ingestor(world).ingest(BUCKET, f"{ORG}/broken.xml")

    assert result.status == "quarantined"
    _, error = world.file_store.quarantine[f"{ORG}/broken.xml"]
    assert error["file"] == "broken.xml" and error["reason"]
    assert world.match_queue.sent == []
    assert result.file_id is not None
    quarantined = world.files.get(ORG, result.file_id)
    assert quarantined is not None and quarantined.status == "quarantined"


def test_a_file_outside_any_known_organisation_is_quarantined(world: FakeWorld) -> None:
    world.file_store.put_inbox("org-nobody/nov.xml", statement("1.00"))

    result = ingestor(world).ingest(BUCKET, "org-nobody/nov.xml")

    assert result.status == "quarantined"
    assert result.reason is not None and "org-nobody" in result.reason
    assert world.tables.transactions == {}


def test_a_file_moved_by_an_earlier_delivery_is_gone(world: FakeWorld) -> None:
    assert ingestor(world).ingest(BUCKET, f"{ORG}/never.xml").status == "gone"
