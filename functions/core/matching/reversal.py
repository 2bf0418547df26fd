"""Direct-debit returns: the collection they name is reversed, and the lease owes again."""

from __future__ import annotations

from collections.abc import Sequence

from functions.core.allocation import Allocation
from functions.core.lease_index import LeaseIndex
from functions.core.matching.model import (
    Collections,
    MatchDecision,
    Method,
    Outcome,
    Suggestion,
)
from functions.core.matching.returns import reject_info
from functions.core.names import tokens
from functions.core.transactions import BankTransaction


def decide_reject(
    tx: BankTransaction, index: LeaseIndex | None, collections: Collections | None
) -> MatchDecision:
    amount = abs(tx.amount_cents)
    e2e = tx.original_end_to_end_id
    original = collections.collection(tx.org_id, e2e) if (collections and e2e) else None
    info = reject_info(tx, original.transaction_id if original else None)
    why = f"direct-debit return, reason {info.reason_code or '?'} ({info.reason_label})"
    if original is not None and original.allocations:
        if original.reversed_by and original.reversed_by != tx.transaction_id:
            return MatchDecision(
                Outcome.NOT_RENT,
                method=Method.REJECT_REVERSAL,
                reason=f"{why}: already reversed by {original.reversed_by}",
                reject=info,
            )
        allocs = _reverse(original.allocations, amount)
        return MatchDecision(
            Outcome.ALLOCATED,
            allocations=allocs,
            method=Method.REJECT_REVERSAL,
            score=1.0,
            evidence=(
                f"returns the collection {e2e} booked as {original.transaction_id}",
                why,
            ),
            reject=info,
        )
    lease = None
    if index is not None:
        if tx.mandate_id:
            lease = index.by_mandate(tx.mandate_id)
        if lease is None and e2e:
            refs = index.refs_in(tokens(e2e))
            lease = index.get(next(iter(refs))) if len(refs) == 1 else None
    if lease is not None and tx.statement_id is not None:
        # The bank took the money back from the account: the lease owes it again.
        return MatchDecision(
            Outcome.ALLOCATED,
            allocations=(Allocation(lease.lease_id, -amount),),
            method=Method.REJECT_REVERSAL,
            score=1.0,
            evidence=(f"returned collection of the lease's mandate {lease.mandate_id}", why),
            reject=info,
        )
    suggestions = (Suggestion(lease.lease_id, 0.9, ("mandate of the lease",), ()),) if lease else ()
    return MatchDecision(
        Outcome.REVIEW,
        reason=f"{why}: no booked collection found to reverse",
        suggestions=suggestions,
        reject=info,
    )


def _reverse(allocations: Sequence[Allocation], amount: int) -> tuple[Allocation, ...]:
    """The original allocations negated; a partial return is shared in proportion."""
    total = sum(a.amount_cents for a in allocations)
    if total in (amount, 0):
        return tuple(Allocation(a.lease_id, -a.amount_cents) for a in allocations)
    out: list[Allocation] = []
    left = amount
    for a in allocations[1:]:
        part = amount * a.amount_cents // total
        out.append(Allocation(a.lease_id, -part))
        left -= part
    return (Allocation(allocations[0].lease_id, -left), *out)
