"""API keys: random tokens shown once, stored as SHA-256 hashes, scoped."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Protocol

from functions.core.api_keys import ApiKeyRecord
from functions.core.errors import AuthenticationError, PermissionDeniedError

SCOPES = ("erp", "backoffice", "operator")
KEY_PREFIX = "enc_"


class ApiKeyStore(Protocol):
    def get(self, key_hash: str) -> ApiKeyRecord | None: ...


@dataclass(frozen=True, slots=True)
class Principal:
    org_id: str
    scopes: frozenset[str]
    key_id: str

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDeniedError(f"this API key lacks the {scope!r} scope")


def hash_key(key: str) -> str:
    # API keys are 256-bit random tokens, so a plain SHA-256 is a sound verifier.
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_from_headers(headers: dict[str, str]) -> str:
    lower = {k.lower(): v for k, v in headers.items()}
    auth = lower.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if lower.get("x-api-key"):
        return lower["x-api-key"].strip()
    raise AuthenticationError("send your API key as 'Authorization: Bearer <key>'")


def authenticate(store: ApiKeyStore, headers: dict[str, str]) -> Principal:
    key = key_from_headers(headers)
    record = store.get(hash_key(key))
    if record is None or record.revoked_at:
        raise AuthenticationError("unknown or revoked API key")
    return Principal(record.org_id, frozenset(record.scopes), record.key_id)
