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


def test_a_1000_item_bulk_call_with_a_key_is_kept_and_replayed(
    client: Client, settings: Settings
) -> None:
    """The answer (~1 MB) does not fit one DynamoDB item: its digest does (issue 13, item 6)."""
    import boto3

    org_id, key = _new_org(settings, ["erp"])
    leases = [LEASE | {"lease_id": f"B-{n:04d}"} for n in range(1000)]
    body = json.dumps({"leases": leases})
    idem = uuid.uuid4().hex
    first = client.http.post("/v1/leases/bulk", headers=_ik(key, idem), body=body)
    assert first.status_code == 200, first.body[:500]
    assert len(first.body) > 400 * 1024
    assert json.loads(first.body)["counts"] == {"created": 1000}
    again = client.http.post("/v1/leases/bulk", headers=_ik(key, idem), body=body)
    assert again.status_code == 200, again.body[:500]
    assert again.body == first.body  # the same answer: "created", not "updated"
    assert _lower(again.headers).get("idempotent-replayed") == "true"
    # every record of the idempotency table stays far below DynamoDB's 400 KB item limit
    ddb = boto3.client("dynamodb")
    items = ddb.scan(TableName=settings.idempotency_table)["Items"]
    assert items and max(len(json.dumps(i)) for i in items) < 64 * 1024
    # a key reused with another body is still refused
    other = json.dumps({"leases": leases[:999]})
    assert (
        client.http.post("/v1/leases/bulk", headers=_ik(key, idem), body=other).status_code == 422
    )
    assert org_id


def test_a_1000_item_rent_call_bulk_replayed_answers_the_same_without_posting_again(
    client: Client, settings: Settings
) -> None:
    """The replay of a 1,000-item ``/v1/rent-calls/bulk`` answers the first outcome
    ("created", not "exists") and posts nothing: each ledger holds its lines once."""
    _, key = _new_org(settings, ["erp"])
    leases = [LEASE | {"lease_id": f"R-{n:03d}"} for n in range(100)]
    r = client.http.post("/v1/leases/bulk", headers=_h(key), body=json.dumps({"leases": leases}))
    assert r.status_code == 200, r.body[:300]
    calls = [
        {
            "lease_id": f"R-{n % 100:03d}",
            "rent_call_id": f"RC-{n:04d}",
            "period": "2026-11",
            "due_date": "2026-11-05",
            "rent": "10.00",
        }
        for n in range(1000)
    ]
    body = json.dumps({"rent_calls": calls})
    idem = uuid.uuid4().hex
    first = client.http.post("/v1/rent-calls/bulk", headers=_ik(key, idem), body=body)
    assert first.status_code == 200, first.body[:500]
    assert json.loads(first.body)["counts"] == {"created": 1000}
    again = client.http.post("/v1/rent-calls/bulk", headers=_ik(key, idem), body=body)
    assert again.status_code == 200, again.body[:500]
    assert again.body == first.body
    assert _lower(again.headers).get("idempotent-replayed") == "true"
    for lease_id in ("R-000", "R-057", "R-099"):
        account = json.loads(
            client.http.get(f"/v1/leases/{lease_id}/account", headers=_h(key)).body
        )
        assert len(account["lines"]) == 10
        assert account["balance"] == "100.00"
    # without the key, the same call is run again and finds every line posted already
    plain = json.loads(client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=body).body)
    assert plain["counts"] == {"exists": 1000}


def test_a_kept_answer_that_went_missing_is_a_409_not_a_500(
    client: Client, settings: Settings
) -> None:
    import boto3

    org_id, key = _new_org(settings, ["erp"])
    leases = [LEASE | {"lease_id": f"G-{n:03d}"} for n in range(150)]
    body = json.dumps({"leases": leases})
    idem = uuid.uuid4().hex
    assert client.http.post("/v1/leases/bulk", headers=_ik(key, idem), body=body).status_code == 200
    s3 = boto3.client("s3")
    prefix = f"api-replays/{org_id}/"
    kept = s3.list_objects_v2(Bucket=settings.documents_bucket, Prefix=prefix)["Contents"]
    assert len(kept) == 1
    s3.put_object(Bucket=settings.documents_bucket, Key=kept[0]["Key"], Body=b'{"tampered": 1}')
    r = client.http.post("/v1/leases/bulk", headers=_ik(key, idem), body=body)
    assert r.status_code == 409
    assert "no longer available" in json.loads(r.body)["detail"]


def test_in_progress_answers_409_only_while_the_first_request_can_still_be_running(
    client: Client, settings: Settings
) -> None:
    from functions.adapters.idempotency import idempotency_store
    from functions.api.idempotency import fingerprint, idempotency_config

    org_id, key = _new_org(settings, ["erp"])
    assert client.http.put("/v1/leases/P-1", headers=_h(key), body=json.dumps(LEASE)).status_code
    store = idempotency_store(settings.idempotency_table)
    store.configure(idempotency_config(), key_prefix="api")

    def started(idem: str, body: str, remaining_ms: int) -> None:
        digest = fingerprint("POST", "/v1/rent-calls", None, body.encode())
        store.save_inprogress({"org_id": org_id, "key": idem, "fingerprint": digest}, remaining_ms)

    call = {"lease_id": "P-1", "period": "2026-02", "due_date": "2026-02-05", "rent": "412.30"}
    body = json.dumps(call)
    running, dead = uuid.uuid4().hex, uuid.uuid4().hex
    started(running, body, 60_000)  # a first request still within its time
    r = client.http.post("/v1/rent-calls", headers=_ik(key, running), body=body)
    assert r.status_code == 409 and "in progress" in json.loads(r.body)["detail"]
    started(dead, body, 0)  # a first request whose Lambda died: its time is over
    r = client.http.post("/v1/rent-calls", headers=_ik(key, dead), body=body)
    assert r.status_code == 201, r.body
