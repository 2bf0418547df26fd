"""Configuration read from the environment, once, at start-up (handler modules and the API).

Every variable of the template's ``Globals`` is required: a missing or blank one stops
the function at start-up with one line naming it (:class:`MissingSettingError`), rather
than failing later on a call to a table named ``""``. The few optional variables are
typed ``Optional`` and documented with their default below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from functions.core.errors import EncaisseError


class MissingSettingError(EncaisseError):
    """A required environment variable is absent or blank (or an optional one is malformed)."""


@dataclass(frozen=True, slots=True)
class Settings:
    # Required: set for every function by template.yaml's Globals.
    organisations_table: str
    api_keys_table: str
    leases_table: str
    ledger_table: str
    transactions_table: str
    entries_table: str
    files_table: str
    dunning_table: str
    idempotency_table: str
    documents_table: str
    inbox_bucket: str
    quarantine_bucket: str
    archive_bucket: str
    documents_bucket: str
    print_bucket: str
    match_queue_url: str
    ingest_queue_url: str
    notices_queue_url: str
    erp_push_state_machine_arn: str
    dunning_state_machine_arn: str
    alert_topic_arn: str
    mail_sender: str
    portal_base_url: str
    secrets_prefix: str
    """Name prefix of the organisations' secrets in Secrets Manager (``encaisse/<stack>``)."""

    # Optional.
    cors_allowed_origins: str | None = None
    """Comma-separated browser origins the API answers; None: the portal's own origin."""
    sweep_after_minutes: int = 30
    """Age after which the sweeper re-drives work left behind (the SweeperFunction sets 30)."""
    zip_max_members: int | None = None
    """ZIP bomb limits; None: the defaults of ``parsers.ZipLimits``."""
    zip_max_bytes: int | None = None
    zip_max_ratio: int | None = None
    api_key_cache_seconds: int = 30
    """How long an API instance trusts an API key it read (0: read it on every request).
    A revoked key is refused everywhere at most this long after its revocation. The same
    time applies to an organisation read to open a tenant link."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``env`` (default ``os.environ``).

        Raises :class:`MissingSettingError` naming every required variable that is
        absent or blank, or an optional number that is not a whole number (ZIP limits: positive).
        """
        source = os.environ if env is None else env
        values: dict[str, Any] = {}  # of each field's type, checked above
        missing = []
        for f in fields(cls):
            raw = (source.get(f.name.upper()) or "").strip()
            if f.name in _OPTIONAL_NUMBERS:
                if raw:
                    positive = f.name not in _MAY_BE_ZERO
                    values[f.name] = _whole(f.name.upper(), raw, positive)
            elif f.name in _OPTIONAL_TEXT:
                values[f.name] = raw or None
            elif raw:
                values[f.name] = raw
            else:
                missing.append(f.name.upper())
        if missing:
            raise MissingSettingError(
                f"missing environment variable{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (set by template.yaml's Globals)"
            )
        return cls(**values)


_OPTIONAL_TEXT = frozenset({"cors_allowed_origins"})
_OPTIONAL_NUMBERS = frozenset(
    {
        "sweep_after_minutes",
        "zip_max_members",
        "zip_max_bytes",
        "zip_max_ratio",
        "api_key_cache_seconds",
    }
)
_MAY_BE_ZERO = frozenset({"sweep_after_minutes", "api_key_cache_seconds"})
REQUIRED = tuple(
    f.name.upper()
    for f in fields(Settings)
    if f.name not in _OPTIONAL_TEXT and f.name not in _OPTIONAL_NUMBERS
)
"""The environment variables every function needs (template.yaml's Globals)."""


def _whole(name: str, raw: str, positive: bool) -> int:
    if not raw.isdigit() or (positive and int(raw) == 0):
        kind = "a positive" if positive else "a whole"
        raise MissingSettingError(f"environment variable {name}: {raw!r} is not {kind} number")
    return int(raw)
