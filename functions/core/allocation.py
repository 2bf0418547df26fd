"""Splitting one payment over several leases, and explaining the split.

One transfer may pay a tenant's flat and parking (two leases), or a lump for
several months. Splits follow what is due, so the explanation reads like a
person's: "520.00 to TIL-00042 (its balance), 45.00 to PKG-00043 (its balance)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from functions.core.lease import Lease
from functions.core.money import format_cents


@dataclass(frozen=True, slots=True)
class Allocation:
    lease_id: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Split:
    allocations: tuple[Allocation, ...]
    exact: bool
    """True when the amount is exactly what the leases owe (balances or one month each)."""
    explanation: str


def split_payment(amount_cents: int, leases: Sequence[Lease]) -> Split:
    """Share ``amount_cents`` over ``leases`` (at least one) by what each owes.

    Exact when the amount equals the sum of the positive balances, or of one
    month's due per lease. Otherwise each balance is paid, largest rent first,
    and what remains (an over-payment) is kept as credit on the main lease.
    """
    if not leases:
        raise ValueError("split_payment needs at least one lease")
    main = sorted(leases, key=lambda x: (-x.monthly_due_cents, x.lease_id))
    for label, dues in (
        ("balance", [max(x.balance_cents, 0) for x in main]),
        ("monthly due", [x.monthly_due_cents for x in main]),
    ):
        if all(d > 0 for d in dues) and sum(dues) == amount_cents:
            allocs = tuple(Allocation(x.lease_id, d) for x, d in zip(main, dues, strict=True))
            return Split(allocs, True, _explain(allocs, f"its {label}"))
    remaining = amount_cents
    shares: dict[str, int] = {}
    for lease in main:
        part = min(max(lease.balance_cents, 0), remaining)
        shares[lease.lease_id] = part
        remaining -= part
    shares[main[0].lease_id] += remaining
    allocs = tuple(Allocation(x.lease_id, shares[x.lease_id]) for x in main if shares[x.lease_id])
    return Split(allocs, False, _explain(allocs, "balance first, the rest to the main lease"))


def _explain(allocs: Sequence[Allocation], basis: str) -> str:
    parts = ", ".join(f"{format_cents(a.amount_cents)} to {a.lease_id}" for a in allocs)
    return f"split: {parts} ({basis})"
