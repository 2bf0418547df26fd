"""The booking's write: raw TransactWriteItems against PynamoDB's ``TransactWrite``.

``python -m bench.dynamo.bench_transact_write [--payments 500] [--rounds 3]``: the
setup of ``bench.platform.bench_booking`` (one direct-debit payment per lease: each
booking updates its transaction and its lease, puts a ledger line, an accounting entry
and the collection's record: 5 items, so 20 bookings to a group of 100 items), then the
production ``PaymentMatcher`` books every payment in groups, once with ``DynamoBooker``
(raw items) and once with a booker whose groups are built from the models (``update``
with the models' update actions and conditions, ``save`` of new items) and sent by
``TransactWrite``. The two alternate on fresh landlords, ``--rounds`` times.

Prints, per booker: the time spent in ``book_group`` per group of 100 items (best and
median), the part of it spent building the request on the client, and payments/s of
the whole match. The numbers are quoted in ``functions/adapters/dynamo/booking.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bench.platform.bench_booking import COLLECTION, RANGE, _collection, _lease
from functions.core.booking import Booking, Written, lease_deltas
from functions.core.lease import Lease
from functions.core.organisation import Organisation


def _floats(value: Any) -> Any:
    """PynamoDB's raw maps take float, not Decimal (the stored number is the same)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _bookers() -> dict[str, Any]:
    from pynamodb.connection import Connection
    from pynamodb.expressions.update import Action
    from pynamodb.transactions import TransactWrite

    from functions.adapters.dynamo import DynamoBooker, collection_key, decision_to_item
    from functions.adapters.dynamo.base import bound, to_ddb
    from functions.adapters.dynamo.entries import EntryModel, entry_to_item
    from functions.adapters.dynamo.leases import LeaseModel
    from functions.adapters.dynamo.ledger import LedgerLineModel
    from functions.adapters.dynamo.transactions import TransactionModel

    class Timed(DynamoBooker):
        """The production booker, its groups timed (request built, then sent)."""

        groups: list[float]
        builds: list[float]

        def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
            start = time.perf_counter()
            for booking, leases in group:
                self._items(booking, leases)
            self.builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            out = super().book_group(group)
            self.groups.append(time.perf_counter() - start)
            return out

    class ModelBooker(Timed):
        """The same writes expressed with the models and sent by ``TransactWrite``
        (the matcher's path: transactions leaving ``new``; payer IBANs not learned)."""

        def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
            start = time.perf_counter()
            t = self._request(group)
            built = time.perf_counter()
            t._commit()
            done = time.perf_counter()
            # Building the request is part of book_group: counted in both.
            self.builds.append(built - start)
            self.groups.append(done - start)
            return [Written.BOOKED] * len(group)

        def _request(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> Any:
            tables = self.t
            tx_model = bound(TransactionModel, tables.transactions)
            line_model = bound(LedgerLineModel, tables.ledger)
            lease_model = bound(LeaseModel, tables.leases)
            entry_model = bound(EntryModel, tables.entries)
            connection: Connection = tx_model._get_connection().connection
            t = TransactWrite(connection=connection)
            for booking, leases in group:
                tx, decision = booking.tx, booking.decision
                assert booking.expected_status == "new"
                status = decision.outcome.value
                t.update(
                    tx_model(tx.org_id, tx.transaction_id),
                    actions=[
                        tx_model.status.set(status),
                        tx_model.org_status.set(f"{tx.org_id}#{status}"),
                        tx_model.decision.set(
                            _floats(decision_to_item(decision, booking.decided_at))
                        ),
                        tx_model.revision.set(booking.revision),
                    ],
                    condition=tx_model.status == booking.expected_status,
                )
                for line in booking.lines:
                    t.save(
                        line_model.from_domain(line),
                        condition=line_model.line_id.does_not_exist(),
                    )
                for lease_id, delta in lease_deltas(booking).items():
                    lease = leases[lease_id]
                    actions: list[Action] = [
                        lease_model.balance_cents.set(lease_model.balance_cents + delta)
                    ]
                    if lease_id in booking.dunning:
                        actions.append(
                            lease_model.dunning_flag.set(booking.dunning[lease_id].as_item())
                        )
                    # The VersionAttribute adds ``ADD version 1`` and ``version = :v``.
                    t.update(
                        lease_model(lease.org_id, lease_id, version=lease.version),
                        actions=actions,
                    )
                for entry in booking.entries:
                    t.save(
                        entry_model.from_raw_data(to_ddb(entry_to_item(entry))),
                        condition=entry_model.entry_id.does_not_exist(),
                    )
                if booking.collection_e2e:
                    key = collection_key(tx.org_id, booking.collection_e2e)
                    t.save(
                        tx_model(
                            tx.org_id,
                            key["transaction_id"],
                            collection_of=tx.transaction_id,
                            booking_date=tx.booking_date.isoformat() if tx.booking_date else None,
                            allocations=[
                                {"lease_id": a.lease_id, "amount_cents": a.amount_cents}
                                for a in decision.allocations
                            ],
                        )
                    )
            return t

    return {"raw TransactWriteItems": Timed, "PynamoDB TransactWrite": ModelBooker}


def _measure(booker_class: Any, payments: int) -> tuple[list[float], list[float], float]:
    from functions.adapters.dynamo import (
        BookingTables,
        DynamoLeaseRepository,
        DynamoOrganisationRepository,
        DynamoTransactionRepository,
    )
    from functions.adapters.settings import Settings
    from functions.match.service import PaymentMatcher

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
    booker = booker_class(tables)
    booker.groups, booker.builds = [], []
    matcher = PaymentMatcher(orgs, DynamoLeaseRepository(s.leases_table), txs, booker)
    assert matcher.indexes is not None
    matcher.indexes.get(org_id)
    start = time.perf_counter()
    booked = 0
    for i in range(0, payments, 100):
        booked += sum(r.booked for r in matcher.match(org_id, ids[i : i + 100]))
    seconds = time.perf_counter() - start
    assert booked == payments, f"{booked} of {payments} booked"
    # Each booking wrote what the raw booker writes: check one of them.
    lease = DynamoLeaseRepository(s.leases_table).get(org_id, "L000000")
    assert (lease.balance_cents, lease.version) == (0, 1), lease
    return booker.groups, booker.builds, payments / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payments", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from infra.local.resources import in_process

    with in_process():
        bookers = _bookers()
        results: dict[str, tuple[list[float], list[float], list[float]]] = {
            name: ([], [], []) for name in bookers
        }
        for _ in range(args.rounds):
            for name, booker_class in bookers.items():
                groups, builds, rate = _measure(booker_class, args.payments)
                results[name][0].extend(groups)
                results[name][1].extend(builds)
                results[name][2].append(rate)
        for name, (groups, builds, rates) in results.items():
            print(
                f"{name:>22}: group of 100 items best {min(groups) * 1000:6.1f} ms, "
                f"median {statistics.median(groups) * 1000:6.1f} ms "
                f"(building {statistics.median(builds) * 1000:5.1f} ms); "
                f"{max(rates):6.1f} payments/s best, {len(groups)} groups"
            )


if __name__ == "__main__":
    main()
