"""Clue: the lease number written in the remittance text."""

from __future__ import annotations

from collections.abc import Sequence

from functions.core.lease_index import LeaseIndex
from functions.core.matching.candidates import Clue
from functions.core.matching.model import Method
from functions.core.matching.policy import Weights


def lease_reference_clues(words: Sequence[str], index: LeaseIndex, w: Weights) -> dict[str, Clue]:
    clue: Clue = (w.lease_reference, "lease number in the remittance text", Method.LEASE_REFERENCE)
    return dict.fromkeys(index.refs_in(words), clue)
