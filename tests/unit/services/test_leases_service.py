"""LeaseService on the fakes: vIBANs allocated once, rent calls and adjustments posted once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from functions.core.errors import ConflictError, NotFoundError
from functions.core.lease import rf_reference_for_viban
from functions.core.ledger import LineKind
from functions.leases.service import BalanceOperation, LeaseService, RentCall
from tests.fakes import FakeWorld
from tests.unit.matching.helpers import ORG, RANGE, lease
from tests.unit.services.conftest import clock


def service(w: FakeWorld) -> LeaseService:
    return LeaseService(w.organisations, w.leases, w.ledger_writer, clock, history=w.ledger)


def test_a_new_lease_gets_the_next_vIBAN_and_its_RF_reference(world: FakeWorld) -> None:
    created, new = service(world).register(replace(lease(3), viban="", rf_reference=""))
    again, _ = service(world).register(replace(lease(4), viban="", rf_reference=""))

    assert new
    assert created.viban == RANGE.iban_for(0)
    assert created.rf_reference == rf_reference_for_viban(created.viban)
    assert again.viban == RANGE.iban_for(1)
    assert world.leases.get(ORG, created.lease_id) == created


def test_registering_again_updates_terms_and_keeps_viban_and_balance(world: FakeWorld) -> None:
    stored = world.leases.get(ORG, "TIL-00001")
    _, new = service(world).register(
        replace(stored, rent_cents=70_000, viban="", rf_reference="", balance_cents=0)
    )

    assert not new
    after = world.leases.get(ORG, "TIL-00001")
    assert after.rent_cents == 70_000
    assert (after.viban, after.balance_cents) == (stored.viban, stored.balance_cents)
    assert world.tables.viban_next == {}  # no number reserved for an update


def test_register_many_creates_the_new_and_updates_the_known(world: FakeWorld) -> None:
    known = replace(world.leases.get(ORG, "TIL-00002"), unit="apt 22")
    fresh = replace(lease(9), viban="", rf_reference="")

    out = service(world).register_many(ORG, [known, fresh])

    assert [created for _, created in out] == [False, True]
    assert world.leases.get(ORG, "TIL-00002").unit == "apt 22"
    assert world.leases.get(ORG, "TIL-00009").viban == RANGE.iban_for(0)


def test_a_rent_call_debits_the_lease_once(world: FakeWorld) -> None:
    call = RentCall(
        ORG, "TIL-00001", "RC-2026-12", "2026-12", date(2026, 12, 5), 50_000, 6_000, 1_000
    )

    assert service(world).post_rent_call(call) is True
    assert service(world).post_rent_call(call) is False

    assert world.leases.get(ORG, "TIL-00001").balance_cents == 56_000 + 55_000
    [line] = world.ledger.lines(ORG, "TIL-00001")
    assert (line.kind, line.amount_cents, line.label) == (
        LineKind.RENT_CALL,
        55_000,
        "Avis d'échéance 2026-12",
    )


def test_an_adjustment_is_idempotent_on_its_reference(world: FakeWorld) -> None:
    op = BalanceOperation(ORG, "TIL-00002", LineKind.ADJUSTMENT, -2_500, date(2026, 11, 15), "AV-7")

    line, posted = service(world).post_balance_operation(op)
    same, again = service(world).post_balance_operation(op)

    assert (posted, again) == (True, False)
    assert same == line and line.label == "Avoir AV-7"
    assert world.leases.get(ORG, "TIL-00002").balance_cents == 56_000 - 2_500
    pending, _ = world.entries.list_pending(ORG)
    assert [e.source_id for e in pending] == ["TIL-00002:adjustment:AV-7"]
    with pytest.raises(ConflictError, match="another amount"):
        service(world).post_balance_operation(replace(op, amount_cents=-2_600))


def test_a_second_opening_balance_is_refused(world: FakeWorld) -> None:
    op = BalanceOperation(
        ORG, "TIL-00001", LineKind.OPENING_BALANCE, 10_000, date(2026, 1, 1), "OB-1"
    )
    service(world).post_balance_operation(op)

    with pytest.raises(ConflictError, match="opening balance already"):
        service(world).post_balance_operation(replace(op, reference="OB-2"))


def test_rent_calls_in_a_batch_post_once_and_name_the_unknown_lease(world: FakeWorld) -> None:
    calls = [
        RentCall(ORG, lid, f"RC-{lid}", "2026-12", date(2026, 12, 5), 50_000, 6_000)
        for lid in ("TIL-00001", "TIL-00002", "TIL-00404")
    ]

    first = service(world).post_rent_calls(ORG, calls)
    again = service(world).post_rent_calls(ORG, calls[:2])

    assert first.outcomes[:2] == [True, True]
    assert isinstance(first.outcomes[2], NotFoundError)
    assert again.outcomes == [False, False]
    assert world.leases.get(ORG, "TIL-00001").balance_cents == 56_000 * 2
    assert len(world.ledger.lines(ORG, "TIL-00002")) == 1
