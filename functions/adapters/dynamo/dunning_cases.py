"""Dunning cases in DunningCasesTable (HASH ``org_id``, RANGE ``case_id``).

Two kinds of items share the table, declared by one model:

- the case (``kind = "case"``, ``case_id`` = the case id): status, amounts, the
  execution running it and its history of steps;
- the lease's lock (``kind = "open_lock"``, ``case_id = "open#<lease_id>"``), written
  with the case in one transaction on condition that it does not exist: a lease has
  at most one open case. Closing the case as paid removes the lock; closing it
  otherwise (referred to the social adviser, closed by staff, failed) keeps it as a
  *hold*: no automatic case opens for the lease until its debt is cleared (the daily
  run then releases the hold) or staff release it.

Every read and write goes through the model (the two-item writes through PynamoDB's
``TransactWrite``); the stored format is the hand-written codec's of before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from functions.adapters.dynamo.base import (
    Map,
    StorageError,
    StoredModel,
    bound,
    failed_condition,
    from_ddb,
    plain_map,
    to_ddb,
)
from functions.core.dunning import CaseEvent, CaseStatus, CloseReason, DunningCase
from functions.core.errors import ConflictError, NotFoundError

LOCK_PREFIX = "open#"
CASE = "case"
LOCK = "open_lock"


def lock_id(lease_id: str) -> str:
    return f"{LOCK_PREFIX}{lease_id}"


class EventMap(Map):
    """One step of a case's history."""

    step = UnicodeAttribute()
    at = UnicodeAttribute()
    detail = Map(null=True)

    @classmethod
    def from_domain(cls, event: CaseEvent) -> EventMap:
        return cls(step=event.step, at=event.at.isoformat(), detail=dict(event.detail))

    def to_domain(self) -> CaseEvent:
        return CaseEvent(self.step, datetime.fromisoformat(self.at), plain_map(self.detail) or {})


class DunningCaseModel(StoredModel):
    """A dunning case or a lease's lock (``DunningCasesTable``): see the module's docstring."""

    org_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)
    lease_id = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    # The case.
    status = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute(null=True)
    balance_at_opening_cents = NumberAttribute(null=True)
    oldest_unpaid = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)
    history = ListAttribute[EventMap](of=EventMap, null=True)
    last_step = UnicodeAttribute(null=True)
    # The lock (and the hold it becomes).
    open_case_id = UnicodeAttribute(null=True)
    held = BooleanAttribute(null=True)
    held_reason = UnicodeAttribute(null=True)
    held_since = UnicodeAttribute(null=True)

    @classmethod
    def from_domain(cls, case: DunningCase) -> DunningCaseModel:
        return cls(
            case.org_id,
            case.case_id,
            kind=CASE,
            lease_id=case.lease_id,
            status=case.status.value,
            opened_at=case.opened_at.isoformat(),
            balance_at_opening_cents=case.balance_at_opening_cents,
            oldest_unpaid=case.oldest_unpaid.isoformat() if case.oldest_unpaid else None,
            execution_arn=case.execution_arn,
            closed_at=case.closed_at.isoformat() if case.closed_at else None,
            close_reason=case.close_reason.value if case.close_reason else None,
            history=[EventMap.from_domain(e) for e in case.history],
        )

    @classmethod
    def lock_of(cls, case: DunningCase) -> DunningCaseModel:
        return cls(
            case.org_id,
            lock_id(case.lease_id),
            kind=LOCK,
            lease_id=case.lease_id,
            open_case_id=case.case_id,
        )

    def to_domain(self) -> DunningCase:
        return DunningCase(
            org_id=self.org_id,
            case_id=self.case_id,
            lease_id=self.lease_id or "",
            opened_at=datetime.fromisoformat(self.opened_at or ""),
            balance_at_opening_cents=int(self.balance_at_opening_cents or 0),
            oldest_unpaid=date.fromisoformat(self.oldest_unpaid) if self.oldest_unpaid else None,
            status=CaseStatus(self.status),
            execution_arn=self.execution_arn,
            closed_at=datetime.fromisoformat(self.closed_at) if self.closed_at else None,
            close_reason=CloseReason(self.close_reason) if self.close_reason else None,
            history=tuple(e.to_domain() for e in self.history or ()),
        )


def case_to_item(case: DunningCase) -> dict[str, Any]:
    """The stored item of ``case`` as plain values."""
    return from_ddb(DunningCaseModel.from_domain(case).serialize())


def case_from_item(item: dict[str, Any]) -> DunningCase:
    return DunningCaseModel.from_raw_data(to_ddb(item)).to_domain()


@dataclass(frozen=True, slots=True)
class OpenCaseRef:
    """What the lock of a lease's open case tells without reading the case."""

    lease_id: str
    case_id: str
    started: bool
    held: bool = False


def _reasons(e: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in e.cancellation_reasons]


