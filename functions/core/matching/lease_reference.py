"""Clue: the lease number written in the remittance text."""

from __future__ import annotations

from collections.abc import Sequence

from functions.core.lease_index import LeaseIndex
from functions.core.matching.candidates import Clue
from functions.core.matching.model import Method
from functions.core.matching.policy import Weights


def lease_reference_clues(
    words: Sequence[str], index: LeaseIndex, w: Weights, remittance: Sequence[str] = ()
) -> dict[str, Clue]:
    """The lease number as written ("TIL-00042", "til 42"), or, for numeric lease
    numbers, after a short prefix in the remittance text ("L 0012345", "BAIL12345")."""
    clue: Clue = (w.lease_reference, "lease number in the remittance text", Method.LEASE_REFERENCE)
    found = dict.fromkeys(index.refs_in(words), clue)
    prefixed: Clue = (
        w.lease_reference,
        "lease number after a prefix in the remittance text",
        Method.LEASE_REFERENCE,
    )
    for lid in index.prefixed_refs_in(remittance):
        found.setdefault(lid, prefixed)
    return found
