"""Each document rendered to PDF: the QR code decoded from the page, the amounts from its text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from functions.core.documents import DocumentKind, Settlement, document_id
from functions.core.epc_qr import epc_payload
from functions.core.lease import PaymentMethod, Tenant
from functions.core.messages import DebtNotice, Landlord, dunning_letter
from functions.core.sepa import Mandate
from functions.documents.render import (
    Parties,
    avis_echeance_html,
    notice_amounts,
    quittance_html,
    recu_html,
    rib_html,
    to_pdf,
)
from functions.notify.letters import render_letter_pdf

from .conftest import ORG, VIBAN, decode_qr, make_lease, needs_poppler, pdf_text

ISSUED = date(2026, 11, 25)


def _avis(lease_changes: dict[str, object] | None = None, previous: int = 0) -> bytes:
    lease = make_lease(**(lease_changes or {}))
    doc = document_id(ORG.org_id, lease.lease_id, DocumentKind.AVIS_ECHEANCE, "rc-2026-12")
    html = avis_echeance_html(
        Parties(ORG, lease),
        doc_id=doc,
        period="2026-12",
        due_date=date(2026, 12, 5),
        issued=ISSUED,
        amounts=notice_amounts(lease, previous),
    )
    return to_pdf(html)


@needs_poppler
def test_avis_echeance_qr_holds_the_amount_due_and_the_rf_reference(tmp_path: Path) -> None:
    lease = make_lease()
    pdf = _avis(previous=2_000)
    codes = decode_qr(pdf, tmp_path)
    assert len(codes) == 1
    fields = codes[0].split("\n")
    # rent 482.50 + charges 91.30 - APL 150.00 + 20.00 still owed = 443.80
    assert fields[:10] == [
        "BCD",
        "002",
        "1",
        "SCT",
        "BNPAFRPP",
        "Habitat Rhône Social",
        VIBAN,
        "EUR443.80",
        "RENT",
        lease.rf_reference,
    ]
    assert fields[10] == ""  # never both a structured and an unstructured remittance
    assert fields[11] == "Loyer décembre 2026"

    text = pdf_text(pdf, tmp_path)
    for expected in (
        "Avis d'échéance",
        "Habitat Rhône Social",
        "Mme Aïcha Benali",
        "69100 VILLEURBANNE",
        "L-2024-0042",
        "décembre 2026",
        "482,50",
        "91,30",
        "-150,00",
        "20,00",
        "443,80",
        "5 décembre 2026",
        "BNPAFRPP",
        lease.rf_reference,
        "SIREN 123 456 789",
    ):
        assert expected in text, expected


@needs_poppler
def test_avis_for_direct_debit_says_it_will_be_debited_and_has_no_qr(tmp_path: Path) -> None:
    mandate = Mandate("RUM-0042", date(2024, 1, 1), "FR7630006000011234567890189", "A BENALI")
    pdf = _avis({"payment_method": PaymentMethod.DIRECT_DEBIT, "mandate": mandate})
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "sera prélevé le 5 décembre 2026" in text
    assert "RUM-0042" in text
    assert decode_qr(pdf, tmp_path) == []


@needs_poppler
def test_avis_with_a_credit_asks_for_nothing(tmp_path: Path) -> None:
    pdf = _avis(previous=-100_000)
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Rien à payer" in text
    assert decode_qr(pdf, tmp_path) == []


@needs_poppler
def test_quittance_shows_rent_and_charges_apart(tmp_path: Path) -> None:
    lease = make_lease()
    settled = Settlement("2026-11", 42_380, 42_380, date(2026, 11, 5))
    html = quittance_html(
        Parties(ORG, lease),
        doc_id=document_id(ORG.org_id, lease.lease_id, DocumentKind.QUITTANCE, "2026-11"),
        settled=settled,
        rent_cents=lease.rent_cents,
        charges_cents=lease.charges_cents,
        aid_cents=lease.apl_cents,
        issued=ISSUED,
    )
    text = " ".join(pdf_text(to_pdf(html), tmp_path).split())
    assert "Quittance de loyer" in text
    assert "Loyer 482,50" in text
    assert "Charges (provisions) 91,30" in text
    assert "423,80" in text
    assert "1er novembre 2026 au 30 novembre 2026" in text


@needs_poppler
def test_recu_shows_what_remains(tmp_path: Path) -> None:
    lease = make_lease()
    settled = Settlement("2026-11", 42_380, 20_000, date(2026, 11, 5))
    html = recu_html(
        Parties(ORG, lease),
        doc_id=document_id(ORG.org_id, lease.lease_id, DocumentKind.RECU, "2026-11"),
        settled=settled,
        issued=ISSUED,
    )
    text = " ".join(pdf_text(to_pdf(html), tmp_path).split())
    assert "Reçu de paiement" in text
    assert "Quittance" not in text
    assert "Reste à payer 223,80" in text


@needs_poppler
def test_rib_nominatif_names_the_landlord_and_the_lease_viban(tmp_path: Path) -> None:
    lease = make_lease()
    html = rib_html(
        Parties(ORG, lease),
        doc_id=document_id(ORG.org_id, lease.lease_id, DocumentKind.RIB, "rib"),
        issued=ISSUED,
    )
    text = " ".join(pdf_text(to_pdf(html), tmp_path).split())
    assert "Titulaire du compte Habitat Rhône Social" in text
    spaced = " ".join(VIBAN[i : i + 4] for i in range(0, len(VIBAN), 4))
    assert spaced in text
    assert "réservé au logement Bât. B, apt 12" in text
    assert lease.rf_reference in text


def test_html_escapes_what_the_erp_sends() -> None:
    lease = make_lease(tenants=(Tenant("<b>X</b>"),))
    html = rib_html(Parties(ORG, lease), doc_id="rib-x-0", issued=ISSUED)
    assert "<b>X</b>" not in html
    assert "&lt;b&gt;X&lt;/b&gt;" in html


@needs_poppler
def test_dunning_letter_uses_the_same_renderer(tmp_path: Path) -> None:
    lease = make_lease()
    notice = DebtNotice(
        tenant_names=lease.tenant_names,
        address_lines=("Appartement 12", "Résidence Les Tilleuls", "Villeurbanne"),
        amount_cents=123_456,
        iban=lease.viban,
        rf_reference=lease.rf_reference,
        payment_url="https://portail.example.fr/payer",
        bic="BNPAFRPP",
        oldest_unpaid=date(2026, 2, 5),
    )
    letter = dunning_letter(notice, Landlord(ORG.name), date(2026, 3, 1))
    payload = epc_payload(
        name=ORG.name, iban=lease.viban, amount_cents=123_456, rf_reference=lease.rf_reference
    )
    pdf = render_letter_pdf(letter, ORG.name, payload)
    assert decode_qr(pdf, tmp_path) == [payload]
    assert "1 234,56" in " ".join(pdf_text(pdf, tmp_path).split()).replace("\u202f", " ")


def test_documents_share_one_font_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint makes a font configuration for each document it is not given one, and
    Fontconfig and Pango keep a few hundred KB of each: a worker issuing thousands of
    quittances grew without bound. The renderer builds one per process and reuses it."""
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

    built: list[object] = []
    original = FontConfiguration.__init__

    def counting(self: object) -> None:
        built.append(self)
        original(self)

    monkeypatch.setattr(FontConfiguration, "__init__", counting)
    pdfs = [_avis(), _avis(previous=1_000), _avis({"payment_method": PaymentMethod.DIRECT_DEBIT})]
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
    assert len(built) <= 1  # none when an earlier test already rendered in this process
