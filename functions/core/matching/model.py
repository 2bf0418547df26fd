"""The records a matching decision is made of, shared by every clue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from functions.core.allocation import Allocation
from functions.core.lease_index import StrongDirectory
from functions.core.matching.returns import RejectInfo


class Outcome(StrEnum):
    ALLOCATED = "allocated"
    UNMATCHED = "unmatched"
    NOT_RENT = "not_rent"
    REVIEW = "review"


class Method(StrEnum):
    VIBAN = "viban"
    RF_REFERENCE = "rf_reference"
    MANDATE = "mandate"
    REJECT_REVERSAL = "reject_reversal"
    PAYER_IBAN = "payer_iban"
    LEASE_REFERENCE = "lease_reference"
    NAME_AND_AMOUNT = "name_and_amount"
    NOT_RENT_RULE = "not_rent_rule"
    DEBIT = "debit"
    MANUAL = "manual"


STRONG_METHODS = frozenset({Method.VIBAN, Method.RF_REFERENCE, Method.MANDATE})

LeaseDirectory = StrongDirectory


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A lease the transaction may pay, with its score and the reasons behind it."""

    lease_id: str
    score: float
    reasons: tuple[str, ...]
    allocations: tuple[Allocation, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchDecision:
    outcome: Outcome
    allocations: tuple[Allocation, ...] = ()
    method: Method | None = None
    score: float = 0.0
    evidence: tuple[str, ...] = ()
    reason: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    reject: RejectInfo | None = None
    confirmed_by: str | None = None

    @property
    def lease_ids(self) -> tuple[str, ...]:
        return tuple(a.lease_id for a in self.allocations)


@dataclass(frozen=True, slots=True)
class CollectionRecord:
    """A booked direct-debit collection, found again by its end-to-end id."""

    transaction_id: str
    allocations: tuple[Allocation, ...]
    booking_date: date | None = None
    reversed_by: str | None = None


class Collections(Protocol):
    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None: ...


def mask(iban: str) -> str:
    """Last four characters only: IBANs never reach logs or evidence in clear."""
    return f"…{iban[-4:]}"
