"""Dunning (recouvrement amiable): when a lease's arrears open a case, and its steps.

French social landlords run the amicable phase in a few steps counted from the
oldest unpaid due date (J): a friendly reminder around J+10, a second one around
J+20, a formal letter (mise en demeure) around J+30, then an orientation to the
landlord's social adviser (payment plan, FSL, CCAPEX) around J+45. A case ends
as soon as the debt is paid or falls to the threshold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from functions.core.errors import ValidationError
from functions.core.ledger import LedgerLine

DAY_SECONDS = 86_400


class DunningStep(StrEnum):
    """The steps of a case, in order; values are the keys of the workflow's ``delays``."""

    REMINDER_1 = "reminder_1"
    REMINDER_2 = "reminder_2"
    LETTER = "letter"
    REFERRAL = "referral"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    PAID = "paid"  # paid, or down to the threshold
    REFERRED = "referred"  # handed to the social adviser
    ERROR = "error"  # a step failed; see the case history and the execution
    MANUAL = "manual"  # closed by staff (payment plan agreed …)


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """When a case opens and when each step happens.

    ``threshold_cents``: a debt at or below it opens no case and ends an open one
    (small differences — a rounding, a late APL — are not worth a reminder).
    ``grace_days``: days after the oldest unpaid due date before a case opens.
    ``step_days``: day of each step counted from the oldest unpaid due date (J+n).
    """

    threshold_cents: int = 2_000
    grace_days: int = 5
    step_days: tuple[tuple[DunningStep, int], ...] = (
        (DunningStep.REMINDER_1, 10),
        (DunningStep.REMINDER_2, 20),
        (DunningStep.LETTER, 30),
        (DunningStep.REFERRAL, 45),
    )

    def __post_init__(self) -> None:
        if self.threshold_cents < 0:
            raise ValidationError("threshold_cents", "must not be negative")
        if self.grace_days < 0:
            raise ValidationError("grace_days", "must not be negative")
        if [s for s, _ in self.step_days] != list(DunningStep):
            raise ValidationError("step_days", f"must list the steps in order: {list(DunningStep)}")
        days = [d for _, d in self.step_days]
        if days != sorted(days) or days[0] < 0:
            raise ValidationError("step_days", "days must be non-negative and not decrease")

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold_cents": self.threshold_cents,
            "grace_days": self.grace_days,
            "step_days": {step.value: day for step, day in self.step_days},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DunningPolicy:
        """A policy from its stored or posted form (missing keys keep their defaults)."""
        data = data or {}
        default = cls()
        days = dict(default.to_dict()["step_days"]) | dict(data.get("step_days") or {})
        unknown = set(days) - {s.value for s in DunningStep}
        if unknown:
            raise ValidationError("step_days", f"unknown steps {sorted(unknown)}")
        try:
            return cls(
                threshold_cents=int(data.get("threshold_cents", default.threshold_cents)),
                grace_days=int(data.get("grace_days", default.grace_days)),
                step_days=tuple((s, int(days[s.value])) for s in DunningStep),
            )
        except (TypeError, ValueError) as e:
            if isinstance(e, ValidationError):
                raise
            raise ValidationError("dunning", f"whole numbers of cents and days ({e})") from e

    def in_arrears(self, balance_cents: int) -> bool:
        """True while the debt is above the threshold (an open case goes on)."""
        return balance_cents > self.threshold_cents

    def should_open(self, balance_cents: int, oldest_unpaid: date | None, today: date) -> bool:
        """True if a lease with this balance needs a case today.

        ``oldest_unpaid`` is None when no dated debit explains the balance (an
        opening balance taken over from the ERP): the grace period is then over.
        """
        if not self.in_arrears(balance_cents):
            return False
        return oldest_unpaid is None or today >= oldest_unpaid + timedelta(days=self.grace_days)

    def delays(self, oldest_unpaid: date | None, today: date) -> dict[str, int]:
        """Seconds to wait before each step, each counted from the previous step.

        The first step waits until J+n (not at all if that day is past); the
        following ones keep their spacing, so a case opened late never sends two
        steps on the same day.
        """
        first_day = self.step_days[0][1]
        start = oldest_unpaid or today
        first_wait = max(0, (start + timedelta(days=first_day) - today).days)
        out: dict[str, int] = {self.step_days[0][0].value: first_wait * DAY_SECONDS}
        for (_, before), (step, day) in zip(self.step_days, self.step_days[1:], strict=False):
            out[step.value] = (day - before) * DAY_SECONDS
        return out


def oldest_unpaid_due_date(lines: Iterable[LedgerLine]) -> date | None:
    """Date of the oldest debit not yet covered, payments settling the oldest debts first.

    None if the account is not in debt. Debits (rent calls, reversals) are
    positive lines; payments are negative.
    """
    lines = list(lines)
    balance = sum(line.amount_cents for line in lines)
    if balance <= 0:
        return None
    debits = sorted((line for line in lines if line.amount_cents > 0), key=lambda x: x.date)
    remaining = balance
    for line in reversed(debits):
        remaining -= line.amount_cents
        if remaining <= 0:
            return line.date
    return debits[0].date if debits else None


def case_id_for(org_id: str, lease_id: str, opened_on: date) -> str:
    """Deterministic case id, usable as a Step Functions execution name.

    Execution names are unique per state machine across organisations and refuse
    characters lease ids may hold (``:``, ``#``): the id hashes what identifies the case.
    """
    digest = hashlib.sha256(f"{org_id}\x00{lease_id}\x00{opened_on.isoformat()}".encode())
    return f"{opened_on:%Y%m%d}-{digest.hexdigest()[:24]}"


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of a case's history: a step done, a message sent, the closing."""

    step: str
    at: datetime
    detail: dict[str, str | int | bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DunningCase:
    org_id: str
    case_id: str
    lease_id: str
    opened_at: datetime
    balance_at_opening_cents: int
    oldest_unpaid: date | None = None
    status: CaseStatus = CaseStatus.OPEN
    execution_arn: str | None = None
    closed_at: datetime | None = None
    close_reason: CloseReason | None = None
    history: tuple[CaseEvent, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN

    def has_done(self, step: str) -> bool:
        return any(event.step == step for event in self.history)


def open_case(
    org_id: str,
    lease_id: str,
    balance_cents: int,
    oldest_unpaid: date | None,
    now: datetime,
) -> DunningCase:
    """A new case for a lease in arrears (``now`` must be timezone-aware)."""
    if now.tzinfo is None:
        raise ValidationError("now", "naive datetime")
    return DunningCase(
        org_id=org_id,
        case_id=case_id_for(org_id, lease_id, now.date()),
        lease_id=lease_id,
        opened_at=now,
        balance_at_opening_cents=balance_cents,
        oldest_unpaid=oldest_unpaid,
        history=(CaseEvent("opened", now, {"balance_cents": balance_cents}),),
    )
