"""Matching through the real handlers on the emulator: direct debits and their returns,
learning payer IBANs from a person's decision, undo by reversal, review via the API."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from chalice.test import Client

from functions.adapters.dynamo import (
    DynamoApiKeyRepository,
    DynamoEntryRepository,
    DynamoLeaseRepository,
    DynamoLedgerRepository,
    DynamoLedgerWriter,
    DynamoOrganisationRepository,
    DynamoTransactionRepository,
)
from functions.adapters.settings import Settings
from functions.api.auth import hash_key, new_key
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.matching import Method
from functions.core.organisation import Organisation
from functions.core.records import TransactionRecord
from functions.core.statements import Entry, Statement, Transaction
from functions.core.transactions import TransactionKind
from functions.core.viban import VirtualIbanRange
from functions.ingest.parsers.render import render_camt
from functions.leases.service import LeaseService, RentCall
from tests.fixtures.lambda_events import LambdaContext, drain, sqs_event

pytestmark = pytest.mark.integration
COLLECTION = "FR7630004008210000420001774"
PAYER = "FR7630006000011234567890189"
DAY = date(2026, 11, 20)


TENANTS = {
    "L0": ("Léa MARTIN",),
    "L1": ("Jean DUPONT", "Marie DUPONT"),
    "L2": ("Karim HADDAD",),
    "L3": ("Karim HADDAD",),  # his parking
}


@pytest.fixture
def org(settings: Settings) -> tuple[str, str]:
    """A landlord of its own with 4 leases (L0 pays by direct debit) and an API key."""
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    orgs = DynamoOrganisationRepository(settings.organisations_table)
    orgs.put(
        Organisation(
            org_id, "HLM", COLLECTION, VirtualIbanRange("30004", "00821", str(uuid.uuid4().int)[:4])
        )
    )
    service = LeaseService(
        orgs,
        DynamoLeaseRepository(settings.leases_table),
        DynamoLedgerWriter(settings.ledger_table, settings.leases_table),
    )
    for lid, names in TENANTS.items():
        parking = lid == "L3"
        service.register(
            Lease(
                org_id,
                lid,
                tuple(Tenant(n) for n in names),
                "Les Tilleuls",
                "Orléans",
                lid,
                date(2024, 1, 1),
                4_000 if parking else 50_000,
                500 if parking else 6_000,
                viban="",
                rf_reference="",
                payment_method=PaymentMethod.DIRECT_DEBIT
                if lid == "L0"
                else PaymentMethod.TRANSFER,
                mandate_id="RUM-0" if lid == "L0" else None,
            )
        )
        total = 4_500 if parking else 56_000
        service.post_rent_call(
            RentCall(org_id, lid, f"{lid}:2026-11", "2026-11", date(2026, 11, 5), total, 0)
        )
    key = new_key()
    DynamoApiKeyRepository(settings.api_keys_table).put(
        hash_key(key), org_id, ["erp", "backoffice"], "test"
    )
    return org_id, key


def _statement(*txs: Transaction, code: str = "PMNT-RCDT-ESCT") -> bytes:
    entries = tuple(
        Entry(
            t.amount_cents,
            "EUR",
            DAY,
            DAY,
            bank_reference=f"REF-{uuid.uuid4().hex[:10]}",
            bank_transaction_code=code,
            transactions=(t,),
        )
        for t in txs
    )
    st = Statement(f"ST-{uuid.uuid4().hex[:6]}", COLLECTION, None, "EUR", None, None, entries)
    return render_camt([st], "054")


def _pain002(e2e: str, amount: str, reason: str, mandate: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>PSR-{uuid.uuid4().hex[:8]}</MsgId><CreDtTm>2026-11-21T09:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>SDD-1</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>
<OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{amount}</InstdAmt></Amt>
<MndtRltdInf><MndtId>{mandate}</MndtId></MndtRltdInf></OrgnlTxRef></TxInfAndSts>
</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>""".encode()


