"""Sending and receiving SQS messages without counting the queue's messages.

moto's ``send_message`` (and ``send_message_batch``, once per entry) reads
``queue.attributes.get("ContentBasedDeduplication")`` up to three times. ``attributes``
is a property that builds every attribute of the queue, among them the three
``ApproximateNumberOf…`` counts, each a pass over all the queue's messages. So a send
cost O(messages waiting): with the documents queue holding a backlog of notices and
receipts, every receipt queued by a booking scanned the whole backlog three times over
(~5 % of the platform's time in the month of bench-platform, and quadratic in the size of
a collection day).

Receiving was worse: ``receive_message`` checks each message's retention through
``get_queue_attributes(queue, ["MessageRetentionPeriod"])``, which builds all the
attributes three times (``in``, ``is not None``, ``get``): nine passes over the backlog
per message received, quadratic over a collection day's 25,000 receipts.

So, while a thread is inside ``send_message``/``send_message_batch``, or inside
``get_queue_attributes`` asked only for names that are not counts, a queue's attributes
are built by moto's own property from the queue with the three counts left out of its
attribute list. The send path reads only ``ContentBasedDeduplication`` (checked at
start-up on moto's source of the three methods that read ``attributes`` during a send);
``get_queue_attributes`` returns only the names asked for. During a send, a queue with
one of moto's own Lambda event-source mappings (which receives messages inside
``add_message``) keeps the full attributes. ``GetQueueAttributes`` for ``All`` or for a
count gets the counts as before. ``tests/integration/test_emulator_sqs_attributes.py``
checks sends, batches, FIFO deduplication, receipts and the counts.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
)


class _Light(threading.local):
    """How deep this thread is in a call that reads no count."""

    depth = 0


_LIGHT = _Light()


class _WithoutCounts:
    """A queue seen through a list of base attributes without the counts."""

    def __init__(self, queue: Any, base_attributes: list[str]) -> None:
        self._queue = queue
        self.BASE_ATTRIBUTES = base_attributes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


@contextlib.contextmanager
def _light() -> Iterator[None]:
    """Within: this thread's queue attributes are built without the counts."""
    _LIGHT.depth += 1
    try:
        yield
    finally:
        _LIGHT.depth -= 1


def _sending(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _light():
            return method(*args, **kwargs)

    return wrapper


def _without_counts_when_not_asked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, queue_name: str, attribute_names: Any) -> Any:
        names = list(attribute_names or ())
        if "All" in names or any(name in _COUNTS for name in names):
            return method(self, queue_name, names)
        with _light():
            return method(self, queue_name, names)

    return wrapper


def _reads_only_deduplication(function: Callable[..., Any]) -> bool:
    source = inspect.getsource(function)
    reads = re.findall(r"\.attributes\b(\.get\(\"ContentBasedDeduplication\"\))?", source)
    return all(reads) and bool(reads)


def install() -> None:
    from moto.sqs.models import Queue, SQSBackend

    from infra.local.patches import PatchError, _require

    for owner, name in ((SQSBackend, "send_message"), (SQSBackend, "_validate_message"),
                        (Queue, "add_message")):  # fmt: skip
        if not _reads_only_deduplication(_require(owner, name)):
            raise PatchError(f"moto changed: {owner.__name__}.{name} reads other queue attributes")
    full = _require(Queue, "attributes")
    base = [a for a in _require(Queue, "BASE_ATTRIBUTES") if a not in _COUNTS]
    if (
        not isinstance(full, property)
        or full.fget is None
        or len(base) != len(Queue.BASE_ATTRIBUTES) - len(_COUNTS)
    ):
        raise PatchError("moto changed: Queue.attributes or its counts")
    build = full.fget

    def attributes(self: Any) -> dict[str, Any]:
        if _LIGHT.depth and not self.lambda_event_source_mappings:
            result: dict[str, Any] = build(_WithoutCounts(self, base))
            return result
        everything: dict[str, Any] = build(self)
        return everything

    Queue.attributes = property(attributes)  # type: ignore[method-assign,assignment]
    for name in ("send_message", "send_message_batch"):
        setattr(SQSBackend, name, _sending(_require(SQSBackend, name)))
    SQSBackend.get_queue_attributes = _without_counts_when_not_asked(  # type: ignore[method-assign]
        _require(SQSBackend, "get_queue_attributes")
    )
