"""Transfers to the generic IBAN: the clues scored per lease, and the threshold and margin rule.

A payment is allocated without a person only when the best candidate reaches the
threshold *and* beats the next one by the margin; everything else goes to review
with ranked suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from functions.core.allocation import Allocation, split_payment
from functions.core.lease_index import IndexedLease, LeaseIndex
from functions.core.matching.amounts import amount_clue, is_specific
from functions.core.matching.candidates import Candidate, Candidates, Clue, combine
from functions.core.matching.guardians import guardian_word
from functions.core.matching.lease_reference import lease_reference_clues
from functions.core.matching.model import MatchDecision, Method, Outcome, Suggestion
from functions.core.matching.name_clues import (
    guardian_name_clue,
    name_candidates,
    payer_name_clue,
    remittance_name_clue,
)
from functions.core.matching.not_rent import not_rent_word
from functions.core.matching.payer_iban import payer_iban_clues
from functions.core.matching.policy import MatchPolicy, Weights
from functions.core.names import PayerName, parse_payer, tokens
from functions.core.transactions import BankTransaction

_NO_PAYER = parse_payer("")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a transfer says, read once: its amount, the payer's name, its text."""

    amount: int
    iban: str | None
    payer: PayerName
    remit: PayerName
    words: tuple[str, ...]
    remit_words: tuple[str, ...] = ()
    """The remittance text alone (lease numbers after a prefix are read only there)."""
    on: date | None = None
    guardian: str | None = None
    """The word showing that the payer is a guardian paying for a protected adult."""

    @classmethod
    def of(cls, tx: BankTransaction) -> Reading:
        text = " ".join(x for x in (tx.remittance, tx.end_to_end_id) if x and x != "NOTPROVIDED")
        payer = parse_payer(tx.counterparty_name) if tx.counterparty_name else _NO_PAYER
        return cls(
            tx.amount_cents,
            tx.counterparty_iban,
            payer,
            parse_payer(tx.remittance) if tx.remittance else _NO_PAYER,
            tokens(text) if text else (),
            tokens(tx.remittance) if tx.remittance else (),
            tx.booking_date or tx.value_date,
            guardian_word(payer),
        )


def gather(r: Reading, index: LeaseIndex, policy: MatchPolicy) -> tuple[list[Candidate], float]:
    """Every candidate lease, scored and ranked, and the score of the unscored crowd
    (tenants of a common surname not scored one by one)."""
    w = policy.weights
    cands = Candidates()
    cands.add(payer_iban_clues(r.iban, index, w, r.guardian))
    cands.add(lease_reference_clues(r.words, index, w, r.remit_words))
    amount_ids = index.by_amount(r.amount)
    background = 0.0
    # A guardian's own name says nothing of the lease: the adult is in the text.
    names = ((r.remit, True),) if r.guardian else ((r.payer, True), (r.remit, False))
    for name, is_payer in names:
        if name.words:
            found, crowd = name_candidates(index, name, amount_ids, w, is_payer)
            background = max(background, crowd)
            for lid in found:
                cands.of(lid)
    for c in cands.values():
        entry = index.entry(c.lease_id)
        c.clues.extend(x for x in _name_clues(r, entry, index, w) if x)
        c.amount = amount_clue(r.amount, entry.lease, w, r.on, frozenset(r.remit_words))
        c.settle()
    return cands.ranked(), background


def _name_clues(
    r: Reading, entry: IndexedLease, index: LeaseIndex, w: Weights
) -> tuple[Clue | None, ...]:
    if r.guardian:
        return (guardian_name_clue(r.remit, entry, w, r.guardian) if r.remit.words else None,)
    return (
        payer_name_clue(r.payer, entry, w, index) if r.payer.words else None,
        remittance_name_clue(r.remit, entry, w) if r.remit.words else None,
    )


def decide_by_score(tx: BankTransaction, index: LeaseIndex, policy: MatchPolicy) -> MatchDecision:
    r = Reading.of(tx)
    ranked, background = gather(r, index, policy)
    best_score = ranked[0].total if ranked else 0.0
    not_rent = not_rent_word(r.payer, r.remit, policy)
    if not_rent and best_score < policy.not_rent_ceiling:
        return MatchDecision(
            Outcome.NOT_RENT,
            method=Method.NOT_RENT_RULE,
            score=round(1.0 - best_score, 4),
            evidence=(f"'{not_rent}' in the payer name or remittance text",),
            reason="looks like a refund, an insurer, a supplier or a public body: not rent",
        )
    if not ranked:
        return MatchDecision(
            Outcome.UNMATCHED,
            reason="no lease found by vIBAN, reference, payer IBAN, name or amount",
        )
    group = same_tenant_group(ranked, index, policy)
    in_group = {id(c) for c in group}
    other = next((c.total for c in ranked if id(c) not in in_group), 0.0)
    competitor = max(background, other)
    amount_members = [c for c in group if c.amount]
    if len(group) >= 2 and not (len(amount_members) == 1 and amount_members[0] is ranked[0]):
        return decide_split(r.amount, group, ranked, competitor, index, policy)
    if len(group) >= 2:
        # The tenant's other leases owe other amounts: the amount says which lease it pays.
        second = competitor
    else:
        second = max(competitor, ranked[1].total if len(ranked) > 1 else 0.0)
    # The tenant's other leases (same name) are not namesakes: the amount chose among them.
    others = [ranked[0], *(c for c in ranked[1:] if id(c) not in in_group)]
    namesakes = told_apart_by_amount(r.amount, others, background, index, policy)
    if namesakes is not None:
        return namesakes
    return decide_single(r.amount, ranked, second, policy)


