"""The lease index asks the store for a vIBAN it does not know, except the landlord's
collection account (a Query per payment otherwise)."""

from __future__ import annotations

from datetime import date

from functions.core.lease import Lease, Tenant
from functions.core.lease_index import LeaseIndex

COLLECTION = "FR76 3000 4008 2100 0042 0001 774"
NEW_VIBAN = "FR7630004008210000570000197"


class Store:
    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.asked: list[str] = []

    def by_viban(self, org_id: str, iban: str) -> Lease | None:
        self.asked.append(iban)
        return self.lease if iban == self.lease.viban else None

    def by_rf(self, org_id: str, reference: str) -> Lease | None:
        return None


def _lease() -> Lease:
    return Lease(
        org_id="org-a",
        lease_id="L1",
        tenants=(Tenant("Zoé LEFÈVRE"),),
        residence="R",
        commune="Orléans",
        unit="1",
        start_date=date(2020, 1, 1),
        rent_cents=50_000,
        charges_cents=8_000,
        viban=NEW_VIBAN,
        rf_reference="",
    )


def test_a_lease_created_since_the_load_is_found_by_its_viban_and_kept() -> None:
    store = Store(_lease())
    index = LeaseIndex("org-a", (), fallback=store)
    index.never_a_viban(COLLECTION)
    assert index.by_viban("org-a", NEW_VIBAN) == store.lease
    assert index.by_viban("org-a", NEW_VIBAN) == store.lease
    assert store.asked == [NEW_VIBAN]  # the second time from the index


def test_the_collection_account_is_never_looked_up_in_the_store() -> None:
    store = Store(_lease())
    index = LeaseIndex("org-a", (), fallback=store)
    index.never_a_viban(COLLECTION)
    assert index.by_viban("org-a", COLLECTION.replace(" ", "")) is None
    assert index.by_viban("org-a", "FR7630004008210000420001775") is None  # another account
    assert store.asked == ["FR7630004008210000420001775"]
