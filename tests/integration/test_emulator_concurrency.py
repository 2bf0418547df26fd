"""The emulator gives DynamoDB's guarantees under concurrency (issue 9, item 1).

Many threads send clashing transactions and conditional writes through boto3 to the
running emulator (as the API threads, pollers and workflows do). Invariants: exactly
one winner per contested item, no acknowledged write lost (a failed transaction must
not undo other threads' writes), counters equal the number of successful increments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local.ceiling import create_table

pytestmark = pytest.mark.integration

THREADS = 8


@pytest.fixture
def table(emulator: Any) -> Iterator[str]:
    """A table of its own, pre-filled so that copying it (moto's rollback) is slow."""
    dynamodb = emulator.client("dynamodb")
    name = create_table(dynamodb, "concurrency")
    for start in range(0, 300, 25):
        dynamodb.batch_write_item(
            RequestItems={
                name: [
                    {
                        "PutRequest": {
                            "Item": {
                                "pk": {"S": "filler"},
                                "sk": {"S": f"{i:05d}"},
                                "text": {"S": "x" * 200},
                            }
                        }
                    }
                    for i in range(start, start + 25)
                ]
            }
        )
    try:
        yield name
    finally:
        dynamodb.delete_table(TableName=name)


def _clients(emulator: Any) -> Callable[[], Any]:
    """One boto3 client per thread (clients are thread-safe, sessions are not)."""
    local = threading.local()
    config = Config(max_pool_connections=THREADS * 2, retries={"max_attempts": 1})

    def get() -> Any:
        if not hasattr(local, "client"):
            local.client = boto3.session.Session().client(
                "dynamodb", endpoint_url=emulator.endpoint_url, config=config
            )
        return local.client

    return get


def _run(worker: Callable[[int], Any], count: int) -> list[Any]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(worker, range(count)))


def _cancelled(error: ClientError) -> bool:
    return error.response["Error"]["Code"] in (
        "TransactionCanceledException",
        "ConditionalCheckFailedException",
    )


def test_failed_transactions_never_undo_other_writes(emulator: Any, table: str) -> None:
    """Half the transactions fail on a condition; every successful one stays booked."""
    client = _clients(emulator)
    client().put_item(
        TableName=table, Item={"pk": {"S": "counter"}, "sk": {"S": "c"}, "n": {"N": "0"}}
    )

    def worker(i: int) -> bool:
        doomed = i % 2 == 1
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "counter"}, "sk": {"S": "c"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {
                "Put": {
                    "TableName": table,
                    "Item": {"pk": {"S": "entry"}, "sk": {"S": f"{i:05d}"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        if doomed:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "nothing"}, "sk": {"S": "here"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            client().transact_write_items(TransactItems=items)
        except ClientError as e:
            assert _cancelled(e), e
            return False
        return True

    results = _run(worker, 160)
    succeeded = {i for i, ok in enumerate(results) if ok}
    assert succeeded == {i for i in range(160) if i % 2 == 0}

    c = client()
    counter = c.get_item(TableName=table, Key={"pk": {"S": "counter"}, "sk": {"S": "c"}})
    entries = c.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "entry"}},
    )["Items"]
    assert sorted(int(e["sk"]["S"]) for e in entries) == sorted(succeeded)
    assert int(counter["Item"]["n"]["N"]) == len(succeeded)
    filler = c.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "filler"}},
        Select="COUNT",
    )
    assert filler["Count"] == 300


