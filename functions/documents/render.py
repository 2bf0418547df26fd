"""Tenant documents as HTML from the templates in ``templates/``, then PDF (WeasyPrint).

Templates use ``${name}`` placeholders (``string.Template``): every value is
HTML-escaped except those whose name ends in ``_html``, built here from escaped
parts. WeasyPrint is imported on the first PDF, not when a function starts.
"""

from __future__ import annotations

import re
import threading
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from functools import cache
from html import escape
from pathlib import Path
from string import Template
from typing import Any

from functions.core.documents import (
    TITLES,
    AmountLine,
    DocumentKind,
    NoticeAmounts,
    Settlement,
    document_number,
    euros,
    period_label,
)
from functions.core.epc_qr import epc_payload
from functions.core.lease import Lease, PaymentMethod
from functions.core.messages import format_date_fr
from functions.core.organisation import Organisation
from functions.core.viban import Rib

TEMPLATES = Path(__file__).parent / "templates"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LOGO = re.compile(r"^data:image/(png|svg\+xml|jpeg);base64,[A-Za-z0-9+/=]+$")


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def fill(name: str, **values: str) -> str:
    return _template(name).substitute(
        {k: v if k.endswith("_html") else escape(v) for k, v in values.items()}
    )


def qr_data_uri(payload: str) -> str:
    """An EPC QR code as an SVG data URI (error level M, as EPC069-12 requires)."""
    import segno  # on first use: ~0.07 s of a cold start otherwise

    qr = segno.make(payload, error="m", micro=False, boost_error=False, encoding="utf-8")
    return str(qr.svg_data_uri(scale=4, border=2))


@dataclass(frozen=True, slots=True)
class Parties:
    """Who the document is from and to, and the lease it is about."""

    org: Organisation
    lease: Lease

    def housing(self) -> str:
        return f"{self.lease.unit}, {self.lease.residence}, {self.lease.commune}"

    def recipient_lines(self) -> tuple[str, ...]:
        return recipient_lines(self.lease)


def recipient_lines(lease: Lease) -> tuple[str, ...]:
    """The tenants' names and postal address, as printed in the envelope's window."""
    address = lease.postal_address
    if address is not None:
        return (lease.tenant_names, *address.printed_lines())
    return (lease.tenant_names, lease.unit, lease.residence, lease.commune)


def _page(kind: DocumentKind, parties: Parties, doc_id: str, issued: date, body_html: str) -> str:
    org, lease = parties.org, parties.lease
    b = org.branding
    css = fill("documents.css")
    logo = (
        f'<img class="logo" src="{b.logo}" alt="{escape(org.name)}">'
        if b.logo and _LOGO.match(b.logo)
        else ""
    )
    address = "".join(
        f"<div>{escape(line)}</div>"
        for line in (org.address.printed_lines() if org.address else ())
    )
    contact = " · ".join(
        escape(x)
        for x in (
            f"Téléphone : {b.contact_phone}" if b.contact_phone else "",
            f"Courriel : {b.contact_email}" if b.contact_email else "",
            b.website or "",
        )
        if x
    )
    return fill(
        "base.html",
        title=TITLES[kind],
        number=document_number(doc_id),
        primary=b.primary_colour if _COLOUR.match(b.primary_colour) else "#1d4f91",
        accent=b.accent_colour if _COLOUR.match(b.accent_colour) else "#b3541e",
        css_html=css,
        legal_mentions=b.legal_mentions or org.name,
        logo_html=logo,
        landlord_name=org.name,
        landlord_address_html=address,
        recipient_html="<br>".join(escape(x) for x in parties.recipient_lines()),
        issue_date=format_date_fr(issued),
        lease_id=lease.lease_id,
        housing=parties.housing(),
        body_html=body_html,
        contact_html=contact,
    )


def notice_qr_payload(org: Organisation, lease: Lease, amount_cents: int, period: str) -> str:
    """The EPC QR payload of a notice: the lease's vIBAN, the amount due, the RF reference."""
    return epc_payload(
        name=org.name,
        iban=lease.viban,
        amount_cents=amount_cents,
        rf_reference=lease.rf_reference,
        bic=org.viban_range.bic,
        note=f"Loyer {period_label(period)}",
    )


def notice_amounts(lease: Lease, previous_balance_cents: int) -> NoticeAmounts:
    """A month's notice from the lease's terms."""
    return NoticeAmounts(
        lines=(
            AmountLine("Loyer", lease.rent_cents),
            AmountLine("Charges (provisions)", lease.charges_cents),
        ),
        aid_cents=lease.aid_paid_to_landlord_cents,
        previous_balance_cents=previous_balance_cents,
    )


