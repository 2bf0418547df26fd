"""Reads an organisation's books (leases, ledger, transactions, entries) as a
snapshot for the invariant check (:mod:`functions.core.integrity`).

Strongly consistent reads, table by table: run it on a quiet platform (after a
sweep, in the tests after a crash scenario) for a point-in-time answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from functions.adapters.aws import client
from functions.adapters.dynamo import (
    COLLECTION_PREFIX,
    allocations_from_item,
    entry_from_item,
    from_ddb,
    ledger_line_from_item,
)
from functions.core.integrity import BooksSnapshot, TransactionRecord
from functions.core.transactions import TransactionStatus


def _query(table: str, key: str, value: str) -> Iterator[dict[str, Any]]:
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table,
            KeyConditionExpression=f"{key} = :v",
            ExpressionAttributeValues={":v": {"S": value}},
            ConsistentRead=True,
        )
    )
    for page in pages:
        yield from (from_ddb(i) for i in page["Items"])


@dataclass(frozen=True, slots=True)
class DynamoBooksReader:
    leases_table: str
    ledger_table: str
    transactions_table: str
    entries_table: str

    def snapshot(self, org_id: str) -> BooksSnapshot:
        balances = {
            i["lease_id"]: int(i.get("balance_cents", 0))
            for i in _query(self.leases_table, "org_id", org_id)
            if "lease_id" in i and "balance_cents" in i
        }
        lines = [
            ledger_line_from_item(i)
            for lease_id in balances
            for i in _query(self.ledger_table, "account_key", f"{org_id}#{lease_id}")
        ]
        transactions = [
            TransactionRecord(
                i["transaction_id"],
                TransactionStatus(i.get("status", "new")),
                int(i.get("amount_cents", 0)),
                allocations_from_item(i.get("decision")),
            )
            for i in _query(self.transactions_table, "org_id", org_id)
            if not str(i["transaction_id"]).startswith(COLLECTION_PREFIX)
        ]
        entries = [entry_from_item(i) for i in _query(self.entries_table, "org_id", org_id)]
        return BooksSnapshot(org_id, balances, lines, transactions, entries)
