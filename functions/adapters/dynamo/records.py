"""Typed reads over the repositories that still return storage items.

Thin functions next to the repositories, so that nothing above the adapters reads an
item: a transaction with its decision and history, and pages of leases, transactions
and files. (To fold into the repositories themselves when they move onto PynamoDB.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.adapters.dynamo.booking import allocations_from_item
from functions.adapters.dynamo.files import DynamoFileRepository
from functions.adapters.dynamo.leases import DynamoLeaseRepository
from functions.adapters.dynamo.transactions import (
    DynamoTransactionRepository,
    transaction_from_item,
)
from functions.core.allocation import Allocation
from functions.core.lease import Lease
from functions.core.matching import MatchDecision, Method, Outcome, RejectInfo, Suggestion
from functions.core.records import Page, RecordedDecision, TransactionRecord


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def recorded_decision_from_item(item: dict[str, Any]) -> RecordedDecision | None:
    """A stored ``decision`` (or an entry of ``history``); None if it holds no outcome."""
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


def transaction_record_from_item(item: dict[str, Any]) -> TransactionRecord:
    history = (recorded_decision_from_item(h) for h in item.get("history", []))
    return TransactionRecord(
        transaction=transaction_from_item(item),
        decision=recorded_decision_from_item(item.get("decision") or {}),
        revision=int(item.get("revision", 0)),
        history=tuple(h for h in history if h is not None),
    )


class DynamoTransactionRecords:
    """Transactions with their decisions, read as :class:`TransactionRecord`."""

    def __init__(self, transactions: DynamoTransactionRepository) -> None:
        self.transactions = transactions

    def get(self, org_id: str, transaction_id: str) -> TransactionRecord:
        """Raises ``NotFoundError`` for an unknown id."""
        return transaction_record_from_item(self.transactions.get_item(org_id, transaction_id))

    def list(
        self, org_id: str, status: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[TransactionRecord]:
        """One page of the organisation's transactions (of one status if given);
        raises ``ValidationError`` for a cursor this listing did not return."""
        page = self.transactions.list(org_id, status, limit, cursor)
        return Page([transaction_record_from_item(i) for i in page.items], page.cursor)


class DynamoListings:
    """Pages of leases and statement files for the API's listings."""

    def __init__(self, leases: DynamoLeaseRepository, files: DynamoFileRepository) -> None:
        self._leases = leases
        self._files = files

    def leases(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[Lease]:
        return self._leases.list(org_id, limit, cursor)

    def files(
        self, org_id: str, limit: int = 100, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """File records stay the ingest service's plain dicts (no storage codec in them)."""
        page = self._files.list(org_id, limit, cursor)
        return Page(list(page.items), page.cursor)
