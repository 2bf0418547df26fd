"""What a dunning case tells the tenant: reminders by e-mail and SMS, the formal letter
(PDF with the payment link and the EPC QR code), the referral to the social adviser.

Personal data (addresses, numbers) never goes into a log or a case record: a step
records counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from functions.core.dunning import DunningCase, DunningStep
from functions.core.epc_qr import epc_payload
from functions.core.errors import RecipientRejectedError, ValidationError
from functions.core.lease import Lease
from functions.core.messages import (
    DebtNotice,
    Email,
    Landlord,
    dunning_letter,
    payment_link,
    referral_email,
    referral_sms,
    reminder_email,
    reminder_sms,
    sms_number,
)
from functions.core.organisation import Organisation
from functions.notify.cases import CaseFile
from functions.notify.roles import (
    Clock,
    Documents,
    Leases,
    Mailer,
    Organisations,
    RenderLetter,
    SmsSender,
)

logger = Logger(child=True)


@dataclass(frozen=True, slots=True)
class Debtor:
    """A case's lease and landlord as read for one step, and the debt as told to the tenant."""

    org: Organisation
    lease: Lease
    notice: DebtNotice

    @property
    def landlord(self) -> Landlord:
        return Landlord(self.org.name)


@dataclass
class Debtors:
    """Reads the lease and its landlord afresh (the balance may have moved since the
    workflow started) and writes the debt notice, with the tenant's payment link."""

    orgs: Organisations
    leases: Leases
    portal_base_url: str

    def of(self, case: DunningCase) -> Debtor:
        org = self.orgs.get(case.org_id)
        lease = self.leases.get(case.org_id, case.lease_id)
        notice = DebtNotice(
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
        return Debtor(org, lease, notice)


@dataclass
class TenantChannels:
    """Every tenant of a lease, on every channel they have (e-mail, SMS)."""

    mailer: Mailer
    sms: SmsSender

    def send(self, lease: Lease, email: Email, sms: str) -> dict[str, int | bool]:
        """Counts only; a refused address or number is counted, not raised."""
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


@dataclass
class Reminders:
    """The friendly reminders (levels 1 and 2), by e-mail and SMS."""

    case_file: CaseFile
    debtors: Debtors
    channels: TenantChannels

    def send_reminder(self, org_id: str, lease_id: str, case_id: str, level: int) -> dict[str, Any]:
        if level not in (1, 2):
            raise ValidationError("level", "a reminder is of level 1 or 2")
        step = (DunningStep.REMINDER_1 if level == 1 else DunningStep.REMINDER_2).value
        case = self.case_file.pending(org_id, lease_id, case_id, step)
        if case is None:
            return {"step": step, "skipped": True}
        debtor = self.debtors.of(case)
        outcome = self.channels.send(
            debtor.lease,
            reminder_email(level, debtor.notice, debtor.landlord),
            reminder_sms(level, debtor.notice, debtor.landlord),
        )
        self.case_file.record(case, step, {"balance_cents": debtor.lease.balance_cents, **outcome})
        return {"step": step, **outcome}


@dataclass
class FormalLetters:
    """The mise en demeure as a PDF in the tenant's safe; on paper unless the tenant
    agreed to e-delivery."""

    case_file: CaseFile
    debtors: Debtors
    render_letter: RenderLetter
    documents: Documents
    clock: Clock

    def send_letter(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        step = DunningStep.LETTER.value
        case = self.case_file.pending(org_id, lease_id, case_id, step)
        if case is None:
            return {"step": step, "skipped": True}
        debtor = self.debtors.of(case)
        org, lease = debtor.org, debtor.lease
        today = self.clock().date()
        letter = dunning_letter(debtor.notice, debtor.landlord, today)
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
        self.case_file.record(case, step, detail)
        return {"step": step, **detail}


@dataclass
class Referral:
    """Hands the case to the social adviser (payment plan, FSL, CCAPEX) and tells the
    tenant who will call."""

    case_file: CaseFile
    debtors: Debtors
    channels: TenantChannels

    def refer_social(self, org_id: str, lease_id: str, case_id: str) -> dict[str, Any]:
        step = DunningStep.REFERRAL.value
        case = self.case_file.pending(org_id, lease_id, case_id, step)
        if case is None:
            return {"step": step, "skipped": True}
        debtor = self.debtors.of(case)
        outcome = self.channels.send(
            debtor.lease,
            referral_email(debtor.notice, debtor.landlord),
            referral_sms(debtor.notice, debtor.landlord),
        )
        detail = {"balance_cents": debtor.lease.balance_cents, "social_follow_up": True}
        self.case_file.record(case, step, {**detail, **outcome})
        return {"step": step, **outcome}
