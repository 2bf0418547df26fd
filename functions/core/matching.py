"""Deciding which lease a bank transaction pays.

Strong identifiers only allocate automatically: the lease's virtual IBAN (the
account the payer sent the money to), then the RF creditor reference printed on
its notices. Anything less certain is left unmatched for a person to review:
a payment booked to the wrong tenant is worse than one waiting for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from functions.core.lease import Lease
from functions.core.rf import is_valid_rf, normalize_rf
from functions.core.transactions import BankTransaction, TransactionKind


class Outcome(StrEnum):
    ALLOCATED = "allocated"
    UNMATCHED = "unmatched"
    NOT_RENT = "not_rent"
    REVIEW = "review"


class Method(StrEnum):
    VIBAN = "viban"
    RF_REFERENCE = "rf_reference"


class LeaseDirectory(Protocol):
    """Looks leases up by strong identifiers, within one organisation."""

    def by_viban(self, org_id: str, iban: str) -> Lease | None: ...

    def by_rf(self, org_id: str, reference: str) -> Lease | None: ...


@dataclass(frozen=True, slots=True)
class Allocation:
    lease_id: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class MatchDecision:
    outcome: Outcome
    allocations: tuple[Allocation, ...] = ()
    method: Method | None = None
    score: float = 0.0
    evidence: tuple[str, ...] = ()
    reason: str | None = None


def decide(tx: BankTransaction, leases: LeaseDirectory) -> MatchDecision:
    """The decision for one transaction (pure apart from the directory lookups)."""
    if tx.kind is TransactionKind.DEBIT:
        return MatchDecision(Outcome.NOT_RENT, reason="debit from the landlord's account")
    if tx.kind is TransactionKind.REJECT:
        return MatchDecision(
            Outcome.REVIEW,
            reason=f"direct-debit return (reason {tx.return_reason or 'not given'}) to review",
        )
    if tx.creditor_account_iban:
        lease = leases.by_viban(tx.org_id, tx.creditor_account_iban)
        if lease is not None:
            return _allocate(
                tx, lease, Method.VIBAN, f"paid to the lease's vIBAN {_mask(lease.viban)}"
            )
    if tx.structured_reference and is_valid_rf(tx.structured_reference):
        lease = leases.by_rf(tx.org_id, normalize_rf(tx.structured_reference))
        if lease is not None:
            return _allocate(
                tx, lease, Method.RF_REFERENCE, f"RF reference {lease.rf_reference} of the lease"
            )
    return MatchDecision(
        Outcome.UNMATCHED,
        reason="no known vIBAN or RF reference: left for review",
    )


def _allocate(tx: BankTransaction, lease: Lease, method: Method, evidence: str) -> MatchDecision:
    return MatchDecision(
        Outcome.ALLOCATED,
        allocations=(Allocation(lease.lease_id, tx.amount_cents),),
        method=method,
        score=1.0,
        evidence=(evidence,),
    )


def _mask(iban: str) -> str:
    """Last four characters only: IBANs never reach logs or evidence in clear."""
    return f"…{iban[-4:]}"
