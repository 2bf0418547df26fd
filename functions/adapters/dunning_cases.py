"""Moved to :mod:`functions.adapters.dynamo.dunning_cases`; this path re-exports it."""

from functions.adapters.dynamo.dunning_cases import (
    LOCK_PREFIX,
    DunningCaseModel,
    DynamoDunningCaseRepository,
    OpenCaseRef,
    case_from_item,
    case_to_item,
    lock_id,
)

__all__ = [
    "LOCK_PREFIX",
    "DunningCaseModel",
    "DynamoDunningCaseRepository",
    "OpenCaseRef",
    "case_from_item",
    "case_to_item",
    "lock_id",
]
