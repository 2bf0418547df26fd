"""Items stored compactly (``infra/local/dynamo_compact.py``) answer as moto's own items.

Two tables of the emulator receive the same random requests over HTTP; the first builds
its items as moto does (the compact store switched off for its requests), the second
keeps them as JSON strings. Puts (every attribute type, binaries, items at and over the
400 KB limit), conditional writes, plain and nested updates, deletes, transactions,
batch writes; reads: GetItem, BatchGetItem, TransactGetItems, queries of the table, of a
GSI (INCLUDE) and of an LSI (KEYS_ONLY) with filters, projections, limits and pages,
scans with filters. Every answer must be the same (status, body, consumed capacity), and
so must the stored items, their sizes in moto's accounting and the stream records' images.
"""

from __future__ import annotations

import http.client
import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from infra.local import dynamo_compact
from tests.integration.dynamo_values import random_value
from tests.integration.test_emulator_http import send_dynamodb

pytestmark = pytest.mark.integration

LIMIT = 405_000
T = "@TABLE"


def _key(rng: random.Random) -> dict[str, Any]:
    return {"pk": {"S": f"org-{rng.randrange(3)}"}, "sk": {"S": f"line-{rng.randrange(30):03d}"}}


def _item(rng: random.Random) -> dict[str, Any]:
    item: dict[str, Any] = {**_key(rng), "amount": {"N": str(rng.randint(-5000, 90000))}}
    if rng.random() < 0.8:
        item["status"] = {"S": rng.choice(["new", "matched", "review"])}
    for a in range(rng.randint(0, 5)):
        item[f"attr{a}"] = random_value(rng, binaries=0.1)
    if rng.random() < 0.05:  # at, or just over, moto's limit
        used = len(json.dumps(item))
        item["blob"] = {"S": "x" * (LIMIT - used + rng.randint(-400, 400))}
    return item


UPDATES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("SET amount = amount + :d", {}, {":d": {"N": "7"}}),
    ("SET #s = :s, label = :l", {"#s": "status"}, {":s": {"S": "matched"}, ":l": {"S": "é"}}),
    ("SET #s = :s REMOVE attr0, attr1", {"#s": "status"}, {":s": {"S": "review"}}),
    ("SET nested = :m", {}, {":m": {"M": {"a": {"L": [{"N": "1"}, {"S": "x"}]}}}}),
    ("SET nested.b = :v", {}, {":v": {"N": "2"}}),
    ("SET lst = list_append(if_not_exists(lst, :e), :l)", {},
     {":e": {"L": []}, ":l": {"L": [{"S": "z"}]}}),
    ("ADD tags :t, amount :d", {}, {":t": {"SS": ["a", "q"]}, ":d": {"N": "-3"}}),
    ("DELETE tags :t", {}, {":t": {"SS": ["a"]}}),
    ("REMOVE nested.a[0], attr2", {}, {}),
    ("SET big = :b", {}, {":b": {"S": "y" * 200_000}}),
    ("SET amount = amount - :d", {}, {":d": {"S": "not a number"}}),
]  # fmt: skip
CONDITIONS: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("attribute_not_exists(pk)", {}, {}),
    ("attribute_exists(pk)", {}, {}),
    ("amount > :c", {}, {":c": {"N": "1000"}}),
    ("#s IN (:c, :c2) AND size(attr0) > :z", {"#s": "status"},
     {":c": {"S": "new"}, ":c2": {"S": "review"}, ":z": {"N": "1"}}),
    ("begins_with(attr1, :c) OR attribute_type(attr0, :t)", {},
     {":c": {"S": "lo"}, ":t": {"S": "M"}}),
]  # fmt: skip


def _with(
    body: dict[str, Any], *parts: tuple[str, str, dict[str, str], dict[str, Any]]
) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for member, expression, more_names, more_values in parts:
        body[member] = expression
        names.update(more_names)
        values.update(more_values)
    if names:
        body["ExpressionAttributeNames"] = names
    if values:
        body["ExpressionAttributeValues"] = values
    return body


