"""The clues added for issue 13's generic-IBAN kinds, with the cases that must stay in review."""

from __future__ import annotations

from datetime import date

import pytest

from functions.core.errors import ValidationError
from functions.core.lease_index import prefixed_numbers, short_ref
from functions.core.matching import MatchDecision, MatchPolicy, Method, Outcome, decide
from functions.core.names import tokens
from tests.unit.matching.helpers import PAYER_1, PAYER_2, index, lease, tx

DUE = 56_000  # rent 500.00 + charges 60.00, the helpers' default


def _alloc(d: MatchDecision) -> list[tuple[str, int]]:
    return [(a.lease_id, a.amount_cents) for a in d.allocations]


# ---------------------------------------------------------------- guardians


def test_a_guardian_pays_for_the_adult_named_in_the_text() -> None:
    adult = lease(1, "Paul MARTIN")
    idx = index(adult, lease(2, "Jade JOLRAND", rent=40_000))
    d = decide(tx(DUE, "UDAF 45", remittance="PROTEGE MARTIN PAUL DOSSIER 2019/0456"), idx)
    assert d.outcome is Outcome.ALLOCATED and _alloc(d) == [("TIL-00001", DUE)]
    assert any("guardian (UDAF)" in e for e in d.evidence)


def test_a_guardian_iban_learned_on_one_adult_does_not_pay_for_that_adult_alone() -> None:
    # The UDAF's IBAN was confirmed on Jade's lease; now it pays for Paul.
    jade = lease(2, "Jade JOLRAND", rent=40_000, payer_ibans=(PAYER_1,))
    paul = lease(1, "Paul MARTIN")
    idx = index(paul, jade)
    d = decide(tx(DUE, "UDAF DU LOIRET", remittance="LOYER M MARTIN PAUL"), idx)
    assert _alloc(d) == [("TIL-00001", DUE)]
    # Naming nobody, the guardian's IBAN alone books nothing.
    d = decide(tx(46_000, "UDAF DU LOIRET", remittance="LOYER NOVEMBRE"), idx)
    assert d.outcome is not Outcome.ALLOCATED


def test_a_mandataire_whose_own_name_is_a_tenants_pays_for_somebody_else() -> None:
    claire = lease(3, "Claire DUPONT", rent=50_000)
    paul = lease(1, "Paul MARTIN", rent=41_000)
    idx = index(claire, paul)
    d = decide(
        tx(
            47_000,
            "MJPM DUPONT CLAIRE",
            remittance="M MARTIN PAUL - D18289",
            counterparty_iban=PAYER_2,
        ),
        idx,
    )
    assert _alloc(d) == [("TIL-00001", 47_000)]


@pytest.mark.parametrize(
    "text",
    [
        "LOYER MME MARTIN",  # surname only
        "MARTIN P - 2020/63974",  # an initial shared by two tenants owing the same
    ],
)
def test_a_guardian_naming_the_adult_vaguely_goes_to_review(text: str) -> None:
    idx = index(lease(1, "Paul MARTIN"), lease(2, "Pauline MARTIN"))
    d = decide(tx(DUE, "ATI 45", remittance=text), idx)
    assert d.outcome is Outcome.REVIEW


# ---------------------------------------------------------------- numeric lease numbers


@pytest.mark.parametrize(
    "text",
    [
        "L 0012345",
        "BAIL12345",
        "CT-12345",
        "BAIL N° 12345 LOYER NOV",
        "REF LOC 12345",
        "loyer L12345",
    ],
)
def test_a_numeric_lease_number_after_a_short_prefix(text: str) -> None:
    target = lease(5, "Nadia BENALI", lease_id="0012345", rent=43_000)
    idx = index(lease(1, "Paul MARTIN"), target)
    d = decide(tx(12_000, "X Y", remittance=text, counterparty_iban=None), idx)
    assert d.method is Method.LEASE_REFERENCE and _alloc(d) == [("0012345", 12_000)]


