"""ERP push steps and the sweeper on the fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from functions.core.ledger import LineKind
from functions.core.sweep import Sweeper
from functions.erp.service import ErpPushService
from functions.leases.service import BalanceOperation, LeaseService
from tests.fakes import FakeWorld
from tests.unit.matching.helpers import ORG, tx
from tests.unit.services.conftest import NOW, clock


def erp(w: FakeWorld) -> ErpPushService:
    return ErpPushService(
        w.organisations, w.entries, w.batches, lambda org: ["s3cret"], w.leases, clock
    )


def with_entries(w: FakeWorld, count: int) -> None:
    leases = LeaseService(w.organisations, w.leases, w.ledger_writer, clock, history=w.ledger)
    for n in range(count):
        leases.post_balance_operation(
            BalanceOperation(
                ORG, "TIL-00001", LineKind.ADJUSTMENT, -100, date(2026, 11, 2), f"AV-{n}"
            )
        )


def with_webhook(w: FakeWorld) -> None:
    org = w.organisations.get(ORG)
    w.organisations.put(replace(org, erp_webhook_url="https://erp.example/hook"))


def test_without_a_webhook_entries_wait_for_polling(world: FakeWorld) -> None:
    with_entries(world, 2)

    result = erp(world).collect(ORG)

    assert (result["batch_id"], result["count"], result["has_webhook"]) == (None, 2, False)
    assert all(s.batch_id is None for s in world.tables.entries.values())


def test_a_batch_claims_its_entries_once_and_delivery_acknowledges_them(world: FakeWorld) -> None:
    with_entries(world, 3)
    with_webhook(world)

    first = erp(world).collect(ORG)
    second = erp(world).collect(ORG)

    assert first["count"] == 3 and second["count"] == 0
    batch = world.batches.get(ORG, first["batch_id"])
    assert batch["status"] == "collected" and '"entries"' in batch["body"]
    assert erp(world).mark_delivered(ORG, first["batch_id"]) == {"acknowledged": 3}
    assert world.entries.list_pending(ORG) == ([], None)
    assert world.batches.get(ORG, first["batch_id"])["status"] == "delivered"


def test_a_parked_batch_frees_its_entries_for_the_next_run(world: FakeWorld) -> None:
    with_entries(world, 2)
    with_webhook(world)
    first = erp(world).collect(ORG)

    erp(world).park(ORG, first["batch_id"], {"error": "HTTP 500"})

    assert world.batches.get(ORG, first["batch_id"])["status"] == "parked"
    assert erp(world).collect(ORG)["count"] == 2


def test_the_sweeper_resends_what_was_left_behind_only(world: FakeWorld) -> None:
    transactions = world.transactions
    transactions.clock = lambda: NOW - timedelta(hours=2)
    transactions.add_new([tx(100, "old", transaction_id="tx_old")])
    transactions.clock = clock
    transactions.add_new([tx(100, "recent", transaction_id="tx_recent")])
    world.file_store.put_inbox(f"{ORG}/stuck.xml", b"x", at=NOW - timedelta(hours=3))
    world.file_store.put_inbox(f"{ORG}/arriving.xml", b"x", at=NOW)
    sweeper = Sweeper(
        world.organisations, world.transactions, world.file_store,
        world.match_queue, world.ingest_queue, clock,
    )  # fmt: skip

    report = sweeper.sweep(timedelta(hours=1))

    assert report.as_dict() == {"transactions": 1, "files": 1, "organisations": 1}
    assert world.match_queue.sent == [(ORG, ["tx_old"])]
    assert world.ingest_queue.redelivered == [f"{ORG}/stuck.xml"]
