"""Hostile input at the API: amounts, body size and depth, cursors (issue 9, items 5 and 6)."""

from __future__ import annotations

import base64
import json

import pytest
from chalice.test import Client

from functions.adapters.settings import Settings
from tests.integration.test_api import LEASE, _h, _new_org

pytestmark = pytest.mark.integration


def _problem(r: object, status: int = 400) -> dict[str, object]:
    assert r.status_code == status, r.body  # type: ignore[attr-defined]
    headers = {k.lower(): v for k, v in r.headers.items()}  # type: ignore[attr-defined]
    assert headers["content-type"] == "application/problem+json"
    body: dict[str, object] = json.loads(r.body)  # type: ignore[attr-defined]
    return body


@pytest.mark.parametrize(
    "rent", ["1e6", "1E2", "99999999999999999999999.99", "9" * 400, "12.345", 12.5, "-1"]
)
def test_a_rent_that_is_not_a_plain_bounded_decimal_is_refused(
    client: Client, settings: Settings, rent: object
) -> None:
    _, key = _new_org(settings, ["erp"])
    r = client.http.put("/v1/leases/M-1", headers=_h(key), body=json.dumps(LEASE | {"rent": rent}))
    assert _problem(r)["field"] == "rent"
    call = {"lease_id": "M-1", "period": "2026-01", "due_date": "2026-01-05", "rent": rent}
    r = client.http.post("/v1/rent-calls", headers=_h(key), body=json.dumps(call))
    assert _problem(r)["field"] in {"rent", "lease_id"}


def test_a_400_digit_json_number_is_a_400_not_a_500(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    body = json.dumps(LEASE).replace('"412.30"', "9" * 400)
    r = client.http.put("/v1/leases/M-2", headers=_h(key), body=body)
    assert _problem(r)["field"] == "rent"


def test_adjustment_and_allocation_amounts_are_bounded(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp", "backoffice"])
    assert client.http.put("/v1/leases/M-3", headers=_h(key), body=json.dumps(LEASE)).status_code
    op = {"amount": "-1e3", "date": "2026-01-01", "reference": "AV-1"}
    r = client.http.post("/v1/leases/M-3/adjustments", headers=_h(key), body=json.dumps(op))
    assert _problem(r)["field"] == "amount"
    op["amount"] = "-99999999.00"
    r = client.http.post("/v1/leases/M-3/adjustments", headers=_h(key), body=json.dumps(op))
    assert "out of range" in str(_problem(r)["detail"])
    op["amount"] = "-12.50"
    r = client.http.post("/v1/leases/M-3/adjustments", headers=_h(key), body=json.dumps(op))
    assert r.status_code in (200, 201), r.body
    split = {"allocations": [{"lease_id": "M-3", "amount": "1E2"}]}
    r = client.http.post("/v1/review/tx_nope/allocate", headers=_h(key), body=json.dumps(split))
    assert _problem(r)["field"] == "allocations[0].amount"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/v1/leases/D-1"),
        ("post", "/v1/leases/bulk"),
        ("post", "/v1/rent-calls"),
        ("post", "/v1/entries/ack"),
        ("post", "/v1/review/tx_1/allocate"),
    ],
)
def test_a_deeply_nested_body_is_a_400_on_every_write_route(
    client: Client, settings: Settings, method: str, path: str
) -> None:
    _, key = _new_org(settings, ["erp", "backoffice"])
    deep = "[" * 100_000 + "]" * 100_000
    r = getattr(client.http, method)(path, headers=_h(key), body=deep)
    assert _problem(r)["field"] == "body"
    # also behind an Idempotency-Key, whose fingerprint reads the body first
    headers = _h(key) | {"Idempotency-Key": "deep-1"}
    r = getattr(client.http, method)(path, headers=headers, body='{"a":' * 50_000 + "1")
    assert _problem(r)["field"] == "body"


