"""The storage ceiling of the embedded platform (issue 12): ``make bench-ceiling``.

The rate at which the emulator's AWS endpoint accepts one ``TransactWriteItems`` of five
small items per payment (what booking one payment costs) from a single boto3 client,
on a fresh table and on tables already holding thousands of items. The cost of a
transaction must not grow with the table (moto's stock implementation copied every
table the transaction touched).

The tables are pre-filled through moto's backend (the fill is not what is measured);
the transactions go over HTTP like the platform's.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

from infra.local.emulator import DUMMY_CREDENTIALS, Emulator, reset_backends
from infra.local.template import ACCOUNT_ID, REGION

DEFAULT_SIZES = (0, 4_000, 50_000)


@dataclass(frozen=True)
class Level:
    items_before: int
    transactions: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.transactions / self.seconds if self.seconds > 0 else 0.0


def _fill(table_name: str, count: int) -> None:
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[ACCOUNT_ID][REGION]
    for i in range(count):
        backend.put_item(
            table_name,
            {
                "pk": {"S": f"lease#{i % 1000:04d}"},
                "sk": {"S": f"fill#{i:06d}"},
                "amount_cents": {"N": str(50_000 + i)},
                "label": {"S": "VIR LOYER"},
            },
        )


def create_table(client: Any, prefix: str = "ceiling") -> str:
    """A fresh on-demand table keyed ``pk``/``sk``, named ``<prefix>-<random>``."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _payment(table: str, n: int) -> list[dict[str, Any]]:
    """Five small items, as booking a payment writes them (conditional where it matters)."""
    tx = {"pk": {"S": f"tx#{n:07d}"}, "sk": {"S": "tx"}}
    lease = f"lease#{n % 1000:04d}"
    return [
        {
            "Put": {
                "TableName": table,
                "Item": {**tx, "status": {"S": "matched"}, "amount_cents": {"N": "61234"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": lease}, "sk": {"S": f"alloc#{n:07d}"}, "c": {"N": "61234"}},
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": lease}, "sk": {"S": f"ledger#{n:07d}"}, "c": {"N": "61234"}},
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": "erp"}, "sk": {"S": f"entry#{n:07d}"}, "c": {"N": "61234"}},
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": lease}, "sk": {"S": "balance"}},
                "UpdateExpression": "ADD balance_cents :c",
                "ExpressionAttributeValues": {":c": {"N": "61234"}},
            }
        },
    ]


def _client(emulator: Emulator) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def _timed(client: Any, table: str, first: int, transactions: int) -> float:
    start = time.perf_counter()
    for n in range(first, first + transactions):
        client.transact_write_items(TransactItems=_payment(table, n))
    return time.perf_counter() - start


def run(
    sizes: tuple[int, ...] = DEFAULT_SIZES, transactions: int = 300, rounds: int = 3
) -> list[Level]:
    """Best of ``rounds`` per size; the sizes are measured in turn in each round so
    that the noise of a shared machine hits them alike."""
    reset_backends()
    emulator = Emulator(0)
    emulator.start()
    try:
        client = _client(emulator)
        tables = {}
        for size in sizes:
            tables[size] = create_table(client)
            _fill(tables[size], size)
            _timed(client, tables[size], 9_000_000, 20)  # warm-up
        best: dict[int, float] = {}
        for round_ in range(rounds):
            for size in sizes:
                seconds = _timed(client, tables[size], round_ * transactions, transactions)
                best[size] = min(best.get(size, seconds), seconds)
        return [Level(size, transactions, best[size]) for size in sizes]
    finally:
        emulator.stop()
        reset_backends()


def table(levels: list[Level]) -> str:
    base = levels[0].rate if levels and levels[0].rate else 0.0
    lines = [
        "| items in the table | transactions | best seconds | payments/s | vs fresh |",
        "|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        ratio = level.rate / base if base else 0.0
        lines.append(
            f"| {level.items_before:,} | {level.transactions} | {level.seconds:.2f}"
            f" | {level.rate:,.0f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench-ceiling", description="TransactWriteItems rate of the embedded emulator."
    )
    parser.add_argument("--transactions", type=int, default=300, help="per size and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated numbers of items already in the table",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    levels = run(sizes, args.transactions, args.rounds)
    print(table(levels))
    slowest = min(level.rate for level in levels)
    fastest = max(level.rate for level in levels)
    flat = slowest >= 0.77 * fastest  # within 1.3x
    print(f"\nflat (slowest within 1.3x of fastest): {'yes' if flat else 'NO'}")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
