"""API keys: random tokens shown once, stored as SHA-256 hashes, scoped."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from functions.core.api_keys import ApiKeyRecord
from functions.core.errors import AuthenticationError, PermissionDeniedError
from functions.core.trust_cache import TrustCache

SCOPES = ("erp", "backoffice", "operator")
KEY_PREFIX = "enc_"


class ApiKeyStore(Protocol):
    def get(self, key_hash: str) -> ApiKeyRecord | None: ...


class CachedKeyStore:
    """An :class:`ApiKeyStore` that trusts a key's record for ``ttl_seconds`` once read,
    so a client's requests cost no lookup each (the cache is per process: each API
    instance keeps its own).

    Revocation: a revoked key is refused by every instance at most ``ttl_seconds`` after
    it was revoked (when the record an instance holds expires). An unknown key is not
    remembered: a key works as soon as it is created.
    """

    def __init__(
        self,
        store: ApiKeyStore,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 1024,
    ) -> None:
        self.store = store
        self.held: TrustCache[str, ApiKeyRecord] = TrustCache(ttl_seconds, clock, max_keys)

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        if self.held.ttl <= 0:
            return self.store.get(key_hash)
        record = self.held.get(key_hash)
        if record is not None:
            return record
        read_at = self.held.clock()
        record = self.store.get(key_hash)
        if record is None:
            self.held.forget(key_hash)
            return None
        self.held.put(key_hash, record, read_at)
        return record


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
