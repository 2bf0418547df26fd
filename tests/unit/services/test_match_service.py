"""PaymentMatcher and ReviewService on the fakes: decisions, bookings, exactly-once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from functions.core.allocation import Allocation
from functions.core.booking import Booking, Written
from functions.core.errors import ConflictError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine, LineKind
from functions.core.matching import MatchPolicy
from functions.core.organisation import HouseholdSplit, Organisation
from functions.core.records import TransactionRecord
from functions.core.transactions import TransactionStatus
from functions.match.review import ReviewService
from functions.match.service import PaymentMatcher
from tests.fakes import FakeWorld, fake_world
from tests.unit.matching.helpers import COLLECTION, ORG, RANGE, lease, tx
from tests.unit.services.conftest import clock


def matcher(w: FakeWorld) -> PaymentMatcher:
    return PaymentMatcher(
        w.organisations, w.leases, w.transactions, w.booker, clock, ledger=w.ledger
    )


def review(w: FakeWorld) -> ReviewService:
    return ReviewService(w.organisations, w.leases, w.records, w.booker, clock)


def test_a_payment_to_a_vIBAN_is_booked_on_its_lease_with_ledger_and_entries(
    world: FakeWorld,
) -> None:
    payment = tx(
        56_000, "ZOE LEFEVRE", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(1)
    )
    world.transactions.add_new([payment])

    [result] = matcher(world).match(ORG, ["tx_1"])

    assert (result.outcome, result.lease_ids, result.booked) == ("allocated", ("TIL-00001",), True)
    booked = world.leases.get(ORG, "TIL-00001")
    assert (booked.balance_cents, booked.version) == (0, 1)
    assert [line.amount_cents for line in world.ledger.lines(ORG, "TIL-00001")] == [-56_000]
    pending, _ = world.entries.list_pending(ORG)
    assert [e.transaction_id for e in pending] == ["tx_1"]
    assert world.records.get(ORG, "tx_1").status is TransactionStatus.ALLOCATED
    assert world.leases.get(ORG, "TIL-00002").balance_cents == 56_000


def test_a_second_delivery_of_the_same_message_books_nothing_more(world: FakeWorld) -> None:
    world.transactions.add_new(
        [tx(56_000, "X", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(2))]
    )
    matcher(world).match(ORG, ["tx_1"])

    [again] = matcher(world).match(ORG, ["tx_1"])

    assert (again.outcome, again.booked) == ("allocated", False)
    assert world.leases.get(ORG, "TIL-00002").balance_cents == 0
    assert len(world.ledger.lines(ORG, "TIL-00002")) == 1


def test_payments_of_one_message_are_written_in_one_group(world: FakeWorld) -> None:
    world.transactions.add_new(
        [
            tx(56_000, "A", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(1)),
            tx(20_000, "B", transaction_id="tx_2", creditor_account_iban=RANGE.iban_for(2)),
        ]
    )

    results = matcher(world).match(ORG, ["tx_1", "tx_2"])

    assert [r.booked for r in results] == [True, True]
    assert world.booker.groups == 1
    assert world.leases.get(ORG, "TIL-00002").balance_cents == 36_000


def test_a_lease_changed_since_the_index_was_read_is_booked_again_from_a_fresh_read(
    world: FakeWorld,
) -> None:
    m = matcher(world)
    m.indexes.get(ORG)  # loaded now: version 0
    moved = world.leases.get(ORG, "TIL-00001")
    world.tables.leases[(ORG, "TIL-00001")] = replace(moved, balance_cents=100_000, version=7)
    world.transactions.add_new(
        [tx(56_000, "A", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(1))]
    )

    [result] = m.match(ORG, ["tx_1"])

    assert result.booked
    fresh = world.leases.get(ORG, "TIL-00001")
    assert (fresh.balance_cents, fresh.version) == (44_000, 8)


def test_an_unknown_payer_goes_to_the_queue_and_a_person_allocates_it(world: FakeWorld) -> None:
    world.transactions.add_new(
        [tx(12_345, "SOMEONE ELSE", transaction_id="tx_9", counterparty_iban=None)]
    )
    [result] = matcher(world).match(ORG, ["tx_9"])
    assert result.outcome in ("review", "unmatched")
    assert world.leases.get(ORG, "TIL-00001").balance_cents == 56_000

    record = review(world).allocate(ORG, "tx_9", [Allocation("TIL-00001", 12_345)], who="agent")

    assert record.status is TransactionStatus.ALLOCATED
    assert record.revision == 1
    assert [h.decision.outcome.value for h in record.history] == [result.outcome]
    assert world.leases.get(ORG, "TIL-00001").balance_cents == 56_000 - 12_345


def test_undo_puts_the_payment_back_in_review_and_the_debt_back(world: FakeWorld) -> None:
    world.transactions.add_new(
        [tx(56_000, "A", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(1))]
    )
    matcher(world).match(ORG, ["tx_1"])

    record = review(world).undo(ORG, "tx_1", who="agent", note="wrong tenant")

    assert record.status is TransactionStatus.REVIEW
    assert world.leases.get(ORG, "TIL-00001").balance_cents == 56_000
    assert sum(line.amount_cents for line in world.ledger.lines(ORG, "TIL-00001")) == 0
    with pytest.raises(ConflictError):
        review(world).undo(ORG, "tx_1", who="agent")


def test_a_decision_made_meanwhile_is_refused(world: FakeWorld) -> None:
    world.transactions.add_new([tx(1_000, "?", transaction_id="tx_5", counterparty_iban=None)])
    matcher(world).match(ORG, ["tx_5"])
    read_before = world.records.get(ORG, "tx_5")  # the second person's page, loaded first
    review(world).allocate(ORG, "tx_5", [Allocation("TIL-00001", 1_000)], who="first")

    class PageLoadedBefore:
        def get(self, org_id: str, transaction_id: str) -> TransactionRecord:
            return read_before

    late = ReviewService(world.organisations, world.leases, PageLoadedBefore(), world.booker, clock)
    with pytest.raises(ConflictError, match="decided meanwhile"):
        late.allocate(ORG, "tx_5", [Allocation("TIL-00002", 1_000)], who="second")
    assert world.leases.get(ORG, "TIL-00002").balance_cents == 56_000


def test_the_booker_refuses_a_stale_group_and_writes_none_of_it(world: FakeWorld) -> None:
    from functions.core.booking import plan_booking
    from functions.core.lease_index import LeaseIndex
    from functions.core.matching import decide

    payments = [
        tx(56_000, "A", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(1)),
        tx(56_000, "B", transaction_id="tx_2", creditor_account_iban=RANGE.iban_for(2)),
    ]
    world.transactions.add_new(payments)
    org = world.organisations.get(ORG)
    index = LeaseIndex(ORG, world.leases.iter_all(ORG))
    group = []
    for p in payments:
        d = decide(p, index, world.organisations.matching_policy(ORG), world.transactions)
        leases = {lid: world.leases.get(ORG, lid) for lid in d.lease_ids}
        group.append((plan_booking(org, p, d, leases, clock()), leases))
    two = world.leases.get(ORG, "TIL-00002")
    world.tables.leases[(ORG, "TIL-00002")] = replace(two, version=3)

    assert world.booker.book_group(group) == [Written.WAITING, Written.STALE]
    assert world.leases.get(ORG, "TIL-00001").version == 0
    assert world.records.get(ORG, "tx_1").status is TransactionStatus.NEW


def _household_owing(rule: HouseholdSplit) -> tuple[FakeWorld, list[str]]:
    """TIL-00001 and TIL-00002 of one household, each owing 560 €, the second since October."""
    w = fake_world(clock)
    w.organisations.put_new(
        Organisation(ORG, "Habitat Test", COLLECTION, RANGE, household_split=rule)
    )
    w.leases.put_new(lease(1, "Zoé LEFÈVRE", household_id="H-1"))
    w.leases.put_new(lease(2, "Zoé LEFÈVRE", household_id="H-1"))
    called = datetime(2026, 11, 21, tzinfo=UTC)
    w.ledger.put_many_new(
        [
            LedgerLine(ORG, "TIL-00001", "nov", LineKind.RENT_CALL, date(2026, 11, 5), 56_000,
                       "", "", called),
            LedgerLine(ORG, "TIL-00002", "oct", LineKind.RENT_CALL, date(2026, 10, 5), 56_000,
                       "", "", called),
        ]
    )  # fmt: skip
    read: list[str] = []
    lines = w.ledger.lines

    def counted(org_id: str, lease_id: str) -> list[LedgerLine]:
        read.append(lease_id)
        return lines(org_id, lease_id)

    w.ledger.lines = counted  # type: ignore[method-assign]
    w.transactions.add_new(
        [tx(84_000, "ZOE LEFEVRE", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(1))]
    )
    return w, read


def test_a_household_payment_is_shared_by_the_landlords_rule_reading_debts_only_if_it_needs() -> (
    None
):
    w, read = _household_owing(HouseholdSplit.OLDEST_DEBT_FIRST)
    [result] = matcher(w).match(ORG, ["tx_1"])
    # October's debt of the parking first, then the flat's November
    assert (result.lease_ids, result.booked) == (("TIL-00001", "TIL-00002"), True)
    assert w.leases.get(ORG, "TIL-00001").balance_cents == 56_000 - 28_000
    assert w.leases.get(ORG, "TIL-00002").balance_cents == 0
    assert sorted(read) == ["TIL-00001", "TIL-00002"]

    w, read = _household_owing(HouseholdSplit.PRO_RATA)
    matcher(w).match(ORG, ["tx_1"])
    assert w.leases.get(ORG, "TIL-00001").balance_cents == 56_000 - 42_000
    assert w.leases.get(ORG, "TIL-00002").balance_cents == 56_000 - 42_000
    assert read == []  # pro rata shares by balances: no ledger read


def _household_and_another() -> FakeWorld:
    """The household owing, tx_3 to a lease of its own, then tx_4 to the household again:
    tx_4's share writes tx_3 and tx_1 first (two groups)."""
    w, _ = _household_owing(HouseholdSplit.PRO_RATA)
    w.leases.put_new(lease(3, "Léa MARTIN"))
    w.transactions.add_new(
        [
            tx(
                20_000, "LEA MARTIN", transaction_id="tx_3", creditor_account_iban=RANGE.iban_for(3)
            ),
            tx(
                20_000,
                "ZOE LEFEVRE",
                transaction_id="tx_4",
                creditor_account_iban=RANGE.iban_for(1),
            ),
        ]
    )
    return w


