"""The lease index finds a household's leases by its id, as the match service's share
of a household payment asks it (it scanned every lease of the organisation before)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from functions.core.household import household_of
from functions.core.lease import Lease, Tenant
from functions.core.lease_index import LeaseIndex


def _lease(lease_id: str, household_id: str | None) -> Lease:
    return Lease(
        org_id="org-a",
        lease_id=lease_id,
        tenants=(Tenant("Zoé LEFÈVRE"),),
        residence="R",
        commune="Orléans",
        unit=lease_id,
        start_date=date(2020, 1, 1),
        rent_cents=50_000,
        charges_cents=8_000,
        viban="",
        rf_reference="",
        household_id=household_id,
    )


def test_a_household_s_leases_are_found_by_its_id_and_follow_each_update() -> None:
    flat, parking, other = _lease("L1", "H-1"), _lease("L2", "H-1"), _lease("L3", None)
    index = LeaseIndex("org-a", [flat, parking, other, _lease("L4", "H-2")])
    assert sorted(x.lease_id for x in index.household("H-1")) == ["L1", "L2"]
    assert household_of(flat, index.household("H-1")) == household_of(flat, list(index))
    paid = replace(parking, balance_cents=-100, version=2)
    index.put(paid)  # a booking's newer version replaces the old one
    assert household_of(flat, index.household("H-1")) == [flat, paid]
    index.put(replace(paid, household_id="H-2", version=3))  # moved to another household
    assert [x.lease_id for x in index.household("H-1")] == ["L1"]
    assert sorted(x.lease_id for x in index.household("H-2")) == ["L2", "L4"]
    assert index.household("H-9") == []
    index.put(replace(_lease("L5", "H-1"), org_id="org-b"))  # another landlord's: ignored
    assert [x.lease_id for x in index.household("H-1")] == ["L1"]