class DynamoDunningCaseRepository:
    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(DunningCaseModel, table)

    def _transaction(self) -> TransactWrite:
        connection: Connection = self.model._get_connection().connection
        return TransactWrite(connection=connection)

    def open(self, case: DunningCase) -> tuple[DunningCase, bool]:
        """Store a new open case; if the lease has one already, that one and False."""
        m = self.model
        try:
            with self._transaction() as t:  # two puts: reasons in this order
                t.save(m.lock_of(case), condition=m.case_id.does_not_exist())
                t.save(m.from_domain(case), condition=m.case_id.does_not_exist())
        except TransactWriteError as e:
            if e.cause_response_code != "TransactionCanceledException":
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
        try:
            item = self.model.get(org_id, case_id, consistent_read=True)
        except self.model.DoesNotExist:
            return None
        return item.to_domain() if item.kind == CASE else None

    def get(self, org_id: str, case_id: str) -> DunningCase:
        case = self.find(org_id, case_id)
        if case is None:
            raise NotFoundError("dunning case", case_id)
        return case

    def open_case_of(self, org_id: str, lease_id: str) -> DunningCase | None:
        try:
            lock = self.model.get(org_id, lock_id(lease_id), consistent_read=True)
        except self.model.DoesNotExist:
            return None
        return self.find(org_id, lock.open_case_id or "")

    def open_cases(self, org_id: str) -> dict[str, OpenCaseRef]:
        """The organisation's open cases and holds by lease id (one query over the locks)."""
        m = self.model
        locks = m.query(
            org_id, m.case_id.startswith(LOCK_PREFIX), consistent_read=True, page_size=1000
        )
        return {
            lock.lease_id or "": OpenCaseRef(
                lock.lease_id or "",
                lock.open_case_id or "",
                bool(lock.execution_arn),
                bool(lock.held),
            )
            for lock in locks
        }

    def set_execution(self, case: DunningCase, execution_arn: str) -> None:
        """Remember the execution on the case, then on its lock (read by the daily run)."""
        m = self.model
        try:
            m(case.org_id, case.case_id).update(
                actions=[m.execution_arn.set(execution_arn)], condition=m.case_id.exists()
            )
        except UpdateError as e:
            raise StorageError(str(e)) from e
        try:
            m(case.org_id, lock_id(case.lease_id)).update(
                actions=[m.execution_arn.set(execution_arn)],
                condition=m.open_case_id == case.case_id,
            )
        except UpdateError as e:
            if not failed_condition(e):
                raise StorageError(str(e)) from e  # else: closed meanwhile, nothing to mark

    def record(self, org_id: str, case_id: str, event: CaseEvent) -> None:
        """Append a step to the case's history."""
        m = self.model
        try:
            m(org_id, case_id).update(
                actions=[
                    m.history.set(m.history.append([EventMap.from_domain(event)])),
                    m.last_step.set(event.step),
                ],
                condition=m.case_id.exists(),
            )
        except UpdateError as e:
            if failed_condition(e):
                raise NotFoundError("dunning case", case_id) from e
            raise StorageError(str(e)) from e

    def close(self, case: DunningCase, reason: CloseReason, event: CaseEvent) -> bool:
        """Close an open case; False if it was closed already.

        Paid: the lease is free for a future case. Any other reason: the lock stays
        as a hold (see the module's docstring).
        """
        m = self.model
        at = event.at.isoformat()
        stored = m(case.org_id, case.case_id)
        lock = m(case.org_id, lock_id(case.lease_id))
        try:
            with self._transaction() as t:
                t.update(
                    stored,
                    actions=[
                        m.status.set(CaseStatus.CLOSED.value),
                        m.closed_at.set(at),
                        m.close_reason.set(reason.value),
                        m.history.set(m.history.append([EventMap.from_domain(event)])),
                        m.last_step.set(event.step),
                    ],
                    condition=m.status == CaseStatus.OPEN.value,
                )
                if reason is CloseReason.PAID:
                    t.delete(
                        lock,
                        condition=m.case_id.does_not_exist() | (m.open_case_id == case.case_id),
                    )
                else:
                    t.update(
                        lock,
                        actions=[
                            m.held.set(True),
                            m.held_reason.set(reason.value),
                            m.held_since.set(at),
                        ],
                        condition=m.open_case_id == case.case_id,
                    )
        except TransactWriteError as e:
            if e.cause_response_code != "TransactionCanceledException":
                raise StorageError(str(e)) from e
            reasons = _reasons(e)
            # PynamoDB sends deletes before updates: the case's update is then the last item.
            at_case = len(reasons) - 1 if reason is CloseReason.PAID else 0
            if reasons and reasons[at_case] == "ConditionalCheckFailed":
                return False
            raise ConflictError(f"case {case.case_id}: not closed ({reasons}); retry") from e
        return True

    def release(self, org_id: str, lease_id: str, case_id: str) -> bool:
        """Lift the hold a closed case left on its lease; False if there was none."""
        m = self.model
        try:
            m(org_id, lock_id(lease_id)).delete(
                condition=(m.held == True) & (m.open_case_id == case_id)  # noqa: E712
            )
        except DeleteError as e:
            if failed_condition(e):
                return False
            raise StorageError(str(e)) from e
        return True