def _run(emulator: Any, settings: Settings, org_id: str, name: str, body: bytes) -> None:
    """Inbox → ingest handler → match handler, with the messages the emulator really sent."""
    from functions.ingest import handler as ingest
    from functions.match import handler as match

    match.matcher.indexes._cache.clear()  # type: ignore[union-attr]  # a fresh org index
    emulator.client("s3").put_object(
        Bucket=settings.inbox_bucket, Key=f"{org_id}/{name}", Body=body
    )
    notes = drain(emulator.client("sqs"), emulator.queues["IngestQueue"].url, org_id)
    assert ingest.lambda_handler(sqs_event(notes), LambdaContext()) == {"batchItemFailures": []}
    found = drain(emulator.client("sqs"), settings.match_queue_url, org_id)
    assert found, "ingest sent nothing to match"
    assert match.lambda_handler(sqs_event(found), LambdaContext()) == {"batchItemFailures": []}


def _balance(settings: Settings, org_id: str, lid: str) -> int:
    return DynamoLeaseRepository(settings.leases_table).get(org_id, lid).balance_cents


def _by_status(settings: Settings, org_id: str, status: str) -> list[TransactionRecord]:
    return list(DynamoTransactionRepository(settings.transactions_table).list(org_id, status).items)


def test_direct_debit_return_reverses_the_collection_once_and_flags_the_lease(
    emulator: Any, settings: Settings, org: tuple[str, str]
) -> None:
    org_id, _ = org
    collection = Transaction(
        56_000, "MARTIN LEA", PAYER, end_to_end_id="SDD-2611-L0", mandate_id="RUM-0"
    )
    _run(emulator, settings, org_id, "sdd.xml", _statement(collection, code="PMNT-RDDT-ESDD"))
    assert _balance(settings, org_id, "L0") == 0
    (booked,) = _by_status(settings, org_id, "allocated")
    assert booked.decision is not None and booked.decision.decision.method is Method.MANDATE

    returned = Transaction(
        -56_000,
        "MARTIN LEA",
        PAYER,
        end_to_end_id="SDD-2611-L0",
        mandate_id="RUM-0",
        return_reason="AM04",
    )
    _run(emulator, settings, org_id, "ret.xml", _statement(returned, code="PMNT-RDDT-UPDD"))
    assert _balance(settings, org_id, "L0") == 56_000  # the debt is back
    lines = DynamoLedgerRepository(settings.ledger_table).lines(org_id, "L0")
    assert [(x.kind.value, x.amount_cents) for x in lines] == [
        ("rent_call", 56_000),
        ("payment", -56_000),
        ("reversal", 56_000),
    ]
    assert "AM04" in lines[-1].label
    lease_item = emulator.client("dynamodb").get_item(
        TableName=settings.leases_table,
        Key={"org_id": {"S": org_id}, "lease_id": {"S": "L0"}},
    )["Item"]
    flag = lease_item["dunning_flag"]["M"]
    assert flag["reason_code"]["S"] == "AM04" and flag["category"]["S"] == "insufficient_funds"
    entries, _ = DynamoEntryRepository(settings.entries_table).list_pending(org_id)
    reversal = [e for e in entries if e.source_type.value == "reversal"]
    assert [(ln.account, ln.debit_cents, ln.credit_cents) for ln in reversal[0].lines] == [
        ("411000", 56_000, 0),
        ("512000", 0, 56_000),
    ]

    # the bank's pain.002 about the same collection: no second reversal
    _run(emulator, settings, org_id, "psr.xml", _pain002("SDD-2611-L0", "560.00", "AM04", "RUM-0"))
    assert _balance(settings, org_id, "L0") == 56_000
    (dup,) = [
        t
        for t in _by_status(settings, org_id, "not_rent")
        if t.transaction.kind is TransactionKind.REJECT
    ]
    assert dup.decision is not None and "already reversed" in (dup.decision.decision.reason or "")


