"""The dunning steps: open cases, check balances, remind, write, refer, close.

Each step re-reads the lease (the balance may have moved since the workflow
started), does nothing twice (a step already in the case's history is not
redone, so a retried Lambda sends no second message) and records what it did.
Personal data (addresses, numbers) never goes into a log or a case record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from functions.core.dunning import (
    CaseEvent,
    CloseReason,
    DunningCase,
    DunningPolicy,
    DunningStep,
    oldest_unpaid_due_date,
    open_case,
)
from functions.core.epc_qr import epc_payload
from functions.core.errors import RecipientRejectedError, ValidationError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine
from functions.core.messages import (
    DebtNotice,
    Email,
    Landlord,
    Letter,
    dunning_letter,
    payment_link,
    referral_email,
    referral_sms,
    reminder_email,
    reminder_sms,
    sms_number,
)
from functions.core.organisation import Organisation

logger = Logger(child=True)


# ---------------------------------------------------------------- roles


class Organisations(Protocol):
    def list_ids(self) -> list[str]: ...
    def get(self, org_id: str) -> Organisation: ...


class Leases(Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...
    def iter_all(self, org_id: str) -> Iterable[Lease]: ...


class Ledger(Protocol):
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]: ...


class OpenCase(Protocol):
    @property
    def case_id(self) -> str: ...
    @property
    def started(self) -> bool: ...
    @property
    def held(self) -> bool: ...


class Cases(Protocol):
    def open(self, case: DunningCase) -> tuple[DunningCase, bool]: ...
    def get(self, org_id: str, case_id: str) -> DunningCase: ...
    def open_cases(self, org_id: str) -> Mapping[str, OpenCase]: ...
    def set_execution(self, case: DunningCase, execution_arn: str) -> None: ...
    def record(self, org_id: str, case_id: str, event: CaseEvent) -> None: ...
    def close(self, case: DunningCase, reason: CloseReason, event: CaseEvent) -> bool: ...
    def release(self, org_id: str, lease_id: str, case_id: str) -> bool: ...


class Started(Protocol):
    @property
    def execution_arn(self) -> str: ...
    @property
    def started(self) -> bool: ...


class Workflows(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> Started: ...


class Mailer(Protocol):
    def send(self, to: str, email: Email) -> str: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> str: ...


class Documents(Protocol):
    def put_pdf(self, key: str, body: bytes, *, for_print: bool) -> None: ...


# (letter, landlord name, EPC QR payload) → PDF bytes
RenderLetter = Callable[[Letter, str, str], bytes]


# ---------------------------------------------------------------- the service


@dataclass
class DunningService:
    orgs: Organisations
    leases: Leases
    ledger: Ledger
    cases: Cases
    workflows: Workflows
    mailer: Mailer
    sms: SmsSender
    documents: Documents
    render_letter: RenderLetter
    portal_base_url: str
    policy: DunningPolicy = field(default_factory=DunningPolicy)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def policy_of(self, org_id: str) -> DunningPolicy:
        """The organisation's own dunning policy, or the platform's."""
        return self.orgs.get(org_id).dunning or self.policy

    # -------------------------------------------------------------- daily run

    def open_cases(self, org_ids: Sequence[str] | None = None) -> dict[str, int]:
        """Open a case and start its workflow for every lease in arrears without one.

        Every organisation, or only ``org_ids`` (a re-run for one landlord).

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
            policy = self.policy_of(org_id)
            for lease in self.leases.iter_all(org_id):
                in_arrears = policy.in_arrears(lease.balance_cents)
                ref = open_by_lease.get(lease.lease_id)
                if ref is not None and ref.held:
                    if in_arrears:
                        counts["held"] += 1
                    else:
                        counts["released"] += self.cases.release(
                            org_id, lease.lease_id, ref.case_id
                        )
                    continue
                if not in_arrears:
                    continue
                counts["in_arrears"] += 1
                if ref is not None:
                    counts["open"] += 1
                    if not ref.started:
                        case = self.cases.get(org_id, ref.case_id)
                        counts["started"] += self._start(case, today)
                    continue
                oldest = oldest_unpaid_due_date(self.ledger.lines(org_id, lease.lease_id))
                if not policy.should_open(lease.balance_cents, oldest, today):
                    continue
                new = open_case(org_id, lease.lease_id, lease.balance_cents, oldest, self.clock())
                case, created = self.cases.open(new)
                counts["opened"] += created
                if case.is_open and case.execution_arn is None:
                    counts["started"] += self._start(case, today)
        logger.info("dunning cases opened", extra=counts)
        return counts

    def _start(self, case: DunningCase, today: date) -> int:
        delays = self.policy_of(case.org_id).delays(case.oldest_unpaid, today)
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

    # -------------------------------------------------------------- workflow steps

    def check_balance(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        """``in_arrears`` is False once the debt is at or below the threshold, or the
        case was closed meanwhile (by staff: a payment plan agreed …)."""
        case = self._case(org_id, lease_id, case_id)
        lease = self.leases.get(org_id, lease_id)
        in_arrears = case.is_open and self.policy_of(org_id).in_arrears(lease.balance_cents)
        if case.is_open:
            self.cases.record(
                org_id,
                case_id,
                CaseEvent(
                    "balance_checked",
                    self.clock(),
                    {"balance_cents": lease.balance_cents, "in_arrears": in_arrears},
                ),
            )
        return {"in_arrears": in_arrears, "balance_cents": lease.balance_cents}

    def send_reminder(self, org_id: str, lease_id: str, case_id: str, level: int) -> dict[str, Any]:
        if level not in (1, 2):
            raise ValidationError("level", "a reminder is of level 1 or 2")
        step = (DunningStep.REMINDER_1 if level == 1 else DunningStep.REMINDER_2).value
        case = self._case(org_id, lease_id, case_id)
        if not case.is_open or case.has_done(step):
            return {"step": step, "skipped": True}
        org, lease = self.orgs.get(org_id), self.leases.get(org_id, lease_id)
        notice, landlord = self._notice(org, lease, case), Landlord(org.name)
        outcome = self._send(
            lease,
            reminder_email(level, notice, landlord),
            reminder_sms(level, notice, landlord),
        )
        self._record(case, step, {"balance_cents": lease.balance_cents, **outcome})
        return {"step": step, **outcome}

    def send_letter(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        """The mise en demeure as a PDF in the tenant's safe; on paper unless the tenant
        agreed to e-delivery."""
        step = DunningStep.LETTER.value
        case = self._case(org_id, lease_id, case_id)
        if not case.is_open or case.has_done(step):
            return {"step": step, "skipped": True}
        org, lease = self.orgs.get(org_id), self.leases.get(org_id, lease_id)
        today = self.clock().date()
        letter = dunning_letter(self._notice(org, lease, case), Landlord(org.name), today)
        qr = epc_payload(
            name=org.name,
            iban=lease.viban,
            amount_cents=lease.balance_cents,
            rf_reference=lease.rf_reference,
            bic=org.viban_range.bic,
        )
        pdf = self.render_letter(letter, org.name, qr)
        key = f"{org_id}/{lease_id}/{today.isoformat()}-relance.pdf"
        for_print = not lease.e_delivery_consent
        self.documents.put_pdf(key, pdf, for_print=for_print)
        detail = {
            "balance_cents": lease.balance_cents,
            "document_key": key,
            "delivery": "print" if for_print else "safe",
        }
        self._record(case, step, detail)
        return {"step": step, **detail}

    def refer_social(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        """Hands the case to the social adviser and tells the tenant who will call."""
        step = DunningStep.REFERRAL.value
        case = self._case(org_id, lease_id, case_id)
        if not case.is_open or case.has_done(step):
            return {"step": step, "skipped": True}
        org, lease = self.orgs.get(org_id), self.leases.get(org_id, lease_id)
        notice, landlord = self._notice(org, lease, case), Landlord(org.name)
        outcome = self._send(
            lease, referral_email(notice, landlord), referral_sms(notice, landlord)
        )
        self._record(
            case, step, {"balance_cents": lease.balance_cents, "social_follow_up": True, **outcome}
        )
        return {"step": step, **outcome}

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
        case = self._case(org_id, lease_id, case_id)
        detail: dict[str, str | int | bool] = {"reason": why.value}
        lease = self.leases.get(org_id, lease_id)
        detail["balance_cents"] = lease.balance_cents
        if error:
            # Step Functions' {"Error", "Cause"}: our errors carry no personal data.
            detail["error"] = str(error.get("Error", ""))[:200]
            detail["cause"] = str(error.get("Cause", ""))[:1000]
        closed = self.cases.close(case, why, CaseEvent("closed", self.clock(), detail))
        logger.info("dunning case closed", extra={"case_id": case_id, "reason": why.value})
        return {"closed": closed, "reason": why.value}

    # -------------------------------------------------------------- helpers

    def _case(self, org_id: str, lease_id: str, case_id: str) -> DunningCase:
        case = self.cases.get(org_id, case_id)
        if case.lease_id != lease_id:
            raise ValidationError("lease_id", f"case {case_id} is not of lease {lease_id}")
        return case

    def _record(self, case: DunningCase, step: str, detail: dict[str, Any]) -> None:
        self.cases.record(case.org_id, case.case_id, CaseEvent(step, self.clock(), detail))

    def _notice(self, org: Organisation, lease: Lease, case: DunningCase) -> DebtNotice:
        return DebtNotice(
            tenant_names=lease.tenant_names,
            address_lines=(lease.unit, lease.residence, lease.commune),
            amount_cents=lease.balance_cents,
            iban=lease.viban,
            rf_reference=lease.rf_reference,
            payment_url=payment_link(self.portal_base_url, lease.rf_reference),
            bic=org.viban_range.bic,
            oldest_unpaid=case.oldest_unpaid,
            receives_apl=lease.apl_cents > 0,
        )

    def _send(self, lease: Lease, email: Email, sms: str) -> dict[str, int | bool]:
        """Every tenant of the lease, on every channel they have; counts only."""
        emails = {t.email.strip().lower() for t in lease.tenants if t.email and t.email.strip()}
        phones = {p for p in (sms_number(t.phone) for t in lease.tenants) if p}
        sent = {"emails_sent": 0, "sms_sent": 0, "rejected": 0}
        for address in sorted(emails):
            try:
                self.mailer.send(address, email)
                sent["emails_sent"] += 1
            except RecipientRejectedError as e:
                sent["rejected"] += 1
                logger.warning("e-mail rejected", extra={"lease_id": lease.lease_id, "why": str(e)})
        for phone in sorted(phones):
            try:
                self.sms.send(phone, sms)
                sent["sms_sent"] += 1
            except RecipientRejectedError as e:
                sent["rejected"] += 1
                logger.warning("SMS rejected", extra={"lease_id": lease.lease_id, "why": str(e)})
        return {**sent, "no_channel": not emails and not phones}
