"""An organisation and leases to render documents for."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from functions.core.address import PostalAddress
from functions.core.lease import Lease, PaymentMethod, Tenant, rf_reference_for_viban
from functions.core.organisation import Branding, Organisation
from functions.core.viban import VirtualIbanRange

RANGE = VirtualIbanRange("30004", "00821", "57", bic="BNPAFRPP")
VIBAN = RANGE.iban_for(42)
ORG = Organisation(
    org_id="org-hrs",
    name="Habitat Rhône Social",
    collection_iban="FR7630004008210000000000155",
    viban_range=RANGE,
    address=PostalAddress(("12 rue de la République",), "69002", "Lyon"),
    branding=Branding(
        primary_colour="#0a5c36",
        legal_mentions=(
            "Habitat Rhône Social, OPH, SIREN 123 456 789, 12 rue de la République, Lyon"
        ),
        contact_phone="04 72 00 00 00",
        contact_email="contact@hrs.example",
    ),
)


def make_lease(**changes: object) -> Lease:
    base = {
        "org_id": ORG.org_id,
        "lease_id": "L-2024-0042",
        "tenants": (Tenant("Mme Aïcha Benali"),),
        "residence": "Résidence Les Tilleuls",
        "commune": "Villeurbanne",
        "unit": "Bât. B, apt 12",
        "start_date": date(2024, 1, 1),
        "rent_cents": 48_250,
        "charges_cents": 9_130,
        "apl_cents": 15_000,
        "viban": VIBAN,
        "rf_reference": rf_reference_for_viban(VIBAN),
        "postal_address": PostalAddress(
            ("Bât. B, apt 12", "5 allée des Tilleuls"), "69100", "Villeurbanne"
        ),
        "payment_method": PaymentMethod.TRANSFER,
    }
    base.update(changes)
    return Lease(**base)  # type: ignore[arg-type]


needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("zbarimg")),
    reason="poppler-utils and zbar-tools (make deps) are needed",
)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


def decode_qr(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every QR code of the document, its pages rasterised at 200 dpi and read by zbarimg."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "p")], check=True)
    found = []
    for png in sorted(tmp_path.glob("p*.png")):
        out = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", str(png)],
            capture_output=True,
            check=False,
        )
        if out.returncode == 4:  # no code on this page
            continue
        out.check_returncode()
        found.append(out.stdout.decode("utf-8").rstrip("\n"))
    return found
