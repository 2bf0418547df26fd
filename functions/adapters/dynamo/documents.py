"""The tenants' documents in DocumentsTable (HASH ``org_id``, RANGE ``sk``).

Three kinds of items share the table, declared by one model:

- ``doc#<id>``: a document's manifest (kind, period, SHA-256, size, delivery, status)
  and who downloaded it (``accesses``), listed by lease through ``lease-index``
  (``<org>#<lease>``, newest first);
- ``consent#<lease>``: the lease's tenants' current e-delivery consent and its history;
- ``campaign#<campaign>#<lease>``: a consent campaign's invitation and its acceptance.

The stored format is the hand-written codec's of before (round-trip tests in
``tests/integration/test_dynamo_models.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from functions.adapters.dynamo.base import (
    Map,
    StorageError,
    StoredModel,
    bound,
    failed_condition,
    from_ddb,
    to_ddb,
)
from functions.core.documents import (
    Consent,
    ConsentChannel,
    ConsentSource,
    Delivery,
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
)

DOC = "doc#"
CONSENT = "consent#"


class AccessMap(Map):
    """Who downloaded a document, and when."""

    who = UnicodeAttribute()
    at = UnicodeAttribute()


class ConsentMap(Map):
    """A consent as kept in the lease's history."""

    e_delivery = BooleanAttribute()
    source = UnicodeAttribute()
    channel = UnicodeAttribute()
    at = UnicodeAttribute()

    @classmethod
    def from_domain(cls, c: Consent) -> ConsentMap:
        return cls(
            e_delivery=c.e_delivery,
            source=c.source.value,
            channel=c.channel.value,
            at=c.at.isoformat(),
        )

    def to_domain(self) -> Consent:
        return Consent(
            bool(self.e_delivery),
            ConsentSource(self.source),
            ConsentChannel(self.channel),
            datetime.fromisoformat(self.at),
        )


class LeaseIndex(GlobalSecondaryIndex["DocumentModel"]):
    class Meta:
        index_name = "lease-index"
        projection = AllProjection()

    lease_key = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class DocumentModel(StoredModel):
    """A manifest, a consent or a campaign's invitation (``DocumentsTable``): see the
    module's docstring."""

    org_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    lease_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    # A document's manifest.
    lease_key = UnicodeAttribute(null=True)
    document_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    period = UnicodeAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    delivery = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    postcode = UnicodeAttribute(null=True)
    accesses = ListAttribute[AccessMap](of=AccessMap, null=True)
    # A lease's consent (``channel`` above too).
    e_delivery = BooleanAttribute(null=True)
    source = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    history = ListAttribute[ConsentMap](of=ConsentMap, null=True)
    # A campaign's invitation (``lease_id`` and ``channel`` above too).
    campaign_id = UnicodeAttribute(null=True)
    invited_at = UnicodeAttribute(null=True)
    accepted_at = UnicodeAttribute(null=True)

    by_lease = LeaseIndex()

    @classmethod
    def from_domain(cls, r: DocumentRecord) -> DocumentModel:
        return cls(
            r.org_id,
            f"{DOC}{r.document_id}",
            lease_key=f"{r.org_id}#{r.lease_id}",
            lease_id=r.lease_id,
            document_id=r.document_id,
            kind=r.kind.value,
            period=r.period,
            sha256=r.sha256,
            size=r.size,
            created_at=r.created_at.isoformat(),
            delivery=r.delivery.value,
            status=r.status.value,
            postcode=r.postcode,
        )

    def to_domain(self) -> DocumentRecord:
        return DocumentRecord(
            org_id=self.org_id,
            lease_id=self.lease_id or "",
            document_id=self.document_id or "",
            kind=DocumentKind(self.kind),
            period=self.period,
            sha256=self.sha256 or "",
            size=int(self.size or 0),
            created_at=datetime.fromisoformat(self.created_at or ""),
            delivery=Delivery(self.delivery),
            status=DocumentStatus(self.status),
            postcode=self.postcode or "",
        )

    def consent(self) -> Consent:
        return Consent(
            bool(self.e_delivery),
            ConsentSource(self.source),
            ConsentChannel(self.channel),
            datetime.fromisoformat(self.at or ""),
        )


def record_to_item(r: DocumentRecord) -> dict[str, Any]:
    """The stored manifest of ``r`` as plain values."""
    return from_ddb(DocumentModel.from_domain(r).serialize())


def record_from_item(item: dict[str, Any]) -> DocumentRecord:
    return DocumentModel.from_raw_data(to_ddb(item)).to_domain()


