"""The cases of the matching issue, one by one, on the pure decision engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from functions.core.allocation import Allocation
from functions.core.errors import ValidationError
from functions.core.matching import (
    CollectionRecord,
    MatchPolicy,
    Method,
    Outcome,
    decide,
)
from functions.core.rf import format_rf
from functions.core.transactions import TransactionKind
from tests.unit.matching.helpers import COLLECTION, ORG, PAYER_1, PAYER_2, index, lease, tx


def _alloc(d: object) -> list[tuple[str, int]]:
    return [(a.lease_id, a.amount_cents) for a in d.allocations]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- 1. vIBAN


def test_viban_as_creditor_account_allocates_even_after_the_lease_ended() -> None:
    ended = lease(7, end_date=date(2025, 6, 30), balance=12_345)
    d = decide(
        tx(12_345, "SOMEONE ELSE", creditor_account_iban=ended.viban), index(lease(6), ended)
    )
    assert d.outcome is Outcome.ALLOCATED and d.method is Method.VIBAN and d.score == 1.0
    assert _alloc(d) == [("TIL-00007", 12_345)]
    assert ended.viban not in " ".join(d.evidence)


def test_viban_as_the_notified_account_of_a_camt054() -> None:
    target = lease(8)
    d = decide(tx(100, None, account_iban=target.viban), index(lease(6), target))
    assert d.method is Method.VIBAN and _alloc(d) == [("TIL-00008", 100)]


def test_viban_wins_over_a_misleading_name() -> None:
    a, b = lease(1, "Jean DUPONT"), lease(2, "Paul MARTIN")
    d = decide(tx(56_000, "JEAN DUPONT", creditor_account_iban=b.viban), index(a, b))
    assert _alloc(d) == [("TIL-00002", 56_000)]


# ---------------------------------------------------------------- 2. RF reference


def test_rf_reference_structured_or_typed_in_the_text() -> None:
    target = lease(9)
    idx = index(lease(1), target)
    d = decide(tx(5_000, structured_reference=target.rf_reference.lower()), idx)
    assert d.method is Method.RF_REFERENCE and _alloc(d) == [("TIL-00009", 5_000)]
    typed = tx(5_000, remittance=f"loyer nov {format_rf(target.rf_reference)} merci")
    d = decide(typed, idx)
    assert d.method is Method.RF_REFERENCE and _alloc(d) == [("TIL-00009", 5_000)]


def test_rf_with_wrong_check_digits_is_not_trusted() -> None:
    target = lease(9)
    bad = "RF00" + target.rf_reference[4:]
    d = decide(tx(5_000, structured_reference=bad, counterparty_iban=None), index(target))
    assert d.method is not Method.RF_REFERENCE and d.outcome is not Outcome.ALLOCATED


# ---------------------------------------------------------------- 3. direct debits


def test_collection_with_mandate_goes_to_its_lease() -> None:
    a = lease(3, mandate_id="RUM-VLH-000003")
    d = decide(tx(56_000, "DUPONT", mandate_id="RUM-VLH-000003", end_to_end_id="E1"), index(a))
    assert d.method is Method.MANDATE and _alloc(d) == [("TIL-00003", 56_000)]


class Booked:
    def __init__(self, **records: CollectionRecord) -> None:
        self.records = records

    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None:
        return self.records.get(end_to_end_id)


def _reject(amount: int, reason: str, **kw: object) -> object:
    return tx(
        -amount,
        kind=TransactionKind.REJECT,
        return_reason=reason,
        reversal=True,
        **kw,  # type: ignore[arg-type]
    )


def test_reject_reverses_the_booked_collection_and_keeps_the_reason() -> None:
    a = lease(3, mandate_id="RUM-3")
    booked = Booked(E1=CollectionRecord("tx_orig", (Allocation("TIL-00003", 56_000),)))
    d = decide(_reject(56_000, "AM04", original_end_to_end_id="E1"), index(a), None, booked)  # type: ignore[arg-type]
    assert d.outcome is Outcome.ALLOCATED and d.method is Method.REJECT_REVERSAL
    assert _alloc(d) == [("TIL-00003", -56_000)]
    assert d.reject is not None and d.reject.reason_code == "AM04"
    assert (
        d.reject.category == "insufficient_funds" and d.reject.original_transaction_id == "tx_orig"
    )
    refund = decide(_reject(56_000, "MD06", original_end_to_end_id="E1"), index(a), None, booked)  # type: ignore[arg-type]
    assert refund.reject is not None and refund.reject.category == "disputed"


def test_a_second_notice_of_the_same_return_books_nothing() -> None:
    booked = Booked(
        E1=CollectionRecord("tx_orig", (Allocation("TIL-00003", 56_000),), reversed_by="tx_r1")
    )
    d = decide(
        _reject(56_000, "AM04", original_end_to_end_id="E1", transaction_id="tx_r2"),  # type: ignore[arg-type]
        index(lease(3)),
        None,
        booked,
    )
    assert (
        d.outcome is Outcome.NOT_RENT
        and not d.allocations
        and "already reversed" in (d.reason or "")
    )


def test_return_on_the_statement_without_the_collection_uses_the_mandate() -> None:
    a = lease(3, mandate_id="RUM-3")
    d = decide(
        _reject(56_000, "AC04", original_end_to_end_id="E9", mandate_id="RUM-3"),
        index(a),
        None,
        Booked(),
    )  # type: ignore[arg-type]
    assert d.method is Method.REJECT_REVERSAL and _alloc(d) == [("TIL-00003", -56_000)]


def test_pain002_reject_of_an_unbooked_collection_goes_to_review() -> None:
    a = lease(3, mandate_id="RUM-3")
    rj = _reject(56_000, "MS02", original_end_to_end_id="E9", mandate_id="RUM-3", statement_id=None)
    d = decide(rj, index(a), None, Booked())  # type: ignore[arg-type]
    assert d.outcome is Outcome.REVIEW and [s.lease_id for s in d.suggestions] == ["TIL-00003"]


def test_partial_return_of_a_split_collection_is_shared_in_proportion() -> None:
    booked = Booked(E1=CollectionRecord("tx_o", (Allocation("A", 30_000), Allocation("B", 10_000))))
    d = decide(_reject(20_000, "AM04", original_end_to_end_id="E1"), index(), None, booked)  # type: ignore[arg-type]
    assert _alloc(d) == [("A", -15_000), ("B", -5_000)]


# ---------------------------------------------------------------- 4. generic IBAN


def test_learned_payer_iban_allocates_whatever_the_amount() -> None:
    a = lease(1, "Jean DUPONT", payer_ibans=(PAYER_2,))
    b = lease(2, "Paul MARTIN")
    d = decide(tx(12_000, "SCI DES LILAS", counterparty_iban=PAYER_2), index(a, b))
    assert d.outcome is Outcome.ALLOCATED and d.method is Method.PAYER_IBAN
    assert _alloc(d) == [("TIL-00001", 12_000)]
    assert PAYER_2 not in " ".join(d.evidence)


def test_an_iban_paying_for_several_tenants_is_not_enough() -> None:
    guardian = "FR7630004000031234567890143"
    a = lease(1, "Jean DUPONT", payer_ibans=(guardian,))
    b = lease(2, "Paul MARTIN", payer_ibans=(guardian,))
    d = decide(tx(56_000, "UDAF 45", counterparty_iban=guardian), index(a, b))
    assert d.outcome is Outcome.REVIEW
    named = tx(56_000, "UDAF 45", counterparty_iban=guardian, remittance="LOYER MARTIN PAUL")
    d = decide(named, index(a, b))
    assert d.outcome is Outcome.ALLOCATED and _alloc(d) == [("TIL-00002", 56_000)]


def test_lease_number_in_the_remittance() -> None:
    idx = index(lease(42, "Jean DUPONT"), lease(43, "Paul MARTIN"))
    for text in ("LOYER TIL-00042", "til 42 novembre", "REF TIL00042"):
        d = decide(tx(30_000, "X", remittance=text, counterparty_iban=None), idx)
        assert d.method is Method.LEASE_REFERENCE and _alloc(d) == [("TIL-00042", 30_000)], text


@pytest.mark.parametrize(
    "payer",
    ["LEFEVRE ZOE", "MME ZOE LEFEVRE", "Z. LEFEVRE", "MLLE LEFÈVRE ZOÉ"],
)
def test_name_and_amount_due_allocate(payer: str) -> None:
    idx = index(lease(1, "Zoé LEFÈVRE"), lease(2, "Zoé LEFEBVRE", rent=40_000))
    d = decide(tx(56_000, payer, counterparty_iban=None), idx)
    assert d.outcome is Outcome.ALLOCATED and d.method is Method.NAME_AND_AMOUNT
    assert _alloc(d) == [("TIL-00001", 56_000)] and d.score >= 0.9


def test_couple_account_pays_the_couples_lease() -> None:
    couple = lease(1, "Jean DUPONT", "Marie DUPONT")
    other = lease(2, "Paul DUPONT", rent=45_000)
    d = decide(tx(56_000, "M OU MME DUPONT", counterparty_iban=None), index(couple, other))
    assert _alloc(d) == [("TIL-00001", 56_000)]


def test_maiden_name_and_compound_surname() -> None:
    a = lease(1, "Marie MARTIN épouse DUPONT")
    b = lease(2, "Loïc DELACROIX-FERRAND", rent=45_000)
    idx = index(a, b)
    assert _alloc(decide(tx(56_000, "DUPONT MARIE", counterparty_iban=None), idx)) == [
        ("TIL-00001", 56_000)
    ]
    assert _alloc(decide(tx(51_000, "DELACROIX FERRAND LOIC", counterparty_iban=None), idx)) == [
        ("TIL-00002", 51_000)
    ]
    # a bank that cut the compound surname short: suggested, not booked
    cut = decide(tx(51_000, "DELACROIX FERRAN LOIC", counterparty_iban=None), idx)
    assert cut.outcome is Outcome.REVIEW and cut.suggestions[0].lease_id == "TIL-00002"


def test_relative_paying_names_the_tenant_in_the_remittance() -> None:
    a = lease(1, "Fatou BENALI")
    d = decide(
        tx(56_000, "AHMED TRAORE", remittance="LOYER MME BENALI FATOU", counterparty_iban=None),
        index(a, lease(2, "Karim HADDAD")),
    )
    assert _alloc(d) == [("TIL-00001", 56_000)]


def test_homonyms_owing_the_same_go_to_review_with_both_suggested() -> None:
    a, b = lease(1, "Marie MARTIN"), lease(2, "Marie MARTIN")
    d = decide(tx(56_000, "MARTIN MARIE", counterparty_iban=None), index(a, b))
    assert d.outcome is Outcome.REVIEW and not d.allocations
    assert {s.lease_id for s in d.suggestions} == {"TIL-00001", "TIL-00002"}
    assert all(s.reasons for s in d.suggestions)


def test_name_without_matching_amount_is_a_suggestion_only() -> None:
    a = lease(1, "Zoé LEFÈVRE")
    d = decide(tx(31_700, "LEFEVRE ZOE", counterparty_iban=None), index(a))
    assert d.outcome is Outcome.REVIEW and d.suggestions[0].lease_id == "TIL-00001"
    assert "below the threshold" in (d.reason or "")


def test_surname_only_with_amount_is_not_enough() -> None:
    d = decide(tx(56_000, "M DUPONT", counterparty_iban=None), index(lease(1, "Jean DUPONT")))
    assert d.outcome is Outcome.REVIEW


def test_a_common_surname_counts_the_namesakes_it_does_not_score() -> None:
    many = [lease(n, f"Paul{n} MARTIN", rent=40_000 + n * 100) for n in range(1, 80)]
    target = lease(100, "Léa MARTIN")
    d = decide(tx(56_000, "MARTIN LEA", counterparty_iban=None), index(*many, target))
    assert _alloc(d) == [("TIL-00100", 56_000)]
    d = decide(tx(56_000, "M MARTIN", counterparty_iban=None), index(*many, target))
    assert d.outcome is Outcome.REVIEW


def test_unknown_payer_is_unmatched() -> None:
    d = decide(tx(9_999, "INCONNU", counterparty_iban=None), index(lease(1)))
    assert d.outcome is Outcome.UNMATCHED


# ---------------------------------------------------------------- 5. amounts


def test_partial_and_over_payments_from_a_known_payer_are_allocated_whole() -> None:
    a = lease(1, payer_ibans=(PAYER_1,))
    for amount in (20_000, 80_000):
        d = decide(tx(amount, "X"), index(a))
        assert _alloc(d) == [("TIL-00001", amount)]


def test_lump_payment_of_several_months_by_name() -> None:
    d = decide(
        tx(168_000, "ZOE LEFEVRE", counterparty_iban=None), index(lease(1), lease(2, "Paul MARTIN"))
    )
    assert _alloc(d) == [("TIL-00001", 168_000)]
    assert any("3 months" in e for e in d.evidence)


def test_flat_and_parking_of_one_tenant_are_split_and_explained() -> None:
    flat = lease(1, "Jean DUPONT", payer_ibans=(PAYER_1,))
    parking = lease(2, "Jean DUPONT", rent=4_000, charges=500, payer_ibans=(PAYER_1,))
    d = decide(tx(60_500, "DUPONT JEAN"), index(flat, parking, lease(3, "Paul MARTIN")))
    assert d.outcome is Outcome.ALLOCATED
    assert _alloc(d) == [("TIL-00001", 56_000), ("TIL-00002", 4_500)]
    assert any(e.startswith("split:") for e in d.evidence)
    # the flat's due alone is for the flat
    d = decide(tx(56_000, "DUPONT JEAN"), index(flat, parking))
    assert _alloc(d) == [("TIL-00001", 56_000)]
    # a sum that fits nothing: a suggested split for a person to confirm
    d = decide(tx(50_000, "DUPONT JEAN"), index(flat, parking))
    assert d.outcome is Outcome.REVIEW and len(d.suggestions[0].allocations) >= 1


def test_co_tenants_each_paying_their_share() -> None:
    shared = lease(1, "Paul ROBERT", "Inès HADDAD")
    idx = index(shared, lease(2, "Karim HADDAD", rent=44_000))
    for payer in ("ROBERT PAUL", "HADDAD INES"):
        d = decide(tx(28_000, payer, counterparty_iban=None), idx)
        assert _alloc(d) == [("TIL-00001", 28_000)], payer


# ---------------------------------------------------------------- 6. not rent


@pytest.mark.parametrize(
    ("payer", "text"),
    [
        ("AXA FRANCE IARD", "INDEMNISATION SINISTRE 2026-1142"),
        ("CAF DU LOIRET", "APL TIERS PAYANT NOV"),
        ("ENTREPRISE BATIPRO", "REMBOURSEMENT FACTURE 1123"),
    ],
)
def test_non_rent_credits_stay_out_of_tenants_accounts(payer: str, text: str) -> None:
    d = decide(tx(1_234_500, payer, remittance=text, counterparty_iban=None), index(lease(1)))
    assert d.outcome is Outcome.NOT_RENT and not d.allocations and d.evidence


def test_a_tenant_refund_word_does_not_hide_strong_evidence() -> None:
    a = lease(1, "Zoé LEFÈVRE")
    d = decide(
        tx(56_000, "LEFEVRE ZOE", remittance="LOYER + REMB", counterparty_iban=None), index(a)
    )
    assert d.outcome is Outcome.ALLOCATED


def test_debits_are_not_rent() -> None:
    d = decide(tx(-5_000, "EDF"), index(lease(1)))
    assert d.outcome is Outcome.NOT_RENT and d.method is Method.DEBIT


# ---------------------------------------------------------------- policy


def test_a_stricter_organisation_reviews_name_matches() -> None:
    strict = MatchPolicy.from_dict({"auto_threshold": 0.95})
    d = decide(tx(56_000, "LEFEVRE ZOE", counterparty_iban=None), index(lease(1)), strict)
    assert d.outcome is Outcome.REVIEW
    d = decide(tx(56_000, "X"), index(lease(1, payer_ibans=(PAYER_1,))), strict)
    assert d.outcome is Outcome.ALLOCATED


def test_policy_refuses_values_that_would_book_guesses() -> None:
    with pytest.raises(ValidationError):
        MatchPolicy.from_dict({"auto_threshold": 0.3})
    with pytest.raises(ValidationError):
        MatchPolicy.from_dict({"weights": {"nope": 0.5}})
    assert "ORANGE" in MatchPolicy.from_dict({"not_rent_words": ["Orange"]}).not_rent_words


def test_other_landlords_leases_never_match() -> None:
    theirs = replace(lease(5, "Zoé LEFÈVRE"), org_id="org-b")
    d = decide(tx(56_000, "LEFEVRE ZOE", creditor_account_iban=theirs.viban), index(theirs))
    assert d.outcome is Outcome.UNMATCHED and theirs.org_id != ORG
    assert COLLECTION


def test_a_payer_with_a_surname_the_tenant_lacks_is_somebody_else() -> None:
    short = lease(1, "Jade LAMBERT", rent=40_000)
    compound = lease(2, "Jade LAMBERT-DUBOIS", rent=45_000)
    d = decide(tx(51_000, "JADE LAMBERT-DUBOIS", counterparty_iban=None), index(short, compound))
    assert _alloc(d) == [("TIL-00002", 51_000)]
    other = lease(3, "Paul DUBOIS")  # DUBOIS is a surname of the portfolio
    d = decide(tx(46_000, "LAMBERT DUBOIS JADE", counterparty_iban=None), index(short, other))
    assert d.outcome is Outcome.REVIEW
    # a birth name after NEE is not somebody else
    d = decide(
        tx(46_000, "MME JADE LAMBERT NEE DUBOIS", counterparty_iban=None), index(short, other)
    )
    assert _alloc(d) == [("TIL-00001", 46_000)]


def test_a_couple_account_is_found_among_many_namesakes() -> None:
    many = [lease(n, f"Paul{n} PETIT", rent=40_000 + n * 100) for n in range(1, 40)]
    couple = lease(100, "Jean PETIT", "Anne PETIT")
    d = decide(tx(112_000, "M OU MME PETIT", counterparty_iban=None), index(*many, couple))
    assert d.outcome is Outcome.REVIEW  # two months by surname only: a person confirms
    assert d.suggestions[0].lease_id == "TIL-00100"
