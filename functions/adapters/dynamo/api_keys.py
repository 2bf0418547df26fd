"""API keys (hashed) and their scopes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.base import StorageError, from_ddb, to_ddb
from functions.core.errors import NotFoundError, ValidationError


class DynamoApiKeyRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def put(self, key_hash: str, org_id: str, scopes: Sequence[str], label: str) -> None:
        client("dynamodb").put_item(
            TableName=self.table,
            Item=to_ddb(
                {
                    "key_hash": key_hash,
                    "org_id": org_id,
                    "scopes": list(scopes),
                    "label": label,
                    "created_at": datetime.now(UTC).isoformat(),
                    "key_prefix": key_hash[:8],
                }
            ),
            ConditionExpression="attribute_not_exists(key_hash)",
        )

    def get(self, key_hash: str) -> dict[str, Any] | None:
        resp = client("dynamodb").get_item(TableName=self.table, Key={"key_hash": {"S": key_hash}})
        return from_ddb(resp["Item"]) if "Item" in resp else None

    def list_for_org(self, org_id: str) -> list[dict[str, Any]]:
        """The organisation's keys (revoked ones too), oldest first."""
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                IndexName="org-index",
                KeyConditionExpression="org_id = :o",
                ExpressionAttributeValues={":o": {"S": org_id}},
            )
        )
        items = [from_ddb(i) for page in pages for i in page["Items"]]
        return sorted(items, key=lambda i: str(i.get("created_at", "")))

    def find_by_id(self, key_id: str) -> dict[str, Any]:
        """The key whose hash starts with ``key_id`` (what the API calls the key's id).

        Raises NotFoundError, or ValidationError when the id is ambiguous.
        """
        if len(key_id) < 8 or any(c not in "0123456789abcdef" for c in key_id):
            raise ValidationError("key_id", "at least 8 lower-case hexadecimal characters")
        pages = (
            client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self.table,
                FilterExpression="begins_with(key_hash, :p)",
                ExpressionAttributeValues={":p": {"S": key_id}},
            )
        )
        found = [from_ddb(i) for page in pages for i in page["Items"]]
        if not found:
            raise NotFoundError("API key", key_id)
        if len(found) > 1:
            raise ValidationError("key_id", "matches several keys: give more characters")
        return found[0]

    def revoke(self, key_hash: str, at: datetime) -> bool:
        """Refuse the key from now on; False if it was revoked already."""
        try:
            client("dynamodb").update_item(
                TableName=self.table,
                Key={"key_hash": {"S": key_hash}},
                UpdateExpression="SET revoked_at = :at",
                ConditionExpression="attribute_exists(key_hash)"
                " AND attribute_not_exists(revoked_at)",
                ExpressionAttributeValues={":at": {"S": at.isoformat()}},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise StorageError(str(e)) from e
            return False
        return True
