"""Ingest Lambda: S3 inbox notifications (via SQS) → parsed, recorded transactions."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.bootstrap import Composition

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
ingestor = Composition.from_env().ingestor


def record_handler(record: SQSRecord) -> None:
    body = record.json_body
    if body.get("Event") == "s3:TestEvent":  # sent once when the notification is set up
        return
    for s3 in S3Event(body).records:
        # S3 URL-encodes keys in notifications ("/" may come as %2F, spaces as "+").
        key = unquote_plus(s3.s3.get_object.key)
        result = ingestor.ingest(s3.s3.bucket.name, key)
        logger.info(
            "statement file processed",
            extra={
                "file_key": key,
                "status": result.status,
                "format": result.format,
                "transactions": result.transactions,
                "new_transactions": result.new_transactions,
                "reason": result.reason,
            },
        )


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
