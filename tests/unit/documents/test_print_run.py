"""The print batch: sorted by postcode, each document on an odd page, with its CSV index."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from functions.core.address import PostalAddress
from functions.core.documents import (
    Delivery,
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
    PrintItem,
    plan_print_batch,
    print_index_csv,
)
from functions.core.errors import ValidationError
from functions.documents.print_run import merge_batch, print_item
from functions.documents.render import Parties, rib_html, to_pdf

from .conftest import ORG, make_lease, needs_poppler


def _item(doc: str, postcode: str, pages: int) -> PrintItem:
    return PrintItem(doc, f"L-{doc}", "X", ("1 rue A", f"{postcode} LYON"), postcode, pages)


def test_plan_sorts_by_postcode_and_starts_each_document_on_an_odd_page() -> None:
    slots = plan_print_batch(
        [_item("c", "69100", 1), _item("a", "01000", 2), _item("b", "38000", 3)]
    )
    assert [(s.item.document_id, s.first_page, s.blanks_after) for s in slots] == [
        ("a", 1, 0),
        ("b", 3, 1),
        ("c", 7, 1),
    ]
    assert all(s.first_page % 2 == 1 for s in slots)
    csv = print_index_csv(slots).splitlines()
    assert csv[0] == "document_id;lease_id;tenant;address;postcode;first_page;pages"
    assert csv[1] == "a;L-a;X;1 rue A / 01000 LYON;01000;1;2"
    with pytest.raises(ValidationError, match="pages"):
        plan_print_batch([_item("z", "01000", 0)])


@needs_poppler
def test_batch_pdf_has_each_document_on_an_odd_page(tmp_path: Path) -> None:
    docs = []
    for n, postcode in enumerate(("69100", "01000", "38000")):
        address = PostalAddress((f"{n} rue des Lilas",), postcode, "Ville")
        lease = make_lease(lease_id=f"L-{n}", postal_address=address)
        html = rib_html(Parties(ORG, lease), doc_id=f"rib-{n}", issued=date(2026, 12, 1))
        record = DocumentRecord(
            ORG.org_id, lease.lease_id, f"rib-{n}", DocumentKind.RIB, None, "", 0,
            datetime(2026, 12, 1, tzinfo=UTC), Delivery.PRINT,
            DocumentStatus.QUEUED_FOR_PRINT,
        )  # fmt: skip
        docs.append((print_item(lease, record), to_pdf(html)))
    batch = merge_batch(docs)
    assert batch.pages == 6
    assert [s.item.postcode for s in batch.slots] == ["01000", "38000", "69100"]
    path = tmp_path / "batch.pdf"
    path.write_bytes(batch.pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+6$", info.stdout, re.M), info.stdout
    for page, postcode in ((1, "01000"), (3, "38000"), (5, "69100")):
        out = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert postcode in out.stdout
    blank = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert blank.stdout.strip() == ""
    assert "rib-0" in batch.index_csv.splitlines()[3]