@pytest.mark.parametrize(
    "text",
    [
        "LOYER 12345",  # a bare number: a postcode, an invoice, a file
        "DOSSIER 12345",  # a guardian's file number
        "D12345",
        "VIR REF 12345",  # a bank's reference
        "L 123456",  # another number
    ],
)
def test_a_number_without_a_lease_prefix_is_not_a_lease_number(text: str) -> None:
    idx = index(lease(5, "Nadia BENALI", lease_id="0012345"))
    d = decide(tx(12_000, "X Y", remittance=text, counterparty_iban=None), idx)
    assert d.outcome is not Outcome.ALLOCATED


def test_prefixed_numbers_and_short_refs() -> None:
    assert list(prefixed_numbers(tokens("BAIL N° 12345 et CT-777 L0012345"))) == [
        "12345",
        "777",
        "0012345",
    ]
    assert short_ref("0012345") == "12345" and short_ref("TIL-00042") is None
    assert short_ref("0000042") is None  # too short to be told from other numbers


# ---------------------------------------------------------------- former tenants


def _ended(**kw: object) -> object:
    return lease(7, "Paul LEROY", end_date=date(2026, 6, 30), balance=60_000, **kw)  # type: ignore[arg-type]


def test_a_former_tenant_pays_a_round_instalment_of_the_arrears() -> None:
    idx = index(_ended(), lease(1, "Jean MARTIN"))  # type: ignore[arg-type]
    d = decide(tx(10_000, "M. LEROY PAUL", counterparty_iban=PAYER_2), idx)
    assert _alloc(d) == [("TIL-00007", 10_000)]
    assert any("ended with 600.00 owed" in e for e in d.evidence)


def test_a_former_tenant_says_what_an_odd_amount_is_for() -> None:
    idx = index(_ended())  # type: ignore[arg-type]
    assert (
        decide(tx(12_345, "PAUL LEROY", counterparty_iban=PAYER_2), idx).outcome is Outcome.REVIEW
    )
    d = decide(tx(12_345, "PAUL LEROY", remittance="ECHEANCIER", counterparty_iban=PAYER_2), idx)
    assert _alloc(d) == [("TIL-00007", 12_345)]


def test_no_arrears_clue_above_the_debt_or_on_a_running_lease() -> None:
    idx = index(_ended())  # type: ignore[arg-type]
    d = decide(tx(70_000, "PAUL LEROY", remittance="SOLDE", counterparty_iban=PAYER_2), idx)
    assert d.outcome is Outcome.REVIEW
    running = index(lease(7, "Paul LEROY", balance=120_000))
    d = decide(tx(10_000, "PAUL LEROY", remittance="SOLDE", counterparty_iban=PAYER_2), running)
    assert d.outcome is Outcome.REVIEW


def test_a_namesake_on_a_running_lease_keeps_an_instalment_in_review() -> None:
    idx = index(_ended(), lease(8, "Paul LEROY", balance=10_000, rent=4_000, charges=0))  # type: ignore[arg-type]
    d = decide(tx(10_000, "PAUL LEROY", counterparty_iban=PAYER_2), idx)
    assert d.outcome is Outcome.REVIEW


# ---------------------------------------------------------------- names as banks print them


@pytest.mark.parametrize(
    ("payer", "tenants"),
    [
        ("M. ou Mme LE GALL", ("Yann LE GALL", "Soizic LE GALL")),
        ("Mlle A. DE SOUZA", ("Anaïs DE SOUZA",)),
        ("MARTIN MARIE", ("Marie DUPONT née MARTIN",)),
        ("MME DUPONT NEE MARTIN", ("Marie DUPONT née MARTIN",)),
        ("MR SOW-LECRON MARIE-CLAIRE", ("Marie-Claire SOW-LECRON",)),
    ],
)
def test_names_as_banks_print_them_with_the_amount(payer: str, tenants: tuple[str, ...]) -> None:
    idx = index(lease(1, *tenants), lease(2, "Jean MOREL"))
    d = decide(tx(DUE, payer, remittance="merci", counterparty_iban=PAYER_2), idx)
    assert _alloc(d) == [("TIL-00001", DUE)]


