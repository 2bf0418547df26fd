"""Races on the books, on the embedded emulator (issue 9, items 1 and 2).

Two clerks allocating one transaction to two different leases at the same time:
exactly one wins, the other is told of the conflict, and the books hold
(``check_books``). Several matchers handed the same transactions at once (SQS
delivers at least once, and the sweeper re-drives): each payment booked once.
One round of each runs in ``make test``; ``make chaos`` repeats them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from functions.adapters.dynamo import DynamoLeaseRepository
from functions.adapters.settings import Settings
from functions.bootstrap import build_matcher
from functions.core.allocation import Allocation
from functions.core.errors import ConflictError, EncaisseError
from functions.core.lease import Lease
from functions.core.records import TransactionRecord
from tests.fixtures.camt054 import Credit, camt054, payer_iban
from tests.integration.test_ingest_and_match import COLLECTION, org
from tests.integration.test_recovery import _check, _ingest_losing_match_messages

pytestmark = pytest.mark.integration
__all__ = ["org"]
ROUNDS = int(os.environ.get("ENCAISSE_CHAOS_ROUNDS", "1"))


def _together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same instant, each in its thread; their results or errors."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            out[n] = calls[n]()
        except Exception as e:
            out[n] = e

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _review_service(settings: Settings) -> Any:
    from functions.api.review import _service

    return _service()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_clerks_allocate_one_transaction_to_two_leases(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]], round_: int
) -> None:
    org_id, _ = org
    body = camt054(
        COLLECTION,
        [Credit("123.45", None, "INCONNU", payer_iban(9), f"VIREMENT {round_}")],
        msg_id=f"clerks-{round_}",
    )
    lost = _ingest_losing_match_messages(emulator, settings, org_id, f"k{round_}.xml", body)
    build_matcher(settings).match(org_id, lost)  # unmatched: waits for a person
    (tx_id,) = lost
    service = _review_service(settings)
    results = _together(
        lambda: service.allocate(org_id, tx_id, [Allocation("L0", 12_345)], "clerk A"),
        lambda: service.allocate(org_id, tx_id, [Allocation("L1", 12_345)], "clerk B"),
    )
    won = [r for r in results if isinstance(r, TransactionRecord)]
    lost_races = [r for r in results if isinstance(r, EncaisseError)]
    assert len(won) == 1 and len(lost_races) == 1, results
    assert isinstance(lost_races[0], ConflictError)
    report = _check(settings, org_id)
    assert report.ok, report.violations
    repo = DynamoLeaseRepository(settings.leases_table)
    credited = [lid for lid in ("L0", "L1") if repo.get(org_id, lid).balance_cents == 43_655]
    assert len(credited) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_matchers_book_each_payment_once(
    emulator: Any, settings: Settings, org: tuple[str, list[Lease]], round_: int
) -> None:
    org_id, leases = org
    body = camt054(
        COLLECTION,
        [
            Credit("100.00", leases[0].viban, "M. A", payer_iban(1), f"LOYER R{round_}"),
            Credit("50.00", leases[0].viban, "M. A", payer_iban(1), f"COMPLEMENT R{round_}"),
            Credit("30.00", leases[1].viban, "M. B", payer_iban(2), f"LOYER R{round_}"),
        ],
        msg_id=f"matchers-{round_}",
    )
    ids = _ingest_losing_match_messages(emulator, settings, org_id, f"m{round_}.xml", body)
    matchers = [build_matcher(settings) for _ in range(4)]
    results = _together(*(lambda m=m: m.match(org_id, ids) for m in matchers))
    assert not [r for r in results if isinstance(r, Exception)], results
    repo = DynamoLeaseRepository(settings.leases_table)
    assert repo.get(org_id, "L0").balance_cents == 56_000 - 15_000
    assert repo.get(org_id, "L1").balance_cents == 56_000 - 3_000
    report = _check(settings, org_id)
    assert report.ok, report.violations
