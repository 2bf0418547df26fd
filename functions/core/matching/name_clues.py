"""Clue: the payer's name, or a name in the remittance text, against the lease's tenants."""

from __future__ import annotations

from functions.core.lease_index import IndexedLease, LeaseIndex
from functions.core.matching.candidates import Clue
from functions.core.matching.policy import Weights
from functions.core.names import NameMatch, PayerName, match_person

CROWDED = 8
"""Above this many leases for a surname, only leases with a second clue are scored."""

_ORDER = (
    NameMatch.FULL,
    NameMatch.INITIAL,
    NameMatch.BOTH_SURNAMES,
    NameMatch.PARTIAL,
    NameMatch.SURNAME,
    NameMatch.NONE,
)

_LABELS = {
    NameMatch.FULL: "a tenant's surname and first name",
    NameMatch.INITIAL: "a tenant's surname and first-name initial",
    NameMatch.BOTH_SURNAMES: "a tenant's married and birth surnames",
    NameMatch.PARTIAL: "part of a tenant's compound surname and first name",
    NameMatch.SURNAME: "a tenant's surname only",
}


def name_candidates(
    index: LeaseIndex, name: PayerName, amount_ids: set[str], w: Weights, is_payer: bool
) -> tuple[set[str], float]:
    """Leases whose tenant the name may be, and the score of those left unscored."""
    out: set[str] = set()
    background = 0.0
    seconds = name.words | name.initials
    for word in name.words:
        ids = index.by_surname(word)
        if len(ids) <= CROWDED:
            out |= ids
            continue
        # A common surname: score the leases with a first name or the amount too;
        # the others would only match on the surname, which is their score.
        for other in seconds - {word}:
            out |= index.by_name_pair(word, other)
        out |= ids & amount_ids
        if name.couple:
            out |= index.couples_named(word)
        background = max(background, _surname_only_weight(name, w, is_payer))
    return out, background


def _surname_only_weight(name: PayerName, w: Weights, is_payer: bool) -> float:
    if not is_payer:
        return w.remittance_surname
    return w.name_couple if name.couple else w.name_surname


def best_level(name: PayerName, entry: IndexedLease) -> str:
    """How well the name fits the lease's best-fitting tenant."""
    if len(entry.persons) == 1:
        return match_person(name, entry.persons[0])
    levels = {match_person(name, person) for person in entry.persons}
    return next(level for level in _ORDER if level in levels or level == NameMatch.NONE)


def has_foreign_surname(name: PayerName, entry: IndexedLease, index: LeaseIndex) -> bool:
    """ "JADE LAMBERT-DUBOIS" is not "Jade LAMBERT": a surname the tenants do not have
    points to somebody else (words after "NEE" are not counted)."""
    return any(x not in entry.explained and index.is_surname(x) for x in name.plain)


def payer_name_clue(
    name: PayerName, entry: IndexedLease, w: Weights, index: LeaseIndex
) -> Clue | None:
    """The account holder's name printed by the bank."""
    level = best_level(name, entry)
    if level == NameMatch.NONE:
        return None
    if has_foreign_surname(name, entry, index):
        return (w.name_other_surname, "payer name: a tenant's name and another surname", None)
    if level == NameMatch.SURNAME and name.couple and entry.couples & name.words:
        return (w.name_couple, "payer name: the couple of the lease", None)
    weight = {
        NameMatch.FULL: w.name_full,
        NameMatch.INITIAL: w.name_initial,
        NameMatch.BOTH_SURNAMES: w.name_initial,
        NameMatch.PARTIAL: w.name_partial,
        NameMatch.SURNAME: w.name_surname,
    }[level]
    return (weight, f"payer name: {_LABELS[level]}", None)


def guardian_name_clue(
    name: PayerName, entry: IndexedLease, w: Weights, guardian: str
) -> Clue | None:
    """A guardian pays: the protected adult named in the remittance text is the tenant."""
    level = best_level(name, entry)
    if level == NameMatch.NONE:
        return None
    weight = {
        NameMatch.FULL: w.guardian_full,
        NameMatch.INITIAL: w.guardian_initial,
        NameMatch.BOTH_SURNAMES: w.guardian_initial,
        NameMatch.PARTIAL: w.remittance_initial,
        NameMatch.SURNAME: w.guardian_surname,
    }[level]
    return (weight, f"paid by a guardian ({guardian}), remittance text: {_LABELS[level]}", None)


def remittance_name_clue(name: PayerName, entry: IndexedLease, w: Weights) -> Clue | None:
    """A tenant named in the remittance text (somebody else paying for them)."""
    level = best_level(name, entry)
    if level == NameMatch.NONE:
        return None
    weight = {
        NameMatch.FULL: w.remittance_full,
        NameMatch.INITIAL: w.remittance_initial,
        NameMatch.BOTH_SURNAMES: w.remittance_initial,
        NameMatch.PARTIAL: w.remittance_initial,
        NameMatch.SURNAME: w.remittance_surname,
    }[level]
    return (weight, f"remittance text: {_LABELS[level]}", None)
