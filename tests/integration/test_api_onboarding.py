"""Onboarding a landlord through the API: organisations (operator scope), lease fields
(mandate, payer IBANs, household, aid, external id), opening balances and adjustments."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from chalice.test import Client

from functions.adapters.dynamo import DynamoApiKeyRepository, DynamoEntryRepository
from functions.adapters.settings import Settings
from functions.api.auth import hash_key, new_key
from functions.core.sepa import ics_check_digits
from functions.core.viban import VirtualIbanRange
from functions.organisations.service import OPERATOR_ORG

pytestmark = pytest.mark.integration

ICS = f"FR{ics_check_digits('FR', 'ABC123')}ZZZABC123"
GENERIC_IBAN = VirtualIbanRange("30004", "00821", "00").iban_for(4_200_017)


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


@pytest.fixture
def operator(settings: Settings) -> str:
    key = new_key()
    DynamoApiKeyRepository(settings.api_keys_table).put(
        hash_key(key), OPERATOR_ORG, ["operator"], "test operator"
    )
    return key


def _org_body(org_id: str) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "name": "OPH du Midi",
        "siren": "276400016",
        "address": {"lines": ["12 rue des Arts"], "postcode": "34000", "city": "Montpellier"},
        "branding": {"primary_colour": "#004488", "contact_email": "contact@oph-midi.fr"},
        "viban_range": {
            "bank_code": "30004",
            "branch_code": "00821",
            "account_prefix": str(uuid.uuid4().int)[:4],
            "bic": "BNPAFRPPXXX",
        },
        "collection_iban": GENERIC_IBAN,
        "ics": ICS,
        "accounting": {"journal": "BQ1", "tenants": "411100"},
        "erp": {"format": "csv"},
        "dunning": {"threshold": "15.00", "grace_days": 3},
        "household_split": "pro_rata",
    }


def _create_org(client: Client, operator: str) -> tuple[str, str]:
    org_id = f"oph-{uuid.uuid4().hex[:8]}"
    r = client.http.post(
        "/v1/organisations", headers=_h(operator), body=json.dumps(_org_body(org_id))
    )
    assert r.status_code == 201, r.body
    return org_id, json.loads(r.body)["api_key"]["key"]


def test_an_operator_creates_reads_and_updates_an_organisation(
    client: Client, operator: str
) -> None:
    org_id = f"oph-{uuid.uuid4().hex[:8]}"
    r = client.http.post(
        "/v1/organisations", headers=_h(operator), body=json.dumps(_org_body(org_id))
    )
    assert r.status_code == 201, r.body
    created = json.loads(r.body)
    assert created["ics"] == ICS
    assert created["accounting"]["journal"] == "BQ1"
    assert created["accounting"]["suspense"] == "471000"  # defaults kept
    assert created["dunning"]["threshold"] == "15.00"
    assert created["erp"]["webhook_secret"]
    key = created["api_key"]["key"]
    assert set(created["api_key"]["scopes"]) == {"erp", "backoffice"}

    # the new organisation's key works at once; it cannot administer organisations
    lease = {
        "tenants": [{"name": "A B"}],
        "residence": "R",
        "commune": "C",
        "unit": "1",
        "start_date": "2026-01-01",
        "rent": "400.00",
    }
    assert (
        client.http.put("/v1/leases/L1", headers=_h(key), body=json.dumps(lease)).status_code == 201
    )
    assert client.http.get(f"/v1/organisations/{org_id}", headers=_h(key)).status_code == 403

    got = json.loads(client.http.get(f"/v1/organisations/{org_id}", headers=_h(operator)).body)
    assert "webhook_secret" not in got["erp"] and "api_key" not in got
    assert got["viban_range"]["bic"] == "BNPAFRPPXXX"

    patch = {
        "name": "OPH du Midi (nouveau nom)",
        "erp": {"webhook_url": "https://erp.example/hook"},
        "branding": {"logo": None, "accent_colour": "#AA0000"},
    }
    r = client.http.patch(
        f"/v1/organisations/{org_id}", headers=_h(operator), body=json.dumps(patch)
    )
    assert r.status_code == 200, r.body
    updated = json.loads(r.body)
    assert updated["name"] == "OPH du Midi (nouveau nom)"
    assert updated["erp"] == {"format": "csv", "webhook_url": "https://erp.example/hook"}
    assert updated["branding"]["accent_colour"] == "#aa0000"
    assert updated["ics"] == ICS  # untouched fields stay

    # the same id again is a conflict, with or without an Idempotency-Key (a key shown
    # once is never stored for a replay)
    again = _h(operator) | {"Idempotency-Key": "create-1"}
    for _ in range(2):
        r = client.http.post("/v1/organisations", headers=again, body=json.dumps(_org_body(org_id)))
        assert r.status_code == 409 and key not in r.body.decode()

    # the vIBAN range cannot move (issued vIBANs stay valid); its BIC can be corrected
    moved = {"viban_range": {"account_prefix": "8"}}
    r = client.http.patch(
        f"/v1/organisations/{org_id}", headers=_h(operator), body=json.dumps(moved)
    )
    assert r.status_code == 409
    bic = {"viban_range": {"bic": "CEPAFRPP"}}
    r = client.http.patch(f"/v1/organisations/{org_id}", headers=_h(operator), body=json.dumps(bic))
    assert r.status_code == 200 and json.loads(r.body)["viban_range"]["bic"] == "CEPAFRPP"

    # another key for the organisation, shown once
    r = client.http.post(f"/v1/organisations/{org_id}/api-keys", headers=_h(operator),
                         body=json.dumps({"scopes": ["backoffice"], "label": "tréso"}))  # fmt: skip
    assert r.status_code == 201, r.body
    other = json.loads(r.body)["key"]
    assert client.http.get("/v1/transactions", headers=_h(other)).status_code == 200
    assert client.http.get("/v1/entries", headers=_h(other)).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"collection_iban": "FR7630004008210000420001775"}, "collection_iban"),
        ({"ics": "FR00ZZZABC123"}, "ics"),
        (
            {"viban_range": {"bank_code": "3000", "branch_code": "00821", "account_prefix": "9"}},
            "viban_range.bank_code",
        ),
        (
            {
                "viban_range": {
                    "bank_code": "30004",
                    "branch_code": "00821",
                    "account_prefix": "9",
                    "bic": "NOTABIC",
                }
            },
            "viban_range.bic",
        ),
        ({"accounting": {"bank": "512 000"}}, "accounting.bank"),
        ({"erp": {"format": "xml"}}, "erp.format"),
        ({"dunning": {"grace_days": -1}}, "dunning.grace_days"),
        ({"branding": {"primary_colour": "blue"}}, "branding.primary_colour"),
        ({"address": {"lines": ["x"], "postcode": "123", "city": "Y"}}, "address"),
        ({"household_split": "random"}, "household_split"),
        ({"siren": "12"}, "siren"),
        ({"colour": "#000000"}, "colour"),
    ],
)
def test_bad_organisation_settings_name_their_field(
    client: Client, operator: str, change: dict[str, Any], field: str
) -> None:
    body = _org_body(f"oph-{uuid.uuid4().hex[:8]}") | change
    r = client.http.post("/v1/organisations", headers=_h(operator), body=json.dumps(body))
    assert r.status_code == 400, r.body
    assert json.loads(r.body)["field"] == field


def test_organisation_admin_needs_the_operator_scope(client: Client, settings: Settings) -> None:
    key = new_key()
    DynamoApiKeyRepository(settings.api_keys_table).put(
        hash_key(key), "org-x", ["erp", "backoffice"], "t"
    )
    r = client.http.post("/v1/organisations", headers=_h(key), body=json.dumps(_org_body("oph-y")))
    assert r.status_code == 403


LEASE = {
    "tenants": [{"name": "Fatima BENALI"}],
    "residence": "Les Oliviers",
    "commune": "Montpellier",
    "unit": "B12",
    "start_date": "2019-05-01",
    "rent": "420.00",
    "charges": "80.00",
    "aid_paid_to_landlord": "150.00",
    "payment_method": "direct_debit",
    "mandate": {
        "rum": "RUM-0010666-02",
        "signed_on": "2019-04-20",
        "debtor_iban": "FR76 3000 6000 0112 3456 7890 189",
        "debtor_name": "BENALI FATIMA",
        "sequence": "RCUR",
    },
    "payer_ibans": ["DE89370400440532013000"],
    "household_id": "H-0010666",
    "external_id": "0010666/02",
}


def test_lease_fields_from_the_erp_are_kept(client: Client, operator: str) -> None:
    _, key = _create_org(client, operator)
    r = client.http.put("/v1/leases/0010666-02", headers=_h(key), body=json.dumps(LEASE))
    assert r.status_code == 201, r.body
    lease = json.loads(r.body)
    assert lease["mandate"]["debtor_iban"] == "FR7630006000011234567890189"
    assert lease["mandate_id"] == "RUM-0010666-02"
    assert lease["payer_ibans"] == ["DE89370400440532013000"]
    assert lease["household_id"] == "H-0010666"
    assert lease["external_id"] == "0010666/02"
    assert lease["aid_paid_to_landlord"] == lease["apl"] == "150.00"
    # an update merges the ERP's payer history with what was known, and keeps the rest
    again = LEASE | {"payer_ibans": ["FR7630006000011234567890189"]}
    r = client.http.put("/v1/leases/0010666-02", headers=_h(key), body=json.dumps(again))
    assert json.loads(r.body)["payer_ibans"] == [
        "DE89370400440532013000",
        "FR7630006000011234567890189",
    ]
    found = client.http.get("/v1/leases?external_id=0010666%2F02", headers=_h(key))
    assert [x["lease_id"] for x in json.loads(found.body)["items"]] == ["0010666-02"]
    none = client.http.get("/v1/leases?external_id=0010666%2F03", headers=_h(key))
    assert json.loads(none.body)["items"] == []
    stored = json.loads(client.http.get("/v1/leases/0010666-02", headers=_h(key)).body)
    assert stored["payer_ibans"] == json.loads(r.body)["payer_ibans"]
    assert stored["mandate"]["rum"] == "RUM-0010666-02"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"mandate": {**LEASE["mandate"], "debtor_iban": "FR7630006000011234567890188"}},
            "mandate.debtor_iban",
        ),
        ({"mandate": {**LEASE["mandate"], "sequence": "XXXX"}}, "mandate.sequence"),
        ({"mandate": {**LEASE["mandate"], "signed_on": "2019-13-01"}}, "mandate.signed_on"),
        ({"payer_ibans": ["FR00"]}, "payer_ibans[0]"),
        ({"household_id": "a b"}, "household_id"),
        ({"external_id": "x\n"}, "external_id"),
        ({"aid_paid_to_landlord": "-3.00"}, "aid_paid_to_landlord"),
    ],
)
def test_bad_lease_fields_name_their_field(
    client: Client, operator: str, change: dict[str, Any], field: str
) -> None:
    _, key = _create_org(client, operator)
    r = client.http.put("/v1/leases/L-1", headers=_h(key), body=json.dumps(LEASE | change))
    assert r.status_code == 400, r.body
    assert json.loads(r.body)["field"] == field


def test_opening_balances_and_adjustments_move_the_balance_once_with_entries(
    client: Client, operator: str, settings: Settings
) -> None:
    org_id, key = _create_org(client, operator)
    for lease_id in ("A-1", "A-2"):
        client.http.put(f"/v1/leases/{lease_id}", headers=_h(key), body=json.dumps(LEASE))
    debt = {"amount": "1234.56", "date": "2026-11-30", "reference": "SOLDE/2026/A-1"}
    r = client.http.post("/v1/leases/A-1/opening-balance", headers=_h(key), body=json.dumps(debt))
    assert r.status_code == 201, r.body
    assert json.loads(r.body)["balance"] == "1234.56"
    again = client.http.post(
        "/v1/leases/A-1/opening-balance", headers=_h(key), body=json.dumps(debt)
    )
    assert again.status_code == 200 and json.loads(again.body)["balance"] == "1234.56"
    other = debt | {"reference": "SOLDE-2"}
    r = client.http.post("/v1/leases/A-1/opening-balance", headers=_h(key), body=json.dumps(other))
    assert r.status_code == 409
    changed = debt | {"amount": "1.00"}
    r = client.http.post(
        "/v1/leases/A-1/opening-balance", headers=_h(key), body=json.dumps(changed)
    )
    assert r.status_code == 409

    credit = {"amount": "-75.20", "date": "2026-11-30", "reference": "AV-77"}
    r = client.http.post("/v1/leases/A-2/opening-balance", headers=_h(key), body=json.dumps(credit))
    assert json.loads(r.body)["balance"] == "-75.20"

    note = {
        "amount": "-34.56",
        "date": "2026-12-02",
        "reference": "AV-2026-118",
        "label": "Régularisation de charges 2025",
    }
    r = client.http.post("/v1/leases/A-1/adjustments", headers=_h(key), body=json.dumps(note))
    assert r.status_code == 201, r.body
    assert json.loads(r.body)["balance"] == "1200.00"
    assert (
        client.http.post(
            "/v1/leases/A-1/adjustments", headers=_h(key), body=json.dumps(note)
        ).status_code
        == 200
    )

    account = json.loads(client.http.get("/v1/leases/A-1/account", headers=_h(key)).body)
    assert [line["kind"] for line in account["lines"]] == ["opening_balance", "adjustment"]
    assert account["balance"] == "1200.00"

    entries = DynamoEntryRepository(settings.entries_table).list_pending(org_id, None, 100)[0]
    by_source = {e.source_type.value + ":" + e.lease_id: e for e in entries if e.lease_id}
    opening = by_source["opening_balance:A-1"]
    assert opening.journal == "AN"
    assert [(x.account, x.debit_cents, x.credit_cents) for x in opening.lines] == [
        ("411100", 123456, 0),
        ("890000", 0, 123456),
    ]
    assert [
        (x.account, x.debit_cents, x.credit_cents) for x in by_source["opening_balance:A-2"].lines
    ] == [("411100", 0, 7520), ("890000", 7520, 0)]
    assert [
        (x.account, x.debit_cents, x.credit_cents) for x in by_source["adjustment:A-1"].lines
    ] == [("411100", 0, 3456), ("708000", 3456, 0)]
    assert len(entries) == 3
    period = "format=fec&from=2026-11-01&to=2026-12-31"
    fec = client.http.get(f"/v1/entries/export?{period}", headers=_h(key)).body.decode()
    opening_rows = [row for row in fec.splitlines() if row.startswith("AN|A nouveaux|")]
    assert len(opening_rows) == 4  # two entries of two lines
    assert any(row.startswith("OD|Opérations diverses|") for row in fec.splitlines())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0", "date": "2026-11-30", "reference": "R"}, "amount"),
        ({"amount": "12.345", "date": "2026-11-30", "reference": "R"}, "amount"),
        ({"amount": 12.5, "date": "2026-11-30", "reference": "R"}, "amount"),
        ({"amount": "1e12", "date": "2026-11-30", "reference": "R"}, "amount"),
        ({"amount": "10.00", "date": "30/11/2026", "reference": "R"}, "date"),
        ({"amount": "10.00", "date": "2026-11-30"}, "reference"),
    ],
)
def test_bad_balance_operations_name_their_field(
    client: Client, operator: str, body: dict[str, Any], field: str
) -> None:
    _, key = _create_org(client, operator)
    client.http.put("/v1/leases/A-1", headers=_h(key), body=json.dumps(LEASE))
    r = client.http.post("/v1/leases/A-1/opening-balance", headers=_h(key), body=json.dumps(body))
    assert r.status_code == 400, r.body
    assert json.loads(r.body)["field"] == field


def test_balance_operation_on_an_unknown_lease_is_404(client: Client, operator: str) -> None:
    _, key = _create_org(client, operator)
    body = {"amount": "10.00", "date": "2026-11-30", "reference": "R"}
    r = client.http.post("/v1/leases/NOPE/adjustments", headers=_h(key), body=json.dumps(body))
    assert r.status_code == 404


def test_opening_balances_in_bulk_answer_each_item(client: Client, operator: str) -> None:
    _, key = _create_org(client, operator)
    for lease_id in ("A-1", "A-2"):
        client.http.put(f"/v1/leases/{lease_id}", headers=_h(key), body=json.dumps(LEASE))
    day = "2026-11-30"
    items = [
        {"lease_id": "A-1", "amount": "120.00", "date": day, "reference": "AN-1"},
        {"lease_id": "A-2", "amount": "-30.00", "date": day, "reference": "AN-2"},
        {"lease_id": "NOPE", "amount": "10.00", "date": day, "reference": "AN-3"},
        {"lease_id": "A-1", "amount": "1.5x", "date": day, "reference": "AN-4"},
    ]
    body = json.dumps({"opening_balances": items})
    r = client.http.post("/v1/opening-balances/bulk", headers=_h(key), body=body)
    assert r.status_code == 200, r.body
    out = json.loads(r.body)
    assert [i["status"] for i in out["items"]] == ["created", "created", "error", "error"]
    assert out["items"][3]["error"]["field"] == "amount"
    again = json.loads(
        client.http.post("/v1/opening-balances/bulk", headers=_h(key), body=body).body
    )
    assert again["counts"] == {"exists": 2, "error": 2}
    balances = {
        lid: json.loads(client.http.get(f"/v1/leases/{lid}", headers=_h(key)).body)["balance"]
        for lid in ("A-1", "A-2")
    }
    assert balances == {"A-1": "120.00", "A-2": "-30.00"}
