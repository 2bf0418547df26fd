"""Posting ledger lines (rent calls, adjustments) with the lease balances and ERP entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.base import StorageError, to_ddb
from functions.adapters.dynamo.entries import entry_to_item
from functions.adapters.dynamo.ledger import ledger_line_to_item
from functions.core.accounting import AccountingEntry
from functions.core.errors import ConflictError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine


def _put_new(table: str, item: dict[str, Any], key: str) -> dict[str, Any]:
    """A transaction item writing ``item``, which must not exist yet."""
    return {
        "Put": {
            "TableName": table,
            "Item": to_ddb(item),
            "ConditionExpression": f"attribute_not_exists({key})",
        }
    }


def _balance_deltas(lines: Sequence[LedgerLine]) -> dict[str, int]:
    """How much each lease's balance moves with ``lines``."""
    deltas: dict[str, int] = {}
    for line in lines:
        deltas[line.lease_id] = deltas.get(line.lease_id, 0) + line.amount_cents
    return deltas


def ledger_write_items(
    ledger_table: str, leases_table: str, lines: Sequence[LedgerLine], leases: dict[str, Lease]
) -> list[dict[str, Any]]:
    """Transaction items: new ledger lines, and each lease's balance moved (version checked)."""
    items = [_put_new(ledger_table, ledger_line_to_item(line), "line_id") for line in lines]
    for lease_id, delta in _balance_deltas(lines).items():
        lease = leases[lease_id]
        items.append(
            {
                "Update": {
                    "TableName": leases_table,
                    "Key": to_ddb({"org_id": lease.org_id, "lease_id": lease_id}),
                    "UpdateExpression": "SET balance_cents = balance_cents + :d, "
                    "version = version + :one",
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": to_ddb(
                        {":d": delta, ":one": 1, ":v": lease.version}
                    ),
                }
            }
        )
    return items


class DynamoLedgerWriter:
    """Posts ledger lines that come with no bank transaction (rent calls, opening
    balances, adjustments), with their accounting entries when they have some."""

    def __init__(self, ledger_table: str, leases_table: str, entries_table: str = "") -> None:
        self.ledger_table = ledger_table
        self.leases_table = leases_table
        self.entries_table = entries_table

    def post(
        self,
        lines: Sequence[LedgerLine],
        leases: dict[str, Lease],
        entries: Sequence[AccountingEntry] = (),
    ) -> bool:
        """False if the lines exist already; ConflictError if a lease moved meanwhile."""
        if entries and not self.entries_table:
            raise StorageError("DynamoLedgerWriter: no entries table to write entries to")
        items = ledger_write_items(self.ledger_table, self.leases_table, lines, leases)
        items += [
            _put_new(self.entries_table, entry_to_item(entry), "entry_id") for entry in entries
        ]
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as e:
            if e.response["Error"]["Code"] != "TransactionCanceledException":
                raise StorageError(str(e)) from e
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            if any(r == "ConditionalCheckFailed" for r in reasons[: len(lines)]):
                return False
            raise ConflictError(f"ledger lines not posted ({reasons}); retry") from e
        return True
