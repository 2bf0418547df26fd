"""Event sources: what Lambda's SQS event source mappings and EventBridge schedules do.

One thread per ``SQS`` event of the template long-polls its queue, builds the event a
Lambda receives from SQS, runs the handler and deletes the messages it did not report
in ``batchItemFailures``; failed ones go back to the queue when their visibility
timeout ends (scaled by the time factor), and moto moves them to the dead-letter queue
after ``maxReceiveCount`` receives, as SQS does.

A function that may run several invocations at once (:meth:`Invoker.concurrency`) gets
that many batches in flight, each on a thread of its own: a receive's messages are
shared into that many batches (each still at most the mapping's batch size), delivered
as slots free up, as Lambda's several pollers would each receive part of a backlog.
One slot: one batch at a time, on the poller's own thread.

Schedules: ``rate(...)`` events fire every period / time factor, but not more often than
every :data:`MIN_SCHEDULE_SECONDS` (a 15-minute rate at factor 3600 would otherwise fire
four times a second); ``cron(...)`` events (daily jobs) only run on demand
(:meth:`Scheduler.trigger`, ``POST /_local/schedules/<name>`` on the portal server).
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from infra.local.invoke import INVOKER, HandlerError, Invoker
from infra.local.resources import Resources, Schedule, SqsSource

LOG = logging.getLogger("encaisse.local.runner")

MIN_SCHEDULE_SECONDS = 60.0
# Long-poll length: short enough for a prompt stop, long enough not to spin.
POLL_WAIT_SECONDS = 1


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the event Lambda gets from SQS (field names as AWS sends them)."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_message_ids(result: Any, batch_ids: list[str], report_failures: bool) -> set[str]:
    """Messages to leave in the queue, by Lambda's rules for partial batch responses."""
    if not report_failures or result is None:
        return set()
    if not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            # An empty or unknown identifier fails the whole batch (AWS docs, "Reporting
            # batch item failures").
            return set(batch_ids)
        ids.add(identifier)
    return ids