def told_apart_by_amount(
    amount: int,
    ranked: list[Candidate],
    background: float,
    index: LeaseIndex,
    policy: MatchPolicy,
) -> MatchDecision | None:
    """Namesakes: two tenants called the same, the payment names them both just as
    well, and only one of them owes exactly this (non-round) amount. Allocated with
    the smaller namesake margin; anything else a namesake has over the best, a
    round amount or a close crowd of unscored namesakes leaves it to the margin rule."""
    best = ranked[0]
    if best.total < policy.auto_threshold or best.amount is None:
        return None
    if not is_specific(amount, index.entry(best.lease_id).lease):
        return None
    close = [c for c in ranked[1:] if best.total - c.total < policy.margin]
    if not close or background > best.total - policy.margin:
        return None
    if any(c.amount is not None or c.base != best.base for c in close):
        return None
    second = close[0].total
    if best.total - second < policy.namesake_margin:
        return None
    others = ", ".join(c.lease_id for c in close[:3])
    return MatchDecision(
        Outcome.ALLOCATED,
        allocations=(Allocation(best.lease_id, amount),),
        method=best.method(),
        score=best.total,
        evidence=(
            *best.reasons(),
            f"namesakes on {others} score {second:.2f} and owe other amounts",
        ),
    )


def same_tenant_group(
    ranked: list[Candidate], index: LeaseIndex, policy: MatchPolicy
) -> list[Candidate]:
    """The best candidate and the other leases of the same tenant(s) scoring nearly as well."""
    best = ranked[0]
    if best.base <= 0:
        return [best]
    key = index.entry(best.lease_id).tenant_key
    return [best] + [
        c
        for c in ranked[1:]
        if best.base - c.base < policy.margin
        and c.base > 0
        and index.entry(c.lease_id).tenant_key == key
    ]


def decide_split(
    amount: int,
    group: list[Candidate],
    ranked: list[Candidate],
    competitor: float,
    index: LeaseIndex,
    policy: MatchPolicy,
) -> MatchDecision:
    """One payment for several leases of the same tenant (a flat and its parking)."""
    best = group[0]
    split = split_payment(amount, [index.entry(c.lease_id).lease for c in group])
    score = combine([best.base, policy.weights.amount_due if split.exact else 0.0])
    evidence = (*best.reasons(), f"same tenant on {len(group)} leases", split.explanation)
    if split.exact and score >= policy.auto_threshold and score - competitor >= policy.margin:
        return MatchDecision(
            Outcome.ALLOCATED,
            allocations=split.allocations,
            method=best.method(),
            score=score,
            evidence=evidence,
        )
    group_suggestion = Suggestion(best.lease_id, score, evidence, split.allocations)
    return MatchDecision(
        Outcome.REVIEW,
        score=score,
        reason="one payment for several leases of the same tenant: confirm the split",
        suggestions=(group_suggestion, *suggestions(ranked, amount, policy.suggest_floor)),
    )


def decide_single(
    amount: int, ranked: list[Candidate], second: float, policy: MatchPolicy
) -> MatchDecision:
    """The best candidate alone: the threshold and the margin over the next decide."""
    best = ranked[0]
    score = best.total
    if score >= policy.auto_threshold and score - second >= policy.margin:
        return MatchDecision(
            Outcome.ALLOCATED,
            allocations=(Allocation(best.lease_id, amount),),
            method=best.method(),
            score=score,
            evidence=(*best.reasons(), f"next candidate scores {second:.2f}"),
        )
    if score < policy.auto_threshold:
        why = f"best score {score:.2f} is below the threshold {policy.auto_threshold:.2f}"
    else:
        why = f"best score {score:.2f} is within {policy.margin:.2f} of the next ({second:.2f})"
    top = suggestions(ranked, amount, policy.suggest_floor)
    if not top:
        return MatchDecision(Outcome.UNMATCHED, score=score, reason=f"no likely lease ({why})")
    return MatchDecision(Outcome.REVIEW, score=score, reason=why, suggestions=top)


def suggestions(ranked: list[Candidate], amount: int, floor: float) -> tuple[Suggestion, ...]:
    """The five best candidates above the floor, for a person to choose from."""
    return tuple(
        Suggestion(c.lease_id, c.total, c.reasons(), (Allocation(c.lease_id, amount),))
        for c in ranked[:5]
        if c.total >= floor
    )
