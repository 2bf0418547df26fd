"""The HTTP API on the embedded emulator, through Chalice's test client."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest
from chalice.test import Client

from functions.adapters.dynamo import DynamoApiKeyRepository, DynamoOrganisationRepository
from functions.adapters.settings import Settings
from functions.api.auth import hash_key, new_key
from functions.bootstrap import build_org_secrets
from functions.core.organisation import Organisation
from functions.core.rf import is_valid_rf
from functions.core.viban import VirtualIbanRange, normalize_iban

pytestmark = pytest.mark.integration

LEASE = {
    "tenants": [{"name": "Zoé LEFÈVRE", "email": "zoe@example.fr"}, {"name": "Noël N'DIAYE"}],
    "residence": "Les Tilleuls",
    "commune": "Orléans",
    "unit": "Bât. A, apt 12",
    "start_date": "2024-03-01",
    "rent": "412.30",
    "charges": "61.20",
    "apl": "120.00",
    "payment_method": "transfer",
    "e_delivery_consent": True,
}


# Each organisation of the session its own vIBAN range: two taking the first 4 digits of
# a random number shared one once (1694), and the test that checks two organisations'
# leases never share a vIBAN failed.
_ACCOUNT_PREFIXES = iter(random.sample(range(1000, 10_000), 9000))


def _new_org(settings: Settings, scopes: list[str]) -> tuple[str, str]:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    org = Organisation(
        org_id,
        "Office Public de l'Habitat",
        "FR7630004008210000420001774",
        VirtualIbanRange("30004", "00821", str(next(_ACCOUNT_PREFIXES)), bic="BNPAFRPPXXX"),
    )
    org = build_org_secrets(settings).provision(org)
    DynamoOrganisationRepository(settings.organisations_table).put(org)
    key = new_key()
    DynamoApiKeyRepository(settings.api_keys_table).put(hash_key(key), org_id, scopes, "test")
    return org_id, key


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def test_new_lease_gets_a_viban_and_rf_reference(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    r = client.http.put("/v1/leases/B-001", headers=_h(key), body=json.dumps(LEASE))
    assert r.status_code == 201, r.body
    lease = json.loads(r.body)
    assert normalize_iban(lease["viban"]) == lease["viban"]
    assert is_valid_rf(lease["rf_reference"])
    assert lease["tenants"][0]["name"] == "Zoé LEFÈVRE"
    # an update keeps the vIBAN
    r2 = client.http.put(
        "/v1/leases/B-001", headers=_h(key), body=json.dumps(LEASE | {"rent": "420.00"})
    )
    assert r2.status_code == 200
    assert json.loads(r2.body)["viban"] == lease["viban"]
    assert json.loads(r2.body)["rent"] == "420.00"
    # a second lease gets another one
    r3 = client.http.put("/v1/leases/B-002", headers=_h(key), body=json.dumps(LEASE))
    assert json.loads(r3.body)["viban"] != lease["viban"]


def test_rent_call_debits_the_account_once(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    client.http.put("/v1/leases/B-001", headers=_h(key), body=json.dumps(LEASE))
    call = {
        "lease_id": "B-001",
        "period": "2026-11",
        "due_date": "2026-11-05",
        "rent": "412.30",
        "charges": "61.20",
        "apl": "120.00",
    }
    r = client.http.post("/v1/rent-calls", headers=_h(key), body=json.dumps(call))
    assert r.status_code == 201 and json.loads(r.body)["amount"] == "353.50"
    again = client.http.post("/v1/rent-calls", headers=_h(key), body=json.dumps(call))
    assert again.status_code == 200 and json.loads(again.body)["created"] is False
    account = json.loads(client.http.get("/v1/leases/B-001/account", headers=_h(key)).body)
    assert account["balance"] == "353.50"
    assert [(x["kind"], x["debit"]) for x in account["lines"]] == [("rent_call", "353.50")]


def test_an_account_is_one_read_of_its_lines_and_an_unknown_lease_is_404(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account page reads the lease's lines only (issue 12: its p95 under load); the
    lease itself is read when there is no line, to answer 404 for an unknown lease."""
    from functions.api.http import deps

    org_id, key = _new_org(settings, ["erp"])
    client.http.put("/v1/leases/C-1", headers=_h(key), body=json.dumps(LEASE))
    client.http.put("/v1/leases/C-2", headers=_h(key), body=json.dumps(LEASE))
    for n, rent in ((1, "400.00"), (2, "10.50")):
        call = {"lease_id": "C-1", "period": f"2026-0{n}", "due_date": f"2026-0{n}-05"}
        r = client.http.post(
            "/v1/rent-calls", headers=_h(key), body=json.dumps(call | {"rent": rent})
        )
        assert r.status_code == 201
    reads: list[str] = []
    real_get = deps.leases.get

    def counted_get(org: str, lease_id: str) -> Any:
        reads.append(lease_id)
        return real_get(org, lease_id)

    monkeypatch.setattr(deps.leases, "get", counted_get)
    account = json.loads(client.http.get("/v1/leases/C-1/account", headers=_h(key)).body)
    assert account["balance"] == "410.50" == account["lines"][-1]["balance"]
    assert real_get(org_id, "C-1").balance_cents == 41050  # the lease's cached balance
    assert reads == []
    empty = json.loads(client.http.get("/v1/leases/C-2/account", headers=_h(key)).body)
    assert empty == {"lease_id": "C-2", "balance": "0.00", "lines": []}
    assert client.http.get("/v1/leases/C-3/account", headers=_h(key)).status_code == 404
    assert reads == ["C-2", "C-3"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**LEASE, "rent": "12.345"}, "rent"),
        ({**LEASE, "tenants": []}, "tenants"),
        ({**LEASE, "start_date": "2024-13-01"}, "start_date"),
        ({**LEASE, "end_date": "2020-01-01"}, "end_date"),
        ({**LEASE, "payment_method": "bitcoin"}, "payment_method"),
        ({k: v for k, v in LEASE.items() if k != "residence"}, "residence"),
    ],
)
def test_bad_lease_names_the_field(
    client: Client, settings: Settings, body: dict[str, Any], field: str
) -> None:
    _, key = _new_org(settings, ["erp"])
    r = client.http.put("/v1/leases/B-9", headers=_h(key), body=json.dumps(body))
    assert r.status_code == 400
    assert r.headers["Content-Type"] == "application/problem+json"
    assert json.loads(r.body)["field"] == field
    assert client.http.get("/v1/leases/B-9", headers=_h(key)).status_code == 404