def _write(rng: random.Random) -> tuple[str, dict[str, Any]]:
    choice = rng.random()
    parts = []
    if rng.random() < 0.4:
        parts.append(("ConditionExpression", *rng.choice(CONDITIONS)))
    returned = rng.choice(["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
    if choice < 0.4:
        body = {"TableName": T, "Item": _item(rng), "ReturnConsumedCapacity": "TOTAL"}
        body["ReturnValues"] = returned if returned in ("NONE", "ALL_OLD") else "NONE"
        return "PutItem", _with(body, *parts)
    if choice < 0.7:
        update = ("UpdateExpression", *rng.choice(UPDATES))
        body = {"TableName": T, "Key": _key(rng), "ReturnValues": returned}
        return "UpdateItem", _with(body, update, *parts)
    if choice < 0.78:
        body = {"TableName": T, "Key": _key(rng), "ReturnValues": rng.choice(["NONE", "ALL_OLD"])}
        return "DeleteItem", _with(body, *parts)
    if choice < 0.85:
        requests: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.7:
                requests.append({"PutRequest": {"Item": _item(rng)}})
            else:
                requests.append({"DeleteRequest": {"Key": _key(rng)}})
        return "BatchWriteItem", {"RequestItems": {T: requests}}
    return "TransactWriteItems", {
        "TransactItems": [_operation(rng) for _ in range(rng.randint(1, 4))]
    }


def _operation(rng: random.Random) -> dict[str, Any]:
    parts = []
    if rng.random() < 0.5:
        parts.append(("ConditionExpression", *rng.choice(CONDITIONS)))
    kind = rng.choice(["Put", "Update", "Delete", "ConditionCheck"])
    if kind == "Put":
        return {"Put": _with({"TableName": T, "Item": _item(rng)}, *parts)}
    if kind == "Update":
        update = ("UpdateExpression", *rng.choice(UPDATES))
        return {"Update": _with({"TableName": T, "Key": _key(rng)}, update, *parts)}
    if kind == "Delete":
        return {"Delete": _with({"TableName": T, "Key": _key(rng)}, *parts)}
    if not parts:
        parts.append(("ConditionExpression", *CONDITIONS[1]))
    return {"ConditionCheck": _with({"TableName": T, "Key": _key(rng)}, *parts)}


def _read(rng: random.Random) -> tuple[str, dict[str, Any]]:
    choice = rng.random()
    projection = (
        "ProjectionExpression",
        "pk, sk, amount, attr0, nested.a[0], #s",
        {"#s": "status"},
        {},
    )
    filtering = ("FilterExpression", *rng.choice(CONDITIONS[2:]))
    if choice < 0.2:
        body = {"TableName": T, "Key": _key(rng), "ReturnConsumedCapacity": "TOTAL"}
        return "GetItem", _with(body, *([projection] if rng.random() < 0.3 else []))
    if choice < 0.3:
        keys = {json.dumps(_key(rng), sort_keys=True) for _ in range(rng.randint(1, 5))}
        return "BatchGetItem", {"RequestItems": {T: {"Keys": [json.loads(k) for k in keys]}}}
    if choice < 0.35:
        return "TransactGetItems", {"TransactItems": [{"Get": {"TableName": T, "Key": _key(rng)}}]}
    if choice < 0.85:
        body: dict[str, Any] = {"TableName": T, "ScanIndexForward": rng.random() < 0.5}
        if rng.random() < 0.4:
            body["Limit"] = rng.randint(1, 6)
        index = rng.choice([None, "by-status", "by-amount"])
        if index == "by-status":
            body["IndexName"] = index
            key = (
                "KeyConditionExpression",
                "#k = :k",
                {"#k": "status"},
                {":k": {"S": rng.choice(["new", "review"])}},
            )
        elif index == "by-amount":
            body["IndexName"] = index
            key = (
                "KeyConditionExpression",
                "pk = :k AND amount > :a",
                {},
                {":k": {"S": "org-1"}, ":a": {"N": "100"}},
            )
        else:
            key = (
                "KeyConditionExpression",
                "pk = :k AND sk >= :a",
                {},
                {":k": {"S": "org-2"}, ":a": {"S": "line-010"}},
            )
        extra = [p for p in (filtering, projection) if rng.random() < 0.3 and index != "by-amount"]
        return "Query", _with(body, key, *extra)
    body = {"TableName": T, "ReturnConsumedCapacity": "TOTAL"}
    if rng.random() < 0.5:
        body["Limit"] = rng.randint(1, 10)
    return "Scan", _with(body, *([filtering] if rng.random() < 0.5 else []))


class Pair:
    """Two tables; each request goes to the first as moto builds items, then to the second
    with the compact store."""

    def __init__(self, emulator: Any, stream: bool) -> None:
        self.emulator = emulator
        client = emulator.client("dynamodb")
        suffix = "stream" if stream else "plain"
        self.names = [f"compact-{which}-{suffix}" for which in ("moto", "compact")]
        for name in self.names:
            extra: dict[str, Any] = {}
            if stream:
                extra["StreamSpecification"] = {
                    "StreamEnabled": True,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                }
            client.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                    {"AttributeName": "status", "AttributeType": "S"},
                    {"AttributeName": "amount", "AttributeType": "N"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "by-status",
                        "KeySchema": [
                            {"AttributeName": "status", "KeyType": "HASH"},
                            {"AttributeName": "sk", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["attr0"]},
                    }
                ],
                LocalSecondaryIndexes=[
                    {
                        "IndexName": "by-amount",
                        "KeySchema": [
                            {"AttributeName": "pk", "KeyType": "HASH"},
                            {"AttributeName": "amount", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                ],
                **extra,
            )
        url = urlsplit(client.meta.endpoint_url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def both(self, action: str, body: dict[str, Any]) -> Any:
        answers = []
        for name, compact in zip(self.names, (False, True), strict=True):
            dynamo_compact.Switch.enabled = compact
            try:
                text = json.dumps(body).replace(T, name)
                response = send_dynamodb(self.conn, action, json.loads(text))
                raw = response.read()
            finally:
                dynamo_compact.Switch.enabled = True
            text = raw.decode().replace(name, T)
            try:
                answers.append((response.status, json.loads(text or "{}")))
            except ValueError:  # moto's own 500 (an update it does not implement)
                answers.append((response.status, {"__type": "#ServerError", "text": text}))
        assert answers[0] == answers[1], (action, body)
        return answers[1][1]

    def tables(self) -> list[Any]:
        from moto.dynamodb.models import dynamodb_backends

        from infra.local.template import ACCOUNT_ID

        backend = dynamodb_backends[ACCOUNT_ID][self.emulator.region]
        return [backend.get_table(name) for name in self.names]

    def stream_images(self, name: str) -> list[Any]:
        streams = self.emulator.client("dynamodbstreams")
        arn = self.emulator.client("dynamodb").describe_table(TableName=name)["Table"][
            "LatestStreamArn"
        ]
        out: list[Any] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
            for r in records:
                data = r["dynamodb"]
                # (not SizeBytes: moto counts the record's creation time in it, whose
                # float repr varies in length)
                images = (data.get("Keys"), data.get("OldImage"), data.get("NewImage"))
                out.append((r["eventName"], *images))
        return out


@pytest.fixture(params=[False, True], ids=["no stream", "stream"])
def pair(emulator: Any, request: pytest.FixtureRequest) -> Iterator[Pair]:
    made = Pair(emulator, request.param)
    yield made
    made.conn.close()
    for name in made.names:
        emulator.client("dynamodb").delete_table(TableName=name)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_requests_answer_as_moto_items(pair: Pair, seed: int) -> None:
    rng = random.Random(seed * 7919)
    outcomes: dict[str, int] = {}
    for _ in range(500):
        action, body = _write(rng) if rng.random() < 0.6 else _read(rng)
        answer = pair.both(action, body)
        kind = f"{action}:{answer.get('__type', 'ok').rpartition('#')[2]}"
        outcomes[kind] = outcomes.get(kind, 0) + 1
    # The random requests reached the cases that matter.
    assert outcomes.get("PutItem:ok", 0) > 20 and outcomes.get("Query:ok", 0) > 20
    assert any(k.startswith("PutItem:") and k != "PutItem:ok" for k in outcomes)
    assert outcomes.get("TransactWriteItems:TransactionCanceledException", 0) > 0
    # The stored items and their sizes are moto's.
    moto_table, compact_table = pair.tables()
    moto_items = [(i.to_json(), i.size()) for i in moto_table.all_items()]
    compact_items = [(i.to_json(), i.size()) for i in compact_table.all_items()]
    assert moto_items == compact_items
    assert any(dynamo_compact.is_compact(i) for i in compact_table.all_items())
    if moto_table.stream_shard is not None:
        moto_name, compact_name = pair.names
        assert pair.stream_images(moto_name) == pair.stream_images(compact_name)


def test_an_item_is_compact_between_requests(pair: Pair) -> None:
    key = {"pk": {"S": "org-1"}, "sk": {"S": "line-001"}}
    pair.both("PutItem", {"TableName": T, "Item": {**key, "amount": {"N": "12"}}})
    update = ("UpdateExpression", "SET nested = :m", {}, {":m": {"M": {"a": {"N": "1"}}}})
    pair.both("UpdateItem", _with({"TableName": T, "Key": key}, update))
    condition = ("KeyConditionExpression", "pk = :p", {}, {":p": {"S": "org-1"}})
    filtering = ("FilterExpression", "amount > :a", {}, {":a": {"N": "1"}})
    pair.both("Query", _with({"TableName": T}, condition, filtering))
    moto_table, compact_table = pair.tables()
    stored = list(compact_table.all_items())
    assert stored and all(dynamo_compact.is_compact(i) for i in stored)
    assert not any(dynamo_compact.is_compact(i) for i in moto_table.all_items())
    assert stored[0].to_json()["Attributes"]["nested"] == {"M": {"a": {"N": "1"}}}
