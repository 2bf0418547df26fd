"""``Idempotency-Key`` on the write routes (powertools idempotency on the IdempotencyTable)."""

from __future__ import annotations

import json
import uuid

import pytest
from chalice.test import Client

from functions.adapters.settings import Settings
from tests.integration.test_api import LEASE, _h, _new_org

pytestmark = pytest.mark.integration


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _ik(key: str, idem: str) -> dict[str, str]:
    return _h(key) | {"Idempotency-Key": idem}


def test_same_key_same_body_replays_the_first_response(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    idem = uuid.uuid4().hex
    first = client.http.put("/v1/leases/I-1", headers=_ik(key, idem), body=json.dumps(LEASE))
    assert first.status_code == 201, first.body
    again = client.http.put("/v1/leases/I-1", headers=_ik(key, idem), body=json.dumps(LEASE))
    assert again.status_code == 201  # the replay, not the 200 of an update
    assert json.loads(again.body) == json.loads(first.body)
    assert _lower(again.headers).get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in _lower(first.headers)

    call = {"lease_id": "I-1", "period": "2026-01", "due_date": "2026-01-05", "rent": "412.30"}
    idem2 = uuid.uuid4().hex
    r1 = client.http.post("/v1/rent-calls", headers=_ik(key, idem2), body=json.dumps(call))
    # the same body with other spacing and key order is the same request
    spaced = json.dumps(dict(reversed(list(call.items()))), indent=2)
    r2 = client.http.post("/v1/rent-calls", headers=_ik(key, idem2), body=spaced)
    assert r1.status_code == r2.status_code == 201
    assert json.loads(r2.body)["created"] is True
    account = json.loads(client.http.get("/v1/leases/I-1/account", headers=_h(key)).body)
    assert len(account["lines"]) == 1


def test_same_key_other_body_is_refused_naming_the_header(
    client: Client, settings: Settings
) -> None:
    _, key = _new_org(settings, ["erp"])
    idem = uuid.uuid4().hex
    r = client.http.put("/v1/leases/I-2", headers=_ik(key, idem), body=json.dumps(LEASE))
    assert r.status_code == 201
    other = LEASE | {"rent": "999.00"}
    r = client.http.put("/v1/leases/I-2", headers=_ik(key, idem), body=json.dumps(other))
    assert r.status_code == 422
    assert _lower(r.headers)["content-type"] == "application/problem+json"
    assert json.loads(r.body)["field"] == "Idempotency-Key"
    # the same key on another route is another request too
    r = client.http.post(
        "/v1/entries/ack", headers=_ik(key, idem), body=json.dumps({"entry_ids": ["x"]})
    )
    assert r.status_code == 422


def test_errors_are_not_kept_and_keys_are_per_organisation(
    client: Client, settings: Settings
) -> None:
    _, key = _new_org(settings, ["erp"])
    _, other_key = _new_org(settings, ["erp"])
    idem = uuid.uuid4().hex
    bad = LEASE | {"rent": "abc"}
    r = client.http.put("/v1/leases/I-3", headers=_ik(key, idem), body=json.dumps(bad))
    assert r.status_code == 400
    # corrected, with the same key: it runs
    r = client.http.put("/v1/leases/I-3", headers=_ik(key, idem), body=json.dumps(LEASE))
    assert r.status_code == 201
    # another organisation's identical key is its own
    r = client.http.put("/v1/leases/I-3", headers=_ik(other_key, idem), body=json.dumps(LEASE))
    assert r.status_code == 201
    assert "idempotent-replayed" not in _lower(r.headers)


def test_a_malformed_key_is_refused(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    r = client.http.put("/v1/leases/I-4", headers=_ik(key, "x" * 300), body=json.dumps(LEASE))
    assert r.status_code == 400
    assert json.loads(r.body)["field"] == "Idempotency-Key"