def test_authentication_and_scopes(client: Client, settings: Settings) -> None:
    assert client.http.get("/v1/entries").status_code == 401
    assert client.http.get("/v1/entries", headers=_h("enc_nope")).status_code == 401
    _, erp_key = _new_org(settings, ["erp"])
    assert client.http.get("/v1/entries", headers=_h(erp_key)).status_code == 200
    assert client.http.get("/v1/transactions", headers=_h(erp_key)).status_code == 403
    assert client.http.get("/v1/health").status_code == 200
    spec = json.loads(client.http.get("/v1/openapi.json").body)
    assert spec["openapi"].startswith("3.")


def test_another_organisations_data_is_never_visible(client: Client, settings: Settings) -> None:
    _, key_a = _new_org(settings, ["erp", "backoffice"])
    _, key_b = _new_org(settings, ["erp", "backoffice"])
    client.http.put("/v1/leases/SHARED-ID", headers=_h(key_a), body=json.dumps(LEASE))
    assert client.http.get("/v1/leases/SHARED-ID", headers=_h(key_b)).status_code == 404
    assert client.http.get("/v1/leases/SHARED-ID/account", headers=_h(key_b)).status_code == 404
    assert json.loads(client.http.get("/v1/leases", headers=_h(key_b)).body)["items"] == []
    call = {"lease_id": "SHARED-ID", "period": "2026-11", "due_date": "2026-11-05", "rent": "1"}
    assert (
        client.http.post("/v1/rent-calls", headers=_h(key_b), body=json.dumps(call)).status_code
        == 404
    )
    # B creating its own lease with the same id does not touch A's
    r = client.http.put("/v1/leases/SHARED-ID", headers=_h(key_b), body=json.dumps(LEASE))
    assert r.status_code == 201
    a = json.loads(client.http.get("/v1/leases/SHARED-ID", headers=_h(key_a)).body)
    assert a["viban"] != json.loads(r.body)["viban"]


