"""The lease index refreshed in place answers as an index built afresh, and keeps
one copy of what its leases share (postings of one id, name words)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.matching.generate import portfolio
from functions.core.lease import Lease, Tenant
from functions.core.lease_index import LeaseIndex, Postings, compact, lease_refs
from functions.core.names import parse_person
from functions.match.service import LeaseIndexCache


def test_postings_hold_one_id_or_a_set_and_answer_sets() -> None:
    p: Postings[str] = Postings()
    assert p.get("A") == set() and "A" not in p
    p.add("A", "L1")
    p.add("A", "L1")
    assert p.get("A") == {"L1"} and "A" in p
    p.add("A", "L2")
    assert p.get("A") == {"L1", "L2"}
    p.discard("A", "L1")
    assert p.get("A") == {"L2"}
    p.discard("A", "L3")  # not there: nothing changes
    assert p.get("A") == {"L2"}
    p.discard("A", "L2")
    assert p.get("A") == set() and "A" not in p and len(p) == 0


def _keys(leases: list[Lease]) -> dict[str, set[Any]]:
    """Every key any of these leases could be looked up by."""
    keys: dict[str, set[Any]] = {
        k: set()
        for k in ("viban", "rf", "mandate", "ref", "iban", "word", "pair", "amount", "household")
    }
    for x in leases:
        keys["viban"].add(x.viban)
        keys["rf"].add(x.rf_reference)
        keys["mandate"].add(x.mandate_id or "none")
        for number in (x.lease_id, x.external_id or "none"):
            keys["ref"] |= lease_refs(number)
            keys["ref"].add(compact(number).lstrip("0"))
        keys["iban"] |= set(x.payer_ibans) | ({x.mandate.debtor_iban} if x.mandate else set())
        keys["amount"] |= {x.monthly_due_cents, x.balance_cents}
        keys["household"].add(x.household_id or "none")
        for t in x.tenants:
            p = parse_person(t.name)
            words = set(p.surname) | p.surname_parts | {w for k in p.surname_keys for w in k}
            keys["word"] |= words
            keys["pair"] |= {(w, f) for w in words for f in p.first | p.initials}
    return keys


def _answers(index: LeaseIndex, keys: dict[str, set[Any]]) -> dict[str, Any]:
    def lease_id(lease: Lease | None) -> str | None:
        return lease.lease_id if lease else None

    org = index.org_id
    return {
        "leases": sorted((x.lease_id, x.version) for x in index),
        "viban": {k: lease_id(index.by_viban(org, k)) for k in keys["viban"]},
        "rf": {k: lease_id(index.by_rf(org, k)) for k in keys["rf"]},
        "mandate": {k: lease_id(index.by_mandate(k)) for k in keys["mandate"]},
        "ref": {k: (index.by_ref(k), index.prefixed_refs_in(["BAIL", k])) for k in keys["ref"]},
        "iban": {k: index.by_payer_iban(k) for k in keys["iban"]},
        "word": {
            k: (index.by_surname(k), index.couples_named(k), index.is_surname(k))
            for k in keys["word"]
        },
        "pair": {k: index.by_name_pair(*k) for k in keys["pair"]},
        "amount": {k: index.by_amount(k) for k in keys["amount"]},
        "household": {k: {x.lease_id for x in index.household(k)} for k in keys["household"]},
        "entries": {
            x.lease_id: (
                index.entry(x.lease_id).tenant_key,
                index.entry(x.lease_id).explained,
                index.entry(x.lease_id).couples,
            )
            for x in index
        },
    }


def _changed(leases: list[Lease], rng: random.Random) -> list[Lease]:
    """The portfolio as the store holds it later: balances paid, payers learned,
    tenants changed, households formed, some leases gone and some new."""
    out: list[Lease] = []
    for i, x in enumerate(leases):
        roll = rng.random()
        if roll < 0.05:
            continue  # gone from the store
        v = x.version + 1
        if roll < 0.25:
            out.append(replace(x, balance_cents=x.balance_cents - 1_000, version=v))
        elif roll < 0.35:
            out.append(
                replace(x, payer_ibans=(*x.payer_ibans, f"FR76300040000{i:014d}"), version=v)
            )
        elif roll < 0.45:
            tenants = (Tenant("Anne-Sophie MARTIN-DUPONT"), *x.tenants[1:])
            out.append(replace(x, tenants=tenants, version=v))
        elif roll < 0.5:
            out.append(replace(x, household_id=f"H{i % 7}", version=v))
        elif roll < 0.52:
            out.append(replace(x, viban=f"FR76CHANGED{i}", version=v))  # vIBANs stay unique
        else:
            out.append(x)
    for j in range(10):
        out.append(
            replace(
                leases[j],
                lease_id=f"NEW-{j:05d}",
                viban=f"FR76NEW{j}",
                rf_reference=f"RFNEW{j}",
                mandate_id=None,
                version=0,
            )
        )
    return out


def test_an_index_refreshed_in_place_answers_as_one_built_afresh() -> None:
    before = portfolio(400).leases
    for seed in range(3):
        after = _changed(before, random.Random(seed))
        refreshed = LeaseIndex(before[0].org_id, before)
        refreshed.refresh(after)
        fresh = LeaseIndex(before[0].org_id, after)
        keys = _keys(before + after)
        assert _answers(refreshed, keys) == _answers(fresh, keys)


def test_a_stale_read_does_not_undo_a_booking_the_index_holds() -> None:
    lease = portfolio(3).leases[0]
    index = LeaseIndex(lease.org_id, [lease])
    booked = replace(lease, balance_cents=0, version=lease.version + 1)
    index.put(booked)
    index.refresh([lease])  # the store's listing is a version behind
    assert index.get(lease.lease_id) == booked
    newer = replace(booked, balance_cents=5, version=booked.version + 1)
    index.refresh([newer])
    assert index.get(lease.lease_id) == newer


def test_leases_share_their_name_words() -> None:
    a, b = portfolio(2).leases
    a = replace(a, tenants=(Tenant("Jean-Marc DUPONT"),))
    b = replace(b, lease_id="X2", tenants=(Tenant("Jean-Marc DURAND"),))
    index = LeaseIndex(a.org_id, [a, b])
    pa, pb = index.entry(a.lease_id).persons[0], index.entry("X2").persons[0]
    assert pa.first == pb.first and pa.first is pb.first
    assert index.entry(a.lease_id).couples is index.entry("X2").couples
    assert next(w for w in pa.first if w == "JEAN") is next(w for w in pb.first if w == "JEAN")


class _Store:
    def __init__(self, leases: list[Lease]) -> None:
        self.leases = leases
        self.listings = 0

    def iter_all(self, org_id: str) -> list[Lease]:
        self.listings += 1
        return list(self.leases)

    def by_viban(self, org_id: str, iban: str) -> Lease | None:
        return None

    def by_rf(self, org_id: str, reference: str) -> Lease | None:
        return None

    def get(self, org_id: str, lease_id: str) -> Lease:
        raise AssertionError("not used")

    def find_many(self, org_id: str, lease_ids: Any) -> dict[str, Lease]:
        raise AssertionError("not used")


def test_the_cache_refreshes_its_index_in_place_after_the_ttl() -> None:
    leases = portfolio(20).leases
    store = _Store(leases)
    now = [datetime(2026, 12, 4, 9, tzinfo=UTC)]
    cache = LeaseIndexCache(store, lambda: now[0], ttl=timedelta(minutes=5))
    first = cache.get(leases[0].org_id)
    store.leases = [replace(leases[0], balance_cents=1, version=leases[0].version + 1)]
    now[0] += timedelta(minutes=4)
    assert cache.get(leases[0].org_id) is first and store.listings == 1
    assert first.get(leases[0].lease_id) == leases[0]
    now[0] += timedelta(minutes=2)
    again = cache.get(leases[0].org_id)
    assert again is first and store.listings == 2
    assert [x.balance_cents for x in again] == [1]
