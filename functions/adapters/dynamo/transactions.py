"""Bank transactions: ingestion, status, collections.

The table holds the transactions (``tx_…``) with their decision and history, written
by the booker, and the direct-debit collections (``~e2e#…``); one model declares
both. The writes stay raw: ``add_new`` puts new transactions 100 to a
TransactWriteItems and reads each group's cancellation reasons, the booker does the
rest. Reads go through the model.

Performance (bench/dynamo/bench_models.py, embedded emulator, 2 shared cores under a
load of ~10): ``get_many`` of 1,000 transactions took 8.5 s raw (BatchGetItem and the
hand-written codec) and 8.8 s through the model (best of 5; medians 9.7 s and 10.2 s),
within the noise of the machine, so the model path is kept. Asking the model for the
transaction's own attributes only (``attributes_to_get``) was slower, 12.6 s: the
emulator's projection costs more than the decision and history it leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from functions.adapters.aws import client
from functions.adapters.dynamo.base import (
    Map,
    StoredModel,
    _batch_get,
    _d,
    _iso,
    bound,
    model_page,
    plain_map,
    to_ddb,
)
from functions.adapters.dynamo.booking import allocations_from_item, collection_key
from functions.adapters.faults import crash_point
from functions.core.allocation import Allocation
from functions.core.errors import NotFoundError
from functions.core.matching import (
    CollectionRecord,
    MatchDecision,
    Method,
    Outcome,
    RejectInfo,
    Suggestion,
)
from functions.core.records import Page, RecordedDecision, TransactionRecord
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


class StatusIndex(GlobalSecondaryIndex["TransactionModel"]):
    class Meta:
        index_name = "status-index"
        projection = AllProjection()

    org_status = UnicodeAttribute(hash_key=True)
    transaction_id = UnicodeAttribute(range_key=True)


class TransactionModel(StoredModel):
    """A bank transaction (``tx_…``) or a direct-debit collection (``~e2e#…``)
    of ``TransactionsTable``; transactions are listed by status through ``status-index``
    (``<org>#<status>``)."""

    org_id = UnicodeAttribute(hash_key=True)
    transaction_id = UnicodeAttribute(range_key=True)
    org_status = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    amount_cents = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    booking_date = UnicodeAttribute(null=True)
    value_date = UnicodeAttribute(null=True)
    account_iban = UnicodeAttribute(null=True)
    statement_id = UnicodeAttribute(null=True)
    bank_reference = UnicodeAttribute(null=True)
    bank_transaction_code = UnicodeAttribute(null=True)
    counterparty_name = UnicodeAttribute(null=True)
    counterparty_iban = UnicodeAttribute(null=True)
    creditor_account_iban = UnicodeAttribute(null=True)
    end_to_end_id = UnicodeAttribute(null=True)
    mandate_id = UnicodeAttribute(null=True)
    remittance = UnicodeAttribute(null=True)
    structured_reference = UnicodeAttribute(null=True)
    return_reason = UnicodeAttribute(null=True)
    original_end_to_end_id = UnicodeAttribute(null=True)
    reversal = BooleanAttribute(null=True)
    file_id = UnicodeAttribute(null=True)
    recorded_at = UnicodeAttribute(null=True)
    # Written by the booker: the decision, its revision and the decisions it replaced.
    decision = Map(null=True)
    revision = NumberAttribute(null=True)
    history = ListAttribute[dict[str, Any]](null=True)
    # A collection's attributes.
    collection_of = UnicodeAttribute(null=True)
    allocations = ListAttribute[dict[str, Any]](null=True)
    reversed_by = UnicodeAttribute(null=True)

    by_status = StatusIndex()

    def to_domain(self) -> BankTransaction:
        return BankTransaction(
            org_id=self.org_id,
            transaction_id=self.transaction_id,
            kind=TransactionKind(self.kind),
            amount_cents=int(self.amount_cents),
            currency=self.currency or "EUR",
            booking_date=_d(self.booking_date),
            value_date=_d(self.value_date),
            account_iban=self.account_iban,
            statement_id=self.statement_id,
            bank_reference=self.bank_reference,
            bank_transaction_code=self.bank_transaction_code,
            counterparty_name=self.counterparty_name,
            counterparty_iban=self.counterparty_iban,
            creditor_account_iban=self.creditor_account_iban,
            end_to_end_id=self.end_to_end_id,
            mandate_id=self.mandate_id,
            remittance=self.remittance,
            structured_reference=self.structured_reference,
            return_reason=self.return_reason,
            original_end_to_end_id=self.original_end_to_end_id,
            reversal=bool(self.reversal),
            file_id=self.file_id or "",
            status=TransactionStatus(self.status or "new"),
        )

    def to_record(self) -> TransactionRecord:
        """The transaction with its decision, the decision's revision and history."""
        history = (_recorded_decision(h) for h in plain_map(self.history) or ())
        return TransactionRecord(
            transaction=self.to_domain(),
            decision=_recorded_decision(plain_map(self.decision) or {}),
            revision=int(self.revision or 0),
            history=tuple(h for h in history if h is not None),
        )


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _recorded_decision(item: dict[str, Any]) -> RecordedDecision | None:
    """A stored ``decision`` (written by the booker's ``decision_to_item``) or an entry
    of ``history``, read from its raw map; None if it holds no outcome."""
    if not item or not item.get("outcome"):
        return None
    reject = item.get("reject")
    decision = MatchDecision(
        outcome=Outcome(item["outcome"]),
        allocations=allocations_from_item(item),
        method=Method(item["method"]) if item.get("method") else None,
        score=float(item.get("score", 0) or 0),
        evidence=tuple(item.get("evidence", [])),
        reason=item.get("reason"),
        suggestions=tuple(
            Suggestion(
                s["lease_id"],
                float(s.get("score", 0) or 0),
                tuple(s.get("reasons", [])),
                tuple(
                    Allocation(a["lease_id"], int(a["amount_cents"]))
                    for a in s.get("allocations", [])
                ),
            )
            for s in item.get("suggestions", [])
        ),
        reject=RejectInfo(
            reason_code=reject.get("reason_code"),
            reason_label=reject.get("reason_label", ""),
            category=reject.get("category", ""),
            original_end_to_end_id=reject.get("original_end_to_end_id"),
            original_transaction_id=reject.get("original_transaction_id"),
        )
        if isinstance(reject, dict)
        else None,
        confirmed_by=item.get("confirmed_by"),
    )
    revision = item.get("revision")
    return RecordedDecision(
        decision,
        _moment(item.get("decided_at")),
        replaced_at=_moment(item.get("replaced_at")),
        revision=int(revision) if revision is not None else None,
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
        self.model = bound(TransactionModel, table)

    def add_new(self, transactions: Iterable[BankTransaction]) -> tuple[list[str], list[str]]:
        """Store the transactions not stored yet.

        Returns ``(written, to_match)``: the ids written now, and every id of the batch
        still waiting for a decision (written now, or stored by an earlier delivery
        that stopped before the match queue heard of it). Re-delivered transactions
        keep their stored record and status untouched.

        The items are written first, each on condition that it is not there (a new
        file's transactions are new: one request per 100 instead of a read and a
        write); only the ids found there already have their status read.
        """
        batch: dict[str, BankTransaction] = {}
        for tx in transactions:
            batch.setdefault(tx.transaction_id, tx)
        if not batch:
            return [], []
        ddb = client("dynamodb")
        # When it was recorded: the sweeper re-drives what stays ``new`` too long.
        recorded = {"recorded_at": datetime.now(UTC).isoformat()}
        items = {tx_id: to_ddb(transaction_to_item(tx) | recorded) for tx_id, tx in batch.items()}
        there = put_new_transactions(ddb, self.table, items)  # never reset to new
        stored: dict[str, str] = {}
        if there:
            keys = [
                {"org_id": {"S": batch[tx_id].org_id}, "transaction_id": {"S": tx_id}}
                for tx_id in batch
                if tx_id in there
            ]
            status = {"ProjectionExpression": "transaction_id, #s"} | {
                "ExpressionAttributeNames": {"#s": "status"}
            }
            found = _batch_get(ddb, self.table, keys, **status)
            stored = {i["transaction_id"]: i["status"] for i in found}
        waiting = TransactionStatus.NEW.value
        to_match = [t for t in batch if t not in there or stored.get(t) == waiting]
        crash_point("ingest.recorded")
        return [t for t in batch if t not in there], to_match

    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]:
        found = self.model.batch_get(
            [(org_id, t) for t in transaction_ids],
            consistent_read=True,
        )
        order = {t: i for i, t in enumerate(transaction_ids)}
        return sorted((m.to_domain() for m in found), key=lambda t: order[t.transaction_id])

    def get(self, org_id: str, transaction_id: str) -> TransactionRecord:
        """The transaction with its decision and history; raises ``NotFoundError``."""
        if not transaction_id.startswith("tx_"):
            raise NotFoundError("transaction", transaction_id)
        try:
            return self.model.get(org_id, transaction_id, consistent_read=True).to_record()
        except self.model.DoesNotExist as e:
            raise NotFoundError("transaction", transaction_id) from e

    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None:
        """The direct-debit collection booked with this end-to-end id, if any."""
        key = collection_key(org_id, end_to_end_id)
        try:
            item = self.model.get(org_id, key["transaction_id"], consistent_read=True)
        except self.model.DoesNotExist:
            return None
        return CollectionRecord(
            transaction_id=item.collection_of,
            allocations=allocations_from_item({"allocations": plain_map(item.allocations)}),
            booking_date=_d(item.booking_date),
            reversed_by=item.reversed_by,
        )

    def list(
        self, org_id: str, status: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[TransactionRecord]:
        """One page of the organisation's transactions (of one status if given), with
        their decisions; raises ``ValidationError`` for a cursor this listing did not
        return."""
        m = self.model
        scope: dict[str, Any] = {"TableName": self.table}
        if status:
            org_status = f"{org_id}#{status}"
            scope |= {
                "IndexName": "status-index",
                "KeyConditionExpression": "org_status = :s",
                "ExpressionAttributeValues": {":s": {"S": org_status}},
            }
            found, next_cursor = model_page(
                m, org_status, scope, limit, cursor, index_name="status-index"
            )
        else:
            scope |= {
                "KeyConditionExpression": "org_id = :o AND begins_with(transaction_id, :tx)",
                "ExpressionAttributeValues": {":o": {"S": org_id}, ":tx": {"S": "tx_"}},
            }
            found, next_cursor = model_page(
                m,
                org_id,
                scope,
                limit,
                cursor,
                range_key_condition=m.transaction_id.startswith("tx_"),
            )
        return Page([t.to_record() for t in found], next_cursor)


# ---------------------------------------------------------------- entries and ledger
