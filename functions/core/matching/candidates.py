"""A lease a payment may be for, with the clues gathered for it and their combined score."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from functions.core.matching.model import Method

Clue = tuple[float, str, Method | None]
"""A clue's weight (0 to 1), its reason in words, and the method it names, if any."""


def combine(weights: Iterable[float]) -> float:
    """Independent evidence: 1 − Π(1 − w)."""
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return round(1.0 - miss, 4)


@dataclass(slots=True)
class Candidate:
    lease_id: str
    clues: list[Clue] = field(default_factory=list)
    amount: tuple[float, str] | None = None
    base: float = 0.0
    """The score without the amount clue."""
    total: float = 0.0

    def settle(self) -> None:
        self.base = combine(w for w, _, _ in self.clues)
        self.total = combine([self.base, self.amount[0]]) if self.amount else self.base

    def reasons(self) -> tuple[str, ...]:
        out = [r for _, r, _ in sorted(self.clues, key=lambda c: -c[0])]
        if self.amount:
            out.append(self.amount[1])
        return tuple(out)

    def method(self) -> Method:
        methods = {m for _, _, m in self.clues if m}
        for m in (Method.PAYER_IBAN, Method.LEASE_REFERENCE):
            if m in methods:
                return m
        return Method.NAME_AND_AMOUNT


class Candidates(dict[str, Candidate]):
    """Candidates by lease id, created on first mention."""

    def of(self, lease_id: str) -> Candidate:
        c = self.get(lease_id)
        if c is None:
            c = self[lease_id] = Candidate(lease_id)
        return c

    def add(self, clues: dict[str, Clue]) -> None:
        for lid, clue in clues.items():
            self.of(lid).clues.append(clue)

    def ranked(self) -> list[Candidate]:
        return sorted(self.values(), key=lambda c: (-c.total, c.lease_id))
