"""Packing a message's bookings into groups written at once (pure, no AWS)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from functions.core.allocation import Allocation
from functions.core.booking import (
    Booking,
    DunningFlag,
    lease_deltas,
    pack_groups,
    plan_booking,
    written_items,
)
from functions.core.lease import Lease, Tenant
from functions.core.matching import MatchDecision, Method, Outcome, RejectInfo
from functions.core.organisation import Organisation
from functions.core.transactions import BankTransaction, TransactionKind
from functions.core.viban import VirtualIbanRange

ORG = Organisation(
    "org-a", "HLM", "FR7630004008210000420001774", VirtualIbanRange("30004", "00821", "57")
)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _lease(lid: str) -> Lease:
    return Lease(
        org_id="org-a",
        lease_id=lid,
        tenants=(Tenant("Zoé LEFÈVRE"),),
        residence="R",
        commune="Orléans",
        unit="1",
        start_date=date(2020, 1, 1),
        rent_cents=50_000,
        charges_cents=8_000,
        viban="",
        rf_reference="",
    )


LEASES = {f"L{n}": _lease(f"L{n}") for n in range(400)}


def _tx(n: int, amount: int = 58_000, e2e: str | None = None, **kw: object) -> BankTransaction:
    fields: dict[str, object] = {
        "org_id": "org-a",
        "transaction_id": f"tx_{n:04d}",
        "kind": TransactionKind.CREDIT if amount > 0 else TransactionKind.REJECT,
        "amount_cents": amount,
        "currency": "EUR",
        "booking_date": date(2026, 11, 20),
        "value_date": date(2026, 11, 20),
        "account_iban": None,
        "statement_id": None,
        "bank_reference": None,
        "bank_transaction_code": None,
        "counterparty_name": "LEFEVRE ZOE",
        "counterparty_iban": None,
        "creditor_account_iban": None,
        "end_to_end_id": e2e,
        "mandate_id": "RUM-1" if e2e else None,
        "remittance": None,
        "structured_reference": None,
        "return_reason": None,
        "original_end_to_end_id": None,
        "reversal": False,
        "file_id": "f1",
    }
    return BankTransaction(**(fields | kw))  # type: ignore[arg-type]


def _paid(n: int, lid: str, e2e: str | None = None) -> Booking:
    tx = _tx(n, e2e=e2e)
    decision = MatchDecision(
        Outcome.ALLOCATED, allocations=(Allocation(lid, tx.amount_cents),), method=Method.MANDATE
    )
    return plan_booking(ORG, tx, decision, LEASES, NOW)


def test_a_payment_writes_its_transaction_line_lease_and_entry_once() -> None:
    items = written_items(_paid(1, "L1"))
    assert [i[0] for i in items] == ["transaction", "ledger", "lease", "entry"]
    assert len(set(items)) == 4


def test_a_collection_also_writes_its_collection_record() -> None:
    items = written_items(_paid(1, "L1", e2e="SDD-1"))
    assert ("collection", "org-a", "SDD-1") in items and len(items) == 5


def test_independent_payments_share_groups_of_at_most_100_items() -> None:
    bookings = [_paid(n, f"L{n}") for n in range(60)]  # 4 items each
    groups = pack_groups(bookings)
    assert [len(g) for g in groups] == [25, 25, 10]
    assert [i for g in groups for i in g] == list(range(60))  # in order, each once


def test_two_payments_to_one_lease_never_share_a_group() -> None:
    bookings = [_paid(0, "L0"), _paid(1, "L1"), _paid(2, "L0"), _paid(3, "L2")]
    assert pack_groups(bookings) == [[0, 1], [2, 3]]


def test_a_collection_and_its_return_never_share_a_group() -> None:
    collection = _paid(0, "L0", e2e="SDD-7")
    ret = _tx(1, amount=-58_000, original_end_to_end_id="SDD-7", return_reason="AM04")
    reject = RejectInfo("AM04", "Provision insuffisante", "insufficient_funds", "SDD-7", "tx_0000")
    decision = MatchDecision(
        Outcome.ALLOCATED,
        allocations=(Allocation("L5", -58_000),),
        method=Method.REJECT_REVERSAL,
        reject=reject,
    )
    reversal = plan_booking(ORG, ret, decision, LEASES, NOW)
    assert reversal.reverses_e2e == "SDD-7"
    assert pack_groups([collection, reversal]) == [[0], [1]]


def test_a_smaller_limit_makes_smaller_groups_and_a_big_booking_stands_alone() -> None:
    bookings = [_paid(n, f"L{n}") for n in range(5)]
    assert pack_groups(bookings, limit=8) == [[0, 1], [2, 3], [4]]
    assert pack_groups(bookings, limit=3) == [[0], [1], [2], [3], [4]]
    assert pack_groups([]) == []


def test_a_dunning_flag_alone_still_writes_its_lease() -> None:
    flag = DunningFlag("AM04", "Provision insuffisante", "insufficient_funds", "tx_1", None, NOW)
    booking = _paid(1, "L1")
    flagged = Booking(booking.tx, booking.decision, (), (), NOW, dunning={"L9": flag})
    assert lease_deltas(flagged) == {"L9": 0}
    assert ("lease", "org-a", "L9") in written_items(flagged)
