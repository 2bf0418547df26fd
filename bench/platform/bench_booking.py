"""Booking throughput of the match service on the embedded emulator (issue 12).

``python -m bench.platform.bench_booking [--payments 1000]``: starts the emulator in
this process with every table of template.yaml, loads one landlord's leases (one
direct-debit mandate each) and one collection per lease, then runs the production
``PaymentMatcher`` over messages of 100 transaction ids, twice on two landlords of
the same size:

- *one by one*: every booking down the single path (a BatchGetItem of its leases and
  one TransactWriteItems per payment), which is what each payment cost before the
  bookings were grouped;
- *grouped*: the bookings of a message packed into TransactWriteItems of up to 100
  items.

Prints payments/s and the AWS calls per payment of each. The month of
``bench_platform`` measures the same path end to end (with ingest and the queue).
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from functions.core.booking import Booking, Written
from functions.core.lease import Lease, PaymentMethod, Tenant, rf_reference_for_viban
from functions.core.organisation import Organisation
from functions.core.transactions import BankTransaction, TransactionKind
from functions.core.viban import VirtualIbanRange

COLLECTION = "FR7630004008210000420001774"
RANGE = VirtualIbanRange("30004", "00821", "57")
DUE = 56_000


def _lease(org_id: str, n: int) -> Lease:
    return Lease(
        org_id,
        f"L{n:06d}",
        (Tenant(f"Client{n} NOM{n}"),),
        "Les Tilleuls",
        "Orléans",
        str(n),
        date(2024, 1, 1),
        50_000,
        6_000,
        viban=RANGE.iban_for(n),
        rf_reference=rf_reference_for_viban(RANGE.iban_for(n)),
        payment_method=PaymentMethod.DIRECT_DEBIT,
        mandate_id=f"RUM-{n:06d}",
        balance_cents=DUE,
    )


def _collection(org_id: str, n: int) -> BankTransaction:
    return BankTransaction(
        org_id=org_id,
        transaction_id=f"tx_{org_id}_{n:06d}",
        kind=TransactionKind.CREDIT,
        amount_cents=DUE,
        currency="EUR",
        booking_date=date(2026, 11, 5),
        value_date=date(2026, 11, 5),
        account_iban=COLLECTION,
        statement_id="ST-1",
        bank_reference=f"REF-{n}",
        bank_transaction_code="PMNT-RDDT-ESDD",
        counterparty_name=f"NOM{n} CLIENT{n}",
        counterparty_iban=None,
        creditor_account_iban=None,
        end_to_end_id=f"SDD-{n:06d}",
        mandate_id=f"RUM-{n:06d}",
        remittance=None,
        structured_reference=None,
        return_reason=None,
        original_end_to_end_id=None,
        reversal=False,
        file_id="bench",
    )


def run(payments: int) -> dict[str, tuple[float, Counter[str]]]:
    from infra.local.resources import in_process

    with in_process():
        return {mode: _measure(mode, payments) for mode in ("one by one", "grouped")}


def _measure(mode: str, payments: int) -> tuple[float, Counter[str]]:
    from functions.adapters.aws import client
    from functions.adapters.dynamo import (
        BookingTables,
        DynamoBooker,
        DynamoLeaseRepository,
        DynamoOrganisationRepository,
        DynamoTransactionRepository,
    )
    from functions.adapters.settings import Settings
    from functions.match.service import PaymentMatcher

    class OneByOne(DynamoBooker):
        """Sends every booking down the single path (nothing written by the group)."""

        def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
            return [Written.STALE] * len(group)

    s = Settings.from_env()
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    orgs = DynamoOrganisationRepository(s.organisations_table)
    orgs.put(Organisation(org_id, "HLM", COLLECTION, RANGE))
    DynamoLeaseRepository(s.leases_table).put_many_new([_lease(org_id, n) for n in range(payments)])
    txs = DynamoTransactionRepository(s.transactions_table)
    stored = [_collection(org_id, n) for n in range(payments)]
    txs.add_new(stored)
    ids = [t.transaction_id for t in stored]
    tables = BookingTables(s.leases_table, s.ledger_table, s.transactions_table, s.entries_table)
    booker = (OneByOne if mode == "one by one" else DynamoBooker)(tables)
    matcher = PaymentMatcher(orgs, DynamoLeaseRepository(s.leases_table), txs, booker)
    assert matcher.indexes is not None
    matcher.indexes.get(org_id)  # the index loads once per cold start: not measured
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb", count)
    start = time.perf_counter()
    booked = 0
    for i in range(0, payments, 100):
        booked += sum(r.booked for r in matcher.match(org_id, ids[i : i + 100]))
    seconds = time.perf_counter() - start
    events.unregister("before-call.dynamodb", count)
    assert booked == payments, f"{mode}: {booked} of {payments} booked"
    return booked / seconds, calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payments", type=int, default=1000)
    args = ap.parse_args()
    for mode, (rate, calls) in run(args.payments).items():
        per = ", ".join(f"{k} {v / args.payments:.2f}" for k, v in sorted(calls.items()))
        print(f"{mode:>10}: {rate:8.1f} payments/s   calls per payment: {per}")


if __name__ == "__main__":
    main()
