"""Clue: the payer's IBAN was confirmed for a lease before (by a strong identifier or a person)."""

from __future__ import annotations

from functions.core.lease_index import LeaseIndex
from functions.core.matching.candidates import Clue
from functions.core.matching.model import Method, mask
from functions.core.matching.policy import Weights


def payer_iban_clues(
    iban: str | None, index: LeaseIndex, w: Weights, guardian: str | None = None
) -> dict[str, Clue]:
    """One clue per lease this IBAN paid; weaker when it pays several tenants, or
    when it is a guardian's (who pays for adults it has not paid for yet)."""
    ids = index.by_payer_iban(iban) if iban else set()
    if not iban or not ids:
        return {}
    people = {index.entry(lid).tenant_key for lid in ids}
    if guardian is not None:
        clue: Clue = (w.payer_iban_shared, f"payer IBAN {mask(iban)} of a guardian", None)
        return dict.fromkeys(ids, clue)
    if len(people) > 1:
        shared: Clue = (
            w.payer_iban_shared,
            f"payer IBAN {mask(iban)} pays {len(people)} tenants' leases",
            None,
        )
        return dict.fromkeys(ids, shared)
    own: Clue = (
        w.payer_iban,
        f"payer IBAN {mask(iban)} confirmed for this lease",
        Method.PAYER_IBAN,
    )
    return dict.fromkeys(ids, own)
