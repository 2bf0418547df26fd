"""New transactions are written 100 to a TransactWriteItems, each only if it is not
there yet: one written by another delivery meanwhile is left as it is."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from functions.adapters.dynamo.base import to_ddb
from functions.adapters.dynamo.transactions import put_new_transactions
from functions.adapters.settings import Settings

pytestmark = pytest.mark.integration


def _item(org_id: str, n: int, status: str = "new") -> dict[str, Any]:
    return to_ddb(
        {"org_id": org_id, "transaction_id": f"tx_{n:04d}", "status": status, "amount_cents": n}
    )


def test_existing_transactions_are_left_and_the_others_written_in_groups(
    emulator: Any, settings: Settings
) -> None:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    ddb = emulator.client("dynamodb")
    table = settings.transactions_table
    for n in (3, 150):  # decided by another delivery since the read
        ddb.put_item(TableName=table, Item=_item(org_id, n, "allocated"))
    calls: list[str] = []
    ddb.meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: calls.append(event_name)
    )
    items = {f"tx_{n:04d}": _item(org_id, n) for n in range(205)}
    assert put_new_transactions(ddb, table, items) == {"tx_0003", "tx_0150"}
    assert calls.count("before-call.dynamodb.TransactWriteItems") == 5  # 3 groups, 2 again
    assert "before-call.dynamodb.PutItem" not in calls
    pages = ddb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="org_id = :o",
        ExpressionAttributeValues={":o": {"S": org_id}},
    )
    by_id = {i["transaction_id"]["S"]: i["status"]["S"] for p in pages for i in p["Items"]}
    assert len(by_id) == 205
    assert by_id["tx_0003"] == "allocated" and by_id["tx_0150"] == "allocated"
    assert by_id["tx_0004"] == "new"
