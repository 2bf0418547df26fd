"""Booking a matched payment in one transaction: ledger, lease balances, transaction, entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.base import StorageError, _iso, to_ddb
from functions.adapters.dynamo.entries import entry_to_item
from functions.adapters.dynamo.ledger import ledger_line_to_item
from functions.adapters.dynamo.ledger_writer import _put_new
from functions.adapters.faults import crash_point
from functions.core.allocation import Allocation
from functions.core.booking import Booking, Written, lease_deltas
from functions.core.errors import ConflictError
from functions.core.lease import Lease
from functions.core.matching import MatchDecision
from functions.core.records import RecordedDecision


@dataclass(frozen=True, slots=True)
class BookingTables:
    leases: str
    ledger: str
    transactions: str
    entries: str


COLLECTION_PREFIX = "~e2e#"
"""Items of the transactions table that remember a direct-debit collection by its
end-to-end id (so that its return reverses it once). Transaction ids start with
``tx_``: listings read that prefix only."""


def collection_key(org_id: str, end_to_end_id: str) -> dict[str, Any]:
    return {"org_id": org_id, "transaction_id": f"{COLLECTION_PREFIX}{end_to_end_id}"}


class DynamoBooker:
    """Writes one transaction's outcome in a single DynamoDB transaction.

    The transaction's status moves from the expected one (``new`` for the
    matcher; the queue's status for a person's decision, with the decision's
    revision checked) to its outcome, the previous decision is kept in its
    history, the ledger lines and accounting entries are created (conditions:
    not there yet), and each lease's cached balance moves with its version
    checked — with the payer IBANs it learned and the dunning flag of a
    direct-debit return. Either all of it is written or none: a retry after a
    failure books exactly once.
    """

    def __init__(self, tables: BookingTables) -> None:
        self.t = tables

    def book(self, booking: Booking, leases: Mapping[str, Lease]) -> bool:
        """Returns False if the transaction had left the expected status already."""
        tx = booking.tx
        items = self._items(booking, leases)
        crash_point("match.deciding")
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as e:
            reasons = _cancellation_codes(e)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # the transaction left the expected status already
            raise ConflictError(
                f"transaction {tx.transaction_id}: concurrent update ({reasons}); retry"
            ) from e
        crash_point("match.booked")
        return True

    def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
        """Several bookings in one TransactWriteItems (packed by ``pack_groups``: at most
        100 items, none written twice), each with the leases as it expects them.

        All are written or none. When the write is cancelled, DynamoDB names the
        failed condition of each item: a booking whose transaction had left ``new``
        is LEFT, one whose lease (or collection) changed is STALE, the others of
        the group are WAITING (written by nobody, to write again without the failed
        ones). The crash steps frame each group as they frame a single booking.

        Raw botocore, not PynamoDB's ``TransactWrite``, measured against it with the
        models of the four tables (``bench/dynamo/bench_transact_write.py``: the same
        groups built with the models' update actions and conditions, the lease's
        ``VersionAttribute`` adding ``ADD version 1`` and ``version = :v``; 500
        direct-debit payments, 5 items each, 75 groups of 100 items per booker, the two
        alternating on the embedded emulator, 2-core machine at a load of ~20). A group
        took 263 ms best, 750 ms median raw; 427 ms best (+62 %), 772 ms median (+3 %)
        through ``TransactWrite``. The difference is the client: building the request
        costs 1.5 ms raw and 70 ms through the models (serialising model instances,
        ~3.5 ms a booking), CPU the Lambda pays on every group, and which weighs more
        against real DynamoDB than against the emulator's ~2.3 ms an item. The median
        is within 20 %, the best case and the client's cost are not: the booking stays
        raw (issue 12's hot path must not get slower). ``TransactWrite`` would also
        reorder the items (condition checks, deletes, puts, then updates), so the
        cancellation reasons read here per booking would need remapping. The per-item
        cancellation reasons are read straight from the error.
        """
        items: list[dict[str, Any]] = []
        spans: list[tuple[int, int]] = []
        for booking, leases in group:
            mine = self._items(booking, leases)
            spans.append((len(items), len(mine)))
            items += mine
        crash_point("match.deciding")
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as e:
            reasons = _cancellation_codes(e)
            if len(reasons) != len(items):
                raise StorageError(f"booking of {len(group)} transactions: {e}") from e
            out = []
            for start, count in spans:
                codes = reasons[start : start + count]
                if codes[0] == "ConditionalCheckFailed":
                    out.append(Written.LEFT)
                elif any(code not in (None, "None") for code in codes):
                    out.append(Written.STALE)
                else:
                    out.append(Written.WAITING)
            return out
        crash_point("match.booked")
        return [Written.BOOKED] * len(group)

    def _items(self, booking: Booking, leases: Mapping[str, Lease]) -> list[dict[str, Any]]:
        tx, decision = booking.tx, booking.decision
        status = decision.outcome.value
        values: dict[str, Any] = {
            ":s": status,
            ":os": f"{tx.org_id}#{status}",
            ":expected": booking.expected_status,
            ":d": decision_to_item(decision, booking.decided_at),
            ":rev": booking.revision + (0 if booking.expected_status == "new" else 1),
        }
        update = "SET #s = :s, org_status = :os, decision = :d, revision = :rev"
        condition = "#s = :expected"
        if booking.expected_status != "new":
            values[":old_rev"] = booking.revision
            values[":empty"] = []
            update += ", history = list_append(if_not_exists(history, :empty), :prev)"
            condition += " AND (attribute_not_exists(revision) OR revision = :old_rev)"
            values[":prev"] = [
                recorded_decision_to_item(booking.previous_decision)
                | {"revision": booking.revision, "replaced_at": booking.decided_at.isoformat()}
            ]
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.t.transactions,
                    "Key": to_ddb({"org_id": tx.org_id, "transaction_id": tx.transaction_id}),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_ddb(values),
                }
            }
        ]
        items += [
            _put_new(self.t.ledger, ledger_line_to_item(line), "line_id") for line in booking.lines
        ]
        items += self._lease_updates(booking, leases)
        items += [
            _put_new(self.t.entries, entry_to_item(entry), "entry_id") for entry in booking.entries
        ]
        if booking.collection_e2e:
            items.append(
                {
                    "Put": {
                        "TableName": self.t.transactions,
                        "Item": to_ddb(
                            collection_key(tx.org_id, booking.collection_e2e)
                            | {
                                "collection_of": tx.transaction_id,
                                "booking_date": _iso(tx.booking_date),
                                "allocations": [
                                    {"lease_id": a.lease_id, "amount_cents": a.amount_cents}
                                    for a in decision.allocations
                                ],
                            }
                        ),
                    }
                }
            )
        if booking.reverses_e2e:
            items.append(
                {
                    "Update": {
                        "TableName": self.t.transactions,
                        "Key": to_ddb(collection_key(tx.org_id, booking.reverses_e2e)),
                        "UpdateExpression": "SET reversed_by = :r",
                        "ConditionExpression": "attribute_not_exists(reversed_by) "
                        "OR reversed_by = :r",
                        "ExpressionAttributeValues": to_ddb({":r": tx.transaction_id}),
                    }
                }
            )
        return items

    def _lease_updates(self, booking: Booking, leases: Mapping[str, Lease]) -> list[dict[str, Any]]:
        out = []
        for lease_id, delta in lease_deltas(booking).items():
            lease = leases[lease_id]
            values: dict[str, Any] = {":d": delta, ":one": 1, ":v": lease.version}
            sets = ["balance_cents = balance_cents + :d", "version = version + :one"]
            removes = []
            condition = "version = :v"
            if lease_id in booking.payer_ibans:
                # The ERP's payer history is imported without moving the version: the
                # list this booking extends must still be the stored one.
                if lease.payer_ibans:
                    condition += " AND payer_ibans = :was"
                    values[":was"] = list(lease.payer_ibans)
                else:
                    condition += (
                        " AND (attribute_not_exists(payer_ibans)"
                        " OR attribute_type(payer_ibans, :null) OR size(payer_ibans) = :zero)"
                    )
                    values[":null"], values[":zero"] = "NULL", 0
                ibans = list(booking.payer_ibans[lease_id])
                if ibans:
                    sets.append("payer_ibans = :p")
                    values[":p"] = ibans
                else:
                    removes.append("payer_ibans")
            if lease_id in booking.dunning:
                sets.append("dunning_flag = :f")
                values[":f"] = booking.dunning[lease_id].as_item()
            expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
            out.append(
                {
                    "Update": {
                        "TableName": self.t.leases,
                        "Key": to_ddb({"org_id": lease.org_id, "lease_id": lease_id}),
                        "UpdateExpression": expr,
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": to_ddb(values),
                    }
                }
            )
        return out


def _cancellation_codes(e: ClientError) -> list[str | None]:
    """The failed condition of each item of a cancelled transaction (``"None"``: no
    failure of its own); any other error is the store's."""
    if e.response["Error"]["Code"] != "TransactionCanceledException":
        raise StorageError(str(e)) from e
    return [r.get("Code") for r in e.response.get("CancellationReasons", [])]


def decision_to_item(decision: MatchDecision, decided_at: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "outcome": decision.outcome.value,
        "method": decision.method.value if decision.method else None,
        "score": Decimal(str(decision.score)),
        "evidence": list(decision.evidence),
        "reason": decision.reason,
        "allocations": [
            {"lease_id": a.lease_id, "amount_cents": a.amount_cents} for a in decision.allocations
        ],
        "suggestions": [
            {
                "lease_id": sg.lease_id,
                "score": Decimal(str(sg.score)),
                "reasons": list(sg.reasons),
                "allocations": [
                    {"lease_id": a.lease_id, "amount_cents": a.amount_cents} for a in sg.allocations
                ],
            }
            for sg in decision.suggestions
        ],
        "decided_at": decided_at.isoformat(),
        "confirmed_by": decision.confirmed_by,
    }
    if decision.reject is not None:
        r = decision.reject
        item["reject"] = {
            "reason_code": r.reason_code,
            "reason_label": r.reason_label,
            "category": r.category,
            "original_end_to_end_id": r.original_end_to_end_id,
            "original_transaction_id": r.original_transaction_id,
        }
    return {k: v for k, v in item.items() if v is not None} | {
        "confirmed_by": decision.confirmed_by
    }


def recorded_decision_to_item(recorded: RecordedDecision | None) -> dict[str, Any]:
    """A decision kept in a transaction's history, as it was stored."""
    if recorded is None:
        return {}
    when = recorded.decided_at
    item = decision_to_item(recorded.decision, when or datetime.now(UTC))
    return item if when else item | {"decided_at": None}


def allocations_from_item(decision: dict[str, Any] | None) -> tuple[Allocation, ...]:
    if not decision:
        return ()
    return tuple(
        Allocation(a["lease_id"], int(a["amount_cents"])) for a in decision.get("allocations", [])
    )


# ---------------------------------------------------------------- files
