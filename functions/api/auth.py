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
        self.ttl = ttl_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._held: dict[str, tuple[float, ApiKeyRecord]] = {}

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        if self.ttl <= 0:
            return self.store.get(key_hash)
        now = self.clock()
        held = self._held.get(key_hash)
        if held is not None and now < held[0]:
            return held[1]
        record = self.store.get(key_hash)
        if record is None:
            self._held.pop(key_hash, None)
            return None
        if len(self._held) >= self.max_keys:
            self._held.clear()  # bounded: a full cache starts again
        self._held[key_hash] = (now + self.ttl, record)
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
