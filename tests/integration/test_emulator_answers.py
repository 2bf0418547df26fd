"""DynamoDB answers written directly as JSON (``infra/local/dynamo_answers.py``) are the
answers moto's serializer writes: same status, same headers, same decoded body, for every
data-plane action, with items of every attribute type, pages, projections, capacities,
returned values and errors.

Two tables hold the same items; each request goes to the first with the direct answers off
and to the second with them on, and the two answers are compared (table names aside)."""

from __future__ import annotations

import http.client
import json
import random
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from infra.local.dynamo_answers import Switch
from tests.integration.dynamo_values import random_value
from tests.integration.test_emulator_http import send_dynamodb

pytestmark = pytest.mark.integration

IGNORED_HEADERS = {"date", "x-amzn-requestid", "x-amz-crc32", "content-length", "server"}


def _items(count: int) -> list[dict[str, Any]]:
    rng = random.Random(1204)
    out = []
    for n in range(count):
        item: dict[str, Any] = {
            "pk": {"S": f"org-{n % 3}"},
            "sk": {"S": f"line-{n:03d}"},
            "status": {"S": rng.choice(["new", "matched", "review"])},
            "amount": {"N": str(rng.randint(-5000, 90000))},
        }
        for a in range(rng.randint(0, 6)):
            item[f"attr{a}"] = random_value(rng)
        out.append(item)
    return out


class Pair:
    """Two tables with the same items; each request is sent to both, direct answers off
    for the first and on for the second."""

    def __init__(self, emulator: Any) -> None:
        client = emulator.client("dynamodb")
        self.names = [f"answers-{which}" for which in ("moto", "direct")]
        for name in self.names:
            client.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "status")
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
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
            )
            for item in _items(40):
                client.put_item(TableName=name, Item=item)
        url = urlsplit(client.meta.endpoint_url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def _send(self, action: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        response = send_dynamodb(self.conn, action, body)
        raw = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        if "x-amz-crc32" in headers:  # the checksum botocore verifies is the body's
            assert int(headers["x-amz-crc32"]) == zlib.crc32(raw)
        return response.status, headers, raw

    def both(self, action: str, body: dict[str, Any]) -> Any:
        answers = []
        for name, direct in zip(self.names, (False, True), strict=True):
            Switch.enabled = direct
            try:
                text = json.dumps(body).replace("@TABLE", name)
                status, headers, raw = self._send(action, json.loads(text))
            finally:
                Switch.enabled = True
            decoded = json.loads(raw.decode().replace(name, "@TABLE") or "{}")
            kept = {k: v for k, v in headers.items() if k not in IGNORED_HEADERS}
            answers.append((status, kept, decoded))
        assert answers[0] == answers[1], (action, body)
        return answers[1][2]


@pytest.fixture
def pair(emulator: Any) -> Iterator[Pair]:
    made = Pair(emulator)
    yield made
    made.conn.close()
    for name in made.names:
        emulator.client("dynamodb").delete_table(TableName=name)


def key(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"org-{n % 3}"}, "sk": {"S": f"line-{n:03d}"}}


def test_reads_answer_the_same(pair: Pair) -> None:
    t = "@TABLE"
    for n in (0, 7, 39, 99):  # 99 does not exist
        pair.both("GetItem", {"TableName": t, "Key": key(n), "ReturnConsumedCapacity": "TOTAL"})
    pair.both(
        "GetItem",
        {
            "TableName": t,
            "Key": key(5),
            "ProjectionExpression": "amount, attr0",
            "ConsistentRead": True,
        },
    )
    first = pair.both(
        "Query",
        {
            "TableName": t,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "org-1"}},
            "Limit": 4,
            "ReturnConsumedCapacity": "INDEXES",
        },
    )
    assert len(first["Items"]) == 4 and "LastEvaluatedKey" in first
    pair.both(
        "Query",
        {
            "TableName": t,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "org-1"}},
            "ExclusiveStartKey": first["LastEvaluatedKey"],
        },
    )
    pair.both(
        "Query",
        {
            "TableName": t,
            "KeyConditionExpression": "pk = :p AND sk > :s",
            "FilterExpression": "amount > :a",
            "ScanIndexForward": False,
            "ExpressionAttributeValues": {
                ":p": {"S": "org-2"},
                ":s": {"S": "line-010"},
                ":a": {"N": "1000"},
            },
        },
    )
    pair.both(
        "Query",
        {
            "TableName": t,
            "IndexName": "by-status",
            "Select": "COUNT",
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": "review"}},
        },
    )
    empty = pair.both(
        "Query",
        {
            "TableName": t,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "nobody"}},
        },
    )
    assert empty["Items"] == []
    pair.both("Scan", {"TableName": t, "Limit": 7, "ReturnConsumedCapacity": "TOTAL"})
    pair.both(
        "BatchGetItem",
        {
            "RequestItems": {t: {"Keys": [key(1), key(2), key(98)]}},
            "ReturnConsumedCapacity": "TOTAL",
        },
    )
    pair.both(
        "TransactGetItems",
        {
            "TransactItems": [
                {"Get": {"TableName": t, "Key": key(3)}},
                {"Get": {"TableName": t, "Key": key(97)}},
            ]
        },
    )


