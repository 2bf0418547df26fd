"""SQS sends and receipts on the emulator skip the queue's message counts, and change
nothing else.

``infra/local/sqs_attributes.py``: inside ``send_message``/``send_message_batch``, and
inside ``get_queue_attributes`` asked for no count (as ``receive_message`` does for each
message's retention), a queue's attributes are built without the three
``ApproximateNumberOf…`` counts (each a pass over every message). Sends, batches, FIFO
deduplication and receipts behave as before, and ``GetQueueAttributes`` still counts
visible, in-flight and delayed messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


@pytest.fixture
def sqs(emulator: Any) -> Any:
    return emulator.client("sqs")


def _queue(sqs: Any, fifo: bool = False, **attributes: str) -> str:
    name = f"sends-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    if fifo:
        attributes["FifoQueue"] = "true"
    url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url


def _counts(sqs: Any, url: str) -> dict[str, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]  # fmt: skip
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {name: int(got[name]) for name in names}


def test_the_counts_are_right_after_sends_batches_receipts_and_delays(sqs: Any) -> None:
    url = _queue(sqs)
    for n in range(7):
        sqs.send_message(QueueUrl=url, MessageBody=f"single {n}")
    entries = [{"Id": str(n), "MessageBody": f"batched {n}"} for n in range(10)]
    assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 10
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=600)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4, VisibilityTimeout=600)
    assert len(received["Messages"]) == 4
    assert _counts(sqs, url) == {
        "ApproximateNumberOfMessages": 13,
        "ApproximateNumberOfMessagesNotVisible": 4,
        "ApproximateNumberOfMessagesDelayed": 1,
    }


def test_fifo_sends_deduplicate_and_refuse_as_before(sqs: Any) -> None:
    url = _queue(sqs, fifo=True, ContentBasedDeduplication="true")
    for _ in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "same", "MessageGroupId": "g"}]
    )
    sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    assert _counts(sqs, url)["ApproximateNumberOfMessages"] == 2

    strict = _queue(sqs, fifo=True)
    with pytest.raises(ClientError, match="MessageGroupId"):
        sqs.send_message(QueueUrl=strict, MessageBody="x")
    with pytest.raises(ClientError, match="ContentBasedDeduplication"):
        sqs.send_message(QueueUrl=strict, MessageBody="x", MessageGroupId="g")


@pytest.fixture
def count_passes(emulator: Any) -> Iterator[list[str]]:
    """Records every pass over a queue's messages made to count them."""
    from moto.sqs.models import Queue

    calls: list[str] = []
    saved = {}
    for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
                 "approximate_number_of_messages_not_visible"):  # fmt: skip
        prop = saved[name] = Queue.__dict__[name]

        def counted(self: Any, prop: Any = prop, name: str = name) -> Any:
            calls.append(name)
            return prop.fget(self)

        setattr(Queue, name, property(counted))
    try:
        yield calls
    finally:
        for name, prop in saved.items():
            setattr(Queue, name, prop)


def test_sends_and_receipts_do_not_count_the_queue(sqs: Any, count_passes: list[str]) -> None:
    url = _queue(sqs)
    for n in range(50):
        sqs.send_message(QueueUrl=url, MessageBody=f"backlog {n}")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": "b"} for n in range(10)]
    )
    fifo = _queue(sqs, fifo=True, ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=fifo, MessageBody="x", MessageGroupId="g")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 10
    retention = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod"])
    assert retention["Attributes"] == {"MessageRetentionPeriod": "345600"}
    assert count_passes == []
    assert _counts(sqs, url)["ApproximateNumberOfMessages"] == 50
    assert sorted(set(count_passes)) == [
        "approximate_number_of_messages", "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    ]  # fmt: skip
