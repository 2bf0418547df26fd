"""Posting ledger lines (rent calls, adjustments) with the lease balances and ERP entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from functions.adapters.aws import client
from functions.adapters.dynamo.base import StorageError, to_ddb, transact
from functions.adapters.dynamo.entries import entry_to_item
from functions.adapters.dynamo.ledger import ledger_line_to_item
from functions.core.accounting import AccountingEntry
from functions.core.errors import ConflictError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine

Refusal = tuple[frozenset[tuple[str, str]], frozenset[str]]


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
    ledger_table: str, leases_table: str, lines: Sequence[LedgerLine], versions: dict[str, int]
) -> list[dict[str, Any]]:
    """Transaction items: new ledger lines, and each lease's balance moved (its version
    checked against ``versions``, by lease id)."""
    items = [_put_new(ledger_table, ledger_line_to_item(line), "line_id") for line in lines]
    org_of = {line.lease_id: line.org_id for line in lines}
    for lease_id, delta in _balance_deltas(lines).items():
        items.append(
            {
                "Update": {
                    "TableName": leases_table,
                    "Key": to_ddb({"org_id": org_of[lease_id], "lease_id": lease_id}),
                    "UpdateExpression": "SET balance_cents = balance_cents + :d, "
                    "version = version + :one",
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": to_ddb(
                        {":d": delta, ":one": 1, ":v": versions[lease_id]}
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
        versions = {lease_id: lease.version for lease_id, lease in leases.items()}
        items = ledger_write_items(self.ledger_table, self.leases_table, lines, versions)
        items += [
            _put_new(self.entries_table, entry_to_item(entry), "entry_id") for entry in entries
        ]
        reasons = transact(client("dynamodb"), items)
        if reasons is None:
            return True
        if any(r == "ConditionalCheckFailed" for r in reasons[: len(lines)]):
            return False
        raise ConflictError(f"ledger lines not posted ({reasons}); retry")

    def post_batch(self, lines: Sequence[LedgerLine], versions: dict[str, int]) -> Refusal | None:
        """Post the lines of several leases in one transaction (at most 100 items: the
        lines plus one balance update per lease, its version checked against
        ``versions``). None when posted; otherwise nothing is written and the refusal
        names the lines that exist already, as (lease id, line id), and the leases
        whose version moved (or that another transaction held)."""
        items = ledger_write_items(self.ledger_table, self.leases_table, lines, versions)
        reasons = transact(client("dynamodb"), items)
        if reasons is None:
            return None
        existing = frozenset(
            (line.lease_id, line.line_id)
            for line, reason in zip(lines, reasons, strict=False)
            if reason == "ConditionalCheckFailed"
        )
        updates = reasons[len(lines) :]
        stale = frozenset(
            lease_id
            for lease_id, reason in zip(_balance_deltas(lines), updates, strict=False)
            if reason not in (None, "None")
        )
        return existing, stale
