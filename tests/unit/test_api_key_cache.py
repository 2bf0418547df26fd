"""The API key cache: one lookup per key and TTL, and a revocation that still applies."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from functions.api.auth import CachedKeyStore, authenticate, hash_key, new_key
from functions.core.api_keys import ApiKeyRecord
from functions.core.errors import AuthenticationError


@dataclass
class _Keys:
    """The stored keys, counting reads."""

    records: dict[str, ApiKeyRecord] = field(default_factory=dict)
    reads: int = 0

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        self.reads += 1
        return self.records.get(key_hash)


@dataclass
class _Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def _setup(ttl: float = 30) -> tuple[_Keys, _Clock, CachedKeyStore, str]:
    key = new_key()
    keys = _Keys({hash_key(key): ApiKeyRecord(hash_key(key), "org-a", ("erp",))})
    clock = _Clock()
    return keys, clock, CachedKeyStore(keys, ttl, clock), key


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_is_read_once_per_ttl() -> None:
    keys, clock, cached, key = _setup()
    for _ in range(5):
        assert authenticate(cached, _bearer(key)).org_id == "org-a"
    assert keys.reads == 1
    clock.now += 30
    authenticate(cached, _bearer(key))
    assert keys.reads == 2


def test_a_revoked_key_stops_working_once_the_ttl_is_over() -> None:
    keys, clock, cached, key = _setup()
    assert authenticate(cached, _bearer(key)).scopes == frozenset({"erp"})
    h = hash_key(key)
    keys.records[h] = replace(keys.records[h], revoked_at="2026-12-03T10:00:00+00:00")
    clock.now += 29.9
    authenticate(cached, _bearer(key))  # still trusted: within the documented 30 s
    clock.now += 0.1
    with pytest.raises(AuthenticationError):
        authenticate(cached, _bearer(key))
    clock.now += 1
    with pytest.raises(AuthenticationError):  # the revoked record is kept: still refused
        authenticate(cached, _bearer(key))


def test_an_unknown_key_is_not_remembered() -> None:
    keys, _, cached, _ = _setup()
    later = new_key()
    with pytest.raises(AuthenticationError):
        authenticate(cached, _bearer(later))
    keys.records[hash_key(later)] = ApiKeyRecord(hash_key(later), "org-b", ("backoffice",))
    assert authenticate(cached, _bearer(later)).org_id == "org-b"  # works at once


def test_no_ttl_reads_the_key_every_time() -> None:
    keys, _, cached, key = _setup(ttl=0)
    for _ in range(3):
        authenticate(cached, _bearer(key))
    assert keys.reads == 3


def test_the_cache_stays_bounded() -> None:
    keys, clock, _, _ = _setup()
    cached = CachedKeyStore(keys, 30, clock, max_keys=4)
    made = [new_key() for _ in range(10)]
    for k in made:
        keys.records[hash_key(k)] = ApiKeyRecord(hash_key(k), "org-a", ("erp",))
        authenticate(cached, _bearer(k))
    assert len(cached.held) <= 4
