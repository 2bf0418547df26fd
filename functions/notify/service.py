"""The dunning steps: open cases, check balances, remind, write, refer, close.

:class:`DunningService` answers the notify function's actions (the dunning state
machine's tasks and the daily run) and hands each to the unit that does it:

- ``cases.CaseOpening``: the daily run opens cases and starts their workflows
  (``cases.CaseLauncher``) for the leases ``cases.Arrears`` finds in debt;
- ``cases.CaseState``: the balance checked between steps, the closing;
- ``reminders.Reminders``, ``reminders.FormalLetters``, ``reminders.Referral``: what the
  tenant is told, by e-mail and SMS or by letter (``reminders.Debtors`` reads the
  lease and writes the debt notice, ``reminders.TenantChannels`` sends).

Each step re-reads the lease (the balance may have moved since the workflow
started), does nothing twice (a step already in the case's history is not
redone, so a retried Lambda sends no second message) and records what it did.
Personal data (addresses, numbers) never goes into a log or a case record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.core.dunning import DunningPolicy
from functions.notify.cases import (
    Arrears,
    CaseFile,
    CaseLauncher,
    CaseOpening,
    CaseState,
    DunningPolicies,
)
from functions.notify.reminders import (
    Debtors,
    FormalLetters,
    Referral,
    Reminders,
    TenantChannels,
)
from functions.notify.roles import (
    Cases,
    Clock,
    Documents,
    Leases,
    Ledger,
    Mailer,
    Organisations,
    RenderLetter,
    SmsSender,
    Workflows,
)


@dataclass
class DunningService:
    """The notify function's actions, one method each, as the state machine calls them."""

    opening: CaseOpening
    state: CaseState
    reminders: Reminders
    letters: FormalLetters
    referral: Referral

    def open_cases(self, org_ids: Sequence[str] | None = None) -> dict[str, int]:
        return self.opening.open_cases(org_ids)

    def check_balance(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        return self.state.check_balance(org_id, lease_id, case_id)

    def send_reminder(self, org_id: str, lease_id: str, case_id: str, level: int) -> dict[str, Any]:
        return self.reminders.send_reminder(org_id, lease_id, case_id, level)

    def send_letter(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        return self.letters.send_letter(org_id, lease_id, case_id)

    def refer_social(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        return self.referral.refer_social(org_id, lease_id, case_id)

    def close_case(
        self,
        org_id: str,
        lease_id: str,
        case_id: str,
        reason: str,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self.state.close_case(org_id, lease_id, case_id, reason, error)


def dunning_service(
    *,
    orgs: Organisations,
    leases: Leases,
    ledger: Ledger,
    cases: Cases,
    workflows: Workflows,
    mailer: Mailer,
    sms: SmsSender,
    documents: Documents,
    render_letter: RenderLetter,
    portal_base_url: str,
    policy: DunningPolicy | None = None,
    clock: Clock = lambda: datetime.now(UTC),
) -> DunningService:
    """The units wired together on these repositories and gateways (the composition
    root's and the tests' one way to build the service)."""
    policies = DunningPolicies(orgs, policy or DunningPolicy())
    case_file = CaseFile(cases, clock)
    debtors = Debtors(orgs, leases, portal_base_url)
    channels = TenantChannels(mailer, sms)
    return DunningService(
        opening=CaseOpening(
            orgs,
            Arrears(leases, ledger, policies),
            cases,
            CaseLauncher(cases, workflows, policies),
            clock,
        ),
        state=CaseState(case_file, leases, policies),
        reminders=Reminders(case_file, debtors, channels),
        letters=FormalLetters(case_file, debtors, render_letter, documents, clock),
        referral=Referral(case_file, debtors, channels),
    )
