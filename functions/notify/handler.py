"""Notify Lambda: the dunning workflow's steps and the daily opening of cases.

Invoked with ``{"action": NAME, ...}`` (docs/architecture.md, "Workflow task
contracts"); returns the step's JSON result.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.bootstrap import Composition
from functions.core.errors import ValidationError

logger = Logger()
root = Composition.from_env()
service = root.dunning


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
        orgs = event.get("org_ids") or root.organisations.list_ids()
        return {"runs": [root.print_run.run(str(org_id)) for org_id in orgs]}
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
