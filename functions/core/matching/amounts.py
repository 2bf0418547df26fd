"""Clue: the amount against what the lease owes."""

from __future__ import annotations

from functions.core.lease import Lease
from functions.core.matching.policy import Weights
from functions.core.money import format_cents


def amount_clue(amount: int, lease: Lease, w: Weights) -> tuple[float, str] | None:
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