def test_writes_and_returned_values_answer_the_same(pair: Pair) -> None:
    t = "@TABLE"
    new = {**key(50), "status": {"S": "new"}, "nested": {"M": {"l": {"L": [{"N": "1"}]}}}}
    pair.both(
        "PutItem",
        {"TableName": t, "Item": new, "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"},
    )
    pair.both(
        "PutItem", {"TableName": t, "Item": {**new, "x": {"S": "y"}}, "ReturnValues": "ALL_OLD"}
    )
    for returned in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "ALL_OLD", "NONE"):
        pair.both(
            "UpdateItem",
            {
                "TableName": t,
                "Key": key(4),
                "ReturnValues": returned,
                "UpdateExpression": "SET amount = amount + :d, tags = :t",
                "ExpressionAttributeValues": {":d": {"N": "5"}, ":t": {"SS": ["a"]}},
            },
        )
    pair.both("DeleteItem", {"TableName": t, "Key": key(6), "ReturnValues": "ALL_OLD"})
    pair.both(
        "BatchWriteItem",
        {
            "RequestItems": {
                t: [
                    {"PutRequest": {"Item": {**key(60), "status": {"S": "new"}}}},
                    {"DeleteRequest": {"Key": key(8)}},
                ]
            }
        },
    )
    pair.both(
        "TransactWriteItems",
        {
            "TransactItems": [
                {
                    "Update": {
                        "TableName": t,
                        "Key": key(9),
                        "UpdateExpression": "SET amount = :z",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":z": {"N": "0"}},
                    }
                },
                {
                    "Put": {
                        "TableName": t,
                        "Item": {**key(61), "status": {"S": "new"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ],
            "ReturnConsumedCapacity": "TOTAL",
        },
    )


def test_errors_answer_the_same(pair: Pair) -> None:
    t = "@TABLE"
    failed = pair.both(
        "PutItem",
        {
            "TableName": t,
            "Item": {**key(2), "status": {"S": "x"}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    )
    assert "ConditionalCheckFailed" in failed["__type"]
    cancelled = pair.both(
        "TransactWriteItems",
        {
            "TransactItems": [
                {
                    "Put": {
                        "TableName": t,
                        "Item": {**key(1), "status": {"S": "x"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        },
    )
    assert "TransactionCanceled" in cancelled["__type"]
    pair.both("GetItem", {"TableName": t, "Key": {"pk": {"S": "only the hash"}}})
    pair.both("Query", {"TableName": t, "KeyConditionExpression": "pk = :p"})  # a value missing
    pair.both("GetItem", {"TableName": "no-such-table", "Key": key(1)})
