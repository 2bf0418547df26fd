"""A household's lump payment shared over its leases by the landlord's rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from functions.core.allocation import Allocation
from functions.core.household import (
    debts_needed,
    household_of,
    may_be_shared,
    share_household_payment,
    spread_over_household,
    unpaid_debts,
)
from functions.core.lease import Lease, Tenant
from functions.core.ledger import LedgerLine, LineKind
from functions.core.matching import MatchDecision, Method, Outcome
from functions.core.organisation import HouseholdSplit


def _lease(lease_id: str, balance: int, household: str | None = "H1", rent: int = 40_000) -> Lease:
    return Lease(
        "org", lease_id, (Tenant("Karim HADDAD"),), "R", "C", "U", date(2020, 1, 1),
        rent, 0, f"FR76{lease_id}", "RF00", balance_cents=balance, household_id=household,
    )  # fmt: skip


FLAT, PARKING = _lease("FLAT", 80_000), _lease("PARK", 7_000, rent=3_500)
OLDEST = {
    "FLAT": [(date(2026, 11, 5), 40_000), (date(2026, 12, 5), 40_000)],
    "PARK": [(date(2026, 10, 5), 3_500), (date(2026, 11, 5), 3_500)],
}


def test_oldest_debt_first_pays_the_oldest_debt_whichever_lease_it_is_on() -> None:
    shares = share_household_payment(
        40_000, FLAT, [FLAT, PARKING], HouseholdSplit.OLDEST_DEBT_FIRST, OLDEST
    )
    # October's parking, then November's flat and parking (the flat paid first on a tie)
    assert shares == (Allocation("FLAT", 36_500), Allocation("PARK", 3_500))
    more = share_household_payment(
        44_000, FLAT, [FLAT, PARKING], HouseholdSplit.OLDEST_DEBT_FIRST, OLDEST
    )
    assert more == (Allocation("FLAT", 40_000), Allocation("PARK", 4_000))


def test_unpaid_debts_are_what_credits_left_of_the_oldest_debits() -> None:
    def line(day: date, cents: int) -> LedgerLine:
        kind = LineKind.RENT_CALL if cents > 0 else LineKind.PAYMENT
        return LedgerLine("o", "L", str(day), kind, day, cents, "", "", datetime.now(UTC))

    lines = [line(date(2026, 10, 5), 400), line(date(2026, 11, 5), 400),
             line(date(2026, 11, 8), -500), line(date(2026, 12, 5), 400)]  # fmt: skip
    assert unpaid_debts(lines) == [(date(2026, 11, 5), 300), (date(2026, 12, 5), 400)]
    assert unpaid_debts([*lines[:3], line(date(2026, 11, 9), -300)]) == []


def test_pro_rata_shares_by_debt_and_keeps_every_cent() -> None:
    shares = share_household_payment(10_001, FLAT, [FLAT, PARKING], HouseholdSplit.PRO_RATA, OLDEST)
    assert sum(a.amount_cents for a in shares) == 10_001
    assert shares == (Allocation("FLAT", 9_197), Allocation("PARK", 804))


def test_what_is_left_after_every_debt_is_a_credit_on_the_lease_paid() -> None:
    for rule in HouseholdSplit:
        shares = share_household_payment(100_000, FLAT, [FLAT, PARKING], rule, OLDEST)
        assert shares == (Allocation("FLAT", 93_000), Allocation("PARK", 7_000))


def test_a_decision_is_spread_only_for_a_household_with_other_debts() -> None:
    decision = MatchDecision(
        Outcome.ALLOCATED, (Allocation("FLAT", 40_000),), Method.VIBAN, 1.0, ("vIBAN",)
    )
    other = _lease("OTHER", 9_000, household=None)
    shared = spread_over_household(
        decision, [FLAT, PARKING, other], HouseholdSplit.OLDEST_DEBT_FIRST, OLDEST
    )
    assert shared.allocations == (Allocation("FLAT", 36_500), Allocation("PARK", 3_500))
    assert "household H1" in shared.evidence[-1]
    settled = [FLAT, replace(PARKING, balance_cents=0)]
    same = spread_over_household(decision, settled, HouseholdSplit.PRO_RATA, OLDEST)
    assert same == decision
    debit = replace(decision, method=Method.MANDATE)
    assert spread_over_household(debit, [FLAT, PARKING], HouseholdSplit.PRO_RATA, OLDEST) == debit
    assert household_of(other, [FLAT, PARKING, other]) == [other]


def test_debts_are_needed_only_when_a_credit_is_shared_by_the_oldest_debt_first() -> None:
    vib = MatchDecision(
        Outcome.ALLOCATED, (Allocation("FLAT", 40_000),), Method.VIBAN, 1.0, ("vIBAN",)
    )
    oldest, pro_rata = HouseholdSplit.OLDEST_DEBT_FIRST, HouseholdSplit.PRO_RATA
    assert may_be_shared(vib) and debts_needed(vib, [FLAT, PARKING], oldest)
    # pro rata shares by balances; nothing to share when the other lease owes nothing
    assert not debts_needed(vib, [FLAT, PARKING], pro_rata)
    assert not debts_needed(vib, [FLAT, replace(PARKING, balance_cents=0)], oldest)
    # a direct debit, a refund or a split decision is never shared
    for decision in (
        replace(vib, method=Method.MANDATE),
        replace(vib, allocations=(Allocation("FLAT", -500),)),
        replace(vib, allocations=(Allocation("FLAT", 100), Allocation("PARK", 100))),
        replace(vib, outcome=Outcome.REVIEW),
    ):
        assert not may_be_shared(decision)
        assert not debts_needed(decision, [FLAT, PARKING], oldest)
        assert spread_over_household(decision, [FLAT, PARKING], oldest, OLDEST) == decision
    # when the debts are not needed, the spread without them is the spread with them
    for leases in ([FLAT, PARKING], [FLAT, replace(PARKING, balance_cents=0)]):
        for rule in HouseholdSplit:
            if not debts_needed(vib, leases, rule):
                assert spread_over_household(vib, leases, rule, {}) == spread_over_household(
                    vib, leases, rule, OLDEST
                )
