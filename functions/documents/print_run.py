"""The daily print run: documents of tenants without e-delivery consent, for the mail house.

One merged PDF a run (documents sorted by postcode, each starting on an odd page)
and a CSV index, handed to a ``PrintProvider``: locally a print bucket, in
production a mail house's API behind the same interface.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from functions.core.documents import (
    DocumentRecord,
    DocumentStatus,
    PrintItem,
    PrintSlot,
    plan_print_batch,
    print_index_csv,
)
from functions.core.lease import Lease
from functions.documents.render import TEMPLATES, recipient_lines
from functions.documents.service import Leases, Orgs

MAX_BATCH = 1000
_BLANK = "<!DOCTYPE html><html><head><style>@page { size: A4 }</style></head><body></body></html>"


class PrintProvider(Protocol):
    def deposit(self, org_id: str, run_id: str, pdf: bytes, index_csv: str) -> str:
        """Hands a batch to the mail house; returns where it went (URI or receipt id)."""
        ...


class QueuedDocuments(Protocol):
    def with_status(self, org_id: str, status: DocumentStatus) -> list[DocumentRecord]: ...
    def set_status(self, org_id: str, doc_id: str, status: DocumentStatus) -> None: ...


class Sources(Protocol):
    def get_source(self, key: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Batch:
    pdf: bytes
    index_csv: str
    slots: tuple[PrintSlot, ...]

    @property
    def pages(self) -> int:
        last = self.slots[-1] if self.slots else None
        return last.first_page + last.item.pages + last.blanks_after - 1 if last else 0


def render_batch(documents: Sequence[tuple[PrintItem, str]]) -> Batch:
    """Renders each document's HTML once, plans the pages, writes one PDF."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # slow: only when printing

    rendered: dict[str, Any] = {}
    items = []
    for item, html in documents:
        doc = HTML(string=html, base_url=str(TEMPLATES)).render()
        rendered[item.document_id] = doc
        items.append(PrintItem(**{**_fields(item), "pages": len(doc.pages)}))
    slots = plan_print_batch(items)
    if not slots:
        return Batch(b"", print_index_csv([]), ())
    blank = HTML(string=_BLANK).render().pages[0]
    pages = []
    for slot in slots:
        pages.extend(rendered[slot.item.document_id].pages)
        pages.extend([blank] * slot.blanks_after)
    first = rendered[slots[0].item.document_id]
    pdf: bytes = first.copy(pages).write_pdf()
    return Batch(pdf, print_index_csv(slots), tuple(slots))


def _fields(item: PrintItem) -> dict[str, Any]:
    return {
        "document_id": item.document_id,
        "lease_id": item.lease_id,
        "tenant": item.tenant,
        "address": item.address,
        "postcode": item.postcode,
    }


def print_item(lease: Lease, record: DocumentRecord) -> PrintItem:
    recipient = recipient_lines(lease)
    return PrintItem(
        document_id=record.document_id,
        lease_id=lease.lease_id,
        tenant=lease.tenant_names,
        address=recipient[1:],
        postcode=lease.postal_address.postcode if lease.postal_address else "",
        pages=1,
    )


@dataclass
class PrintRunService:
    orgs: Orgs
    leases: Leases
    manifests: QueuedDocuments
    sources: Sources
    provider: PrintProvider
    render: Callable[[Sequence[tuple[PrintItem, str]]], Batch] = render_batch
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def run(self, org_id: str) -> dict[str, Any]:
        """Prints what is queued for the organisation, in batches of at most MAX_BATCH."""
        queued = self.manifests.with_status(org_id, DocumentStatus.QUEUED_FOR_PRINT)
        batches = []
        for start in range(0, len(queued), MAX_BATCH):
            chunk = queued[start : start + MAX_BATCH]
            docs = [
                (
                    print_item(self.leases.get(org_id, r.lease_id), r),
                    self.sources.get_source(r.object_key),
                )
                for r in chunk
            ]
            batch = self.render(docs)
            run_id = f"{self.clock():%Y%m%dT%H%M%S}-{start // MAX_BATCH + 1:03d}"
            where = self.provider.deposit(org_id, run_id, batch.pdf, batch.index_csv)
            for r in chunk:
                self.manifests.set_status(org_id, r.document_id, DocumentStatus.PRINTED)
            batches.append(
                {"run_id": run_id, "documents": len(chunk), "pages": batch.pages, "at": where}
            )
        return {"org_id": org_id, "batches": batches}
