"""A key of one organisation never reads nor changes another's data, on any route.

Every route of the app (``app.routes``, so a new route is covered the day it is added)
is called with organisation B's key (every scope) and organisation A's identifiers.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from typing import Any

import pytest
from chalice.test import Client

from functions.adapters.dynamo import DynamoEntryRepository, DynamoTransactionRepository
from functions.adapters.settings import Settings
from functions.core.transactions import BankTransaction, TransactionKind, TransactionStatus
from tests.integration.test_api import LEASE, _h, _new_org
from tests.integration.test_erp_push import _entries

pytestmark = pytest.mark.integration

# Public by design: the portal's token route and the payment instructions printed on
# notices (no name, no balance); the health check and the OpenAPI description; a consent
# campaign's one-tap link (its signed token is the credential).
PUBLIC = {
    "/v1/health",
    "/v1/openapi.json",
    "/v1/tenant/account",
    "/v1/pay/{rf_reference}",
    "/v1/tenant/consent-campaign",
}

BODIES: dict[str, Any] = {
    "/v1/leases/{lease_id}": LEASE | {"rent": "1.00"},
    "/v1/rent-calls": {"period": "2026-02", "due_date": "2026-02-05", "rent": "9999.00"},
    "/v1/entries/ack": {},
    "/v1/review/{transaction_id}/allocate": {"allocations": [{}]},
    "/v1/review/{transaction_id}/not-rent": {"by": "intrus", "note": "test"},
    "/v1/allocations/{transaction_id}/undo": {"by": "intrus", "note": "test"},
    "/v1/uploads": {"file_name": "x.xml"},
    "/v1/leases/{lease_id}/quittances": {"period": "2026-01"},
    "/v1/leases/{lease_id}/consent": {"e_delivery": False, "source": "staff", "channel": "email"},
    "/v1/documents/consent-campaign": {"campaign_id": "intrus-1"},
}


def _review_transaction(settings: Settings, org_id: str) -> str:
    tx_id = f"tx_{uuid.uuid4().hex}"
    DynamoTransactionRepository(settings.transactions_table).add_new(
        [
            BankTransaction(
                org_id, tx_id, TransactionKind.CREDIT, 47_350, "EUR", date(2026, 1, 6),
                date(2026, 1, 6), "FR7630004008210000420001774", "st-1", "REF-1", None,
                "ZOE LEFEVRE", "FR7610107001011234567890129", None, "E2E-1", None,
                "LOYER JANVIER", None, None, None, False, "file-1", TransactionStatus.REVIEW,
            )
        ]
    )  # fmt: skip
    return tx_id


def test_every_route_refuses_another_organisations_data(client: Client, settings: Settings) -> None:
    from functions.api.app import app

    org_a, key_a = _new_org(settings, ["erp", "backoffice"])
    _, key_b = _new_org(settings, ["erp", "backoffice"])
    r = client.http.put("/v1/leases/SECRET-1", headers=_h(key_a), body=json.dumps(LEASE))
    lease_a = json.loads(r.body)
    call = {"lease_id": "SECRET-1", "period": "2026-01", "due_date": "2026-01-05", "rent": "473.50"}
    assert (
        client.http.post("/v1/rent-calls", headers=_h(key_a), body=json.dumps(call)).status_code
        == 201
    )
    entry_ids = _entries(settings, org_a, 2)
    tx_id = _review_transaction(settings, org_a)
    account_before = client.http.get("/v1/leases/SECRET-1/account", headers=_h(key_a)).body
    docs = client.http.get("/v1/leases/SECRET-1/documents", headers=_h(key_a)).body
    notice_a = json.loads(docs)["items"][0]["document_id"]
    consent_before = client.http.get("/v1/leases/SECRET-1/consent", headers=_h(key_a)).body

    params = {
        "lease_id": "SECRET-1",
        "transaction_id": tx_id,
        "rf_reference": lease_a["rf_reference"],
        "org_id": org_a,
        "document_id": notice_a,
    }
    secrets = [lease_a["viban"], lease_a["rf_reference"], "LEFÈVRE", tx_id, *entry_ids]
    BODIES["/v1/entries/ack"] = {"entry_ids": entry_ids}
    BODIES["/v1/rent-calls"] |= {"lease_id": "SECRET-1"}
    BODIES["/v1/review/{transaction_id}/allocate"] = {
        "allocations": [{"lease_id": "SECRET-1", "amount": "473.50"}]
    }

    calls = [
        (method, path)
        for path, methods in app.routes.items()
        for method in methods
        if path not in PUBLIC and method != "OPTIONS"
    ]
    # reads first: B's own writes (a lease B names SECRET-1 is B's) come after
    calls.sort(key=lambda c: c[0] != "GET")
    checked = []
    for method, path in calls:
        concrete = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)
        raw = BODIES.get(path, {})
        body = json.dumps(raw, ensure_ascii=False) if method in {"POST", "PUT"} else None
        r = client.http.request(method, concrete, headers=_h(key_b), body=body or b"")
        text = r.body.decode(errors="replace")
        # an id the caller sent may be echoed in an error; nothing else of A's may show
        sent = concrete + (body or "")
        leaked = [s for s in secrets if s in text and s not in sent]
        assert not leaked, f"{method} {path} → {r.status_code} shows A's {leaked}: {text[:300]}"
        assert r.status_code < 500, f"{method} {path} → {r.status_code}: {text[:300]}"
        if path.startswith("/v1/organisations"):  # operator scope only: B's keys lack it
            assert r.status_code == 403, f"{method} {path} → {r.status_code}: {text[:300]}"
        elif method == "GET" and "{" in path:
            assert r.status_code == 404, f"{method} {path} → {r.status_code}: {text[:300]}"
        checked.append((method, path, r.status_code))

    assert len(checked) >= 15
    # nothing of A changed: its account, its pending entries, its transaction
    assert client.http.get("/v1/leases/SECRET-1/account", headers=_h(key_a)).body == account_before
    pending, _ = DynamoEntryRepository(settings.entries_table).list_pending(org_a, None, 10)
    assert [e.entry_id for e in pending] == entry_ids
    record = DynamoTransactionRepository(settings.transactions_table).get(org_a, tx_id)
    assert record.status.value == "review"
    assert client.http.get("/v1/leases/SECRET-1/consent", headers=_h(key_a)).body == consent_before
    lease = json.loads(client.http.get("/v1/leases/SECRET-1", headers=_h(key_a)).body)
    assert lease["rent"] == "412.30"
