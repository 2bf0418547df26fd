"""Notify Lambda: the dunning workflow's steps and the daily opening of cases.

Invoked with ``{"action": NAME, ...}`` (docs/architecture.md, "Workflow task
contracts"); returns the step's JSON result.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.adapters.documents import (
    BucketPrintProvider,
    DynamoDocumentRepository,
    S3DocumentStore,
)
from functions.adapters.dunning_cases import DynamoDunningCaseRepository
from functions.adapters.dynamo import (
    DynamoLeaseRepository,
    DynamoLedgerRepository,
    DynamoOrganisationRepository,
)
from functions.adapters.messaging import SesMailer, SnsSmsSender
from functions.adapters.settings import Settings
from functions.adapters.workflows import StepFunctionsWorkflows
from functions.core.errors import ValidationError
from functions.documents.print_run import PrintRunService
from functions.notify.letters import render_letter_pdf
from functions.notify.service import DunningService

logger = Logger()


def build_dunning_service(settings: Settings) -> DunningService:
    return DunningService(
        orgs=DynamoOrganisationRepository(settings.organisations_table),
        leases=DynamoLeaseRepository(settings.leases_table),
        ledger=DynamoLedgerRepository(settings.ledger_table),
        cases=DynamoDunningCaseRepository(settings.dunning_table),
        workflows=StepFunctionsWorkflows(settings.dunning_state_machine_arn),
        mailer=SesMailer(settings.mail_sender),
        sms=SnsSmsSender(),
        documents=S3DocumentStore(settings.documents_bucket),
        render_letter=render_letter_pdf,
        portal_base_url=settings.portal_base_url,
    )


def build_print_run(settings: Settings) -> PrintRunService:
    docs = S3DocumentStore(settings.documents_bucket)
    return PrintRunService(
        orgs=DynamoOrganisationRepository(settings.organisations_table),
        leases=DynamoLeaseRepository(settings.leases_table),
        manifests=DynamoDocumentRepository(settings.documents_table),
        pdfs=docs,
        provider=BucketPrintProvider(settings.print_bucket),
    )


settings = Settings.from_env()
service = build_dunning_service(settings)


def _case(event: dict[str, Any]) -> dict[str, str]:
    try:
        return {k: str(event[k]) for k in ("org_id", "lease_id", "case_id")}
    except KeyError as e:
        raise ValidationError(e.args[0], "missing from the task input") from e


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    action = event.get("action")
    if action == "open_cases":
        return service.open_cases(event.get("org_ids"))
    if action == "print_run":
        orgs = (
            event.get("org_ids")
            or DynamoOrganisationRepository(settings.organisations_table).list_ids()
        )
        printer = build_print_run(settings)
        return {"runs": [printer.run(str(org_id)) for org_id in orgs]}
    case = _case(event)
    logger.append_keys(action=action, **case)
    if action == "check_balance":
        return service.check_balance(**case)
    if action == "send_reminder":
        return service.send_reminder(**case, level=int(event.get("level", 0)))
    if action == "send_letter":
        return service.send_letter(**case)
    if action == "refer_social":
        return service.refer_social(**case)
    if action == "close_case":
        return service.close_case(**case, reason=str(event.get("reason")), error=event.get("error"))
    raise ValidationError("action", f"{action!r} is not a notify action")
