"""Match Lambda: new transaction ids (via SQS) → allocations, ledger lines, entries."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.bootstrap import Composition

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
matcher = Composition.from_env().matcher


def record_handler(record: SQSRecord) -> None:
    body = record.json_body
    org_id = body["org_id"]
    results = matcher.match(org_id, body["transaction_ids"])
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    logger.info("transactions matched", extra={"org_id": org_id, "outcomes": counts})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
