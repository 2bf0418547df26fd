"""Issuing, storing, listing and handing out tenant documents; consent to e-delivery.

Ports (protocols) are implemented by ``functions.adapters.documents``; rendering
is injected so tests and the benchmark can swap it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from functions.core.documents import (
    AmountLine,
    Consent,
    Delivery,
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
    NoticeAmounts,
    delivery_for,
    document_id,
    rent_call_period,
    require_fully_paid,
    settlement,
)
from functions.core.errors import NotFoundError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine, LineKind
from functions.core.organisation import Organisation
from functions.documents import render

URL_SECONDS = 300


class Orgs(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Leases(Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...


class Ledger(Protocol):
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]: ...


class Manifests(Protocol):
    def put_new(self, record: DocumentRecord) -> bool: ...
    def get(self, org_id: str, doc_id: str) -> DocumentRecord | None: ...
    def for_lease(self, org_id: str, lease_id: str) -> list[DocumentRecord]: ...
    def log_access(self, org_id: str, doc_id: str, who: str, at: datetime) -> None: ...
    def consent(self, org_id: str, lease_id: str) -> tuple[Consent | None, list[Consent]]: ...
    def put_consent(self, org_id: str, lease_id: str, consent: Consent) -> None: ...
    def consents(self, org_id: str) -> dict[str, Consent]: ...
    def set_status(self, org_id: str, doc_id: str, status: DocumentStatus) -> None: ...


class Notifier(Protocol):
    def notify(
        self, org: Organisation, lease: Lease, record: DocumentRecord, now: datetime
    ) -> bool: ...


class PdfStore(Protocol):
    def put(self, key: str, body: bytes) -> None: ...
    def presigned_get(self, key: str, expires_in: int, filename: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Issued:
    record: DocumentRecord
    created: bool


@dataclass(frozen=True, slots=True)
class Download:
    url: str
    expires_at: datetime


@dataclass
class DocumentService:
    orgs: Orgs
    leases: Leases
    ledger: Ledger
    manifests: Manifests
    store: PdfStore
    notifier: Notifier | None = None
    to_pdf: Callable[[str], bytes] = render.to_pdf
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    # ------------------------------------------------------------ issuing
    def _delivery(self, lease: Lease) -> Delivery:
        consent, _ = self.manifests.consent(lease.org_id, lease.lease_id)
        return delivery_for(consent, lease.e_delivery_consent)

    def _store(
        self, lease: Lease, doc_id: str, kind: DocumentKind, period: str | None, html: str
    ) -> Issued:
        pdf = self.to_pdf(html)
        delivery = self._delivery(lease)
        record = DocumentRecord(
            org_id=lease.org_id,
            lease_id=lease.lease_id,
            document_id=doc_id,
            kind=kind,
            period=period,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            created_at=self.clock(),
            delivery=delivery,
            status=(
                DocumentStatus.STORED
                if delivery is Delivery.SAFE
                else DocumentStatus.QUEUED_FOR_PRINT
            ),
            postcode=lease.postal_address.postcode if lease.postal_address else "",
        )
        # The object first: a manifest never points at a missing PDF. Same id, same key.
        self.store.put(record.object_key, pdf)
        created = self.manifests.put_new(record)
        if not created:
            existing = self.manifests.get(lease.org_id, doc_id)
            return Issued(existing or record, False)
        if delivery is Delivery.SAFE and self.notifier is not None:
            org = self.orgs.get(lease.org_id)
            if self.notifier.notify(org, lease, record, self.clock()):
                self.manifests.set_status(lease.org_id, doc_id, DocumentStatus.NOTIFIED)
                record = replace(record, status=DocumentStatus.NOTIFIED)
        return Issued(record, True)

    def issue_notice(
        self,
        org_id: str,
        lease_id: str,
        *,
        rent_call_id: str,
        period: str,
        due_date: date,
        rent_cents: int,
        charges_cents: int,
        apl_cents: int,
        previous_balance_cents: int,
    ) -> Issued:
        """The avis d'échéance of one rent call, once: a retry returns the first one."""
        doc_id = document_id(org_id, lease_id, DocumentKind.AVIS_ECHEANCE, rent_call_id)
        existing = self.manifests.get(org_id, doc_id)
        if existing is not None:
            return Issued(existing, False)
        org, lease = self.orgs.get(org_id), self.leases.get(org_id, lease_id)
        html = render.avis_echeance_html(
            render.Parties(org, lease),
            doc_id=doc_id,
            period=period,
            due_date=due_date,
            issued=self.clock().date(),
            amounts=NoticeAmounts(
                (
                    AmountLine("Loyer", rent_cents),
                    AmountLine("Charges (provisions)", charges_cents),
                ),
                apl_cents,
                previous_balance_cents,
            ),
        )
        return self._store(lease, doc_id, DocumentKind.AVIS_ECHEANCE, period, html)

    def issue_quittance(self, org_id: str, lease_id: str, period: str) -> Issued:
        """A quittance for a fully paid period (PeriodNotPaidError otherwise)."""
        lease = self.leases.get(org_id, lease_id)
        settled = require_fully_paid(self.ledger.lines(org_id, lease_id), period)
        doc_id = document_id(org_id, lease_id, DocumentKind.QUITTANCE, period)
        existing = self.manifests.get(org_id, doc_id)
        if existing is not None:
            return Issued(existing, False)
        org = self.orgs.get(org_id)
        rent, charges, aid = _split(lease, settled.due_cents)
        html = render.quittance_html(
            render.Parties(org, lease),
            doc_id=doc_id,
            settled=settled,
            rent_cents=rent,
            charges_cents=charges,
            aid_cents=aid,
            issued=self.clock().date(),
        )
        return self._store(lease, doc_id, DocumentKind.QUITTANCE, period, html)

    def issue_due_quittances(self, org_id: str, lease_id: str, last: int = 3) -> list[Issued]:
        """The quittances of the last ``last`` periods that are now fully paid (once each)."""
        lines = self.ledger.lines(org_id, lease_id)
        periods = sorted(
            {rent_call_period(x) for x in lines if x.kind is LineKind.RENT_CALL}, reverse=True
        )[:last]
        issued = []
        for period in sorted(periods):
            found = settlement(lines, period)
            if found is None or not found.fully_paid:
                continue
            doc_id = document_id(org_id, lease_id, DocumentKind.QUITTANCE, period)
            if self.manifests.get(org_id, doc_id) is None:
                issued.append(self.issue_quittance(org_id, lease_id, period))
        return issued

    def issue_rib(self, org_id: str, lease_id: str) -> Issued:
        lease = self.leases.get(org_id, lease_id)
        doc_id = document_id(org_id, lease_id, DocumentKind.RIB, lease.viban)
        existing = self.manifests.get(org_id, doc_id)
        if existing is not None:
            return Issued(existing, False)
        org = self.orgs.get(org_id)
        html = render.rib_html(
            render.Parties(org, lease), doc_id=doc_id, issued=self.clock().date()
        )
        return self._store(lease, doc_id, DocumentKind.RIB, None, html)

    # ------------------------------------------------------------ reading
    def list_for_lease(self, org_id: str, lease_id: str) -> list[DocumentRecord]:
        self.leases.get(org_id, lease_id)  # NotFoundError for another organisation's lease
        return self.manifests.for_lease(org_id, lease_id)

    def download(
        self, org_id: str, doc_id: str, *, who: str, lease_id: str | None = None
    ) -> Download:
        """A short-lived URL of the PDF; ``lease_id`` restricts a tenant to their own lease.

        Another organisation's or another tenant's document is "not found", so
        that ids cannot be probed; every access is logged with who and when.
        """
        record = self.manifests.get(org_id, doc_id)
        if record is None or (lease_id is not None and record.lease_id != lease_id):
            raise NotFoundError("document", doc_id)
        now = self.clock()
        url = self.store.presigned_get(record.object_key, URL_SECONDS, f"{doc_id}.pdf")
        self.manifests.log_access(org_id, doc_id, who, now)
        return Download(url, now + timedelta(seconds=URL_SECONDS))

    # ------------------------------------------------------------ consent
    def consent(self, org_id: str, lease_id: str) -> tuple[Consent | None, list[Consent], bool]:
        """Current consent, history, and whether documents go to the safe."""
        lease = self.leases.get(org_id, lease_id)
        current, history = self.manifests.consent(org_id, lease_id)
        return current, history, delivery_for(current, lease.e_delivery_consent) is Delivery.SAFE

    def record_consent(self, org_id: str, lease_id: str, consent: Consent) -> None:
        self.leases.get(org_id, lease_id)
        self.manifests.put_consent(org_id, lease_id, consent)

    def adoption(self, org_id: str, leases: Sequence[Lease]) -> list[dict[str, int | float | str]]:
        """E-delivery adoption by residence: leases, consents, share in per cent."""
        consents = self.manifests.consents(org_id)
        by: dict[str, list[int]] = {}
        for lease in leases:
            counts = by.setdefault(lease.residence, [0, 0])
            counts[0] += 1
            if delivery_for(consents.get(lease.lease_id), lease.e_delivery_consent) is (
                Delivery.SAFE
            ):
                counts[1] += 1
        return [
            {
                "residence": residence,
                "leases": n,
                "e_delivery": yes,
                "adoption_percent": round(100 * yes / n, 1) if n else 0,
            }
            for residence, (n, yes) in sorted(by.items())
        ]


def _split(lease: Lease, due_cents: int) -> tuple[int, int, int]:
    """Rent, charges and aid of a paid period, from the lease's terms.

    When the period's call differs from today's terms (a revision since), the
    difference is put on the rent line so the lines always add up to what was paid.
    """
    aid = lease.apl_cents
    charges = lease.charges_cents
    rent = due_cents - charges + aid
    if rent < 0:
        return due_cents + aid, 0, aid
    return rent, charges, aid
