"""Deciding which lease a bank transaction pays.

A payment booked to the wrong tenant is worse than one waiting for review, so
a transaction is allocated automatically only on unambiguous evidence:

1. a strong identifier — the lease's virtual IBAN (the account the payer sent
   the money to), the RF creditor reference printed on its notices (check digits
   verified), the SEPA mandate (RUM) of a direct-debit collection; a direct-debit
   return names the collection it reverses;
2. or a score at or above the organisation's threshold with a clear margin over
   the next candidate, from weaker clues: a payer IBAN confirmed for the lease
   earlier, the lease number in the remittance text, the tenant's name, the
   amount against what is due.

Everything else goes to the review queue with ranked suggestions and the
reasons behind each. See docs/matching.md for the policy in a finance team's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from functions.core.allocation import Allocation, split_payment
from functions.core.lease import Lease
from functions.core.lease_index import IndexedLease, LeaseIndex, StrongDirectory
from functions.core.money import format_cents
from functions.core.names import NameMatch, PayerName, fold, match_person, parse_payer, tokens
from functions.core.rf import is_valid_rf, normalize_rf
from functions.core.transactions import BankTransaction, TransactionKind

__all__ = [
    "Allocation",
    "CollectionRecord",
    "Collections",
    "LeaseDirectory",
    "MatchDecision",
    "MatchPolicy",
    "Method",
    "Outcome",
    "RejectInfo",
    "Suggestion",
    "decide",
]


class Outcome(StrEnum):
    ALLOCATED = "allocated"
    UNMATCHED = "unmatched"
    NOT_RENT = "not_rent"
    REVIEW = "review"


class Method(StrEnum):
    VIBAN = "viban"
    RF_REFERENCE = "rf_reference"
    MANDATE = "mandate"
    REJECT_REVERSAL = "reject_reversal"
    PAYER_IBAN = "payer_iban"
    LEASE_REFERENCE = "lease_reference"
    NAME_AND_AMOUNT = "name_and_amount"
    NOT_RENT_RULE = "not_rent_rule"
    DEBIT = "debit"
    MANUAL = "manual"


STRONG_METHODS = frozenset({Method.VIBAN, Method.RF_REFERENCE, Method.MANDATE})

LeaseDirectory = StrongDirectory


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A lease the transaction may pay, with its score and the reasons behind it."""

    lease_id: str
    score: float
    reasons: tuple[str, ...]
    allocations: tuple[Allocation, ...] = ()


# ISO 20022 external return reason codes seen on SEPA direct-debit returns, with
# what dunning should do about them: an empty account is not a disputed debit.
REJECT_REASONS: dict[str, tuple[str, str]] = {
    "AM04": ("insufficient funds", "insufficient_funds"),
    "AM05": ("duplicate collection", "technical"),
    "MS02": ("refused by the debtor", "disputed"),
    "MS03": ("reason not specified by the bank", "unspecified"),
    "MD06": ("refund requested by the debtor", "disputed"),
    "MD07": ("debtor deceased", "account"),
    "MD01": ("no valid mandate", "mandate"),
    "MD02": ("mandate data missing or wrong", "mandate"),
    "AC01": ("account identifier incorrect", "account"),
    "AC04": ("account closed", "account"),
    "AC06": ("account blocked", "account"),
    "AC13": ("debtor account is a consumer account", "account"),
    "AG01": ("transaction forbidden on this account", "account"),
    "AG02": ("invalid bank operation code", "technical"),
    "BE05": ("creditor identifier unknown", "mandate"),
    "FF01": ("invalid file format", "technical"),
    "RC01": ("bank identifier incorrect", "account"),
    "RR01": ("regulatory: debtor account or identity missing", "technical"),
    "RR02": ("regulatory: debtor name or address missing", "technical"),
    "RR03": ("regulatory: creditor name or address missing", "technical"),
    "RR04": ("regulatory reason", "technical"),
    "SL01": ("specific service of the debtor's bank", "account"),
    "CNOR": ("creditor bank not registered", "technical"),
    "DNOR": ("debtor bank not registered", "technical"),
}


