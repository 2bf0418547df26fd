"""ERP push Lambda: the steps of the ERP push state machine, by ``action``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.adapters.dynamo import (
    DynamoEntryRepository,
    DynamoLeaseRepository,
    DynamoOrganisationRepository,
)
from functions.adapters.settings import Settings
from functions.adapters.storage import S3BatchStore
from functions.bootstrap import build_org_secrets
from functions.core.errors import ValidationError
from functions.erp.service import ErpPushService
from functions.organisations.secrets import SecretKind

logger = Logger()
settings = Settings.from_env()
org_secrets = build_org_secrets(settings)
service = ErpPushService(
    orgs=DynamoOrganisationRepository(settings.organisations_table),
    entries=DynamoEntryRepository(settings.entries_table),
    batches=S3BatchStore(settings.archive_bucket),
    webhook_keys=lambda org: org_secrets.accepted_values(org, SecretKind.ERP_WEBHOOK),
    leases=DynamoLeaseRepository(settings.leases_table),
)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    action = event.get("action")
    logger.append_keys(action=action, org_id=event.get("org_id"))
    if action == "list_organisations":
        return service.list_organisations()
    if action == "collect":
        return service.collect(event["org_id"])
    if action == "deliver":
        return service.deliver(event["org_id"], event["batch_id"])
    if action == "mark_delivered":
        return service.mark_delivered(event["org_id"], event["batch_id"])
    if action == "park":
        return service.park(event["org_id"], event["batch_id"], event.get("error"))
    raise ValidationError("action", f"unknown ERP push action {action!r}")