class SqsPoller:
    """Feeds one queue to one function, as an event source mapping does."""

    def __init__(
        self,
        resources: Resources,
        source: SqsSource,
        *,
        time_factor: float = 1.0,
        invoker: Invoker = INVOKER,
    ) -> None:
        self.resources = resources
        self.source = source
        self.queue = resources.queues[source.queue]
        self.function = resources.functions[source.function]
        self.time_factor = time_factor
        self.invoker = invoker
        self.batches = 0
        self.concurrency = invoker.concurrency(self.function.name)
        self._slots = threading.Semaphore(self.concurrency)
        # Batches of the last receive not yet delivered (their visibility timeout runs).
        self._waiting: list[list[dict[str, Any]]] = []
        self._count_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sqs-{source.queue}->{source.function}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        sqs = self.resources.client("sqs")
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.queue.url, AttributeNames=["VisibilityTimeout"]
        )["Attributes"]
        retry_after = max(1, math.ceil(int(attributes["VisibilityTimeout"]) / self.time_factor))
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=POLL_WAIT_SECONDS):
                continue  # every slot busy: look at the stop flag again
            handed = False
            try:
                handed = self._poll_once(sqs, retry_after)
            except Exception:  # keep polling: a broken batch must not stop the mapping
                LOG.exception("poller %s failed", self._thread.name)
                self._stop.wait(1.0)
            finally:
                if not handed:
                    self._slots.release()
        # Batches still running on their threads: wait for them (stop() bounds the wait).
        for _ in range(self.concurrency):
            self._slots.acquire()

    def _poll_once(self, sqs: Any, retry_after: int) -> bool:
        """Deliver one batch, received now or left by the last receive; whether it was
        handed to a thread of its own (which then releases the caller's slot)."""
        if self._waiting:
            batch = self._waiting.pop(0)
        else:
            received = self._receive(sqs)
            if not received:
                return False
            batch, *self._waiting = share(received, self.concurrency)
        if self.concurrency == 1:
            self._deliver(sqs, retry_after, batch)
            return False
        threading.Thread(
            target=self._deliver_and_release,
            args=(sqs, retry_after, batch),
            name=f"{self._thread.name}-batch",
            daemon=True,  # abandoned at exit, as in stop()
        ).start()
        return True

    def _receive(self, sqs: Any) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = sqs.receive_message(
            QueueUrl=self.queue.url,
            MaxNumberOfMessages=max(1, min(self.source.batch_size, 10)),
            WaitTimeSeconds=POLL_WAIT_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        return messages

    def _deliver_and_release(self, sqs: Any, retry_after: int, messages: list[Any]) -> None:
        try:
            self._deliver(sqs, retry_after, messages)
        except Exception:  # the messages come back after their visibility timeout
            LOG.exception("poller %s failed", self._thread.name)
        finally:
            self._slots.release()

    def _deliver(self, sqs: Any, retry_after: int, messages: list[Any]) -> None:
        """One invocation with these messages, then delete or retry each."""
        event = {
            "Records": [sqs_record(m, self.queue.arn, self.resources.region) for m in messages]
        }
        ids = [m["MessageId"] for m in messages]
        try:
            result = self.invoker.invoke(self.function.name, event)
            failed = failed_message_ids(result, ids, self.source.report_batch_item_failures)
        except HandlerError:
            failed = set(ids)  # the whole batch returns to the queue
        with self._count_lock:
            self.batches += 1
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        for m in messages:
            if m["MessageId"] in failed:
                # Back after the (scaled) visibility timeout, as in AWS.
                sqs.change_message_visibility(
                    QueueUrl=self.queue.url,
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=retry_after,
                )


def share(messages: list[Any], slots: int) -> list[list[Any]]:
    """Received messages as at most ``slots`` batches of near-equal size, in order."""
    count = max(1, min(slots, len(messages)))
    size, extra = divmod(len(messages), count)
    batches, start = [], 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        batches.append(messages[start:end])
        start = end
    return batches


_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float | None:
    """Period of a ``rate(...)`` expression in seconds; None for ``cron(...)``."""
    match = _RATE.fullmatch(expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class Scheduler:
    """Fires the template's schedules (rates scaled; crons on demand)."""

    def __init__(
        self,
        resources: Resources,
        *,
        time_factor: float = 1.0,
        invoker: Invoker = INVOKER,
        enabled: bool = True,
    ) -> None:
        self.resources = resources
        self.time_factor = time_factor
        self.invoker = invoker
        self.enabled = enabled
        self.schedules = {s.name: s for s in resources.schedules}
        self.fired: dict[str, int] = dict.fromkeys(self.schedules, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def period(self, schedule: Schedule) -> float | None:
        seconds = rate_seconds(schedule.expression)
        if seconds is None:
            return None
        return max(MIN_SCHEDULE_SECONDS, seconds / self.time_factor)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "target": s.target,
                "expression": s.expression,
                "local_period_seconds": self.period(s),
                "fired": self.fired[s.name],
            }
            for s in self.schedules.values()
        ]

    def trigger(self, name: str) -> str:
        """Fire one schedule now; returns the execution ARN or the function's result."""
        schedule = self.schedules[name]
        self.fired[name] += 1
        if schedule.kind == "state_machine":
            sfn = self.resources.client("stepfunctions")
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            return str(
                sfn.start_execution(
                    stateMachineArn=self.resources.state_machines[schedule.target],
                    name=f"{schedule.name.replace('.', '-')}-{stamp}",
                    input=json.dumps(schedule.input),
                )["executionArn"]
            )
        result = self.invoker.invoke(self.resources.functions[schedule.target].name, schedule.input)
        return json.dumps(result)

    def _run(self) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        due: dict[str, float] = {}
        for schedule in self.schedules.values():
            period = self.period(schedule)
            if period is not None:
                due[schedule.name] = now + period  # first run after one period, as AWS
        while not self._stop.is_set() and due:
            name = min(due, key=due.__getitem__)
            if self._stop.wait(max(0.0, due[name] - time.monotonic())):
                return
            try:
                self.trigger(name)
            except Exception:  # a failing target must not stop the other schedules
                LOG.exception("schedule %s failed", name)
            period = self.period(self.schedules[name])
            assert period is not None
            due[name] = time.monotonic() + period


class EventSources:
    """All pollers and the scheduler of a platform."""

    def __init__(
        self,
        resources: Resources,
        *,
        time_factor: float = 1.0,
        schedules_enabled: bool = True,
        invoker: Invoker = INVOKER,
    ) -> None:
        self.pollers = [
            SqsPoller(resources, source, time_factor=time_factor, invoker=invoker)
            for source in resources.sqs_sources
        ]
        self.scheduler = Scheduler(
            resources, time_factor=time_factor, invoker=invoker, enabled=schedules_enabled
        )

    def start(self) -> None:
        for poller in self.pollers:
            poller.start()
        self.scheduler.start()

    def stop(self, grace: float = 30.0) -> None:
        """Stop polling; wait at most ``grace`` seconds in all for batches in progress.

        A batch still running after that is abandoned (the platform is exiting): its
        messages were not deleted, so they are received again after a restart, as SQS
        redelivers to a Lambda that timed out.
        """
        # Ask every poller first so that their long polls end together.
        for poller in self.pollers:
            poller.request_stop()
        deadline = time.monotonic() + grace
        stops: list[Callable[[float], None]] = [
            self.scheduler.stop,
            *(p.stop for p in self.pollers),
        ]
        for stop in stops:
            stop(max(0.0, deadline - time.monotonic()))
