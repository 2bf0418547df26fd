"""An organisation's matching settings: clue weights, threshold, margin."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from functions.core.names import fold


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
    guardian_full: float = 0.80  # a guardian pays; the remittance names a tenant in full
    guardian_initial: float = 0.75  # … by surname and first-name initial
    guardian_surname: float = 0.35  # … by surname only
    amount_due: float = 0.60  # the amount is the balance or one month's due
    amount_months: float = 0.50  # two to six months' due
    amount_share: float = 0.50  # one co-tenant's share of the month
    amount_arrears: float = 0.50  # an ended lease: part of its arrears (with a full name: 0.90)


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
    namesake_margin: float = 0.10
    """… or by this much when the next candidates are namesakes with the same name
    evidence and only the best owes the (non-round) amount paid."""
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
        for name in (
            "auto_threshold",
            "margin",
            "namesake_margin",
            "suggest_floor",
            "not_rent_ceiling",
        ):
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