@dataclass(frozen=True, slots=True)
class RejectInfo:
    """Why a direct debit came back, kept for dunning."""

    reason_code: str | None
    reason_label: str
    category: str
    original_end_to_end_id: str | None
    original_transaction_id: str | None = None


def reject_info(tx: BankTransaction, original_transaction_id: str | None = None) -> RejectInfo:
    code = (tx.return_reason or "").strip().upper() or None
    label, category = REJECT_REASONS.get(code or "", ("reason not given", "unspecified"))
    if code and code not in REJECT_REASONS:
        label = f"reason {code}"
    return RejectInfo(code, label, category, tx.original_end_to_end_id, original_transaction_id)


@dataclass(frozen=True, slots=True)
class MatchDecision:
    outcome: Outcome
    allocations: tuple[Allocation, ...] = ()
    method: Method | None = None
    score: float = 0.0
    evidence: tuple[str, ...] = ()
    reason: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    reject: RejectInfo | None = None
    confirmed_by: str | None = None

    @property
    def lease_ids(self) -> tuple[str, ...]:
        return tuple(a.lease_id for a in self.allocations)


@dataclass(frozen=True, slots=True)
class CollectionRecord:
    """A booked direct-debit collection, found again by its end-to-end id."""

    transaction_id: str
    allocations: tuple[Allocation, ...]
    booking_date: date | None = None
    reversed_by: str | None = None


class Collections(Protocol):
    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None: ...


