"""The running platform, driven as its users drive it: over HTTP, S3 and SFTP.

`running_platform` starts `encaisse up` in a subprocess (what `make run` runs),
seeded with the demo landlord, and yields the facts of `endpoints.json`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import paramiko
import pytest

from infra.local.client import ApiClient
from tests.fixtures.camt054 import Credit, camt054, payer_iban

pytestmark = pytest.mark.platform

UNKNOWN_IBAN = "FR7610107001011234567890129"  # a valid IBAN that is no vIBAN of ours


def _wait(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def api(running_platform: dict[str, Any]) -> ApiClient:
    return ApiClient(running_platform["api_url"], running_platform["demo"]["api_key"])


@pytest.fixture(scope="module")
def s3(running_platform: dict[str, Any]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=running_platform["aws_endpoint_url"],
        region_name=running_platform["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture(scope="module")
def leases(api: ApiClient) -> list[dict[str, Any]]:
    return api.iterate("/v1/leases", limit=500)


def _file_status(api: ApiClient, name: str) -> dict[str, Any] | None:
    for f in api.iterate("/v1/files"):
        if f["name"] == name and f["status"] in {"ingested", "quarantined"}:
            return f
    return None


def _allocation_entries(api: ApiClient, transaction_ids: set[str]) -> list[dict[str, Any]]:
    return [
        e
        for e in api.iterate("/v1/entries")
        if e["source"]["transaction_id"] in transaction_ids and e["source"]["type"] == "allocation"
    ]


def _transactions_of(api: ApiClient, file_id: str) -> list[dict[str, Any]]:
    return [t for t in api.iterate("/v1/transactions") if t["file_id"] == file_id]


def _upload_s3(s3: Any, platform: dict[str, Any], name: str, body: bytes) -> None:
    key = f"{platform['demo']['org_id']}/{name}"
    s3.put_object(Bucket=platform["buckets"]["inbox"], Key=key, Body=body)


def _upload_sftp(platform: dict[str, Any], name: str, body: bytes) -> None:
    conf = platform["sftp"]
    transport = paramiko.Transport((conf["host"], int(conf["port"])))
    try:
        transport.connect(username=conf["username"], password=conf["password"])
        sftp = paramiko.SFTPClient.from_transport(transport)
        assert sftp is not None
        with sftp.open(name, "wb") as f:
            f.write(body)
    finally:
        transport.close()


def test_endpoints_describe_the_platform(running_platform: dict[str, Any], api: ApiClient) -> None:
    assert api.get("/v1/health")["status"] == "ok"
    for bucket in ("inbox", "quarantine", "archive", "documents"):
        assert running_platform["buckets"][bucket]
    assert Path(running_platform["state_dir"], "endpoints.json").exists()


def test_demo_landlord_is_seeded(leases: list[dict[str, Any]]) -> None:
    assert len(leases) >= 500
    assert len({lease["viban"] for lease in leases}) == len(leases)
    assert len({lease["residence"] for lease in leases}) >= 5
    assert len({lease["commune"] for lease in leases}) >= 3
    assert all(
        lease["viban"].startswith("FR") and lease["rf_reference"].startswith("RF")
        for lease in leases
    )


@pytest.mark.parametrize("via", ["s3", "sftp"])
def test_viban_payments_reach_the_erp_and_the_unknown_one_is_unmatched(
    via: str,
    running_platform: dict[str, Any],
    api: ApiClient,
    s3: Any,
    leases: list[dict[str, Any]],
) -> None:
    offset = 0 if via == "s3" else 3
    chosen = leases[10 + offset : 13 + offset]
    amounts = ["612.40", "389.05", "1024.00"]
    body = camt054(
        running_platform["demo"].get("collection_iban", UNKNOWN_IBAN),
        [
            Credit(
                a,
                lease["viban"],
                f"PAYEUR {i}",
                payer_iban(offset + i),
                f"LOYER {lease['lease_id']}",
            )
            for i, (a, lease) in enumerate(zip(amounts, chosen, strict=True))
        ]
        + [Credit("77.70", UNKNOWN_IBAN, "VERLAINE ANTOINE", payer_iban(900 + offset), "VIREMENT")],
        msg_id=f"E2E-{via}",
    )
    name = f"notification-{via}.xml"
    before = {
        lease["lease_id"]: Decimal(api.get(f"/v1/leases/{lease['lease_id']}")["balance"])
        for lease in chosen
    }
    if via == "s3":
        _upload_s3(s3, running_platform, name, body)
    else:
        _upload_sftp(running_platform, name, body)

    record = _wait(lambda: _file_status(api, name), f"{name} to be ingested")
    assert record["status"] == "ingested" and record["transactions"] == 4

    def decided() -> list[dict[str, Any]] | None:
        txs = _transactions_of(api, record["file_id"])
        return txs if len(txs) == 4 and all(t["status"] != "new" for t in txs) else None

    txs = _wait(decided, "the four transactions to be matched")
    ids = {t["transaction_id"] for t in txs}
    entries = _wait(
        lambda: (e := _allocation_entries(api, ids)) and len(e) == 3 and e,
        "three allocation entries",
    )
    got = sorted((e["lease_id"], e["amount"]) for e in entries)
    assert got == sorted((lease["lease_id"], a) for lease, a in zip(chosen, amounts, strict=True))
    for e in entries:
        debit = sum(Decimal(line["debit"]) for line in e["lines"])
        credit = sum(Decimal(line["credit"]) for line in e["lines"])
        assert debit == credit == Decimal(e["amount"])
    for lease, a in zip(chosen, amounts, strict=True):
        after = Decimal(api.get(f"/v1/leases/{lease['lease_id']}")["balance"])
        assert after == before[lease["lease_id"]] - Decimal(a)

    unmatched = [t for t in txs if t["status"] == "unmatched"]
    assert [(t["amount"], t["counterparty_name"]) for t in unmatched] == [
        ("77.70", "VERLAINE ANTOINE")
    ]
    listed = {t["transaction_id"] for t in api.iterate("/v1/transactions", status="unmatched")}
    assert unmatched[0]["transaction_id"] in listed


def test_same_file_twice_books_nothing_twice(
    running_platform: dict[str, Any],
    api: ApiClient,
    s3: Any,
    leases: list[dict[str, Any]],
) -> None:
    lease = leases[40]
    body = camt054(
        UNKNOWN_IBAN,
        [Credit("100.00", lease["viban"], "M. TEST", payer_iban(100))],
        msg_id="E2E-TWICE",
    )
    _upload_s3(s3, running_platform, "twice-1.xml", body)
    first = _wait(lambda: _file_status(api, "twice-1.xml"), "first upload")
    _wait(
        lambda: (
            all(t["status"] != "new" for t in _transactions_of(api, first["file_id"]))
            and _transactions_of(api, first["file_id"])
        ),
        "first match",
    )
    balance = api.get(f"/v1/leases/{lease['lease_id']}")["balance"]
    lines = len(api.get(f"/v1/leases/{lease['lease_id']}/account")["lines"])

    _upload_s3(s3, running_platform, "twice-1.xml", body)  # the same file again
    _upload_s3(s3, running_platform, "twice-2.xml", body)  # and under another name
    # one record per distinct content: the re-deliveries are counted on it
    _wait(
        lambda: any(
            f["duplicates"] >= 2
            for f in api.iterate("/v1/files")
            if f["file_id"] == first["file_id"]
        ),
        "duplicates to be counted",
    )
    time.sleep(1.0)  # leave the match queue time to misbehave, if it would
    assert api.get(f"/v1/leases/{lease['lease_id']}")["balance"] == balance
    assert len(api.get(f"/v1/leases/{lease['lease_id']}/account")["lines"]) == lines
    txs = [t for t in api.iterate("/v1/transactions") if t["end_to_end_id"] == "E2E-E2E-TWICE-0001"]
    assert len(txs) == 1


def test_not_a_statement_is_quarantined_and_the_next_file_goes_on(
    running_platform: dict[str, Any],
    api: ApiClient,
    s3: Any,
    leases: list[dict[str, Any]],
) -> None:
    _upload_s3(s3, running_platform, "invoice.pdf", b"%PDF-1.7\nnot a bank statement\n")
    lease = leases[50]
    good = camt054(
        UNKNOWN_IBAN,
        [Credit("55.00", lease["viban"], "M. APRES", payer_iban(101))],
        msg_id="E2E-AFTER",
    )
    _upload_s3(s3, running_platform, "after-bad.xml", good)

    bad = _wait(lambda: _file_status(api, "invoice.pdf"), "the bad file to be quarantined")
    assert bad["status"] == "quarantined"
    assert bad["error"]["reason"]
    report = s3.get_object(
        Bucket=running_platform["buckets"]["quarantine"],
        Key=f"{running_platform['demo']['org_id']}/invoice.pdf.error.json",
    )
    assert b"reason" in report["Body"].read()
    s3.head_object(
        Bucket=running_platform["buckets"]["quarantine"],
        Key=f"{running_platform['demo']['org_id']}/invoice.pdf",
    )  # kept, not lost
    ok = _wait(lambda: _file_status(api, "after-bad.xml"), "the next file")
    assert ok["status"] == "ingested"


def test_acknowledged_entries_are_not_served_again(api: ApiClient) -> None:
    pending = _wait(lambda: api.iterate("/v1/entries"), "some pending entries")
    ids = [e["entry_id"] for e in pending[:2]]
    assert api.post("/v1/entries/ack", {"entry_ids": ids})["acknowledged"] == ids
    remaining = {e["entry_id"] for e in api.iterate("/v1/entries")}
    assert not remaining & set(ids)
    again = api.post("/v1/entries/ack", {"entry_ids": [*ids, "nope"]})
    assert again["unknown"] == ["nope"]


def test_cli_upload_and_leases_list(
    running_platform: dict[str, Any], tmp_path: Path, leases: list[dict[str, Any]]
) -> None:
    lease = leases[60]
    path = tmp_path / "cli-upload.xml"
    path.write_bytes(
        camt054(
            UNKNOWN_IBAN,
            [Credit("42.00", lease["viban"], "M. CLI", payer_iban(102))],
            msg_id="E2E-CLI",
        )
    )
    state = running_platform["state_dir"]
    up = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.local.cli",
            "--state-dir",
            state,
            "upload",
            str(path),
            "--wait",
            "60",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert up.returncode == 0, up.stderr
    assert "ingested" in up.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "--state-dir", state, "leases", "list", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == len(leases)
    assert set(rows[0]) == {
        "lease_id",
        "tenant",
        "residence",
        "commune",
        "viban",
        "rf_reference",
        "balance",
    }