def test_a_couple_name_and_an_instalment_are_not_enough() -> None:
    couple = lease(7, "Paul LEROY", "Anne LEROY", end_date=date(2026, 6, 30), balance=60_000)
    d = decide(
        tx(20_000, "M. ou Mme LEROY", remittance="ECHEANCIER", counterparty_iban=PAYER_2),
        index(couple),
    )
    assert d.outcome is Outcome.REVIEW


# ---------------------------------------------------------------- namesakes and the amount


def test_namesakes_are_told_apart_by_the_exact_amount_one_of_them_owes() -> None:
    a = lease(1, "Emilie PETIT", rent=45_317, charges=4_112)  # owes 494.29
    b = lease(2, "Émilie PETIT", "Marc DURAND", rent=38_000)  # another Émilie, sharing a flat
    d = decide(
        tx(49_429, "PETIT EMILIE", remittance="merci", counterparty_iban=PAYER_2), index(a, b)
    )
    assert _alloc(d) == [("TIL-00001", 49_429)]
    assert any("namesakes on TIL-00002" in e for e in d.evidence)


def test_namesakes_stay_in_review_on_a_round_amount_or_the_same_due() -> None:
    a = lease(1, "Emilie PETIT", rent=44_000)
    b = lease(2, "Emilie PETIT", "Marc DURAND", rent=38_000)
    d = decide(tx(50_000, "PETIT EMILIE", counterparty_iban=PAYER_2), index(a, b))
    assert d.outcome is Outcome.REVIEW  # 500.00 is anybody's payment on account
    c = lease(3, "Emilie PETIT", rent=45_317)
    e = lease(4, "Emilie PETIT", "Marc DURAND", rent=45_317)
    d = decide(tx(51_317, "PETIT EMILIE", counterparty_iban=PAYER_2), index(c, e))
    assert d.outcome is Outcome.REVIEW


def test_a_namesake_with_more_evidence_is_not_outweighed_by_the_amount() -> None:
    a = lease(1, "Emilie PETIT", rent=45_317)
    # the payer's IBAN pays for this Émilie and another tenant (shared: 0.50)
    b = lease(2, "Emilie PETIT", "Marc DURAND", rent=38_000, payer_ibans=(PAYER_2,))
    c = lease(3, "Jean MOREL", payer_ibans=(PAYER_2,))
    d = decide(tx(51_317, "PETIT EMILIE", counterparty_iban=PAYER_2), index(a, b, c))
    assert d.outcome is Outcome.REVIEW


def test_a_surname_alone_with_the_amount_stays_in_review() -> None:
    idx = index(lease(1, "Marie DUPONT née MARTIN"), lease(2, "Jean MOREL"))
    d = decide(tx(DUE, "MME DUPONT", remittance="merci", counterparty_iban=PAYER_2), idx)
    assert d.outcome is Outcome.REVIEW


def test_the_namesake_rule_is_a_setting() -> None:
    a = lease(1, "Emilie PETIT", rent=45_317, charges=4_112)
    b = lease(2, "Émilie PETIT", "Marc DURAND", rent=38_000)
    strict = MatchPolicy.from_dict({"namesake_margin": 0.15})
    d = decide(tx(49_429, "PETIT EMILIE", counterparty_iban=PAYER_2), index(a, b), strict)
    assert d.outcome is Outcome.REVIEW
    with pytest.raises(ValidationError):
        MatchPolicy.from_dict({"namesake_margin": 2})


def test_namesakes_beside_the_tenants_own_other_lease() -> None:
    flat = lease(1, "Camille GUÉDET", rent=26_649)  # owes 326.49
    other = lease(2, "Camille GUÉDET", rent=41_000)  # the same tenant's other lease
    namesake = lease(3, "Camille GUÉDET", "Éric ROULIER", rent=38_000)
    payment = tx(
        32_649, "ATMP DU LOIRET", remittance="PROTEGE GUEDET CAMILLE", counterparty_iban=None
    )
    d = decide(payment, index(flat, other, namesake))
    assert _alloc(d) == [("TIL-00001", 32_649)]