def test_pagination_cursor(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    for n in range(5):
        client.http.put(f"/v1/leases/P-{n}", headers=_h(key), body=json.dumps(LEASE))
    seen: list[str] = []
    cursor = None
    while True:
        q = "?limit=2" + (f"&after={cursor}" if cursor else "")
        page = json.loads(client.http.get(f"/v1/leases{q}", headers=_h(key)).body)
        seen += [x["lease_id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"P-{n}" for n in range(5)]
    bad = client.http.get("/v1/leases?after=%%%", headers=_h(key))
    assert bad.status_code == 400 and json.loads(bad.body)["field"] == "cursor"


def test_tenant_link_opens_the_account_and_nothing_else(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp", "backoffice"])
    lease = json.loads(
        client.http.put("/v1/leases/T-1", headers=_h(key), body=json.dumps(LEASE)).body
    )
    call = {
        "lease_id": "T-1",
        "period": "2026-11",
        "due_date": "2026-11-05",
        "rent": "412.30",
        "charges": "61.20",
        "apl": "120.00",
    }
    client.http.post("/v1/rent-calls", headers=_h(key), body=json.dumps(call))
    link = json.loads(
        client.http.post("/v1/leases/T-1/tenant-link", headers=_h(key), body="{}").body
    )
    token = link["token"]
    assert link["url"].endswith(f"#t={token}")
    r = client.http.get("/v1/tenant/account", headers={"Authorization": f"Tenant {token}"})
    assert r.status_code == 200, r.body
    acc = json.loads(r.body)
    assert acc["balance"] == "353.50" and acc["tenants"] == ["Zoé LEFÈVRE", "Noël N'DIAYE"]
    assert acc["pay"]["iban"] == lease["viban"] and acc["pay"]["amount"] == "353.50"
    # EPC069-12 lines: service tag, version, UTF-8, SCT, BIC, name, IBAN, amount, purpose, RF
    epc = acc["pay"]["epc_payload"].split("\n")
    assert epc[:4] == ["BCD", "002", "1", "SCT"] and epc[6] == lease["viban"]
    assert epc[7] == "EUR353.50" and epc[9] == lease["rf_reference"]
    assert [h["kind"] for h in acc["history"]] == ["rent_call"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    bad = client.http.get("/v1/tenant/account", headers={"Authorization": f"Tenant {tampered}"})
    assert bad.status_code == 401
    assert client.http.get("/v1/tenant/account").status_code == 401
    # the public payment page knows the reference, never the balance or the tenant
    pay = json.loads(client.http.get(f"/v1/pay/{lease['rf_reference']}").body)
    assert pay["iban"] == lease["viban"] and pay["amount"] is None
    assert "balance" not in pay and "tenants" not in pay
    assert client.http.get("/v1/pay/RF00NOPE").status_code == 400


def test_bulk_leases_and_rent_calls(client: Client, settings: Settings) -> None:
    _, key = _new_org(settings, ["erp"])
    client.http.put("/v1/leases/K-0", headers=_h(key), body=json.dumps(LEASE))
    before = json.loads(client.http.get("/v1/leases/K-0", headers=_h(key)).body)["viban"]
    leases = [LEASE | {"lease_id": f"K-{n}"} for n in range(4)]
    leases.append(LEASE | {"lease_id": "K-bad", "rent": "abc"})
    leases.append(LEASE | {"lease_id": "K-1"})  # twice in one call
    r = client.http.post("/v1/leases/bulk", headers=_h(key), body=json.dumps({"leases": leases}))
    assert r.status_code == 200, r.body
    out = json.loads(r.body)
    assert [i["status"] for i in out["items"]] == [
        "updated",
        "created",
        "created",
        "created",
        "error",
        "error",
    ]
    assert out["items"][4]["error"]["field"] == "rent"
    assert out["items"][5]["error"]["field"] == "lease_id"
    assert out["items"][0]["lease"]["viban"] == before  # an update keeps the vIBAN
    vibans = {i["lease"]["viban"] for i in out["items"][:4]}
    assert len(vibans) == 4
    assert client.http.get("/v1/leases/K-bad", headers=_h(key)).status_code == 404

    call = {"period": "2026-11", "due_date": "2026-11-05", "rent": "412.30", "charges": "61.20"}
    calls = [call | {"lease_id": f"K-{n}"} for n in range(4)]
    calls += [call | {"lease_id": "K-404"}, call | {"lease_id": "K-0", "period": "2026-13"}]
    body = json.dumps({"rent_calls": calls})
    r = client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=body)
    out = json.loads(r.body)
    assert [i["status"] for i in out["items"]] == [
        "created",
        "created",
        "created",
        "created",
        "error",
        "error",
    ]
    assert out["items"][5]["error"]["field"] == "period"
    again = json.loads(client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=body).body)
    assert again["counts"] == {"exists": 4, "error": 2}
    account = json.loads(client.http.get("/v1/leases/K-2/account", headers=_h(key)).body)
    assert account["balance"] == "473.50" and len(account["lines"]) == 1
    too_many = json.dumps({"rent_calls": [call] * 1001})
    r = client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=too_many)
    assert r.status_code == 400 and json.loads(r.body)["field"] == "rent_calls"
