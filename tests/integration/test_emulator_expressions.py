"""Update expressions parsed once per text in the request layer (issue 12).

The request layer's parse is cached by the expression's text and shared: the same
expression with other values, names or items must give the same answers as fresh
parses, and its errors must be raised again on every request.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.local.ceiling import create_table

pytestmark = pytest.mark.integration

EXPRESSION = "SET #n = :n, #t = if_not_exists(#t, :zero) + :inc"


def _update(ddb: Any, table: str, sk: str, n: str, inc: int, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = ddb.update_item(
        TableName=table,
        Key={"pk": {"S": "p"}, "sk": {"S": sk}},
        UpdateExpression=EXPRESSION,
        ExpressionAttributeNames={"#n": "name", "#t": "total"},
        ExpressionAttributeValues={
            ":n": {"S": n},
            ":zero": {"N": "0"},
            ":inc": {"N": str(inc)},
            **extra,
        },
        ReturnValues="ALL_NEW",
    )
    return answer


def test_same_expression_other_values_and_errors_every_time(emulator: Any) -> None:
    ddb = emulator.client("dynamodb")
    table = create_table(ddb, "expressions")
    try:
        first = _update(ddb, table, "a", "first", 5)["Attributes"]
        second = _update(ddb, table, "a", "second", 7)["Attributes"]
        other = _update(ddb, table, "b", "other", 1)["Attributes"]
        assert (first["name"], first["total"]) == ({"S": "first"}, {"N": "5"})
        assert (second["name"], second["total"]) == ({"S": "second"}, {"N": "12"})
        assert (other["name"], other["total"]) == ({"S": "other"}, {"N": "1"})
        for _ in range(2):  # an unused value is refused on every request
            with pytest.raises(ClientError) as unused:
                _update(ddb, table, "a", "x", 1, **{":unused": {"S": "u"}})
            assert unused.value.response["Error"]["Code"] == "ValidationException"
            assert ":unused" in unused.value.response["Error"]["Message"]
        for _ in range(2):  # a syntax error too
            with pytest.raises(ClientError) as syntax:
                ddb.update_item(
                    TableName=table,
                    Key={"pk": {"S": "p"}, "sk": {"S": "a"}},
                    UpdateExpression="SET #n = = :n",
                    ExpressionAttributeNames={"#n": "name"},
                    ExpressionAttributeValues={":n": {"S": "v"}},
                )
            assert syntax.value.response["Error"]["Code"] == "ValidationException"
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": sk}},
                        "UpdateExpression": EXPRESSION,
                        "ExpressionAttributeNames": {"#n": "name", "#t": "total"},
                        "ExpressionAttributeValues": {
                            ":n": {"S": f"tx-{sk}"},
                            ":zero": {"N": "0"},
                            ":inc": {"N": "100"},
                        },
                    }
                }
                for sk in ("a", "c")
            ]
        )
        items = {
            sk: ddb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": sk}})["Item"]
            for sk in ("a", "c")
        }
        assert (items["a"]["name"], items["a"]["total"]) == ({"S": "tx-a"}, {"N": "112"})
        assert (items["c"]["name"], items["c"]["total"]) == ({"S": "tx-c"}, {"N": "100"})
    finally:
        ddb.delete_table(TableName=table)
