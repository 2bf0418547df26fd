"""Dunning cases in DunningCasesTable (HASH ``org_id``, RANGE ``case_id``).

Two kinds of items share the table:

- the case (``kind = "case"``, ``case_id`` = the case id): status, amounts, the
  execution running it and its history of steps;
- the lease's lock (``kind = "open_lock"``, ``case_id = "open#<lease_id>"``), written
  with the case in one transaction on condition that it does not exist: a lease has
  at most one open case. Closing the case as paid removes the lock; closing it
  otherwise (referred to the social adviser, closed by staff, failed) keeps it as a
  *hold*: no automatic case opens for the lease until its debt is cleared (the daily
  run then releases the hold) or staff release it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo import StorageError, from_ddb, to_ddb
from functions.core.dunning import CaseEvent, CaseStatus, CloseReason, DunningCase
from functions.core.errors import ConflictError, NotFoundError

LOCK_PREFIX = "open#"


def lock_id(lease_id: str) -> str:
    return f"{LOCK_PREFIX}{lease_id}"


def event_to_item(event: CaseEvent) -> dict[str, Any]:
    return {"step": event.step, "at": event.at.isoformat(), "detail": dict(event.detail)}


def event_from_item(item: dict[str, Any]) -> CaseEvent:
    return CaseEvent(item["step"], datetime.fromisoformat(item["at"]), item.get("detail", {}))


def case_to_item(case: DunningCase) -> dict[str, Any]:
    return {
        "org_id": case.org_id,
        "case_id": case.case_id,
        "kind": "case",
        "lease_id": case.lease_id,
        "status": case.status.value,
        "opened_at": case.opened_at.isoformat(),
        "balance_at_opening_cents": case.balance_at_opening_cents,
        "oldest_unpaid": case.oldest_unpaid.isoformat() if case.oldest_unpaid else None,
        "execution_arn": case.execution_arn,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "close_reason": case.close_reason.value if case.close_reason else None,
        "history": [event_to_item(e) for e in case.history],
    }


def case_from_item(item: dict[str, Any]) -> DunningCase:
    return DunningCase(
        org_id=item["org_id"],
        case_id=item["case_id"],
        lease_id=item["lease_id"],
        opened_at=datetime.fromisoformat(item["opened_at"]),
        balance_at_opening_cents=int(item["balance_at_opening_cents"]),
        oldest_unpaid=date.fromisoformat(item["oldest_unpaid"])
        if item.get("oldest_unpaid")
        else None,
        status=CaseStatus(item["status"]),
        execution_arn=item.get("execution_arn"),
        closed_at=datetime.fromisoformat(item["closed_at"]) if item.get("closed_at") else None,
        close_reason=CloseReason(item["close_reason"]) if item.get("close_reason") else None,
        history=tuple(event_from_item(e) for e in item.get("history", [])),
    )


@dataclass(frozen=True, slots=True)
class OpenCaseRef:
    """What the lock of a lease's open case tells without reading the case."""

    lease_id: str
    case_id: str
    started: bool
    held: bool = False


def _reasons(e: ClientError) -> list[str | None]:
    return [r.get("Code") for r in e.response.get("CancellationReasons", [])]


class DynamoDunningCaseRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def open(self, case: DunningCase) -> tuple[DunningCase, bool]:
        """Store a new open case; if the lease has one already, that one and False."""
        lock = {
            "org_id": case.org_id,
            "case_id": lock_id(case.lease_id),
            "kind": "open_lock",
            "lease_id": case.lease_id,
            "open_case_id": case.case_id,
        }
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_ddb(lock),
                            "ConditionExpression": "attribute_not_exists(case_id)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_ddb(case_to_item(case)),
                            "ConditionExpression": "attribute_not_exists(case_id)",
                        }
                    },
                ]
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "TransactionCanceledException":
                raise StorageError(str(e)) from e
            reasons = _reasons(e)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                existing = self.open_case_of(case.org_id, case.lease_id)
            else:  # this very case exists, closed already (paid the day it opened)
                existing = self.find(case.org_id, case.case_id)
            if existing is None:
                raise ConflictError(f"case of lease {case.lease_id}: moved meanwhile") from e
            return existing, False
        return case, True

    def find(self, org_id: str, case_id: str) -> DunningCase | None:
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "case_id": case_id}),
            ConsistentRead=True,
        )
        if "Item" not in resp:
            return None
        item = from_ddb(resp["Item"])
        return case_from_item(item) if item.get("kind") == "case" else None

    def get(self, org_id: str, case_id: str) -> DunningCase:
        case = self.find(org_id, case_id)
        if case is None:
            raise NotFoundError("dunning case", case_id)
        return case

    def open_case_of(self, org_id: str, lease_id: str) -> DunningCase | None:
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "case_id": lock_id(lease_id)}),
            ConsistentRead=True,
        )
        if "Item" not in resp:
            return None
        return self.find(org_id, resp["Item"]["open_case_id"]["S"])

    def open_cases(self, org_id: str) -> dict[str, OpenCaseRef]:
        """The organisation's open cases and holds by lease id (one query over the locks)."""
        out: dict[str, OpenCaseRef] = {}
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                KeyConditionExpression="org_id = :o AND begins_with(case_id, :p)",
                ExpressionAttributeValues=to_ddb({":o": org_id, ":p": LOCK_PREFIX}),
                ConsistentRead=True,
            )
        )
        for page in pages:
            for raw in page["Items"]:
                item = from_ddb(raw)
                out[item["lease_id"]] = OpenCaseRef(
                    item["lease_id"],
                    item["open_case_id"],
                    bool(item.get("execution_arn")),
                    bool(item.get("held")),
                )
        return out

    def set_execution(self, case: DunningCase, execution_arn: str) -> None:
        """Remember the execution on the case, then on its lock (read by the daily run)."""
        ddb = client("dynamodb")
        ddb.update_item(
            TableName=self.table,
            Key=to_ddb({"org_id": case.org_id, "case_id": case.case_id}),
            UpdateExpression="SET execution_arn = :a",
            ConditionExpression="attribute_exists(case_id)",
            ExpressionAttributeValues=to_ddb({":a": execution_arn}),
        )
        try:
            ddb.update_item(
                TableName=self.table,
                Key=to_ddb({"org_id": case.org_id, "case_id": lock_id(case.lease_id)}),
                UpdateExpression="SET execution_arn = :a",
                ConditionExpression="open_case_id = :c",
                ExpressionAttributeValues=to_ddb({":a": execution_arn, ":c": case.case_id}),
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise StorageError(str(e)) from e  # else: closed meanwhile, nothing to mark

    def record(self, org_id: str, case_id: str, event: CaseEvent) -> None:
        """Append a step to the case's history."""
        try:
            client("dynamodb").update_item(
                TableName=self.table,
                Key=to_ddb({"org_id": org_id, "case_id": case_id}),
                UpdateExpression="SET history = list_append(history, :e), last_step = :s",
                ConditionExpression="attribute_exists(case_id)",
                ExpressionAttributeValues=to_ddb({":e": [event_to_item(event)], ":s": event.step}),
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFoundError("dunning case", case_id) from e
            raise StorageError(str(e)) from e

    def close(self, case: DunningCase, reason: CloseReason, event: CaseEvent) -> bool:
        """Close an open case; False if it was closed already.

        Paid: the lease is free for a future case. Any other reason: the lock stays
        as a hold (see the module's docstring).
        """
        lock_key = to_ddb({"org_id": case.org_id, "case_id": lock_id(case.lease_id)})
        lock_change: dict[str, Any]
        if reason is CloseReason.PAID:
            lock_change = {
                "Delete": {
                    "TableName": self.table,
                    "Key": lock_key,
                    "ConditionExpression": "attribute_not_exists(case_id) OR open_case_id = :c",
                    "ExpressionAttributeValues": to_ddb({":c": case.case_id}),
                }
            }
        else:
            lock_change = {
                "Update": {
                    "TableName": self.table,
                    "Key": lock_key,
                    "UpdateExpression": "SET held = :t, held_reason = :r, held_since = :at",
                    "ConditionExpression": "open_case_id = :c",
                    "ExpressionAttributeValues": to_ddb(
                        {
                            ":t": True,
                            ":r": reason.value,
                            ":at": event.at.isoformat(),
                            ":c": case.case_id,
                        }
                    ),
                }
            }
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": to_ddb({"org_id": case.org_id, "case_id": case.case_id}),
                            "UpdateExpression": "SET #s = :closed, closed_at = :at, "
                            "close_reason = :r, history = list_append(history, :e), "
                            "last_step = :step",
                            "ConditionExpression": "#s = :open",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": to_ddb(
                                {
                                    ":closed": CaseStatus.CLOSED.value,
                                    ":open": CaseStatus.OPEN.value,
                                    ":at": event.at.isoformat(),
                                    ":r": reason.value,
                                    ":e": [event_to_item(event)],
                                    ":step": event.step,
                                }
                            ),
                        }
                    },
                    lock_change,
                ]
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "TransactionCanceledException":
                raise StorageError(str(e)) from e
            reasons = _reasons(e)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            raise ConflictError(f"case {case.case_id}: not closed ({reasons}); retry") from e
        return True

    def release(self, org_id: str, lease_id: str, case_id: str) -> bool:
        """Lift the hold a closed case left on its lease; False if there was none."""
        try:
            client("dynamodb").delete_item(
                TableName=self.table,
                Key=to_ddb({"org_id": org_id, "case_id": lock_id(lease_id)}),
                ConditionExpression="held = :t AND open_case_id = :c",
                ExpressionAttributeValues=to_ddb({":t": True, ":c": case_id}),
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StorageError(str(e)) from e
        return True