# ------------------------------------------------------------------ policy


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each clue says, alone, that a payment is for a lease (0 to 1).

    Clues combine as independent evidence: 1 − Π(1 − w).
    """

    payer_iban: float = 0.97  # this IBAN paid this lease before (confirmed)
    payer_iban_shared: float = 0.5  # … but it pays for several tenants (a guardian)
    lease_reference: float = 0.95  # the lease number in the remittance text
    name_full: float = 0.80  # payer name: a tenant's surname and first name
    name_initial: float = 0.75  # surname and first-name initial
    name_couple: float = 0.75  # "M OU MME DUPONT" and the lease's couple is DUPONT
    name_partial: float = 0.70  # one half of a compound surname and the first name
    name_surname: float = 0.35  # surname only
    name_other_surname: float = 0.50  # … but the payer name has a surname the tenants lack
    remittance_full: float = 0.80  # the remittance names a tenant (a relative paying)
    remittance_initial: float = 0.70
    remittance_surname: float = 0.20
    amount_due: float = 0.60  # the amount is the balance or one month's due
    amount_months: float = 0.50  # two to six months' due
    amount_share: float = 0.50  # one co-tenant's share of the month


NOT_RENT_WORDS = frozenset(
    {
        # insurers, suppliers, public bodies refunding the landlord
        "AXA",
        "MAIF",
        "MACIF",
        "MAAF",
        "MATMUT",
        "ALLIANZ",
        "GENERALI",
        "GROUPAMA",
        "SMABTP",
        "EDF",
        "ENGIE",
        "VEOLIA",
        "SUEZ",
        "DGFIP",
        "URSSAF",
        "CPAM",
        "TRESOR",
        "ASSURANCE",
        "ASSURANCES",
        "MUTUELLE",
        "SINISTRE",
        "INDEMNISATION",
        "INDEMNITE",
        "FACTURE",
        "FOURNISSEUR",
        "AVOIR",
        "SUBVENTION",
        "DEGREVEMENT",
        "CAF",
        "APL",
        "ALLOCATION",
        "ALLOCATIONS",
        "REMBOURSEMENT",
        "REMB",
        "RBT",
        "RETROCESSION",
        "DIVIDENDE",
        "INTERETS",
    }
)


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """One organisation's matching settings (docs/matching.md explains each)."""

    auto_threshold: float = 0.90
    """A score must reach this to be allocated without a person."""
    margin: float = 0.15
    """… and beat the next candidate by at least this much."""
    suggest_floor: float = 0.30
    """Candidates below this are not suggested to reviewers."""
    not_rent_ceiling: float = 0.50
    """A credit that looks like a refund or a supplier is set aside as not rent
    only when no lease scores this much."""
    weights: Weights = field(default_factory=Weights)
    not_rent_words: frozenset[str] = NOT_RENT_WORDS
    learn_payer_ibans: bool = True
    """Remember payer IBANs confirmed by a strong identifier or by a person."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MatchPolicy:
        """The stored settings of an organisation over the defaults; bad values are refused."""
        from functions.core.errors import ValidationError

        if not data:
            return cls()
        policy = cls()
        changes: dict[str, Any] = {}
        for name in ("auto_threshold", "margin", "suggest_floor", "not_rent_ceiling"):
            if name in data:
                value = float(data[name])
                if not 0.0 <= value <= 1.0:
                    raise ValidationError(name, "a number from 0 to 1")
                changes[name] = value
        if "learn_payer_ibans" in data:
            changes["learn_payer_ibans"] = bool(data["learn_payer_ibans"])
        if "weights" in data:
            known = {f.name for f in fields(Weights)}
            w = {}
            for k, v in dict(data["weights"]).items():
                if k not in known or not 0.0 <= float(v) < 1.0:
                    raise ValidationError(f"weights.{k}", "a known clue with a weight in [0, 1)")
                w[k] = float(v)
            changes["weights"] = replace(policy.weights, **w)
        if "not_rent_words" in data:
            extra = frozenset(fold(str(x)) for x in data["not_rent_words"])
            changes["not_rent_words"] = policy.not_rent_words | extra
        if changes.get("auto_threshold", policy.auto_threshold) < 0.5:
            raise ValidationError("auto_threshold", "below 0.5 a guess would be booked")
        return replace(policy, **changes)


DEFAULT_POLICY = MatchPolicy()


# ------------------------------------------------------------------ decision


def decide(
    tx: BankTransaction,
    leases: LeaseDirectory,
    policy: MatchPolicy | None = None,
    collections: Collections | None = None,
) -> MatchDecision:
    """The decision for one transaction (pure apart from the directory lookups).

    With a :class:`LeaseIndex` every clue is used; with a plain directory only
    the strong identifiers (vIBAN, RF reference).
    """
    policy = policy or DEFAULT_POLICY
    if tx.kind is TransactionKind.DEBIT:
        return MatchDecision(
            Outcome.NOT_RENT, method=Method.DEBIT, reason="debit from the landlord's account"
        )
    index = leases if isinstance(leases, LeaseIndex) else None
    if tx.kind is TransactionKind.REJECT:
        return _decide_reject(tx, index, collections)
    strong = _strong(tx, leases, index)
    if strong is not None:
        return strong
    if index is None:
        return MatchDecision(
            Outcome.UNMATCHED, reason="no known vIBAN or RF reference: left for review"
        )
    return _decide_by_score(tx, index, policy)


def _strong(
    tx: BankTransaction, leases: LeaseDirectory, index: LeaseIndex | None
) -> MatchDecision | None:
    for account in (tx.creditor_account_iban, tx.account_iban):
        if account:
            lease = leases.by_viban(tx.org_id, account)
            if lease is not None:
                return _allocate(
                    tx, lease, Method.VIBAN, f"paid to the lease's vIBAN {_mask(lease.viban)}"
                )
    if tx.structured_reference and is_valid_rf(tx.structured_reference):
        lease = leases.by_rf(tx.org_id, normalize_rf(tx.structured_reference))
        if lease is not None:
            return _allocate(
                tx, lease, Method.RF_REFERENCE, f"RF reference {lease.rf_reference} of the lease"
            )
    if index is None:
        return None
    if tx.remittance:
        lease = _rf_in_text(tx.remittance, index)
        if lease is not None:
            return _allocate(
                tx,
                lease,
                Method.RF_REFERENCE,
                f"RF reference {lease.rf_reference} of the lease in the remittance text",
            )
    if tx.mandate_id:
        lease = index.by_mandate(tx.mandate_id)
        if lease is not None:
            return _allocate(
                tx, lease, Method.MANDATE, f"direct-debit mandate {lease.mandate_id} of the lease"
            )
    return None


_RF_IN_TEXT = re.compile(r"RF\s?(\d\s?\d)((?:\s?[A-Z0-9]){1,21})")


def _rf_in_text(text: str, index: LeaseIndex) -> Lease | None:
    """An RF reference typed into the free text ("RF18 5390 0754 7034"), checked."""
    folded = fold(text)
    for m in _RF_IN_TEXT.finditer(folded):
        head = "RF" + m.group(1).replace(" ", "")
        body = m.group(2).replace(" ", "")
        for end in range(len(body), 0, -1):
            candidate = head + body[:end]
            if is_valid_rf(candidate):
                lease = index.by_rf(index.org_id, candidate)
                if lease is not None:
                    return lease
    return None


def _allocate(tx: BankTransaction, lease: Lease, method: Method, evidence: str) -> MatchDecision:
    return MatchDecision(
        Outcome.ALLOCATED,
        allocations=(Allocation(lease.lease_id, tx.amount_cents),),
        method=method,
        score=1.0,
        evidence=(evidence,),
    )


def _mask(iban: str) -> str:
    """Last four characters only: IBANs never reach logs or evidence in clear."""
    return f"…{iban[-4:]}"


# ------------------------------------------------------------------ rejects


def _decide_reject(
    tx: BankTransaction, index: LeaseIndex | None, collections: Collections | None
) -> MatchDecision:
    amount = abs(tx.amount_cents)
    e2e = tx.original_end_to_end_id
    original = collections.collection(tx.org_id, e2e) if (collections and e2e) else None
    info = reject_info(tx, original.transaction_id if original else None)
    why = f"direct-debit return, reason {info.reason_code or '?'} ({info.reason_label})"
    if original is not None and original.allocations:
        if original.reversed_by and original.reversed_by != tx.transaction_id:
            return MatchDecision(
                Outcome.NOT_RENT,
                method=Method.REJECT_REVERSAL,
                reason=f"{why}: already reversed by {original.reversed_by}",
                reject=info,
            )
        allocs = _reverse(original.allocations, amount)
        return MatchDecision(
            Outcome.ALLOCATED,
            allocations=allocs,
            method=Method.REJECT_REVERSAL,
            score=1.0,
            evidence=(
                f"returns the collection {e2e} booked as {original.transaction_id}",
                why,
            ),
            reject=info,
        )
    lease = None
    if index is not None:
        if tx.mandate_id:
            lease = index.by_mandate(tx.mandate_id)
        if lease is None and e2e:
            refs = index.refs_in(tokens(e2e))
            lease = index.get(next(iter(refs))) if len(refs) == 1 else None
    if lease is not None and tx.statement_id is not None:
        # The bank took the money back from the account: the lease owes it again.
        return MatchDecision(
            Outcome.ALLOCATED,
            allocations=(Allocation(lease.lease_id, -amount),),
            method=Method.REJECT_REVERSAL,
            score=1.0,
            evidence=(f"returned collection of the lease's mandate {lease.mandate_id}", why),
            reject=info,
        )
    suggestions = (Suggestion(lease.lease_id, 0.9, ("mandate of the lease",), ()),) if lease else ()
    return MatchDecision(
        Outcome.REVIEW,
        reason=f"{why}: no booked collection found to reverse",
        suggestions=suggestions,
        reject=info,
    )


def _reverse(allocations: Sequence[Allocation], amount: int) -> tuple[Allocation, ...]:
    """The original allocations negated; a partial return is shared in proportion."""
    total = sum(a.amount_cents for a in allocations)
    if total in (amount, 0):
        return tuple(Allocation(a.lease_id, -a.amount_cents) for a in allocations)
    out: list[Allocation] = []
    left = amount
    for a in allocations[1:]:
        part = amount * a.amount_cents // total
        out.append(Allocation(a.lease_id, -part))
        left -= part
    return (Allocation(allocations[0].lease_id, -left), *out)


# ------------------------------------------------------------------ scoring


@dataclass(slots=True)
class _Candidate:
    lease_id: str
    clues: list[tuple[float, str, Method | None]] = field(default_factory=list)
    amount: tuple[float, str] | None = None
    base: float = 0.0
    total: float = 0.0

    def settle(self) -> None:
        self.base = _combine(w for w, _, _ in self.clues)
        self.total = _combine([self.base, self.amount[0]]) if self.amount else self.base

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


def _combine(weights: Iterable[float]) -> float:
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return round(1.0 - miss, 4)


CROWDED = 8  # above this many leases for a surname, only leases with a 2nd clue are scored
_NO_PAYER = parse_payer("")


def _decide_by_score(tx: BankTransaction, index: LeaseIndex, policy: MatchPolicy) -> MatchDecision:
    w = policy.weights
    amount = tx.amount_cents
    payer = parse_payer(tx.counterparty_name) if tx.counterparty_name else _NO_PAYER
    text = " ".join(x for x in (tx.remittance, tx.end_to_end_id) if x and x != "NOTPROVIDED")
    text_words = tokens(text) if text else ()
    remit = parse_payer(tx.remittance) if tx.remittance else _NO_PAYER
    cands: dict[str, _Candidate] = {}

    def cand(lid: str) -> _Candidate:
        c = cands.get(lid)
        if c is None:
            c = cands[lid] = _Candidate(lid)
        return c

    if tx.counterparty_iban:
        ids = index.by_payer_iban(tx.counterparty_iban)
        if ids:
            people = {index.entry(lid).tenant_key for lid in ids}
            shared = len(people) > 1
            for lid in ids:
                if shared:
                    cand(lid).clues.append(
                        (
                            w.payer_iban_shared,
                            f"payer IBAN {_mask(tx.counterparty_iban)} pays {len(people)} "
                            "tenants' leases",
                            None,
                        )
                    )
                else:
                    cand(lid).clues.append(
                        (
                            w.payer_iban,
                            f"payer IBAN {_mask(tx.counterparty_iban)} confirmed for this lease",
                            Method.PAYER_IBAN,
                        )
                    )
    for lid in index.refs_in(text_words):
        cand(lid).clues.append(
            (w.lease_reference, "lease number in the remittance text", Method.LEASE_REFERENCE)
        )
    amount_ids = index.by_amount(amount)
    background = 0.0
    for name, is_payer in ((payer, True), (remit, False)):
        if not name.words:
            continue
        found, crowded_weight = _name_candidates(index, name, amount_ids, w, is_payer)
        background = max(background, crowded_weight)
        for lid in found:
            cand(lid)
    for c in cands.values():
        entry = index.entry(c.lease_id)
        if payer.words:
            clue = _name_clue(payer, entry, w, payer_side=True, index=index)
            if clue:
                c.clues.append(clue)
        if remit.words:
            clue = _name_clue(remit, entry, w, payer_side=False)
            if clue:
                c.clues.append(clue)
        c.amount = _amount_clue(amount, entry.lease, w)
        c.settle()

    not_rent = _not_rent_word(payer, remit, policy)
    ranked = sorted(cands.values(), key=lambda c: (-c.total, c.lease_id))
    best_score = ranked[0].total if ranked else 0.0
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

    best = ranked[0]
    best_entry = index.entry(best.lease_id)
    group = [best]
    if best.base > 0:
        group += [
            c
            for c in ranked[1:]
            if best.base - c.base < policy.margin
            and c.base > 0
            and index.entry(c.lease_id).tenant_key == best_entry.tenant_key
        ]
    in_group = {id(c) for c in group}
    other = next((c.total for c in ranked if id(c) not in in_group), 0.0)
    competitor = max(background, other)
    suggestions = _Suggestions(ranked, amount, policy.suggest_floor)
    amount_members = [c for c in group if c.amount]
    if len(group) >= 2 and not (len(amount_members) == 1 and amount_members[0] is best):
        split = split_payment(amount, [index.entry(c.lease_id).lease for c in group])
        score = _combine([best.base, w.amount_due if split.exact else 0.0])
        evidence = (*best.reasons(), f"same tenant on {len(group)} leases", split.explanation)
        group_suggestion = Suggestion(best.lease_id, score, evidence, split.allocations)
        if split.exact and score >= policy.auto_threshold and score - competitor >= policy.margin:
            return MatchDecision(
                Outcome.ALLOCATED,
                allocations=split.allocations,
                method=best.method(),
                score=score,
                evidence=evidence,
            )
        return MatchDecision(
            Outcome.REVIEW,
            score=score,
            reason="one payment for several leases of the same tenant: confirm the split",
            suggestions=(group_suggestion, *suggestions.top()),
        )
    score = best.total
    if len(group) >= 2:
        # The tenant's other leases owe other amounts: the amount says which lease it pays.
        second = competitor
    else:
        second = max(competitor, ranked[1].total if len(ranked) > 1 else 0.0)
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
    top = suggestions.top()
    if not top:
        return MatchDecision(Outcome.UNMATCHED, score=score, reason=f"no likely lease ({why})")
    return MatchDecision(Outcome.REVIEW, score=score, reason=why, suggestions=top)


@dataclass(frozen=True, slots=True)
class _Suggestions:
    """Built only when a person will need them (automatic decisions skip the work)."""

    ranked: list[_Candidate]
    amount: int
    floor: float

    def top(self) -> tuple[Suggestion, ...]:
        return tuple(
            Suggestion(c.lease_id, c.total, c.reasons(), (Allocation(c.lease_id, self.amount),))
            for c in self.ranked[:5]
            if c.total >= self.floor
        )


def _name_candidates(
    index: LeaseIndex, name: PayerName, amount_ids: set[str], w: Weights, is_payer: bool
) -> tuple[set[str], float]:
    """Leases whose tenant the name may be, and the score of those left unscored."""
    out: set[str] = set()
    background = 0.0
    seconds = name.words | name.initials
    for word in name.words:
        ids = index.by_surname(word)
        if not ids:
            continue
        if len(ids) <= CROWDED:
            out |= ids
            continue
        # A common surname: score the leases with a first name or the amount too;
        # the others would only match on the surname, which is their score.
        for other in seconds:
            if other != word:
                out |= index.by_name_pair(word, other)
        out |= ids & amount_ids
        if name.couple:
            out |= index.couples_named(word)
        if is_payer:
            background = max(background, w.name_couple if name.couple else w.name_surname)
        else:
            background = max(background, w.remittance_surname)
    return out, background


def _name_clue(
    name: PayerName,
    entry: IndexedLease,
    w: Weights,
    payer_side: bool,
    index: LeaseIndex | None = None,
) -> tuple[float, str, Method | None] | None:
    best = NameMatch.NONE
    order = (NameMatch.FULL, NameMatch.INITIAL, NameMatch.PARTIAL, NameMatch.SURNAME)
    for person in entry.persons:
        level = match_person(name, person)
        if level != NameMatch.NONE and (
            best == NameMatch.NONE or order.index(level) < order.index(best)
        ):
            best = level
    if best == NameMatch.NONE:
        return None
    where = "payer name" if payer_side else "remittance text"
    if payer_side and index is not None:
        # "JADE LAMBERT-DUBOIS" is not "Jade LAMBERT": a surname the tenants do not
        # have points to somebody else (words after "NEE" are not counted).
        foreign = [x for x in name.plain if x not in entry.explained and index.is_surname(x)]
        if foreign:
            return (w.name_other_surname, f"{where}: a tenant's name and another surname", None)
    if payer_side:
        if best == NameMatch.SURNAME and name.couple and entry.couples & name.words:
            return (w.name_couple, f"{where}: the couple of the lease", None)
        weight = {
            NameMatch.FULL: w.name_full,
            NameMatch.INITIAL: w.name_initial,
            NameMatch.PARTIAL: w.name_partial,
            NameMatch.SURNAME: w.name_surname,
        }[best]
    else:
        weight = {
            NameMatch.FULL: w.remittance_full,
            NameMatch.INITIAL: w.remittance_initial,
            NameMatch.PARTIAL: w.remittance_initial,
            NameMatch.SURNAME: w.remittance_surname,
        }[best]
    label = {
        NameMatch.FULL: "a tenant's surname and first name",
        NameMatch.INITIAL: "a tenant's surname and first-name initial",
        NameMatch.PARTIAL: "part of a tenant's compound surname and first name",
        NameMatch.SURNAME: "a tenant's surname only",
    }[best]
    return (weight, f"{where}: {label}", None)


def _amount_clue(amount: int, lease: Lease, w: Weights) -> tuple[float, str] | None:
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


def _not_rent_word(payer: PayerName, remit: PayerName, policy: MatchPolicy) -> str | None:
    for words in (payer.words, remit.words):
        hit = words & policy.not_rent_words
        if hit:
            return min(hit)
    return None
