"""Clue: the amount against what the lease owes."""

from __future__ import annotations

from datetime import date

from functions.core.lease import Lease
from functions.core.matching.policy import Weights
from functions.core.money import format_cents


def amount_clue(
    amount: int,
    lease: Lease,
    w: Weights,
    on: date | None = None,
    words: frozenset[str] = frozenset(),
) -> tuple[float, str] | None:
    """What the amount says about the lease: its due, its balance, months of it, a
    share, or (on an ended lease) part of its arrears."""
    found = _due_clue(amount, lease, w)
    if found is None and on is not None:
        found = arrears_clue(amount, lease, w, on, words)
    return found


ARREARS_WORDS = frozenset(
    {"SOLDE", "ARRIERE", "ARRIERES", "DETTE", "ECHEANCIER", "ECHEANCE", "APUREMENT", "IMPAYE"}
)
"""Words of a former tenant paying off a debt ("solde", "échéancier", "plan d'apurement")."""


def arrears_clue(
    amount: int, lease: Lease, w: Weights, on: date, words: frozenset[str] = frozenset()
) -> tuple[float, str] | None:
    """A former tenant pays off arrears: no more rent is due, but the debt is, by
    round instalments of a repayment plan or with a word saying so. Any other
    amount below the debt says nothing (every payment is below some debt)."""
    if lease.end_date is None or lease.end_date >= on or not 0 < amount <= lease.balance_cents:
        return None
    said = words & ARREARS_WORDS
    if amount % 1_000 and not said:
        return None
    how = f"'{min(said)}' in the text" if said else "a round instalment"
    return (
        w.amount_arrears,
        f"the lease ended with {format_cents(lease.balance_cents)} owed: "
        f"{format_cents(amount)} is part of it ({how})",
    )


def _due_clue(amount: int, lease: Lease, w: Weights) -> tuple[float, str] | None:
    due = lease.monthly_due_cents
    if lease.balance_cents > 0 and amount == lease.balance_cents:
        return (w.amount_due, f"amount is the balance due ({format_cents(amount)})")
    if due > 0 and amount == due:
        return (w.amount_due, f"amount is one month's due ({format_cents(due)})")
    if due > 0 and amount % due == 0 and 2 <= amount // due <= 6:
        return (w.amount_months, f"amount is {amount // due} months' due")
    n = len(lease.tenants)
    if n >= 2 and due > 0 and abs(amount * n - due) <= n:
        return (w.amount_share, f"amount is one of {n} co-tenants' share of the month")
    return None


def is_specific(amount: int, lease: Lease) -> bool:
    """The amount is exactly what this lease owes (balance, months of its due, a
    co-tenant's share) and not a round sum anybody may pay on account."""
    due = lease.monthly_due_cents
    if amount % 1_000 == 0 or amount <= 0:
        return False
    if amount == lease.balance_cents or (due > 0 and amount % due == 0 and amount // due <= 6):
        return True
    n = len(lease.tenants)
    return n >= 2 and due > 0 and abs(amount * n - due) <= n