def test_an_oversized_body_is_a_413(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    body = json.dumps({"leases": [], "pad": "x" * (6 * 1024 * 1024)})
    r = client.http.post("/v1/leases/bulk", headers=_h(key), body=body)
    assert _problem(r, 413)["field"] == "body"


def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _b64({"org_id": {"S": "x"}}),
        _b64({"v": 1, "s": "", "k": {"org_id": {"S": "x"}}}),
        _b64({"v": 1, "s": "", "k": {"org_id": "x", "lease_id": "L"}}),
        _b64([1, 2]),
        _b64("[" * 1500),
        base64.urlsafe_b64encode(b"[" * 1500).decode(),
        "%%%",
        "A" * 5000,
    ],
)
def test_forged_or_garbled_cursors_are_400(client: Client, settings: Settings, cursor: str) -> None:
    _, key = _new_org(settings, ["erp", "backoffice"])
    for path in ("/v1/leases", "/v1/transactions", "/v1/files", "/v1/allocations", "/v1/review"):
        r = client.http.get(f"{path}?after={cursor}", headers=_h(key))
        assert _problem(r)["field"] in {"cursor", "after"}, path


def test_a_cursor_is_bound_to_its_organisation_and_listing(
    client: Client, settings: Settings
) -> None:
    _, key = _new_org(settings, ["erp", "backoffice"])
    _, other = _new_org(settings, ["erp", "backoffice"])
    for n in range(3):
        client.http.put(f"/v1/leases/C-{n}", headers=_h(key), body=json.dumps(LEASE))
        client.http.put(f"/v1/leases/C-{n}", headers=_h(other), body=json.dumps(LEASE))
    page = json.loads(client.http.get("/v1/leases?limit=1", headers=_h(key)).body)
    cursor = page["next_cursor"]
    assert cursor
    r = client.http.get(f"/v1/leases?limit=1&after={cursor}", headers=_h(key))
    assert r.status_code == 200
    r = client.http.get(f"/v1/leases?limit=1&after={cursor}", headers=_h(other))
    assert _problem(r)["field"] == "cursor"
    r = client.http.get(f"/v1/transactions?after={cursor}", headers=_h(key))
    assert _problem(r)["field"] == "cursor"


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_every_answer_has_security_headers_and_is_not_cached(
    client: Client, settings: Settings
) -> None:
    _, key = _new_org(settings, ["erp"])
    for r in (
        client.http.put("/v1/leases/H-1", headers=_h(key), body=json.dumps(LEASE)),
        client.http.get("/v1/leases/H-1", headers=_h(key)),
        client.http.get("/v1/leases/H-404", headers=_h(key)),
        client.http.get("/v1/leases", headers={}),
        client.http.get("/v1/health"),
    ):
        headers = _lower(r.headers)
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")


def test_cors_answers_the_portal_origin_only(client: Client, settings: Settings) -> None:
    from functions.api.headers import origin_of

    portal = origin_of(settings.portal_base_url)
    assert portal
    r = client.http.get("/v1/health", headers={"Origin": portal})
    assert _lower(r.headers)["access-control-allow-origin"] == portal
    r = client.http.get("/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in _lower(r.headers)
    assert _lower(r.headers)["vary"] == "Origin"


def test_the_local_portal_sends_the_cloudfront_headers() -> None:
    import re
    import urllib.request

    from functions.api.headers import PORTAL_CSP
    from infra.local.servers import PORTAL_DIR, portal_server

    for page in PORTAL_DIR.glob("*.html"):  # the CSP forbids inline script: there is none
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), page
        assert "javascript:" not in text.lower(), page
    server = portal_server("127.0.0.1", 0)
    server.start()
    try:
        for path in ("/", "/app.js"):
            url = f"http://127.0.0.1:{server.port}{path}"
            with urllib.request.urlopen(url, timeout=10) as resp:
                headers = _lower(dict(resp.headers))
            assert headers["content-security-policy"] == PORTAL_CSP
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["x-frame-options"] == "DENY"
            assert headers["strict-transport-security"].startswith("max-age=")
    finally:
        server.stop()
