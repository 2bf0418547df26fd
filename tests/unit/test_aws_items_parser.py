"""The DynamoDB client's parser gives what botocore's own gives (functions/adapters/aws.py)."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from botocore.parsers import JSONParser
from botocore.session import get_session

from functions.adapters.aws import _ITEM_ANSWERS, _ItemsParser, client

MODEL = get_session().get_service_model("dynamodb")
OPERATIONS = sorted(name.removesuffix("Output") for name in _ITEM_ANSWERS)


def _value(rng: random.Random, depth: int, binary: bool) -> dict[str, Any]:
    kinds = ["S", "N", "BOOL", "NULL", "SS", "NS"] + (["L", "M"] if depth < 3 else [])
    kinds += ["B", "BS"] if binary else []
    kind = rng.choice(kinds)
    if kind == "S":
        return {"S": rng.choice(["", "loyer", "Mᵐᵉ Zoé Lefèvre", "l’échéance\n"])}
    if kind == "N":
        return {"N": rng.choice(["0", "-12.5", "61234", "1E+3"])}
    if kind == "BOOL":
        return {"BOOL": rng.random() < 0.5}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "SS":
        return {"SS": ["a", "é"]}
    if kind == "NS":
        return {"NS": ["1", "2.5"]}
    if kind == "B":
        return {"B": base64.b64encode(b"\x00\xffpdf").decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b"x").decode()]}
    if kind == "L":
        return {"L": [_value(rng, depth + 1, binary) for _ in range(rng.randint(0, 3))]}
    return {"M": _item(rng, depth + 1, binary)}


def _item(rng: random.Random, depth: int = 0, binary: bool = False) -> dict[str, Any]:
    return {f"a{n}": _value(rng, depth, binary) for n in range(rng.randint(1, 6))}


def _answer(operation: str, rng: random.Random, binary: bool) -> dict[str, Any]:
    def item() -> dict[str, Any]:
        return _item(rng, binary=binary)

    capacity = {"TableName": "t", "CapacityUnits": rng.choice([1, 0.5, 12.0])}
    metrics = {"ItemCollectionKey": item(), "SizeEstimateRangeGB": [0.0, 1.0]}
    return {
        "GetItem": {"Item": item(), "ConsumedCapacity": capacity},
        "BatchGetItem": {
            "Responses": {"t": [item(), item()]},
            "UnprocessedKeys": {"t": {"Keys": [item()], "ConsistentRead": True}},
        },
        "TransactGetItems": {"Responses": [{"Item": item()}, {}]},
        "Query": {
            "Items": [item() for _ in range(rng.randint(0, 5))],
            "Count": 3,
            "ScannedCount": 7,
            "LastEvaluatedKey": item(),
            "ConsumedCapacity": capacity,
        },
        "Scan": {"Items": [item()], "Count": 1, "ScannedCount": 1},
        "PutItem": {"Attributes": item(), "ItemCollectionMetrics": metrics},
        "UpdateItem": {"Attributes": item()},
        "DeleteItem": {},
        "BatchWriteItem": {
            "UnprocessedItems": {
                "t": [{"PutRequest": {"Item": item()}}, {"DeleteRequest": {"Key": item()}}]
            },
            "ItemCollectionMetrics": {"t": [metrics]},
        },
        "TransactWriteItems": {"ConsumedCapacity": [capacity]},
    }[operation]


def _parse(parser: Any, operation: str, body: bytes) -> Any:
    shape = MODEL.operation_model(operation).output_shape
    response = {"status_code": 200, "headers": {"x-amzn-requestid": "r"}, "body": body}
    return parser.parse(response, shape)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_the_items_parser_gives_botocores_answer(operation: str, binary: bool) -> None:
    rng = random.Random(f"{operation}{binary}")
    for _ in range(40):
        body = json.dumps(_answer(operation, rng, binary)).encode()
        assert _parse(_ItemsParser(), operation, body) == _parse(JSONParser(), operation, body)


def test_binary_values_are_bytes_as_botocore_makes_them() -> None:
    body = json.dumps({"Item": {"pdf": {"B": base64.b64encode(b"%PDF").decode()}}}).encode()
    assert _parse(_ItemsParser(), "GetItem", body)["Item"] == {"pdf": {"B": b"%PDF"}}


def test_other_answers_keep_botocores_types() -> None:
    body = json.dumps({"Table": {"TableName": "t", "CreationDateTime": 1764806400.0}}).encode()
    parsed = _parse(_ItemsParser(), "DescribeTable", body)
    assert parsed["Table"]["CreationDateTime"].year == 2025


def test_only_the_dynamodb_client_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    client.cache_clear()
    try:
        dynamodb, sqs = client("dynamodb"), client("sqs")
        assert isinstance(dynamodb._endpoint._response_parser_factory.create_parser("json"),
                          _ItemsParser)  # fmt: skip
        assert not isinstance(sqs._endpoint._response_parser_factory.create_parser("json"),
                              _ItemsParser)  # fmt: skip
    finally:
        client.cache_clear()
