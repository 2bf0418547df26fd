"""Documents Lambda: batches of rent calls (NoticesQueue) → avis d'échéance PDFs.

Each message holds at most ``SqsNoticeQueue.PER_MESSAGE`` rent calls; a notice's
id derives from its rent call, so a retried message never makes a second one.
"""

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
from functions.core.documents import NoticeRequest
from functions.documents.service import DocumentService

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
service = Composition.from_env().documents


def issue_notices(svc: DocumentService, body: dict[str, Any]) -> dict[str, int]:
    org_id = str(body["org_id"])
    counts = {"created": 0, "existing": 0}
    for lease_id in body.get("quittance_checks", []):  # a payment was booked to these
        counts["created"] += len(svc.issue_due_quittances(org_id, str(lease_id)))
    for raw in body.get("notices", []):
        r = NoticeRequest.from_dict(org_id, raw)
        issued = svc.issue_notice(
            r.org_id,
            r.lease_id,
            rent_call_id=r.rent_call_id,
            period=r.period,
            due_date=r.due_date,
            rent_cents=r.rent_cents,
            charges_cents=r.charges_cents,
            apl_cents=r.apl_cents,
            previous_balance_cents=r.previous_balance_cents,
        )
        counts["created" if issued.created else "existing"] += 1
    return counts


def record_handler(record: SQSRecord) -> None:
    counts = issue_notices(service, record.json_body)
    # Not ``extra=counts``: "created" is a LogRecord attribute, and logging refuses to
    # overwrite it (KeyError), which failed every message after its documents were made.
    logger.info("documents issued", extra={f"documents_{k}": n for k, n in counts.items()})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
