"""Crash injection for the chaos campaign (``tests/chaos``, ``make chaos``).

``ENCAISSE_CRASH_AT=<step>`` makes the process die at once (exit status 137, as
after SIGKILL: no ``finally``, no flush) when it reaches that named step. The
steps sit in adapters, between the writes a crash can separate; the pure core
knows nothing of them. Unset (always, in AWS), a step costs one dictionary read.
"""

from __future__ import annotations

import os

STEPS = (
    "ingest.recorded",  # transactions written, match queue not told
    "ingest.queued",  # match queue told, file not registered nor archived
    "ingest.registered",  # file registered as ingested, still in the inbox
    "match.deciding",  # transaction read and decided, nothing booked
    "match.booked",  # booked, the match message not yet deleted
)


def crash_point(step: str) -> None:
    if os.environ.get("ENCAISSE_CRASH_AT") == step:
        os._exit(137)
