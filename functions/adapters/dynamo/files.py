"""Statement files received and their outcome."""

from __future__ import annotations

from typing import Any

from functions.adapters.aws import client
from functions.adapters.dynamo.base import Page, _query_page, from_ddb, to_ddb


class DynamoFileRepository:
    """One record per distinct file content (sha256) received by an organisation."""

    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, org_id: str, file_id: str) -> dict[str, Any] | None:
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}, "file_id": {"S": file_id}},
            ConsistentRead=True,
        )
        return from_ddb(resp["Item"]) if "Item" in resp else None

    def put(self, record: dict[str, Any]) -> None:
        client("dynamodb").put_item(TableName=self.table, Item=to_ddb(record))

    def list(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page:
        return _query_page(self.table, org_id, limit, cursor)


# ---------------------------------------------------------------- API keys
