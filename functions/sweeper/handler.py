"""Sweeper Lambda (scheduled): re-drives transactions left ``new`` and inbox files
never ingested (see :mod:`functions.core.sweep`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from functions.bootstrap import Composition

logger = Logger()
root = Composition.from_env()
sweeper = root.sweeper


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    default = root.settings.sweep_after_minutes
    minutes = event.get("older_than_minutes", default) if isinstance(event, dict) else default
    report = sweeper.sweep(timedelta(minutes=max(0, int(minutes))))
    logger.info("sweep done", extra=report.as_dict())
    return report.as_dict()
