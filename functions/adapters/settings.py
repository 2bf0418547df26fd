"""Configuration read from the environment, once, by handler modules only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    organisations_table: str
    api_keys_table: str
    leases_table: str
    ledger_table: str
    transactions_table: str
    entries_table: str
    files_table: str
    dunning_table: str
    idempotency_table: str
    inbox_bucket: str
    quarantine_bucket: str
    archive_bucket: str
    documents_bucket: str
    match_queue_url: str
    erp_push_state_machine_arn: str
    dunning_state_machine_arn: str
    alert_topic_arn: str
    mail_sender: str
    portal_base_url: str
    documents_table: str = ""
    print_bucket: str = ""
    ingest_queue_url: str = ""
    sweep_after_minutes: str = ""
    notices_queue_url: str = ""
    secrets_prefix: str = ""
    # ZIP bomb limits (blank: the defaults of parsers.ZipLimits).
    zip_max_members: str = ""
    zip_max_bytes: str = ""
    zip_max_ratio: str = ""
    """Name prefix of the organisations' secrets in Secrets Manager (``encaisse/<stack>``)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        return cls(**{name: source.get(name.upper(), "") for name in cls.__dataclass_fields__})