class DynamoDocumentRepository:
    """DocumentsTable: ``doc#<id>`` manifests (index by lease) and ``consent#<lease>``."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(DocumentModel, table)

    def put_new(self, record: DocumentRecord) -> bool:
        """False when the document already exists (a retried rent call)."""
        m = self.model
        try:
            m.from_domain(record).save(condition=m.sk.does_not_exist())
        except PutError as e:
            if failed_condition(e):
                return False
            raise StorageError(f"{self.table}: {e}") from e
        return True

    def get(self, org_id: str, doc_id: str) -> DocumentRecord | None:
        try:
            return self.model.get(org_id, f"{DOC}{doc_id}", consistent_read=True).to_domain()
        except self.model.DoesNotExist:
            return None

    def for_lease(self, org_id: str, lease_id: str) -> list[DocumentRecord]:
        found = self.model.by_lease.query(f"{org_id}#{lease_id}", scan_index_forward=False)
        return [d.to_domain() for d in found]

    def with_status(self, org_id: str, status: DocumentStatus) -> list[DocumentRecord]:
        m = self.model
        found = m.query(org_id, m.sk.startswith(DOC), filter_condition=m.status == status.value)
        return [d.to_domain() for d in found]

    def set_status(self, org_id: str, doc_id: str, status: DocumentStatus) -> None:
        m = self.model
        try:
            m(org_id, f"{DOC}{doc_id}").update(actions=[m.status.set(status.value)])
        except UpdateError as e:
            raise StorageError(f"{self.table}: {e}") from e

    def log_access(self, org_id: str, doc_id: str, who: str, at: datetime) -> None:
        """Append who downloaded the document and when (kept with its manifest)."""
        m = self.model
        access = AccessMap(who=who, at=at.isoformat())
        try:
            m(org_id, f"{DOC}{doc_id}").update(
                actions=[m.accesses.set((m.accesses | []).append([access]))]
            )
        except UpdateError as e:
            raise StorageError(f"{self.table}: {e}") from e

    def accesses(self, org_id: str, doc_id: str) -> list[dict[str, str]]:
        try:
            doc = self.model.get(
                org_id, f"{DOC}{doc_id}", consistent_read=True, attributes_to_get=["accesses"]
            )
        except self.model.DoesNotExist:
            return []
        return [{"who": a.who, "at": a.at} for a in doc.accesses or ()]

    def consent(self, org_id: str, lease_id: str) -> tuple[Consent | None, list[Consent]]:
        """The current consent of a lease's tenants and its history (oldest first)."""
        try:
            item = self.model.get(org_id, f"{CONSENT}{lease_id}", consistent_read=True)
        except self.model.DoesNotExist:
            return None, []
        return item.consent(), [h.to_domain() for h in item.history or ()]

    def put_consent(self, org_id: str, lease_id: str, consent: Consent) -> None:
        m = self.model
        entry = ConsentMap.from_domain(consent)
        try:
            m(org_id, f"{CONSENT}{lease_id}").update(
                actions=[
                    m.e_delivery.set(consent.e_delivery),
                    m.source.set(entry.source),
                    m.channel.set(entry.channel),
                    m.at.set(entry.at),
                    m.lease_id.set(lease_id),
                    m.history.set((m.history | []).append([entry])),
                ]
            )
        except UpdateError as e:
            raise StorageError(f"{self.table}: {e}") from e

    def consents(self, org_id: str) -> dict[str, Consent]:
        """Every lease's current consent in the organisation."""
        m = self.model
        return {c.lease_id or "": c.consent() for c in m.query(org_id, m.sk.startswith(CONSENT))}

    # ------------------------------------------------------------ consent campaigns
    def mark_invited(
        self, org_id: str, campaign_id: str, lease_id: str, channel: str, at: datetime
    ) -> bool:
        """False when this campaign already invited this lease's tenants."""
        m = self.model
        invitation = m(
            org_id,
            f"campaign#{campaign_id}#{lease_id}",
            campaign_id=campaign_id,
            lease_id=lease_id,
            channel=channel,
            invited_at=at.isoformat(),
        )
        try:
            invitation.save(condition=m.sk.does_not_exist())
        except PutError as e:
            if failed_condition(e):
                return False
            raise StorageError(f"{self.table}: {e}") from e
        return True

    def unmark_invited(self, org_id: str, campaign_id: str, lease_id: str) -> None:
        """Forget an invitation not accepted (to send it again)."""
        m = self.model
        try:
            m(org_id, f"campaign#{campaign_id}#{lease_id}").delete(
                condition=m.accepted_at.does_not_exist()
            )
        except DeleteError as e:
            if not failed_condition(e):  # else: accepted meanwhile, kept
                raise StorageError(f"{self.table}: {e}") from e

    def mark_accepted(self, org_id: str, campaign_id: str, lease_id: str, at: datetime) -> bool:
        """False when the invitation does not exist or its link was already used."""
        m = self.model
        try:
            m(org_id, f"campaign#{campaign_id}#{lease_id}").update(
                actions=[m.accepted_at.set(at.isoformat())],
                condition=m.sk.exists() & m.accepted_at.does_not_exist(),
            )
        except UpdateError as e:
            if failed_condition(e):
                return False
            raise StorageError(f"{self.table}: {e}") from e
        return True
