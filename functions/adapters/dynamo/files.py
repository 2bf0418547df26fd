"""Statement files received and their outcome."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from functions.adapters.dynamo.base import (
    Map,
    Page,
    StoredModel,
    bound,
    model_page,
    plain_map,
    to_ddb,
)


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

    def to_record(self) -> dict[str, Any]:
        """The ingest service's record: the stored attributes, plain."""
        return {
            name: plain_map(value)
            for name in self.get_attributes()
            if (value := getattr(self, name)) is not None
        }


class DynamoFileRepository:
    """One record per distinct file content (sha256) received by an organisation.

    Records stay the ingest service's plain dicts of the attributes above.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(FileModel, table)

    def get(self, org_id: str, file_id: str) -> dict[str, Any] | None:
        try:
            return self.model.get(org_id, file_id, consistent_read=True).to_record()
        except self.model.DoesNotExist:
            return None

    def put(self, record: dict[str, Any]) -> None:
        self.model.from_raw_data(to_ddb(record)).save()

    def list(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page:
        scope = {
            "TableName": self.table,
            "KeyConditionExpression": "org_id = :o",
            "ExpressionAttributeValues": {":o": {"S": org_id}},
        }
        files, next_cursor = model_page(self.model, org_id, scope, limit, cursor)
        return Page([f.to_record() for f in files], next_cursor)
