"""Ledger lines of a lease and their posting with balances."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from functions.adapters.aws import client
from functions.adapters.dynamo.base import batch_write, from_ddb, to_ddb
from functions.core.ledger import LedgerLine, LineKind


def ledger_line_to_item(line: LedgerLine) -> dict[str, Any]:
    return {
        "account_key": line.account_key,
        "line_id": line.line_id,
        "org_id": line.org_id,
        "lease_id": line.lease_id,
        "kind": line.kind.value,
        "date": line.date.isoformat(),
        "amount_cents": line.amount_cents,
        "label": line.label,
        "source_id": line.source_id,
        "recorded_at": line.recorded_at.isoformat(),
    }


def ledger_line_from_item(item: dict[str, Any]) -> LedgerLine:
    return LedgerLine(
        org_id=item["org_id"],
        lease_id=item["lease_id"],
        line_id=item["line_id"],
        kind=LineKind(item["kind"]),
        date=date.fromisoformat(item["date"]),
        amount_cents=int(item["amount_cents"]),
        label=item["label"],
        source_id=item["source_id"],
        recorded_at=datetime.fromisoformat(item["recorded_at"]),
    )


class DynamoLedgerRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def put_many_new(self, lines: Sequence[LedgerLine]) -> None:
        """Bulk load of lines known to be new, whose balances the caller set (seeding)."""
        ddb = client("dynamodb")
        for start in range(0, len(lines), 25):
            requests = [
                {"PutRequest": {"Item": to_ddb(ledger_line_to_item(line))}}
                for line in lines[start : start + 25]
            ]
            batch_write(ddb, self.table, requests)

    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]:
        out: list[LedgerLine] = []
        for page in (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                KeyConditionExpression="account_key = :k",
                ExpressionAttributeValues={":k": {"S": f"{org_id}#{lease_id}"}},
            )
        ):
            out.extend(ledger_line_from_item(from_ddb(i)) for i in page["Items"])
        return out


# ---------------------------------------------------------------- booking
