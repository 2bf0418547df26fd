from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from functions.core.dunning import (
    DAY_SECONDS,
    DunningPolicy,
    DunningStep,
    case_id_for,
    oldest_unpaid_due_date,
    open_case,
)
from functions.core.errors import ValidationError
from functions.core.ledger import LedgerLine, LineKind

NOW = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)


def line(day: date, cents: int, kind: LineKind = LineKind.RENT_CALL) -> LedgerLine:
    return LedgerLine(
        org_id="org",
        lease_id="L1",
        line_id=f"{day}#{kind}#{cents}",
        kind=kind,
        date=day,
        amount_cents=cents,
        label="",
        source_id="s",
        recorded_at=NOW,
    )


def test_thresholds_decide_arrears() -> None:
    policy = DunningPolicy(threshold_cents=2000)
    assert not policy.in_arrears(2000)
    assert policy.in_arrears(2001)
    assert not policy.in_arrears(-5000)


def test_a_case_opens_after_the_grace_days() -> None:
    policy = DunningPolicy(threshold_cents=2000, grace_days=5)
    due = date(2026, 3, 5)
    assert not policy.should_open(60000, due, date(2026, 3, 9))
    assert policy.should_open(60000, due, date(2026, 3, 10))
    assert not policy.should_open(1500, due, date(2026, 4, 30))  # below threshold
    assert policy.should_open(60000, None, date(2026, 3, 1))  # no dated debt: no grace


def test_delays_count_from_the_oldest_unpaid_due_date() -> None:
    policy = DunningPolicy()
    delays = policy.delays(date(2026, 3, 5), date(2026, 3, 10))
    # reminder 1 at J+10 (5 days after opening), then +10, +10, +15 days
    assert delays == {
        "reminder_1": 5 * DAY_SECONDS,
        "reminder_2": 10 * DAY_SECONDS,
        "letter": 10 * DAY_SECONDS,
        "referral": 15 * DAY_SECONDS,
    }
    assert list(delays) == [s.value for s in DunningStep]


def test_a_late_case_starts_at_once_but_keeps_its_spacing() -> None:
    delays = DunningPolicy().delays(date(2025, 11, 5), date(2026, 3, 10))
    assert delays["reminder_1"] == 0
    assert delays["reminder_2"] == 10 * DAY_SECONDS


def test_policy_refuses_steps_out_of_order() -> None:
    with pytest.raises(ValidationError):
        DunningPolicy(
            step_days=(
                (DunningStep.REMINDER_2, 10),
                (DunningStep.REMINDER_1, 20),
                (DunningStep.LETTER, 30),
                (DunningStep.REFERRAL, 45),
            )
        )
    with pytest.raises(ValidationError):
        DunningPolicy(
            step_days=(
                (DunningStep.REMINDER_1, 10),
                (DunningStep.REMINDER_2, 5),
                (DunningStep.LETTER, 30),
                (DunningStep.REFERRAL, 45),
            )
        )


def test_oldest_unpaid_settles_the_oldest_debts_first() -> None:
    lines = [
        line(date(2026, 1, 5), 50000),
        line(date(2026, 1, 7), -50000, LineKind.PAYMENT),
        line(date(2026, 2, 5), 50000),
        line(date(2026, 2, 20), -20000, LineKind.PAYMENT),  # partial: February still owed
        line(date(2026, 3, 5), 50000),
    ]
    assert oldest_unpaid_due_date(lines) == date(2026, 2, 5)
    # March alone is owed once February is fully paid
    assert oldest_unpaid_due_date([*lines, line(date(2026, 3, 6), -30000)]) == date(2026, 3, 5)
    # nothing owed
    assert oldest_unpaid_due_date([*lines, line(date(2026, 3, 8), -80000)]) is None
    assert oldest_unpaid_due_date([]) is None


def test_a_reversed_direct_debit_is_a_debt_of_its_own_date() -> None:
    lines = [
        line(date(2026, 3, 5), 50000),
        line(date(2026, 3, 5), -50000, LineKind.PAYMENT),
        line(date(2026, 3, 12), 50000, LineKind.REVERSAL),
    ]
    assert oldest_unpaid_due_date(lines) == date(2026, 3, 12)


def test_case_ids_are_deterministic_and_safe_as_execution_names() -> None:
    a = case_id_for("org-1", "LEASE:0001#A", date(2026, 3, 20))
    assert a == case_id_for("org-1", "LEASE:0001#A", date(2026, 3, 20))
    assert a != case_id_for("org-2", "LEASE:0001#A", date(2026, 3, 20))
    assert a != case_id_for("org-1", "LEASE:0001#A", date(2026, 3, 21))
    assert a.startswith("20260320-")
    assert len(a) <= 80
    assert a.replace("-", "").isalnum()


def test_open_case_records_its_opening() -> None:
    case = open_case("org", "L1", 60000, date(2026, 3, 5), NOW)
    assert case.is_open
    assert case.case_id == case_id_for("org", "L1", NOW.date())
    assert case.has_done("opened")
    assert not case.has_done("reminder_1")
    with pytest.raises(ValidationError):
        open_case("org", "L1", 60000, None, datetime(2026, 3, 20))  # naive
