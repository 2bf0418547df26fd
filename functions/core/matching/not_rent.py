"""Clue against rent: an insurer, a supplier, a public body or a refund named in the payment."""

from __future__ import annotations

from functions.core.matching.policy import MatchPolicy
from functions.core.names import PayerName


def not_rent_word(payer: PayerName, remit: PayerName, policy: MatchPolicy) -> str | None:
    for words in (payer.words, remit.words):
        hit = words & policy.not_rent_words
        if hit:
            return min(hit)
    return None
