"""Accounting entries: pending queue, acknowledgement, claims for the ERP push."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.base import StorageError, from_ddb, to_ddb
from functions.core.accounting import AccountingEntry, EntryLine, SourceType
from functions.core.errors import ValidationError


def entry_to_item(entry: AccountingEntry) -> dict[str, Any]:
    return {
        "org_id": entry.org_id,
        "entry_id": entry.entry_id,
        "pending_org": entry.org_id,
        "date": entry.date.isoformat(),
        "journal": entry.journal,
        "label": entry.label,
        "source_type": entry.source_type.value,
        "source_id": entry.source_id,
        "transaction_id": entry.transaction_id,
        "lease_id": entry.lease_id,
        "amount_cents": entry.amount_cents,
        "lines": [
            {
                "account": line.account,
                "subledger": line.subledger,
                "debit_cents": line.debit_cents,
                "credit_cents": line.credit_cents,
                "label": line.label,
            }
            for line in entry.lines
        ],
        "created_at": entry.created_at.isoformat(),
    }


def entry_from_item(item: dict[str, Any]) -> AccountingEntry:
    return AccountingEntry(
        org_id=item["org_id"],
        entry_id=item["entry_id"],
        date=date.fromisoformat(item["date"]),
        journal=item["journal"],
        label=item["label"],
        source_type=SourceType(item["source_type"]),
        source_id=item["source_id"],
        transaction_id=item["transaction_id"],
        lease_id=item.get("lease_id"),
        lines=tuple(
            EntryLine(
                account=line["account"],
                debit_cents=int(line["debit_cents"]),
                credit_cents=int(line["credit_cents"]),
                subledger=line.get("subledger"),
                label=line.get("label", ""),
            )
            for line in item["lines"]
        ),
        created_at=datetime.fromisoformat(item["created_at"]),
    )


class DynamoEntryRepository:
    """The ERP outbox. Unacknowledged entries carry ``pending_org`` (a sparse index)."""

    def __init__(self, table: str) -> None:
        self.table = table

    def list_pending(
        self, org_id: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[AccountingEntry], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "pending-index",
            "KeyConditionExpression": "pending_org = :o",
            "ExpressionAttributeValues": {":o": {"S": org_id}},
            "Limit": limit,
        }
        if after:
            kwargs["KeyConditionExpression"] += " AND entry_id > :after"
            kwargs["ExpressionAttributeValues"][":after"] = {"S": after}
        resp = client("dynamodb").query(**kwargs)
        entries = [entry_from_item(from_ddb(i)) for i in resp["Items"]]
        more = "LastEvaluatedKey" in resp
        return entries, (entries[-1].entry_id if entries and more else None)

    def acknowledge(self, org_id: str, entry_ids: Sequence[str], by: str) -> list[str]:
        """Mark entries booked by the ERP; returns those that exist (acks are idempotent)."""
        now = datetime.now(UTC).isoformat()
        done: list[str] = []
        ddb = client("dynamodb")
        for entry_id in entry_ids:
            try:
                ddb.update_item(
                    TableName=self.table,
                    Key={"org_id": {"S": org_id}, "entry_id": {"S": entry_id}},
                    UpdateExpression="REMOVE pending_org SET acknowledged_at = if_not_exists("
                    "acknowledged_at, :now), acknowledged_by = if_not_exists(acknowledged_by, :by)",
                    ConditionExpression="attribute_exists(entry_id)",
                    ExpressionAttributeValues={":now": {"S": now}, ":by": {"S": by}},
                )
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise StorageError(str(e)) from e
                continue
            done.append(entry_id)
        return done

    def between(self, org_id: str, start: date, end: date, limit: int) -> list[AccountingEntry]:
        """Every entry (acknowledged or not) dated from ``start`` to ``end``, in id order.

        An entry is never recorded before its date, so ids before ``start`` are skipped.
        Raises ValidationError when more than ``limit`` entries match.
        """
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "org_id = :o AND entry_id >= :first",
            "FilterExpression": "#d BETWEEN :start AND :end",
            "ExpressionAttributeNames": {"#d": "date"},
            "ExpressionAttributeValues": to_ddb(
                {
                    ":o": org_id,
                    ":first": start.strftime("%Y%m%d"),
                    ":start": start.isoformat(),
                    ":end": end.isoformat(),
                }
            ),
        }
        out: list[AccountingEntry] = []
        for page in client("dynamodb").get_paginator("query").paginate(**kwargs):
            out.extend(entry_from_item(from_ddb(i)) for i in page["Items"])
            if len(out) > limit:
                raise ValidationError("to", f"more than {limit} entries: export a shorter period")
        return out

    def claim(
        self, org_id: str, batch_id: str, limit: int, now: datetime, stale_before: datetime
    ) -> list[AccountingEntry]:
        """Pending entries no other ERP push batch holds, now held by ``batch_id``.

        Each claim is conditional, so two overlapping runs never share an entry. A claim
        older than ``stale_before`` (a run that died) may be taken over.
        """
        ddb = client("dynamodb")
        claimed: list[AccountingEntry] = []
        after: str | None = None
        while len(claimed) < limit:
            entries, after = self.list_pending(org_id, after, min(limit, 500))
            for entry in entries:
                if len(claimed) >= limit:
                    break
                try:
                    ddb.update_item(
                        TableName=self.table,
                        Key={"org_id": {"S": org_id}, "entry_id": {"S": entry.entry_id}},
                        UpdateExpression="SET batch_id = :b, batch_at = :now",
                        ConditionExpression="attribute_exists(pending_org) AND "
                        "(attribute_not_exists(batch_id) OR batch_at < :stale)",
                        ExpressionAttributeValues=to_ddb(
                            {
                                ":b": batch_id,
                                ":now": now.isoformat(),
                                ":stale": stale_before.isoformat(),
                            }
                        ),
                    )
                except ClientError as e:
                    if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise StorageError(str(e)) from e
                    continue
                claimed.append(entry)
            if after is None:
                break
        return claimed

    def release(self, org_id: str, entry_ids: Sequence[str], batch_id: str) -> None:
        """Give back a parked batch's entries: the next run or the ERP's polling takes them."""
        ddb = client("dynamodb")
        for entry_id in entry_ids:
            try:
                ddb.update_item(
                    TableName=self.table,
                    Key={"org_id": {"S": org_id}, "entry_id": {"S": entry_id}},
                    UpdateExpression="REMOVE batch_id, batch_at",
                    ConditionExpression="batch_id = :b",
                    ExpressionAttributeValues={":b": {"S": batch_id}},
                )
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise StorageError(str(e)) from e
