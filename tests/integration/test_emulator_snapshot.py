"""A snapshot holds the emulator's locks only to capture the tables, and a crash before
it is switched to loses nothing (issue 12: a 1,000-item bulk call waited seconds behind a
snapshot that decoded and encoded every item with every lock held)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from infra.local import journal as journal_module
from infra.local.ceiling import create_table
from infra.local.journal import Journal, replay
from infra.local.state import StateStore

pytestmark = pytest.mark.integration


class Crash(Exception):
    pass


@pytest.fixture
def probe(emulator: Any) -> Iterator[Any]:
    """The emulator's resources narrowed to one table of its own (no buckets, no queues)."""
    dynamodb = emulator.client("dynamodb")
    name = create_table(dynamodb, "snapshot")
    try:
        archive = {"ArchiveBucket": emulator.buckets["ArchiveBucket"]}
        yield replace(emulator, tables={"ProbeTable": name}, buckets=archive, queues={})
    finally:
        journal_module.activate(None)
        dynamodb.delete_table(TableName=name)


def _item(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "org"}, "sk": {"S": sk}, "label": {"S": f"élément {sk}"}, "n": {"N": "1"}}


def _keys(client: Any, table: str) -> list[str]:
    items = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "org"}},
    )["Items"]
    return [i["sk"]["S"] for i in items]


BODY = "<Document>relevé de décembre</Document>".encode()


def _forget(client: Any, table: str, s3: Any, bucket: str) -> None:
    """What a killed process forgets: the table's items, the object (no journal active)."""
    for sk in _keys(client, table):
        client.delete_item(TableName=table, Key={"pk": {"S": "org"}, "sk": {"S": sk}})
    s3.delete_object(Bucket=bucket, Key="org/statement.xml")


def _body(s3: Any, bucket: str) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key="org/statement.xml")["Body"].read())


def test_a_crash_between_capture_and_switch_loses_nothing(
    tmp_path: Path, probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = probe.tables["ProbeTable"]
    # One attempt, and a read timeout: a request blocked behind a held lock fails.
    client = boto3.client(
        "dynamodb",
        endpoint_url=probe.endpoint_url,
        config=Config(retries={"max_attempts": 1}, read_timeout=20),
    )
    store = StateStore(tmp_path / "snapshot")
    journal = Journal(tmp_path / "journal", store.epoch)
    store.save(probe, journal)
    journal.open()
    journal_module.activate(journal)
    for n in range(3):
        client.put_item(TableName=table, Item=_item(f"a{n}"))
    bucket, s3 = probe.buckets["ArchiveBucket"], probe.client("s3")
    s3.put_object(Bucket=bucket, Key="org/statement.xml", Body=BODY)

    write = StateStore._write

    def crash_while_writing(self: StateStore, capture: Any, log: Journal | None) -> Any:
        # The locks are free while the snapshot is written: this write gets through.
        client.put_item(TableName=table, Item=_item("b0"))
        raise Crash

    monkeypatch.setattr(StateStore, "_write", crash_while_writing)
    with pytest.raises(Crash):
        store.save(probe, journal)
    monkeypatch.setattr(StateStore, "_write", write)
    journal_module.activate(None)
    journal.close()
    assert journal.epochs() == [1, 2]  # the older journal stays until a switch

    # Restart: the snapshot of epoch 1, then journal-1 (a0-a2) and journal-2 (b0).
    _forget(client, table, s3, bucket)
    again = StateStore(tmp_path / "snapshot")
    assert again.epoch == 1
    again.restore(probe)
    log = Journal(tmp_path / "journal", again.epoch)
    assert replay(log, probe.endpoint_url, probe)["dynamodb"] == 4
    assert _keys(client, table) == ["a0", "a1", "a2", "b0"]
    assert _body(s3, bucket) == BODY

    # The next snapshot takes an epoch newer than every journal left, then drops them.
    summary = again.save(probe, log)
    assert summary["epoch"] == 3 and log.epochs() == [3]
    lines = (again.root / summary["data"] / "tables" / "ProbeTable.jsonl").read_text("utf-8")
    stored = sorted((json.loads(line) for line in lines.splitlines()), key=lambda i: i["sk"]["S"])
    assert stored == [_item(sk) for sk in ("a0", "a1", "a2", "b0")]

    _forget(client, table, s3, bucket)
    StateStore(tmp_path / "snapshot").restore(probe)
    assert _keys(client, table) == ["a0", "a1", "a2", "b0"]
    assert _body(s3, bucket) == BODY