def test_clashing_claims_have_exactly_one_winner(emulator: Any, table: str) -> None:
    """Like two clerks allocating one transaction: one claim wins, the rest are refused."""
    client = _clients(emulator)
    rounds, contenders = 12, 8

    def worker(n: int) -> tuple[int, int] | None:
        round_, who = divmod(n, contenders)
        try:
            client().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": "tx"}, "sk": {"S": f"{round_:03d}"}},
                            "UpdateExpression": "SET #owner = :who",
                            "ConditionExpression": "attribute_not_exists(#owner)",
                            "ExpressionAttributeNames": {"#owner": "owner"},
                            "ExpressionAttributeValues": {":who": {"S": str(who)}},
                        }
                    },
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": "balance"}, "sk": {"S": str(who)}},
                            "UpdateExpression": "ADD cents :c",
                            "ExpressionAttributeValues": {":c": {"N": "100"}},
                        }
                    },
                ]
            )
        except ClientError as e:
            assert _cancelled(e), e
            return None
        return round_, who

    winners = [w for w in _run(worker, rounds * contenders) if w is not None]
    assert sorted(r for r, _ in winners) == list(range(rounds))  # exactly one per round

    c = client()
    for round_, who in winners:
        item = c.get_item(TableName=table, Key={"pk": {"S": "tx"}, "sk": {"S": f"{round_:03d}"}})
        assert item["Item"]["owner"]["S"] == str(who)
    balances = c.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "balance"}},
    )["Items"]
    credited = {b["sk"]["S"]: int(b["cents"]["N"]) for b in balances}
    expected: dict[str, int] = {}
    for _, who in winners:
        expected[str(who)] = expected.get(str(who), 0) + 100
    assert credited == expected


def test_conditional_updates_are_atomic(emulator: Any, table: str) -> None:
    """Optimistic versioning: every successful compare-and-set is counted exactly once."""
    client = _clients(emulator)
    key = {"pk": {"S": "versioned"}, "sk": {"S": "v"}}
    client().put_item(TableName=table, Item={**key, "version": {"N": "0"}})

    def worker(_: int) -> int:
        wins = 0
        for _attempt in range(15):
            c = client()
            current = int(
                c.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["version"]["N"]
            )
            try:
                c.update_item(
                    TableName=table,
                    Key=key,
                    UpdateExpression="SET version = :next",
                    ConditionExpression="version = :seen",
                    ExpressionAttributeValues={
                        ":seen": {"N": str(current)},
                        ":next": {"N": str(current + 1)},
                    },
                )
                wins += 1
            except ClientError as e:
                assert _cancelled(e), e
        return wins

    total = sum(_run(worker, THREADS))
    final = client().get_item(TableName=table, Key=key)["Item"]["version"]["N"]
    assert int(final) == total


