"""DocumentService on the fakes (PDF rendering replaced by the HTML's bytes: the
renderer has its own tests in tests/unit/documents)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from functions.core.address import PostalAddress
from functions.core.documents import (
    Consent,
    ConsentChannel,
    ConsentSource,
    Delivery,
    DocumentStatus,
)
from functions.core.errors import NotFoundError
from functions.core.lease import Lease
from functions.core.organisation import Organisation
from functions.documents.service import DocumentService, Issued
from tests.fakes import FakeDocumentRepository, FakePdfStore, FakePrintProvider, FakeWorld
from tests.unit.matching.helpers import ORG
from tests.unit.services.conftest import NOW, clock


class Notified:
    def __init__(self) -> None:
        self.told: list[str] = []

    def notify(self, org: Organisation, lease: Lease, record: object, now: object) -> bool:
        self.told.append(lease.lease_id)
        return True


class Docs:
    def __init__(self, w: FakeWorld) -> None:
        self.manifests = FakeDocumentRepository()
        self.store = FakePdfStore()
        self.notifier = Notified()
        self.service = DocumentService(
            w.organisations, w.leases, w.ledger, self.manifests, self.store, self.notifier,
            to_pdf=lambda html: b"%PDF " + html.encode(), clock=clock,
        )  # fmt: skip


@pytest.fixture
def docs(world: FakeWorld) -> Docs:
    return Docs(world)


def notice(docs: Docs, rent_call_id: str = "RC-12") -> Issued:
    return docs.service.issue_notice(
        ORG, "TIL-00001", rent_call_id=rent_call_id, period="2026-12",
        due_date=date(2026, 12, 5), rent_cents=50_000, charges_cents=6_000, apl_cents=0,
        previous_balance_cents=56_000,
    )  # fmt: skip


def test_a_notice_is_issued_once_and_printed_without_consent(docs: Docs) -> None:
    first = notice(docs)
    again = notice(docs)

    assert first.created and not again.created
    record = first.record
    assert again.record == record
    assert (record.delivery, record.status) == (Delivery.PRINT, DocumentStatus.QUEUED_FOR_PRINT)
    assert docs.store.objects[record.object_key].startswith(b"%PDF")
    assert docs.notifier.told == []


def test_with_consent_the_notice_goes_to_the_safe_and_the_tenant_is_told(docs: Docs) -> None:
    docs.service.record_consent(
        ORG, "TIL-00001", Consent(True, ConsentSource.PORTAL, ConsentChannel.EMAIL, NOW)
    )

    record = notice(docs).record

    assert record.delivery is Delivery.SAFE and record.status is DocumentStatus.NOTIFIED
    assert docs.manifests.get(ORG, record.document_id).status is DocumentStatus.NOTIFIED
    assert docs.notifier.told == ["TIL-00001"]
    assert docs.service.consent(ORG, "TIL-00001")[2] is True


def test_a_download_is_logged_and_another_tenants_document_is_not_found(docs: Docs) -> None:
    record = docs.service.issue_rib(ORG, "TIL-00001").record

    link = docs.service.download(ORG, record.document_id, who="tenant", lease_id="TIL-00001")

    assert record.object_key in link.url
    assert [a["who"] for a in docs.manifests.accesses(ORG, record.document_id)] == ["tenant"]
    with pytest.raises(NotFoundError):
        docs.service.download(ORG, record.document_id, who="x", lease_id="TIL-00002")
    with pytest.raises(NotFoundError):
        docs.service.list_for_lease("org-other", "TIL-00001")
    assert [r.document_id for r in docs.service.list_for_lease(ORG, "TIL-00001")] == [
        record.document_id
    ]


def test_a_print_run_deposits_what_is_queued_once_in_postcode_order(
    world: FakeWorld, docs: Docs
) -> None:
    from collections.abc import Sequence

    from functions.core.documents import PrintItem, plan_print_batch, print_index_csv
    from functions.documents.print_run import Batch, PrintRunService

    def merge(documents: Sequence[tuple[PrintItem, bytes]]) -> Batch:
        slots = plan_print_batch([item for item, _ in documents])
        return Batch(b"%PDF merged", print_index_csv(slots), tuple(slots))

    for lid, postcode in (("TIL-00001", "75011"), ("TIL-00002", "45000")):
        lease = world.leases.get(ORG, lid)
        address = PostalAddress(lines=("1 rue de la Paix",), postcode=postcode, city="Ville")
        world.tables.leases[(ORG, lid)] = replace(lease, postal_address=address)
        docs.service.issue_rib(ORG, lid)
    provider = FakePrintProvider()
    runs = PrintRunService(
        world.organisations, world.leases, docs.manifests, docs.store, provider, merge, clock
    )

    first = runs.run(ORG)
    second = runs.run(ORG)

    assert [b["documents"] for b in first["batches"]] == [2] and second["batches"] == []
    [(_, _, pdf, index)] = provider.deposits
    assert pdf == b"%PDF merged"
    assert index.index("45000") < index.index("75011")
    assert len(docs.manifests.with_status(ORG, DocumentStatus.PRINTED)) == 2
