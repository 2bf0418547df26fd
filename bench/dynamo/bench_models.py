"""Hot paths of the DynamoDB repositories on the embedded emulator.

Leases ``iter_all`` over 10,000 leases and ``find_many`` of 1,000; transactions
``add_new`` and ``get_many`` of 1,000. Run before and after a change of the storage
layer (``uv run --frozen --all-extras python -m bench.dynamo.bench_models``); the
numbers are quoted in the repositories' docstrings.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import date

from functions.core.lease import Lease, Tenant
from functions.core.transactions import BankTransaction, TransactionKind

LEASES = int(os.environ.get("BENCH_LEASES", "10000"))
BATCH = 1_000
RUNS = 3


def _lease(i: int) -> Lease:
    return Lease(
        org_id="bench",
        lease_id=f"L{i:06}",
        tenants=(Tenant(f"Locataire {i}", f"t{i}@example.fr", None),),
        residence="Les Tilleuls",
        commune="Lille",
        unit=f"B{i % 40}",
        start_date=date(2024, 1, 1),
        rent_cents=45_000 + i,
        charges_cents=6_000,
        viban=f"FR76300060000112{i:011}",
        rf_reference=f"RF18{i:08}",
        balance_cents=i % 700,
    )


def _transaction(i: int) -> BankTransaction:
    return BankTransaction(
        org_id="bench",
        transaction_id=f"tx_{i:08}",
        kind=TransactionKind.CREDIT,
        amount_cents=51_000,
        currency="EUR",
        booking_date=date(2026, 11, 5),
        value_date=date(2026, 11, 5),
        account_iban="FR7630006000011234567890189",
        statement_id="S1",
        bank_reference=f"B{i}",
        bank_transaction_code="PMNT-RCDT-ESCT",
        counterparty_name=f"Locataire {i}",
        counterparty_iban=None,
        creditor_account_iban=None,
        end_to_end_id=f"E2E{i}",
        mandate_id=None,
        remittance=f"loyer novembre L{i:06}",
        structured_reference=None,
        return_reason=None,
        original_end_to_end_id=None,
        reversal=False,
        file_id="f1",
    )


def _best(label: str, run: Callable[[], object], runs: int = RUNS) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(f"{label:<40} best {min(times):6.3f} s  median {statistics.median(times):6.3f} s")


def _raw_iter_all(table: str, org_id: str) -> int:
    """The pre-PynamoDB path: low-level query pages and the hand-written codec."""
    from functions.adapters.aws import client
    from functions.adapters.dynamo import from_ddb, lease_from_item

    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table,
            KeyConditionExpression="org_id = :o",
            ExpressionAttributeValues={":o": {"S": org_id}},
            PaginationConfig={"PageSize": 500},
        )
    )
    return len([i for page in pages for i in page["Items"] if lease_from_item(from_ddb(i))])


def _raw_get_many(table: str, org_id: str, ids: list[str]) -> int:
    """The pre-PynamoDB path: BatchGetItem of whole items and the hand-written codec."""
    from functions.adapters.aws import client
    from functions.adapters.dynamo import transaction_from_item
    from functions.adapters.dynamo.base import _batch_get

    keys = [{"org_id": {"S": org_id}, "transaction_id": {"S": t}} for t in ids]
    return len([transaction_from_item(i) for i in _batch_get(client("dynamodb"), table, keys)])


def _decode(items: list[dict[str, object]]) -> None:
    from functions.adapters.dynamo import from_ddb, lease_from_item
    from functions.adapters.dynamo.leases import LeaseModel

    _best(
        f"decode {len(items)} leases: raw codec",
        lambda: [lease_from_item(from_ddb(i)) for i in items],
    )
    _best(
        f"decode {len(items)} leases: model",
        lambda: [LeaseModel.from_raw_data(i).to_domain() for i in items],
    )


def main() -> None:
    from infra.local.resources import in_process

    with in_process():
        from functions.adapters.dynamo import DynamoLeaseRepository, DynamoTransactionRepository
        from functions.adapters.settings import Settings

        settings = Settings.from_env()
        leases = DynamoLeaseRepository(settings.leases_table)
        leases.put_many_new([_lease(i) for i in range(LEASES)])
        ids = [f"L{i:06}" for i in range(0, LEASES, LEASES // BATCH)]
        from functions.adapters.dynamo import lease_to_item, to_ddb

        _decode([to_ddb(lease_to_item(_lease(i))) for i in range(LEASES)])
        for _ in range(RUNS):  # alternated, so that both see the same load
            _best(
                f"leases iter_all ({LEASES}): model",
                lambda: sum(1 for _ in leases.iter_all("bench")),
                runs=1,
            )
            _best(
                f"leases iter_all ({LEASES}): raw",
                lambda: _raw_iter_all(settings.leases_table, "bench"),
                runs=1,
            )
        _best(f"leases find_many ({len(ids)})", lambda: leases.find_many("bench", ids))

        txs = DynamoTransactionRepository(settings.transactions_table)
        rounds = iter(range(RUNS))

        def add() -> None:
            r = next(rounds)
            txs.add_new([_transaction(r * BATCH + i) for i in range(BATCH)])

        _best(f"transactions add_new ({BATCH})", add)
        tx_ids = [f"tx_{i:08}" for i in range(BATCH)]
        for _ in range(RUNS):
            _best(
                f"transactions get_many ({BATCH}): model",
                lambda: txs.get_many("bench", tx_ids),
                runs=1,
            )
            _best(
                f"transactions get_many ({BATCH}): raw",
                lambda: _raw_get_many(settings.transactions_table, "bench", tx_ids),
                runs=1,
            )


if __name__ == "__main__":
    main()
