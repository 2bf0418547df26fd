"""The SQS poller of a function that may run several invocations at once: a received
backlog is shared into batches that run at the same time (no emulator: a stand-in SQS
client and invoker)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from infra.local.runner import SqsPoller, share

QUEUE_ARN = "arn:aws:sqs:eu-west-3:123456789012:q"


def test_share_splits_in_order_into_near_equal_batches() -> None:
    assert share([1, 2, 3, 4, 5], 2) == [[1, 2, 3], [4, 5]]
    assert share([1, 2], 3) == [[1], [2]]
    assert share([1, 2, 3], 1) == [[1, 2, 3]]


class _Sqs:
    """Hands out a backlog once, then nothing; records deletions."""

    def __init__(self, count: int) -> None:
        self.backlog = [
            {"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": "{}"} for n in range(count)
        ]
        self.deleted: list[str] = []
        self.lock = threading.Lock()

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        return {"Attributes": {"VisibilityTimeout": "30"}}

    def receive_message(self, MaxNumberOfMessages: int, **_: Any) -> dict[str, Any]:
        with self.lock:
            taken = self.backlog[:MaxNumberOfMessages]
            del self.backlog[:MaxNumberOfMessages]
        if not taken:
            time.sleep(0.01)
        return {"Messages": taken}

    def delete_message_batch(self, Entries: list[dict[str, str]], **_: Any) -> None:
        with self.lock:
            self.deleted += [e["ReceiptHandle"] for e in Entries]


class _Invoker:
    """Two slots; each invocation waits for another one to be running beside it."""

    def __init__(self) -> None:
        self.met = threading.Barrier(2, timeout=30)
        self.batches: list[list[str]] = []

    def concurrency(self, name: str) -> int:
        return 2

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        self.batches.append([r["messageId"] for r in event["Records"]])
        self.met.wait()  # raises BrokenBarrierError if it stays alone
        return {"batchItemFailures": []}


def test_a_backlog_runs_as_concurrent_batches_and_every_message_is_deleted() -> None:
    sqs, invoker = _Sqs(10), _Invoker()
    resources = SimpleNamespace(
        queues={"Q": SimpleNamespace(url="q", arn=QUEUE_ARN)},
        functions={"F": SimpleNamespace(name="f")},
        region="eu-west-3",
        client=lambda service: sqs,
    )
    source = SimpleNamespace(
        queue="Q", function="F", batch_size=10, report_batch_item_failures=True
    )
    poller = SqsPoller(resources, source, invoker=invoker)  # type: ignore[arg-type]
    poller.start()
    try:
        deadline = time.monotonic() + 30
        while len(sqs.deleted) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        poller.stop(5)
    assert sorted(invoker.batches) == [[f"m{n}" for n in range(5)], [f"m{n}" for n in range(5, 10)]]
    assert sorted(sqs.deleted) == sorted(f"r{n}" for n in range(10))
    assert poller.batches == 2
