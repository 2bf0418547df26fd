"""Households (comptes locataires): one payment shared over a household's leases.

A household's flat and parking (or garage) are paid together, often with one
transfer to one of their vIBANs. The landlord's ERP keeps one tenant account for
them and applies a payment by its own rule; Encaisse does the same once the
matcher has found which household paid:

- ``oldest_debt_first``: the oldest unpaid debts of the household are settled
  first, whichever lease they are on (the usual rule of a compte locataire);
- ``pro_rata``: each lease gets its share of what the household owes.

What is left once every debt is paid stays as a credit on the lease that was paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from functions.core.allocation import Allocation
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine
from functions.core.matching.model import MatchDecision, Method, Outcome
from functions.core.money import format_cents
from functions.core.organisation import HouseholdSplit

# Direct debits are collected per lease under its own mandate, and reversals undo
# one booking: neither is a household's lump payment.
_NOT_SHARED = {Method.MANDATE, Method.REJECT_REVERSAL, Method.DEBIT, Method.NOT_RENT_RULE}


def household_of(lease: Lease, leases: Sequence[Lease]) -> list[Lease]:
    """The leases sharing ``lease``'s household (itself first), or just itself."""
    if not lease.household_id:
        return [lease]
    others = [
        x for x in leases if x.household_id == lease.household_id and x.lease_id != lease.lease_id
    ]
    return [lease, *sorted(others, key=lambda x: x.lease_id)]


Debt = tuple[date, int]
"""An unpaid debit of a lease: its date and what is left of it, in cents."""


def unpaid_debts(lines: Iterable[LedgerLine]) -> list[Debt]:
    """The debits of an account not yet covered, oldest first (credits settle the
    oldest debts first, as :func:`functions.core.dunning.oldest_unpaid_due_date` does)."""
    lines = list(lines)
    balance = sum(line.amount_cents for line in lines)
    out: list[Debt] = []
    for line in sorted(
        (x for x in lines if x.amount_cents > 0), key=lambda x: x.date, reverse=True
    ):
        if balance <= 0:
            break
        part = min(line.amount_cents, balance)
        out.append((line.date, part))
        balance -= part
    return out[::-1]


def share_household_payment(
    amount_cents: int,
    paid: Lease,
    household: Sequence[Lease],
    rule: HouseholdSplit,
    debts: Mapping[str, Sequence[Debt]],
) -> tuple[Allocation, ...]:
    """``amount_cents`` shared over ``household`` (``paid`` first) by ``rule``.

    ``debts`` are each lease's unpaid debits (:func:`unpaid_debts`); a lease missing
    from it is taken to owe its balance, dated after every known debt.
    """
    owed = {x.lease_id: max(x.balance_cents, 0) for x in household}
    shares = {x.lease_id: 0 for x in household}
    total = sum(owed.values())
    if rule is HouseholdSplit.PRO_RATA and total > 0:
        pot = min(amount_cents, total)
        for lease_id, debt in owed.items():
            shares[lease_id] = pot * debt // total
        # Cents lost to rounding go, one each, to the largest debts.
        left = pot - sum(shares.values())
        for lease_id in sorted(owed, key=lambda k: (-owed[k], k))[:left]:
            shares[lease_id] += 1
    elif rule is HouseholdSplit.OLDEST_DEBT_FIRST:
        items = [
            (day, lease_id != paid.lease_id, lease_id, cents)
            for lease_id in owed
            for day, cents in debts.get(lease_id, [(date.max, owed[lease_id])])
        ]
        remaining = amount_cents
        for _, _, lease_id, cents in sorted(items):
            part = min(cents, remaining, owed[lease_id] - shares[lease_id])
            shares[lease_id] += part
            remaining -= part
    shares[paid.lease_id] += amount_cents - sum(shares.values())
    return tuple(
        Allocation(x.lease_id, shares[x.lease_id]) for x in household if shares[x.lease_id]
    )


def may_be_shared(decision: MatchDecision) -> bool:
    """Whether :func:`spread_over_household` may change ``decision`` at all: a credit
    allocated to one lease, by a method that is a payment of the tenant's own."""
    return (
        decision.outcome is Outcome.ALLOCATED
        and len(decision.allocations) == 1
        and decision.method not in _NOT_SHARED
        and decision.allocations[0].amount_cents > 0
    )


def _paid_household(decision: MatchDecision, leases: Sequence[Lease]) -> list[Lease] | None:
    """The paid lease's household (paid lease first), when one of its other leases
    owes something; else None (the decision stays as it is)."""
    if not may_be_shared(decision):
        return None
    lease_id = decision.allocations[0].lease_id
    paid = next((x for x in leases if x.lease_id == lease_id), None)
    if paid is None or not paid.household_id:
        return None
    household = household_of(paid, leases)
    return household if any(x.balance_cents > 0 for x in household[1:]) else None


def debts_needed(decision: MatchDecision, leases: Sequence[Lease], rule: HouseholdSplit) -> bool:
    """Whether :func:`spread_over_household` reads the members' unpaid debts for this
    decision: only the oldest-debt-first rule does, and only when it shares."""
    if rule is not HouseholdSplit.OLDEST_DEBT_FIRST:
        return False
    return _paid_household(decision, leases) is not None


def spread_over_household(
    decision: MatchDecision,
    leases: Sequence[Lease],
    rule: HouseholdSplit,
    debts: Mapping[str, Sequence[Debt]],
) -> MatchDecision:
    """The decision with a single-lease credit shared over that lease's household.

    Unchanged unless it allocates a credit to one lease of a household whose other
    leases owe something.
    """
    household = _paid_household(decision, leases)
    if household is None:
        return decision
    alloc, paid = decision.allocations[0], household[0]
    shared = share_household_payment(alloc.amount_cents, paid, household, rule, debts)
    if shared == decision.allocations:
        return decision
    parts = ", ".join(f"{format_cents(a.amount_cents)} to {a.lease_id}" for a in shared)
    why = f"household {paid.household_id}: {parts} ({rule.value.replace('_', ' ')})"
    return replace(decision, allocations=shared, evidence=(*decision.evidence, why))
