"""An API key as stored: its SHA-256 (never the key), organisation, scopes and life."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    key_hash: str
    org_id: str
    scopes: tuple[str, ...]
    label: str = ""
    created_at: str | None = None
    """ISO 8601 (UTC)."""
    revoked_at: str | None = None

    @property
    def key_id(self) -> str:
        """What the API and the CLI call the key: the start of its hash."""
        return self.key_hash[:12]
