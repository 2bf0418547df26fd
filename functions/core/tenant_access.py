"""Signed, expiring links that let a tenant open their account without a password.

A token is ``v1.<payload>.<signature>``: the payload (base64url JSON) names the
organisation, the lease and the expiry; the signature is HMAC-SHA256 with the
organisation's portal secret. The organisation id travels in clear so the API
can find the secret; nothing else about the tenant does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.core.errors import AuthenticationError


@dataclass(frozen=True, slots=True)
class TenantGrant:
    org_id: str
    lease_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, version: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), f"{version}.{payload}".encode(), hashlib.sha256)
    return _b64(mac.digest())


def seal(secret: str, version: str, body: dict[str, Any]) -> str:
    """``version.payload.signature``: a compact JSON body signed with HMAC-SHA256."""
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{version}.{payload}.{_sign(secret, version, payload)}"


def peek(token: str) -> tuple[str, Any]:
    """The version and body a sealed token claims, unverified; ValueError if malformed."""
    version, payload, _ = token.split(".")
    return version, json.loads(_unb64(payload))


def unseal(secrets: Sequence[str], version: str, token: str) -> Any:
    """The body of a token of ``version`` signed with one of ``secrets``; ValueError otherwise."""
    found, payload, signature = token.split(".")
    if found != version or not any(
        hmac.compare_digest(signature, _sign(key, version, payload)) for key in secrets
    ):
        raise ValueError("bad signature")
    return json.loads(_unb64(payload))


def issue_token(secret: str, grant: TenantGrant) -> str:
    if grant.expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    body = {"o": grant.org_id, "l": grant.lease_id, "e": int(grant.expires_at.timestamp())}
    return seal(secret, "v1", body)


def token_org(token: str) -> str:
    """The organisation a token claims (unverified: only to find its secret)."""
    try:
        org = peek(token)[1]["o"]
    except (ValueError, KeyError, TypeError) as e:
        raise AuthenticationError("this link is not valid") from e
    if not isinstance(org, str):
        raise AuthenticationError("this link is not valid")
    return org


def verify_token(secret: str | Sequence[str], token: str, now: datetime) -> TenantGrant:
    """The grant of a token signed with ``secret`` (or any of several, during a rotation)."""
    keys = (secret,) if isinstance(secret, str) else tuple(secret)
    try:
        body = unseal(keys, "v1", token)
    except ValueError as e:
        raise AuthenticationError("this link is not valid") from e
    grant = TenantGrant(body["o"], body["l"], datetime.fromtimestamp(body["e"], UTC))
    if grant.expires_at <= now:
        raise AuthenticationError("this link has expired")
    return grant