def test_a_write_failing_mid_transaction_is_undone(emulator: Any, table: str) -> None:
    """A write only the apply phase can refuse: the writes before it are put back."""
    c = emulator.client("dynamodb")
    first = {"pk": {"S": "undo"}, "sk": {"S": "first"}}
    c.put_item(TableName=table, Item={**first, "v": {"S": "before"}})
    c.put_item(TableName=table, Item={"pk": {"S": "undo"}, "sk": {"S": "text"}, "n": {"S": "a"}})
    counted = {"pk": {"S": "undo"}, "sk": {"S": "counted"}}
    c.put_item(TableName=table, Item={**counted, "n": {"N": "5"}, "note": {"S": "kept"}})
    doomed = {"pk": {"S": "undo"}, "sk": {"S": "doomed"}}
    c.put_item(TableName=table, Item={**doomed, "v": {"S": "still here"}})
    with pytest.raises(ClientError):
        c.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**first, "v": {"S": "after"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "undo"}, "sk": {"S": "new"}},
                    }
                },
                {
                    "Update": {  # a plain update (infra/local/dynamo_updates.py)
                        "TableName": table,
                        "Key": counted,
                        "UpdateExpression": "SET n = n + :d, v = :v REMOVE note",
                        "ExpressionAttributeValues": {":d": {"N": "2"}, ":v": {"S": "x"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": doomed}},
                {
                    "Update": {  # ADD a number to a string: refused when applied
                        "TableName": table,
                        "Key": {"pk": {"S": "undo"}, "sk": {"S": "text"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    assert c.get_item(TableName=table, Key=first)["Item"]["v"]["S"] == "before"
    assert "Item" not in c.get_item(TableName=table, Key={"pk": {"S": "undo"}, "sk": {"S": "new"}})
    assert c.get_item(TableName=table, Key=counted)["Item"] == {
        **counted,
        "n": {"N": "5"},
        "note": {"S": "kept"},
    }
    assert c.get_item(TableName=table, Key=doomed)["Item"]["v"] == {"S": "still here"}


def test_reads_never_see_half_a_transaction(emulator: Any, table: str) -> None:
    """Reads run beside writes (infra/local/dynamo_tx.py: they do not queue behind a
    write's parsing or journaling): transfers between accounts keep the total, and every
    read of all the accounts, whatever the API (Query, BatchGetItem, TransactGetItems,
    Scan), sees that total; the writes stay serialisable (no transfer lost)."""
    client = _clients(emulator)
    accounts, start, transfers = 12, 1000, 96
    keys = [{"pk": {"S": "account"}, "sk": {"S": f"{a:03d}"}} for a in range(accounts)]
    for key in keys:
        client().put_item(TableName=table, Item={**key, "cents": {"N": str(start)}})
    total = accounts * start

    def transfer(i: int) -> None:
        # Every account moves: a read between two of the items sees a wrong total.
        moves = [(a, 7 if a % 2 == i % 2 else -7) for a in range(accounts)]
        client().transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": keys[a],
                        "UpdateExpression": "ADD cents :d" if i % 3 else "SET cents = cents + :d",
                        "ExpressionAttributeValues": {":d": {"N": str(d)}},
                    }
                }
                for a, d in moves
            ]
        )

    def read(i: int) -> int:
        c = client()
        kind = i % 4
        if kind == 0:
            items = c.query(
                TableName=table,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "account"}},
            )["Items"]
        elif kind == 1:
            items = c.batch_get_item(RequestItems={table: {"Keys": keys}})["Responses"][table]
        elif kind == 2:
            answer = c.transact_get_items(
                TransactItems=[{"Get": {"TableName": table, "Key": k}} for k in keys]
            )
            items = [r["Item"] for r in answer["Responses"]]
        else:
            items = [x for x in c.scan(TableName=table)["Items"] if x["pk"]["S"] == "account"]
        assert len(items) == accounts
        return sum(int(x["cents"]["N"]) for x in items)

    def worker(n: int) -> list[int]:
        if n % 2 == 0:
            transfer(n // 2)
            return []
        return [read(n + k) for k in range(4)]

    sums = [s for seen in _run(worker, 2 * transfers) for s in seen]
    assert sums and set(sums) == {total}
    final = client().query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "account"}},
        ConsistentRead=True,
    )["Items"]
    # Each account gained 7 in half of the transfers and lost 7 in the other half.
    assert sorted(int(x["cents"]["N"]) for x in final) == [start] * accounts


def test_journaled_writes_are_durable_before_a_read_answers(tmp_path: Any, emulator: Any,
                                                            table: str) -> None:  # fmt: skip
    """With the platform's journal on, a read that saw a write answers only once the
    write is in the journal; reads and journaled writes clash without a deadlock."""
    from infra.local import journal as journal_module

    log = journal_module.Journal(tmp_path / "journal")
    log.open()
    journal_module.activate(log)
    client = _clients(emulator)
    key = {"pk": {"S": "journaled"}, "sk": {"S": "n"}}
    try:
        client().put_item(TableName=table, Item={**key, "n": {"N": "0"}})

        def worker(n: int) -> int:
            c = client()
            if n % 2 == 0:
                c.update_item(
                    TableName=table,
                    Key=key,
                    UpdateExpression="ADD n :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
                return -1
            seen = int(c.get_item(TableName=table, Key=key)["Item"]["n"]["N"])
            journaled = sum(1 for r in log.records() if r.get("target", "").endswith("UpdateItem"))
            assert journaled >= seen  # every increment it saw is in the journal
            return seen

        _run(worker, 80)
    finally:
        journal_module.activate(None)
        log.close()
    assert int(client().get_item(TableName=table, Key=key)["Item"]["n"]["N"]) == 40
