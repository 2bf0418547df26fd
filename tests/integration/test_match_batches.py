"""Booking a message's transactions in groups on the emulator: two payments to one
lease, a stale lease or a transaction decided elsewhere inside a group, and a crash
between two groups (each transaction booked exactly once)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from functions.adapters.dynamo import (
    BookingTables,
    DynamoBooker,
    DynamoLeaseRepository,
    DynamoLedgerRepository,
    DynamoLedgerWriter,
    DynamoOrganisationRepository,
    DynamoTransactionRepository,
)
from functions.adapters.settings import Settings
from functions.core.booking import Booking, Written
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.organisation import Organisation
from functions.core.transactions import BankTransaction, TransactionKind, TransactionStatus
from functions.core.viban import VirtualIbanRange
from functions.leases.service import LeaseService, RentCall
from functions.match.service import PaymentMatcher

pytestmark = pytest.mark.integration
COLLECTION = "FR7630004008210000420001774"
DUE = 56_000
NAMES = ("Léa MARTIN", "Jean DUPONT", "Karim HADDAD", "Zoé LEFÈVRE")


class CountingBooker(DynamoBooker):
    """The real booker, counting its writes; ``fail_at`` makes the n-th group fail
    before it is written (a crash between groups)."""

    def __init__(self, tables: BookingTables, fail_at: int | None = None) -> None:
        super().__init__(tables)
        self.groups: list[int] = []
        self.alone = 0
        self.fail_at = fail_at

    def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
        if self.fail_at is not None and len(self.groups) + 1 == self.fail_at:
            raise RuntimeError("the process died between two groups")
        self.groups.append(len(group))
        return super().book_group(group)

    def book(self, booking: Booking, leases: Mapping[str, Lease]) -> bool:
        self.alone += 1
        return super().book(booking, leases)


@pytest.fixture
def org_id(settings: Settings) -> str:
    """A landlord with four leases paid by direct debit (RUM-0 … RUM-3), each owing 560 €."""
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    orgs = DynamoOrganisationRepository(settings.organisations_table)
    orgs.put(
        Organisation(
            org_id, "HLM", COLLECTION, VirtualIbanRange("30004", "00821", str(uuid.uuid4().int)[:4])
        )
    )
    service = LeaseService(
        orgs,
        DynamoLeaseRepository(settings.leases_table),
        DynamoLedgerWriter(settings.ledger_table, settings.leases_table),
    )
    for n, name in enumerate(NAMES):
        lid = f"L{n}"
        service.register(
            Lease(
                org_id,
                lid,
                (Tenant(name),),
                "Les Tilleuls",
                "Orléans",
                lid,
                date(2024, 1, 1),
                50_000,
                6_000,
                viban="",
                rf_reference="",
                payment_method=PaymentMethod.DIRECT_DEBIT,
                mandate_id=f"RUM-{n}",
            )
        )
        service.post_rent_call(
            RentCall(org_id, lid, f"{lid}:2026-11", "2026-11", date(2026, 11, 5), DUE, 0)
        )
    return org_id


def _collection(org_id: str, n: int, lease: int, amount: int = DUE) -> BankTransaction:
    return BankTransaction(
        org_id=org_id,
        transaction_id=f"tx_{org_id}_{n:03d}",
        kind=TransactionKind.CREDIT,
        amount_cents=amount,
        currency="EUR",
        booking_date=date(2026, 11, 20),
        value_date=date(2026, 11, 20),
        account_iban=COLLECTION,
        statement_id="ST-1",
        bank_reference=f"REF-{n}",
        bank_transaction_code="PMNT-RDDT-ESDD",
        counterparty_name=NAMES[lease].upper(),
        counterparty_iban=None,
        creditor_account_iban=None,
        end_to_end_id=f"SDD-{n}",
        mandate_id=f"RUM-{lease}",
        remittance=None,
        structured_reference=None,
        return_reason=None,
        original_end_to_end_id=None,
        reversal=False,
        file_id="f1",
    )


def _store(settings: Settings, *txs: BankTransaction) -> list[str]:
    DynamoTransactionRepository(settings.transactions_table).add_new(txs)
    return [t.transaction_id for t in txs]


def _matcher(settings: Settings, booker: DynamoBooker | None = None, **kw: Any) -> PaymentMatcher:
    return PaymentMatcher(
        orgs=DynamoOrganisationRepository(settings.organisations_table),
        leases=DynamoLeaseRepository(settings.leases_table),
        transactions=kw.pop(
            "transactions", DynamoTransactionRepository(settings.transactions_table)
        ),
        booker=booker or CountingBooker(_tables(settings)),
        ledger=DynamoLedgerRepository(settings.ledger_table),
        **kw,
    )


def _tables(settings: Settings) -> BookingTables:
    return BookingTables(
        settings.leases_table,
        settings.ledger_table,
        settings.transactions_table,
        settings.entries_table,
    )


def _lease(settings: Settings, org_id: str, lid: str) -> Lease:
    return DynamoLeaseRepository(settings.leases_table).get(org_id, lid)


def _payments(settings: Settings, org_id: str, lid: str) -> list[int]:
    lines = DynamoLedgerRepository(settings.ledger_table).lines(org_id, lid)
    return [x.amount_cents for x in lines if x.kind.value == "payment"]


def _statuses(settings: Settings, org_id: str, ids: Sequence[str]) -> list[str]:
    txs = DynamoTransactionRepository(settings.transactions_table).get_many(org_id, ids)
    return [t.status.value for t in txs]


def test_two_payments_to_one_lease_are_booked_in_two_groups_in_order(
    settings: Settings, org_id: str
) -> None:
    ids = _store(
        settings,
        _collection(org_id, 1, 0, 30_000),
        _collection(org_id, 2, 1),
        _collection(org_id, 3, 0, 26_000),  # L0 again: the next group
        _collection(org_id, 4, 2),
    )
    booker = CountingBooker(_tables(settings))
    results = _matcher(settings, booker).match(org_id, ids)
    assert [(r.outcome, r.lease_ids, r.booked) for r in results] == [
        ("allocated", ("L0",), True),
        ("allocated", ("L1",), True),
        ("allocated", ("L0",), True),
        ("allocated", ("L2",), True),
    ]
    assert booker.groups == [2, 2] and booker.alone == 0
    before = 1  # its rent call
    assert _lease(settings, org_id, "L0").version == before + 2
    assert _lease(settings, org_id, "L0").balance_cents == 0
    assert sorted(_payments(settings, org_id, "L0")) == [-30_000, -26_000]
    assert _lease(settings, org_id, "L1").balance_cents == 0
    assert _lease(settings, org_id, "L3").balance_cents == DUE


def test_a_stale_lease_is_booked_again_alone_and_the_rest_of_its_group_once(
    settings: Settings, org_id: str
) -> None:
    booker = CountingBooker(_tables(settings))
    matcher = _matcher(settings, booker)
    first = _store(settings, _collection(org_id, 1, 3, 10_000))
    matcher.match(org_id, first)  # the index is loaded (and L3 booked once)
    # Another process changes L1 behind the cached index: a second rent call.
    LeaseService(
        DynamoOrganisationRepository(settings.organisations_table),
        DynamoLeaseRepository(settings.leases_table),
        DynamoLedgerWriter(settings.ledger_table, settings.leases_table),
    ).post_rent_call(RentCall(org_id, "L1", "L1:2026-12", "2026-12", date(2026, 12, 5), DUE, 0))
    ids = _store(settings, *(_collection(org_id, n, n - 10) for n in range(10, 13)))
    results = matcher.match(org_id, ids)
    assert [r.booked for r in results] == [True, True, True]
    assert booker.groups == [1, 3, 2]  # L1 failed its version check: the others again
    assert booker.alone == 1  # L1, from a fresh read
    assert _lease(settings, org_id, "L1").balance_cents == DUE  # December still owed
    for lid in ("L0", "L1", "L2"):
        assert _payments(settings, org_id, lid) == [-DUE]
    # The index learned L1's true version: the next payment to it goes in a group.
    more = _store(settings, _collection(org_id, 20, 1))
    assert matcher.match(org_id, more)[0].booked
    assert booker.alone == 1 and _lease(settings, org_id, "L1").balance_cents == 0


def test_a_transaction_decided_by_another_delivery_is_left_and_the_others_booked_once(
    settings: Settings, org_id: str
) -> None:
    ids = _store(settings, *(_collection(org_id, n, n) for n in range(3)))
    _matcher(settings).match(org_id, ids[1:2])  # another delivery decided the second

    class ReadBeforeTheOtherDelivery(DynamoTransactionRepository):
        def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]:
            return [
                replace(t, status=TransactionStatus.NEW)
                for t in super().get_many(org_id, transaction_ids)
            ]

    booker = CountingBooker(_tables(settings))
    stale = ReadBeforeTheOtherDelivery(settings.transactions_table)
    results = _matcher(settings, booker, transactions=stale).match(org_id, ids)
    assert [r.booked for r in results] == [True, False, True]
    assert booker.groups == [3, 2] and booker.alone == 0
    for lid in ("L0", "L1", "L2"):
        assert _payments(settings, org_id, lid) == [-DUE]
        assert _lease(settings, org_id, lid).balance_cents == 0


def test_a_crash_between_two_groups_books_each_transaction_once_on_redelivery(
    settings: Settings, org_id: str
) -> None:
    ids = _store(
        settings,
        _collection(org_id, 1, 0, 30_000),
        _collection(org_id, 2, 1),
        _collection(org_id, 3, 0, 26_000),
    )
    crashing = CountingBooker(_tables(settings), fail_at=2)
    with pytest.raises(RuntimeError):
        _matcher(settings, crashing).match(org_id, ids)
    assert crashing.groups == [2]
    assert _statuses(settings, org_id, ids) == ["allocated", "allocated", "new"]

    booker = CountingBooker(_tables(settings))
    results = _matcher(settings, booker).match(org_id, ids)  # the message again
    assert [r.booked for r in results] == [False, False, True]
    assert booker.groups == [1]
    assert sorted(_payments(settings, org_id, "L0")) == [-30_000, -26_000]
    assert _payments(settings, org_id, "L1") == [-DUE]
    assert _lease(settings, org_id, "L0").balance_cents == 0


def test_a_learned_payer_keeps_the_payers_the_erp_imported_behind_the_index(
    settings: Settings, org_id: str
) -> None:
    booker = CountingBooker(_tables(settings))
    matcher = _matcher(settings, booker)
    matcher.match(org_id, _store(settings, _collection(org_id, 1, 3, 10_000)))  # index loaded
    erp_payer, payer = "FR7610107001011234567890129", "FR7630006000011234567890189"
    leases = DynamoLeaseRepository(settings.leases_table)
    # The ERP imports L2's payer history: the version does not move.
    leases.update_terms(
        replace(leases.get(org_id, "L2"), payer_ibans=(erp_payer,)), payer_ibans=True
    )
    paid = replace(_collection(org_id, 2, 2), counterparty_iban=payer)
    (result,) = matcher.match(org_id, _store(settings, paid))
    assert result.booked and booker.alone == 1  # refused in its group, booked from a fresh read
    assert leases.get(org_id, "L2").payer_ibans == (erp_payer, payer)
    assert _payments(settings, org_id, "L2") == [-DUE]
