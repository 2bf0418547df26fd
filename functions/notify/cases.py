"""A dunning case's life: opened by the daily run for a lease in arrears, its workflow
started, its balance checked between steps, closed.

Each unit here has at most five collaborators; :mod:`functions.notify.service` puts
them together behind the notify function's actions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aws_lambda_powertools import Logger

from functions.core.dunning import (
    CaseEvent,
    CloseReason,
    DunningCase,
    DunningPolicy,
    oldest_unpaid_due_date,
    open_case,
)
from functions.core.errors import ValidationError
from functions.core.lease import Lease
from functions.notify.roles import Cases, Clock, Leases, Ledger, Organisations, Workflows

logger = Logger(child=True)


@dataclass
class DunningPolicies:
    """The organisation's own dunning policy, or the platform's."""

    orgs: Organisations
    default: DunningPolicy = field(default_factory=DunningPolicy)

    def of(self, org_id: str) -> DunningPolicy:
        return self.orgs.get(org_id).dunning or self.default


@dataclass
class CaseFile:
    """A case as the workflow's steps see it: read for its lease, its history written.

    A step already in the history is not redone, so a retried Lambda sends no
    second message.
    """

    cases: Cases
    clock: Clock

    def get(self, org_id: str, lease_id: str, case_id: str) -> DunningCase:
        case = self.cases.get(org_id, case_id)
        if case.lease_id != lease_id:
            raise ValidationError("lease_id", f"case {case_id} is not of lease {lease_id}")
        return case

    def pending(self, org_id: str, lease_id: str, case_id: str, step: str) -> DunningCase | None:
        """The case if ``step`` is still to do: None once it is closed or the step done."""
        case = self.get(org_id, lease_id, case_id)
        return case if case.is_open and not case.has_done(step) else None

    def record(self, case: DunningCase, step: str, detail: dict[str, Any]) -> None:
        self.cases.record(case.org_id, case.case_id, CaseEvent(step, self.clock(), detail))

    def close(
        self, case: DunningCase, reason: CloseReason, detail: dict[str, str | int | bool]
    ) -> bool:
        return self.cases.close(case, reason, CaseEvent("closed", self.clock(), detail))


@dataclass(frozen=True, slots=True)
class Debt:
    """A lease's balance judged by its organisation's policy."""

    lease: Lease
    policy: DunningPolicy

    @property
    def in_arrears(self) -> bool:
        return self.policy.in_arrears(self.lease.balance_cents)


@dataclass
class Arrears:
    """Which leases owe enough for a case, and since when (their ledger)."""

    leases: Leases
    ledger: Ledger
    policies: DunningPolicies

    def debts(self, org_id: str) -> Iterator[Debt]:
        policy = self.policies.of(org_id)
        for lease in self.leases.iter_all(org_id):
            yield Debt(lease, policy)

    def due_for_a_case(self, debt: Debt, today: date) -> tuple[bool, date | None]:
        """Whether the debt needs a case today, and its oldest unpaid due date."""
        lease = debt.lease
        oldest = oldest_unpaid_due_date(self.ledger.lines(lease.org_id, lease.lease_id))
        return debt.policy.should_open(lease.balance_cents, oldest, today), oldest


@dataclass
class CaseLauncher:
    """Starts a case's workflow (named by the case id: started once) with its delays."""

    cases: Cases
    workflows: Workflows
    policies: DunningPolicies

    def start(self, case: DunningCase, today: date) -> int:
        """1 if this call started the execution, 0 if it had been started before."""
        delays = self.policies.of(case.org_id).delays(case.oldest_unpaid, today)
        started = self.workflows.start(
            case.case_id,
            {
                "org_id": case.org_id,
                "lease_id": case.lease_id,
                "case_id": case.case_id,
                "delays": delays,
            },
        )
        self.cases.set_execution(case, started.execution_arn)
        return int(started.started)


@dataclass
class CaseOpening:
    """The daily run: a case, and its workflow, for every lease in arrears without one."""

    orgs: Organisations
    arrears: Arrears
    cases: Cases
    launcher: CaseLauncher
    clock: Clock

    def open_cases(self, org_ids: Sequence[str] | None = None) -> dict[str, int]:
        """Every organisation, or only ``org_ids`` (a re-run for one landlord).

        Safe to run twice: the open-case lock makes the second run find the case,
        and the execution name (the case id) makes it start once. A case opened
        by a run that stopped before starting its execution is started here.
        A lease held by a case closed without payment (referred to the social
        adviser …) gets no new case until its debt is cleared.
        """
        today = self.clock().date()
        counts = dict.fromkeys(
            ("organisations", "in_arrears", "opened", "started", "open", "held", "released"), 0
        )
        for org_id in self.orgs.list_ids() if org_ids is None else org_ids:
            counts["organisations"] += 1
            open_by_lease = self.cases.open_cases(org_id)
            for debt in self.arrears.debts(org_id):
                lease = debt.lease
                ref = open_by_lease.get(lease.lease_id)
                if ref is not None and ref.held:
                    if debt.in_arrears:
                        counts["held"] += 1
                    else:
                        counts["released"] += self.cases.release(
                            org_id, lease.lease_id, ref.case_id
                        )
                    continue
                if not debt.in_arrears:
                    continue
                counts["in_arrears"] += 1
                if ref is not None:
                    counts["open"] += 1
                    if not ref.started:
                        case = self.cases.get(org_id, ref.case_id)
                        counts["started"] += self.launcher.start(case, today)
                    continue
                due, oldest = self.arrears.due_for_a_case(debt, today)
                if not due:
                    continue
                new = open_case(org_id, lease.lease_id, lease.balance_cents, oldest, self.clock())
                case, created = self.cases.open(new)
                counts["opened"] += created
                if case.is_open and case.execution_arn is None:
                    counts["started"] += self.launcher.start(case, today)
        logger.info("dunning cases opened", extra=counts)
        return counts


@dataclass
class CaseState:
    """Between the steps: is the debt still there; and the closing of a case."""

    case_file: CaseFile
    leases: Leases
    policies: DunningPolicies

    def check_balance(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        """``in_arrears`` is False once the debt is at or below the threshold, or the
        case was closed meanwhile (by staff: a payment plan agreed …)."""
        case = self.case_file.get(org_id, lease_id, case_id)
        lease = self.leases.get(org_id, lease_id)
        in_arrears = case.is_open and self.policies.of(org_id).in_arrears(lease.balance_cents)
        if case.is_open:
            self.case_file.record(
                case,
                "balance_checked",
                {"balance_cents": lease.balance_cents, "in_arrears": in_arrears},
            )
        return {"in_arrears": in_arrears, "balance_cents": lease.balance_cents}

    def close_case(
        self,
        org_id: str,
        lease_id: str,
        case_id: str,
        reason: str,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            why = CloseReason(reason)
        except ValueError as e:
            raise ValidationError("reason", f"{reason!r} is not a reason to close") from e
        case = self.case_file.get(org_id, lease_id, case_id)
        detail: dict[str, str | int | bool] = {"reason": why.value}
        lease = self.leases.get(org_id, lease_id)
        detail["balance_cents"] = lease.balance_cents
        if error:
            # Step Functions' {"Error", "Cause"}: our errors carry no personal data.
            detail["error"] = str(error.get("Error", ""))[:200]
            detail["cause"] = str(error.get("Cause", ""))[:1000]
        closed = self.case_file.close(case, why, detail)
        logger.info("dunning case closed", extra={"case_id": case_id, "reason": why.value})
        return {"closed": closed, "reason": why.value}
