"""Statement files received and their outcome."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from functions.adapters.dynamo.base import Map, StoredModel, bound, model_page, plain_map
from functions.core.records import FileRecord, Page


def _count(value: float | None) -> int | None:
    return int(value) if value is not None else None


class FileModel(StoredModel):
    """One distinct file content (sha256) received by an organisation (``FilesTable``)."""

    org_id = UnicodeAttribute(hash_key=True)
    file_id = UnicodeAttribute(range_key=True)
    key = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    received_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    format = UnicodeAttribute(null=True)
    statements = NumberAttribute(null=True)
    transactions = NumberAttribute(null=True)
    new_transactions = NumberAttribute(null=True)
    rejects = NumberAttribute(null=True)
    duplicates = NumberAttribute(null=True)
    error = Map(null=True)

    @classmethod
    def from_domain(cls, record: FileRecord) -> FileModel:
        return cls(
            record.org_id,
            record.file_id,
            key=record.key,
            name=record.name,
            size=record.size,
            received_at=record.received_at.isoformat() if record.received_at else None,
            status=record.status,
            format=record.format,
            statements=record.statements,
            transactions=record.transactions,
            new_transactions=record.new_transactions,
            rejects=record.rejects,
            duplicates=record.duplicates,
            error=dict(record.error) if record.error is not None else None,
        )

    def to_domain(self) -> FileRecord:
        return FileRecord(
            org_id=self.org_id,
            file_id=self.file_id,
            key=self.key or "",
            name=self.name or "",
            size=int(self.size or 0),
            received_at=datetime.fromisoformat(self.received_at) if self.received_at else None,
            status=self.status,
            format=self.format,
            statements=_count(self.statements),
            transactions=_count(self.transactions),
            new_transactions=_count(self.new_transactions),
            rejects=_count(self.rejects),
            duplicates=_count(self.duplicates),
            error=plain_map(self.error),
        )


class DynamoFileRepository:
    """One record per distinct file content (sha256) received by an organisation."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(FileModel, table)

    def get(self, org_id: str, file_id: str) -> FileRecord | None:
        try:
            return self.model.get(org_id, file_id, consistent_read=True).to_domain()
        except self.model.DoesNotExist:
            return None

    def put(self, record: FileRecord) -> None:
        self.model.from_domain(record).save()

    def list(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[FileRecord]:
        scope = {
            "TableName": self.table,
            "KeyConditionExpression": "org_id = :o",
            "ExpressionAttributeValues": {":o": {"S": org_id}},
        }
        files, next_cursor = model_page(self.model, org_id, scope, limit, cursor)
        return Page([f.to_domain() for f in files], next_cursor)
