"""The daily print run: documents of tenants without e-delivery consent, for the mail house.

One merged PDF a run (documents sorted by postcode, each starting on an odd page)
and a CSV index, handed to a ``PrintProvider``: locally a print bucket, in
production a mail house's API behind the same interface.
"""

from __future__ import annotations

import io
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
from functions.documents.render import recipient_lines
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


class StoredPdfs(Protocol):
    def get(self, key: str) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Batch:
    pdf: bytes
    index_csv: str
    slots: tuple[PrintSlot, ...]

    @property
    def pages(self) -> int:
        last = self.slots[-1] if self.slots else None
        return last.first_page + last.item.pages + last.blanks_after - 1 if last else 0


def merge_batch(documents: Sequence[tuple[PrintItem, bytes]]) -> Batch:
    """Merges the stored PDFs (the very bytes the tenants' documents hold) into one,
    in postcode order, each document starting on an odd page."""
    from pypdf import PdfReader, PdfWriter

    readers: dict[str, PdfReader] = {}
    items = []
    for item, pdf in documents:
        reader = PdfReader(io.BytesIO(pdf))
        readers[item.document_id] = reader
        items.append(PrintItem(**{**_fields(item), "pages": len(reader.pages)}))
    slots = plan_print_batch(items)
    if not slots:
        return Batch(b"", print_index_csv([]), ())
    writer = PdfWriter()
    for slot in slots:
        reader = readers[slot.item.document_id]
        for page in reader.pages:
            writer.add_page(page)
        last = reader.pages[-1].mediabox
        for _ in range(slot.blanks_after):
            writer.add_blank_page(width=float(last.width), height=float(last.height))
    out = io.BytesIO()
    writer.write(out)
    return Batch(out.getvalue(), print_index_csv(slots), tuple(slots))


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
    pdfs: StoredPdfs
    provider: PrintProvider
    merge: Callable[[Sequence[tuple[PrintItem, bytes]]], Batch] = merge_batch
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
                    self.pdfs.get(r.object_key),
                )
                for r in chunk
            ]
            batch = self.merge(docs)
            run_id = f"{self.clock():%Y%m%dT%H%M%S}-{start // MAX_BATCH + 1:03d}"
            where = self.provider.deposit(org_id, run_id, batch.pdf, batch.index_csv)
            for r in chunk:
                self.manifests.set_status(org_id, r.document_id, DocumentStatus.PRINTED)
            batches.append(
                {"run_id": run_id, "documents": len(chunk), "pages": batch.pages, "at": where}
            )
        return {"org_id": org_id, "batches": batches}
