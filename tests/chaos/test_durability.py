"""The embedded platform keeps what it acknowledged across a SIGKILL (issue 9, item 2).

No crash hook and no sweeper here: the platform is killed from outside, right after an
upload is acknowledged or while the file's payments are being matched, and started
again on the same state folder. The emulator's write-ahead journal must bring back the
file, its transactions and the SQS messages in flight, so that every payment gets
decided by the ordinary pipeline and ``encaisse check`` finds the books whole.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.local.cli import main as encaisse
from infra.local.client import ApiClient
from infra.local.launcher import start_platform_process
from tests.fixtures.camt054 import Credit, camt054, payer_iban

pytestmark = pytest.mark.chaos
ARGS = (
    "--api-port", "0", "--portal-port", "0", "--aws-port", "0", "--sftp-port", "0",
    "--time-factor", "3600",
)  # fmt: skip
PAYMENTS = 40


def _aws(endpoints: dict[str, Any], service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoints["aws_endpoint_url"],
        region_name=endpoints["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _statuses(endpoints: dict[str, Any], marker: str) -> dict[str, str]:
    pages = (
        _aws(endpoints, "dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=endpoints["tables"]["transactions"],
            FilterExpression="begins_with(bank_reference, :m)",
            ExpressionAttributeValues={":m": {"S": marker}},
        )
    )
    return {i["transaction_id"]["S"]: i["status"]["S"] for p in pages for i in p["Items"]}


@pytest.fixture
def own_environment() -> Iterator[None]:
    """The CLI points this process's AWS clients at the platform: undo it after."""
    from functions.adapters.aws import client

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    client.cache_clear()


@pytest.mark.parametrize("moment", ["after-upload", "during-matching"])
def test_sigkill_loses_nothing_acknowledged(
    moment: str, tmp_path: Path, own_environment: None
) -> None:
    state = tmp_path / ".encaisse"
    platform = start_platform_process(state, *ARGS)
    endpoints = platform.endpoints
    demo = endpoints["demo"]
    org_id = demo["org_id"]
    api = ApiClient(endpoints["api_url"], demo["api_key"])
    leases = api.get("/v1/leases", limit=PAYMENTS)["items"]
    marker = f"KILL-{moment}"
    body = camt054(
        demo["collection_iban"],
        [
            Credit("23.45", lease["viban"], "M. DURABLE", payer_iban(n), reference=f"{marker}-{n}")
            for n, lease in enumerate(leases)
        ],
        msg_id=marker,
    )
    key = f"{org_id}/{marker}.xml"
    _aws(endpoints, "s3").put_object(Bucket=endpoints["buckets"]["inbox"], Key=key, Body=body)
    if moment == "during-matching":
        deadline = time.monotonic() + 120
        while len(_statuses(endpoints, marker)) < len(leases):  # ingested, matching begun
            assert time.monotonic() < deadline, "the file was never ingested"
            time.sleep(0.05)
    seen_before = _statuses(endpoints, marker)
    platform.process.send_signal(signal.SIGKILL)
    platform.process.wait(30)
    platform.stop()

    again = start_platform_process(state, *ARGS)
    try:
        endpoints = again.endpoints
        deadline = time.monotonic() + 180
        while True:
            statuses = _statuses(endpoints, marker)
            if len(statuses) == len(leases) and "new" not in statuses.values():
                break
            assert time.monotonic() < deadline, (
                f"after a SIGKILL {moment}: {len(statuses)} of {len(leases)} payments, "
                f"{sum(s == 'new' for s in statuses.values())} still new"
            )
            time.sleep(0.5)
        # Nothing acknowledged before the kill is gone, and everything got decided.
        assert set(seen_before) <= set(statuses)
        assert set(statuses.values()) == {"allocated"}
        assert encaisse(["check", "--state-dir", str(state), "--org", org_id]) == 0
    finally:
        assert again.stop() == 0
