"""An organisation's secrets, kept in a secret store and named by reference only.

Two secrets per organisation: the key that signs tenant portal links and the key that
signs ERP webhook deliveries. The organisation record keeps only their references
(ARNs in AWS); the values live in the store, each as a :class:`RotatingSecret`: the
current value and, for a grace period after a rotation, the previous one, still
accepted for tokens already handed out and used as a second webhook signature.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from functions.core.errors import ValidationError


def new_secret_value() -> str:
    """A fresh random secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class RotatingSecret:
    current: str
    previous: str | None = None
    previous_until: datetime | None = None

    def __post_init__(self) -> None:
        if not self.current:
            raise ValidationError("secret", "must not be empty")
        if (self.previous is None) != (self.previous_until is None):
            raise ValidationError("secret", "a previous value needs its end of grace, and back")
        if self.previous_until is not None and self.previous_until.tzinfo is None:
            raise ValidationError("secret", "the end of grace must be timezone-aware")

    def accepted(self, now: datetime) -> tuple[str, ...]:
        """The values valid at ``now``: the current one first, then the previous in grace."""
        if self.previous and self.previous_until and now < self.previous_until:
            return (self.current, self.previous)
        return (self.current,)

    def rotated(self, new_value: str, now: datetime, grace: timedelta) -> RotatingSecret:
        """A new current value; the old one stays accepted until ``now + grace``."""
        if grace <= timedelta(0):
            return RotatingSecret(new_value)
        return RotatingSecret(new_value, self.current, now + grace)

    def to_json(self) -> str:
        body: dict[str, str] = {"current": self.current}
        if self.previous and self.previous_until:
            body["previous"] = self.previous
            body["previous_until"] = self.previous_until.isoformat()
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> RotatingSecret:
        try:
            body = json.loads(text)
            until = body.get("previous_until")
            return cls(
                str(body["current"]),
                body.get("previous"),
                datetime.fromisoformat(until) if until else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValidationError("secret", "is not a rotating secret document") from e


@dataclass(frozen=True, slots=True)
class PlainSecrets:
    """Secrets an organisation item still holds in clear, to be moved to the store."""

    org_id: str
    portal_secret: str | None
    erp_webhook_secret: str | None


class SecretStore(Protocol):
    """Where secret values live (AWS Secrets Manager in production)."""

    def create(self, name: str, value: RotatingSecret) -> str:
        """Store a new secret under ``name`` (or overwrite its value); return its reference."""
        ...

    def get(self, ref: str) -> RotatingSecret: ...

    def put(self, ref: str, value: RotatingSecret) -> None: ...