def test_the_leases_credited_by_a_message_are_sent_once_even_across_a_household_write() -> None:
    w = _household_and_another()
    told: list[tuple[str, list[str]]] = []
    m = matcher(w)
    m.on_booked = lambda org_id, lease_ids: told.append((org_id, list(lease_ids)))

    results = m.match(ORG, ["tx_3", "tx_1", "tx_4"])

    assert [r.booked for r in results] == [True, True, True]
    assert w.booker.groups == 2
    assert told == [(ORG, ["TIL-00003", "TIL-00001", "TIL-00002"])]


def test_the_leases_credited_before_a_failed_write_are_still_sent() -> None:
    w = _household_and_another()
    told: list[list[str]] = []
    m = matcher(w)
    m.on_booked = lambda org_id, lease_ids: told.append(list(lease_ids))
    book_group = w.booker.book_group

    def second_fails(group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
        if w.booker.groups:
            raise ConnectionError("store down")
        return book_group(group)

    w.booker.book_group = second_fails  # type: ignore[method-assign]

    with pytest.raises(ConnectionError):
        m.match(ORG, ["tx_3", "tx_1", "tx_4"])
    assert told == [["TIL-00003", "TIL-00001", "TIL-00002"]]


def test_the_organisation_and_its_policy_are_one_read_a_message(world: FakeWorld) -> None:
    world.transactions.add_new(
        [tx(56_000, "X", transaction_id="tx_1", creditor_account_iban=RANGE.iban_for(2))]
    )
    reads: list[str] = []
    get, policy = world.organisations.get, world.organisations.matching_policy

    def counted(org_id: str) -> tuple[Organisation, MatchPolicy]:
        reads.append(org_id)
        return get(org_id), policy(org_id)

    world.organisations.get_with_policy = counted  # type: ignore[method-assign]
    world.organisations.get = world.organisations.matching_policy = None  # type: ignore[assignment]

    [result] = matcher(world).match(ORG, ["tx_1"])

    assert result.booked and reads == [ORG]
