"""ERP push Lambda: the steps of the ERP push state machine, by ``action``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.bootstrap import Composition
from functions.core.errors import ValidationError

logger = Logger()
service = Composition.from_env().erp_push


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