def avis_echeance_html(
    parties: Parties,
    *,
    doc_id: str,
    period: str,
    due_date: date,
    issued: date,
    amounts: NoticeAmounts,
) -> str:
    org, lease = parties.org, parties.lease
    rows = [(line.label, line.amount_cents) for line in amounts.lines]
    if amounts.aid_cents:
        rows.append(("Aide au logement versée au bailleur (APL/AL)", -amounts.aid_cents))
    if amounts.previous_balance_cents > 0:
        rows.append(("Solde restant dû à ce jour", amounts.previous_balance_cents))
    elif amounts.previous_balance_cents < 0:
        rows.append(("Solde en votre faveur", amounts.previous_balance_cents))
    lines_html = "".join(
        f'<tr><td>{escape(label)}</td><td class="num">{escape(euros(cents))}</td></tr>'
        for label, cents in rows
    )
    due = amounts.amount_due_cents
    if due == 0:
        payment = fill("pay_nothing.html")
    elif lease.payment_method is PaymentMethod.DIRECT_DEBIT:
        mandate = lease.mandate.rum if lease.mandate else (lease.mandate_id or "")
        payment = fill(
            "pay_debit.html",
            amount_due=euros(due),
            due_date=format_date_fr(due_date),
            mandate=mandate,
        )
    else:
        qr = notice_qr_payload(org, lease, due, period)
        payment = fill(
            "pay_transfer.html",
            beneficiary=org.name,
            iban=_spaced(lease.viban),
            bic=org.viban_range.bic or "",
            rf=lease.rf_reference,
            amount_due=euros(due),
            qr_html=f'<img src="{qr_data_uri(qr)}" alt="QR code de paiement">',
        )
    body = fill(
        "avis_echeance.html",
        period_label=period_label(period),
        lines_html=lines_html,
        due_date=format_date_fr(due_date),
        amount_due=euros(due),
        payment_html=payment,
    )
    return _page(DocumentKind.AVIS_ECHEANCE, parties, doc_id, issued, body)


def quittance_html(
    parties: Parties,
    *,
    doc_id: str,
    settled: Settlement,
    rent_cents: int,
    charges_cents: int,
    aid_cents: int,
    issued: date,
) -> str:
    """A quittance: only for a fully paid period, rent and charges shown apart."""
    if not settled.fully_paid:
        raise ValueError("a quittance is only for a fully paid period")
    year, month = (int(x) for x in settled.period.split("-"))
    aid = (
        f'<tr><td>Aide au logement versée au bailleur (APL/AL)</td><td class="num">'
        f"{escape(euros(-aid_cents))}</td></tr>"
        if aid_cents
        else ""
    )
    body = fill(
        "quittance.html",
        landlord_name=parties.org.name,
        tenant_names=parties.lease.tenant_names,
        paid=euros(settled.paid_cents),
        period_label=period_label(settled.period),
        rent=euros(rent_cents),
        charges=euros(charges_cents),
        aid_html=aid,
        period_start=format_date_fr(date(year, month, 1)),
        period_end=format_date_fr(date(year, month, monthrange(year, month)[1])),
    )
    return _page(DocumentKind.QUITTANCE, parties, doc_id, issued, body)


def recu_html(parties: Parties, *, doc_id: str, settled: Settlement, issued: date) -> str:
    """A receipt of a partial payment (never a quittance)."""
    body = fill(
        "recu.html",
        landlord_name=parties.org.name,
        tenant_names=parties.lease.tenant_names,
        paid=euros(settled.paid_cents),
        due=euros(settled.due_cents),
        remaining=euros(settled.due_cents - settled.paid_cents),
        period_label=period_label(settled.period),
    )
    return _page(DocumentKind.RECU, parties, doc_id, issued, body)


def rib_html(parties: Parties, *, doc_id: str, issued: date) -> str:
    """The RIB nominatif of the lease's vIBAN: the landlord holds the account."""
    org, lease = parties.org, parties.lease
    rib = Rib.from_iban(lease.viban, org.viban_range.bic)
    body = fill(
        "rib.html",
        housing=parties.housing(),
        lease_id=lease.lease_id,
        beneficiary=org.name,
        bank_code=rib.bank_code,
        branch_code=rib.branch_code,
        account_number=rib.account_number,
        key=rib.key,
        iban=_spaced(rib.iban),
        bic=rib.bic or "",
        rf=lease.rf_reference,
    )
    return _page(DocumentKind.RIB, parties, doc_id, issued, body)


def _spaced(iban: str) -> str:
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# WeasyPrint builds a new font configuration (Fontconfig's configuration and fonts, a
# Pango font map) for every document it is not given one: about 0.1 s of CPU, and 250 to
# 430 KB of C memory (measured with mallinfo2; not Python objects) that is never given
# back, so a worker issuing a month's quittances grew by hundreds of megabytes. One
# configuration serves every document of the process. Pango's font map is not
# thread-safe, so a process renders one document at a time (the API's threads, the
# in-process functions of the tests).
_RENDERING = threading.Lock()


@cache
def font_configuration() -> Any:
    """The process's one WeasyPrint font configuration (our templates add no font)."""
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

    return FontConfiguration()


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # slow: only when rendering

    with _RENDERING:
        document = HTML(string=html, base_url=str(TEMPLATES))
        pdf: bytes = document.write_pdf(font_config=font_configuration())
    return pdf
