"""Deciding which lease a bank transaction pays.

A payment booked to the wrong tenant is worse than one waiting for review, so
a transaction is allocated automatically only on unambiguous evidence:

1. a strong identifier (:mod:`.strong`) — the lease's virtual IBAN (the account
   the payer sent the money to), the RF creditor reference printed on its notices
   (check digits verified), the SEPA mandate (RUM) of a direct-debit collection;
   a direct-debit return names the collection it reverses (:mod:`.reversal`);
2. or a score at or above the organisation's threshold with a clear margin over
   the next candidate (:mod:`.decision`), from weaker clues, one module each: a
   payer IBAN confirmed for the lease earlier (:mod:`.payer_iban`), the lease
   number in the remittance text (:mod:`.lease_reference`), the tenant's name
   (:mod:`.name_clues`), the amount against what is due (:mod:`.amounts`).

Everything else goes to the review queue with ranked suggestions and the
reasons behind each. See docs/matching.md for the policy in a finance team's words.
"""

from __future__ import annotations

from functions.core.allocation import Allocation
from functions.core.lease_index import LeaseIndex
from functions.core.matching.decision import decide_by_score
from functions.core.matching.model import (
    STRONG_METHODS,
    CollectionRecord,
    Collections,
    LeaseDirectory,
    MatchDecision,
    Method,
    Outcome,
    Suggestion,
)
from functions.core.matching.name_clues import CROWDED
from functions.core.matching.policy import DEFAULT_POLICY, NOT_RENT_WORDS, MatchPolicy, Weights
from functions.core.matching.returns import REJECT_REASONS, RejectInfo, reject_info
from functions.core.matching.reversal import decide_reject
from functions.core.matching.strong import strong
from functions.core.transactions import BankTransaction, TransactionKind

__all__ = [
    "CROWDED",
    "DEFAULT_POLICY",
    "NOT_RENT_WORDS",
    "REJECT_REASONS",
    "STRONG_METHODS",
    "Allocation",
    "CollectionRecord",
    "Collections",
    "LeaseDirectory",
    "MatchDecision",
    "MatchPolicy",
    "Method",
    "Outcome",
    "RejectInfo",
    "Suggestion",
    "Weights",
    "decide",
    "reject_info",
]


def decide(
    tx: BankTransaction,
    leases: LeaseDirectory,
    policy: MatchPolicy | None = None,
    collections: Collections | None = None,
) -> MatchDecision:
    """The decision for one transaction (pure apart from the directory lookups).

    With a :class:`LeaseIndex` every clue is used; with a plain directory only
    the strong identifiers (vIBAN, RF reference).
    """
    policy = policy or DEFAULT_POLICY
    if tx.kind is TransactionKind.DEBIT:
        return MatchDecision(
            Outcome.NOT_RENT, method=Method.DEBIT, reason="debit from the landlord's account"
        )
    index = leases if isinstance(leases, LeaseIndex) else None
    if tx.kind is TransactionKind.REJECT:
        return decide_reject(tx, index, collections)
    found = strong(tx, leases, index)
    if found is not None:
        return found
    if index is None:
        return MatchDecision(
            Outcome.UNMATCHED, reason="no known vIBAN or RF reference: left for review"
        )
    return decide_by_score(tx, index, policy)
