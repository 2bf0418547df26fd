"""What the ERP gives at onboarding feeds matching: its own lease numbers, the household
grouping a flat and its parking, the debtor account of a direct-debit mandate."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from functions.core.matching import MatchDecision, Method, Outcome, decide
from functions.core.sepa import Mandate
from tests.unit.matching.helpers import PAYER_1, PAYER_2, index, lease, tx


def _alloc(d: MatchDecision) -> list[tuple[str, int]]:
    return [(a.lease_id, a.amount_cents) for a in d.allocations]


@pytest.mark.parametrize(
    "text", ["LOYER 0010666/02", "loyer 0010666-02 nov", "REF OPH-0010666-02", "BAIL 1066602"]
)
def test_the_erps_own_lease_number_in_the_text(text: str) -> None:
    target = lease(5, "Nadia BENALI", external_id="0010666/02")
    external = "OPH-0010666-02" if "OPH" in text else "0010666/02"
    target = replace(target, external_id=external)
    idx = index(lease(1, "Paul MARTIN"), target)
    d = decide(tx(12_000, "X Y", remittance=text, counterparty_iban=None), idx)
    assert d.method is Method.LEASE_REFERENCE and _alloc(d) == [("TIL-00005", 12_000)]


def test_a_short_numeric_erp_number_needs_a_prefix() -> None:
    idx = index(lease(5, "Nadia BENALI", external_id="45100"))
    bare = decide(tx(12_000, "X Y", remittance="45100 ORLEANS", counterparty_iban=None), idx)
    assert bare.outcome is not Outcome.ALLOCATED  # a postcode
    d = decide(tx(12_000, "X Y", remittance="BAIL 45100", counterparty_iban=None), idx)
    assert _alloc(d) == [("TIL-00005", 12_000)]


def test_a_changed_erp_number_is_no_longer_read() -> None:
    old = lease(5, "Nadia BENALI", external_id="0010666/02")
    idx = index(old)
    idx.put(replace(old, external_id="0020777/01"))
    d = decide(tx(12_000, "X Y", remittance="LOYER 0010666/02", counterparty_iban=None), idx)
    assert d.outcome is not Outcome.ALLOCATED


def test_a_household_pays_its_flat_and_parking_together() -> None:
    # The parking is in one spouse's name only; the household groups them.
    flat = lease(1, "Jean DUPONT", "Anne DUPONT", household_id="H-77", payer_ibans=(PAYER_1,))
    parking = lease(
        2, "Anne DUPONT", rent=4_000, charges=500, household_id="H-77", payer_ibans=(PAYER_1,)
    )
    d = decide(tx(60_500, "M OU MME DUPONT"), index(flat, parking, lease(3, "Paul MARTIN")))
    assert _alloc(d) == [("TIL-00001", 56_000), ("TIL-00002", 4_500)]
    assert any("same tenant on 2 leases" in e for e in d.evidence)


def test_without_a_household_two_tenants_sharing_an_iban_are_not_confirmed() -> None:
    flat = lease(1, "Jean DUPONT", "Anne DUPONT", payer_ibans=(PAYER_1,))
    parking = lease(2, "Anne DUPONT", rent=4_000, charges=500, payer_ibans=(PAYER_1,))
    d = decide(tx(12_345, "M OU MME DUPONT"), index(flat, parking))
    assert d.outcome is Outcome.REVIEW


def test_the_mandates_debtor_account_is_a_known_payer() -> None:
    mandate = Mandate("RUM-0001", date(2024, 3, 1), PAYER_2, "Paul MARTIN")
    target = lease(4, "Paul MARTIN", mandate=mandate, mandate_id="RUM-0001")
    idx = index(lease(1, "Jean DUPONT"), target)
    # a transfer (not a collection) from the account the lease is debited from
    d = decide(tx(20_000, "MARTIN PAUL", counterparty_iban=PAYER_2), idx)
    assert d.method is Method.PAYER_IBAN and _alloc(d) == [("TIL-00004", 20_000)]
