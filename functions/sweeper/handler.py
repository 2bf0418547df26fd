"""Sweeper Lambda (scheduled): re-drives transactions left ``new`` and inbox files
never ingested (see :mod:`functions.core.sweep`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from functions.adapters.settings import Settings
from functions.bootstrap import build_sweeper

DEFAULT_AFTER_MINUTES = 30

logger = Logger()
settings = Settings.from_env()
sweeper = build_sweeper(settings)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    default = int(settings.sweep_after_minutes or DEFAULT_AFTER_MINUTES)
    minutes = event.get("older_than_minutes", default) if isinstance(event, dict) else default
    report = sweeper.sweep(timedelta(minutes=max(0, int(minutes))))
    logger.info("sweep done", extra=report.as_dict())
    return report.as_dict()