def test_a_person_decides_and_the_payer_is_known_next_month(
    emulator: Any, settings: Settings, org: tuple[str, str]
) -> None:
    from functions.api.app import app

    org_id, key = org
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    # a relative with another surname, no reference: nobody can tell
    stranger = "FR7610278000010001234567841"
    payment = Transaction(56_000, "SAMIR BENALI", stranger, remittance="VIR PERMANENT")
    _run(emulator, settings, org_id, "gen1.xml", _statement(payment))
    with Client(app) as client:
        queue = json.loads(client.http.get("/v1/review", headers=h).body)
        (item,) = queue["items"]
        assert item["outcome"] in ("review", "unmatched")
        tx_id = item["transaction_id"]
        r = client.http.post(
            f"/v1/review/{tx_id}/allocate",
            headers=h,
            body=json.dumps({"lease_id": "L2", "by": "Claire (trésorerie)", "note": "son"}),
        )
        assert r.status_code == 200, r.body
        done = json.loads(r.body)
        assert done["outcome"] == "allocated" and done["method"] == "manual"
        assert done["confirmed_by"].startswith("Claire (trésorerie)")
        assert done["history"] and done["history"][0]["outcome"] in ("review", "unmatched")
        assert _balance(settings, org_id, "L2") == 0
        # the suspense entry of the review moves to the tenant
        entries, _ = DynamoEntryRepository(settings.entries_table).list_pending(org_id)
        manual = [e for e in entries if e.source_type.value == "manual"]
        first = manual[0].lines[0]
        assert (first.account, first.debit_cents) == ("471000", 56_000)

        # next month the same payer is matched automatically, whatever the amount
        again = Transaction(30_000, "SAMIR BENALI", stranger, remittance="VIR PERMANENT DEC")
        _run(emulator, settings, org_id, "gen2.xml", _statement(again))
        allocated = [
            t
            for t in _by_status(settings, org_id, "allocated")
            if t.transaction.amount_cents == 30_000
        ]
        decided = allocated[0].decision
        assert decided is not None and decided.decision.method is Method.PAYER_IBAN
        assert [a.lease_id for a in decided.decision.allocations] == ["L2"]

        # that one was wrong (the parking): undo it by reversal, then split
        second = allocated[0].transaction_id
        r = client.http.post(
            f"/v1/allocations/{second}/undo", headers=h, body=json.dumps({"note": "parking too"})
        )
        assert r.status_code == 200, r.body
        assert json.loads(r.body)["outcome"] == "review"
        assert _balance(settings, org_id, "L2") == 0
        lines = DynamoLedgerRepository(settings.ledger_table).lines(org_id, "L2")
        assert sum(x.amount_cents for x in lines) == 0 and lines[-1].kind.value == "reversal"
        r = client.http.post(
            f"/v1/review/{second}/allocate",
            headers=h,
            body=json.dumps(
                {
                    "allocations": [
                        {"lease_id": "L2", "amount": "255.00"},
                        {"lease_id": "L3", "amount": "45.00"},
                    ]
                }
            ),
        )
        assert r.status_code == 200, r.body
        assert _balance(settings, org_id, "L2") == -25_500 and _balance(settings, org_id, "L3") == 0
        bad = client.http.post(
            f"/v1/review/{second}/allocate", headers=h, body=json.dumps({"lease_id": "L2"})
        )
        assert bad.status_code == 409

        # every transaction and its outcome, in one place
        listing = json.loads(client.http.get("/v1/allocations", headers=h).body)
        outcomes = {i["transaction_id"]: i for i in listing["items"]}
        assert outcomes[second]["allocations"] == [
            {"lease_id": "L2", "amount": "255.00"},
            {"lease_id": "L3", "amount": "45.00"},
        ]
        assert outcomes[second]["counterparty"]["name"] == "SAMIR BENALI"
        assert outcomes[second]["revision"] == 2


def test_not_rent_and_validation(emulator: Any, settings: Settings, org: tuple[str, str]) -> None:
    from functions.api.app import app

    org_id, key = org
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    odd = Transaction(12_345, "SCI DU MOULIN", "FR7610278000010001234567841", remittance="REGUL")
    _run(emulator, settings, org_id, "odd.xml", _statement(odd))
    with Client(app) as client:
        (item,) = json.loads(client.http.get("/v1/review", headers=h).body)["items"]
        tx_id = item["transaction_id"]
        wrong_sum = client.http.post(
            f"/v1/review/{tx_id}/allocate",
            headers=h,
            body=json.dumps({"allocations": [{"lease_id": "L1", "amount": "100.00"}]}),
        )
        assert wrong_sum.status_code == 400
        assert json.loads(wrong_sum.body)["field"] == "allocations"
        unknown = client.http.post(
            f"/v1/review/{tx_id}/allocate", headers=h, body=json.dumps({"lease_id": "NOPE"})
        )
        assert unknown.status_code == 404
        r = client.http.post(
            f"/v1/review/{tx_id}/not-rent", headers=h, body=json.dumps({"note": "insurer"})
        )
        assert r.status_code == 200 and json.loads(r.body)["outcome"] == "not_rent"
        assert json.loads(client.http.get("/v1/review", headers=h).body)["items"] == []
        assert _balance(settings, org_id, "L1") == 56_000
