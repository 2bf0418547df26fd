"""Bank transactions: ingestion, status, collections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.base import (
    Page,
    _batch_get,
    _d,
    _iso,
    from_ddb,
    query_page,
    to_ddb,
)
from functions.adapters.dynamo.booking import allocations_from_item, collection_key
from functions.adapters.faults import crash_point
from functions.core.errors import NotFoundError
from functions.core.matching import CollectionRecord
from functions.core.transactions import BankTransaction, TransactionKind, TransactionStatus


def transaction_to_item(tx: BankTransaction) -> dict[str, Any]:
    return {
        "org_id": tx.org_id,
        "transaction_id": tx.transaction_id,
        "org_status": f"{tx.org_id}#{tx.status.value}",
        "status": tx.status.value,
        "kind": tx.kind.value,
        "amount_cents": tx.amount_cents,
        "currency": tx.currency,
        "booking_date": _iso(tx.booking_date),
        "value_date": _iso(tx.value_date),
        "account_iban": tx.account_iban,
        "statement_id": tx.statement_id,
        "bank_reference": tx.bank_reference,
        "bank_transaction_code": tx.bank_transaction_code,
        "counterparty_name": tx.counterparty_name,
        "counterparty_iban": tx.counterparty_iban,
        "creditor_account_iban": tx.creditor_account_iban,
        "end_to_end_id": tx.end_to_end_id,
        "mandate_id": tx.mandate_id,
        "remittance": tx.remittance,
        "structured_reference": tx.structured_reference,
        "return_reason": tx.return_reason,
        "original_end_to_end_id": tx.original_end_to_end_id,
        "reversal": tx.reversal,
        "file_id": tx.file_id,
    }


def transaction_from_item(item: dict[str, Any]) -> BankTransaction:
    return BankTransaction(
        org_id=item["org_id"],
        transaction_id=item["transaction_id"],
        kind=TransactionKind(item["kind"]),
        amount_cents=int(item["amount_cents"]),
        currency=item.get("currency", "EUR"),
        booking_date=_d(item.get("booking_date")),
        value_date=_d(item.get("value_date")),
        account_iban=item.get("account_iban"),
        statement_id=item.get("statement_id"),
        bank_reference=item.get("bank_reference"),
        bank_transaction_code=item.get("bank_transaction_code"),
        counterparty_name=item.get("counterparty_name"),
        counterparty_iban=item.get("counterparty_iban"),
        creditor_account_iban=item.get("creditor_account_iban"),
        end_to_end_id=item.get("end_to_end_id"),
        mandate_id=item.get("mandate_id"),
        remittance=item.get("remittance"),
        structured_reference=item.get("structured_reference"),
        return_reason=item.get("return_reason"),
        original_end_to_end_id=item.get("original_end_to_end_id"),
        reversal=bool(item.get("reversal", False)),
        file_id=item.get("file_id", ""),
        status=TransactionStatus(item.get("status", "new")),
    )


NEW_ONLY = "attribute_not_exists(transaction_id)"


def put_new_transactions(ddb: Any, table: str, items: dict[str, dict[str, Any]]) -> set[str]:
    """Writes new transaction items (by id) that must not exist yet, up to 100 per
    TransactWriteItems (one call instead of one per transaction); returns the ids
    another delivery wrote first (left as they are).

    A group cancelled by existing items is written again without them; one cancelled
    for another reason (a concurrent transaction) is written item by item.
    """
    taken: set[str] = set()
    ids = list(items)
    for start in range(0, len(ids), 100):
        group = ids[start : start + 100]
        while group:
            try:
                ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": items[i],
                                "ConditionExpression": NEW_ONLY,
                            }
                        }
                        for i in group
                    ]
                )
                break
            except ClientError as e:
                if e.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                codes = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
                there = {
                    i
                    for i, code in zip(group, codes, strict=False)
                    if code == "ConditionalCheckFailed"
                }
                if not there:
                    taken |= _put_one_by_one(ddb, table, items, group)
                    break
                taken |= there
                group = [i for i in group if i not in there]
    return taken


def _put_one_by_one(
    ddb: Any, table: str, items: dict[str, dict[str, Any]], ids: Sequence[str]
) -> set[str]:
    taken = set()
    for tx_id in ids:
        try:
            ddb.put_item(TableName=table, Item=items[tx_id], ConditionExpression=NEW_ONLY)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            taken.add(tx_id)
    return taken


class DynamoTransactionRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def add_new(self, transactions: Iterable[BankTransaction]) -> tuple[list[str], list[str]]:
        """Store the transactions not stored yet.

        Returns ``(written, to_match)``: the ids written now, and every id of the batch
        still waiting for a decision (written now, or stored by an earlier delivery
        that stopped before the match queue heard of it). Re-delivered transactions
        keep their stored record and status untouched.
        """
        batch: dict[str, BankTransaction] = {}
        for tx in transactions:
            batch.setdefault(tx.transaction_id, tx)
        if not batch:
            return [], []
        ddb = client("dynamodb")
        keys = [
            {"org_id": {"S": tx.org_id}, "transaction_id": {"S": tx_id}}
            for tx_id, tx in batch.items()
        ]
        stored = {i["transaction_id"]: i["status"] for i in _batch_get(ddb, self.table, keys)}
        # When it was recorded: the sweeper re-drives what stays ``new`` too long.
        recorded = {"recorded_at": datetime.now(UTC).isoformat()}
        fresh = [tx for tx_id, tx in batch.items() if tx_id not in stored]
        items = {tx.transaction_id: to_ddb(transaction_to_item(tx) | recorded) for tx in fresh}
        # Conditional: a concurrent delivery may have written (and matching decided)
        # one since the read; its record is never reset to new.
        for tx_id in put_new_transactions(ddb, self.table, items):
            stored[tx_id] = "written by another delivery"
        new = [tx for tx in fresh if tx.transaction_id not in stored]
        waiting = TransactionStatus.NEW.value
        to_match = [t for t in batch if stored.get(t, waiting) == waiting]
        crash_point("ingest.recorded")
        return [tx.transaction_id for tx in new], to_match

    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]:
        keys = [{"org_id": {"S": org_id}, "transaction_id": {"S": t}} for t in transaction_ids]
        items = _batch_get(client("dynamodb"), self.table, keys)
        order = {t: i for i, t in enumerate(transaction_ids)}
        return sorted(
            (transaction_from_item(i) for i in items), key=lambda t: order[t.transaction_id]
        )

    def get_item(self, org_id: str, transaction_id: str) -> dict[str, Any]:
        """The stored record (transaction, decision, revision, history)."""
        if not transaction_id.startswith("tx_"):
            raise NotFoundError("transaction", transaction_id)
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}, "transaction_id": {"S": transaction_id}},
            ConsistentRead=True,
        )
        if "Item" not in resp:
            raise NotFoundError("transaction", transaction_id)
        return from_ddb(resp["Item"])

    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None:
        """The direct-debit collection booked with this end-to-end id, if any."""
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_ddb(collection_key(org_id, end_to_end_id)),
            ConsistentRead=True,
        )
        if "Item" not in resp:
            return None
        item = from_ddb(resp["Item"])
        return CollectionRecord(
            transaction_id=item["collection_of"],
            allocations=allocations_from_item(item),
            booking_date=_d(item.get("booking_date")),
            reversed_by=item.get("reversed_by"),
        )

    def list(
        self, org_id: str, status: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page:
        kwargs: dict[str, Any] = {"TableName": self.table, "Limit": limit}
        if status:
            kwargs |= {
                "IndexName": "status-index",
                "KeyConditionExpression": "org_status = :s",
                "ExpressionAttributeValues": {":s": {"S": f"{org_id}#{status}"}},
            }
        else:
            kwargs |= {
                "KeyConditionExpression": "org_id = :o AND begins_with(transaction_id, :tx)",
                "ExpressionAttributeValues": {":o": {"S": org_id}, ":tx": {"S": "tx_"}},
            }
        return query_page(kwargs, cursor)


# ---------------------------------------------------------------- entries and ledger
