"""``encaisse up`` stops promptly on SIGTERM and leaves a consistent state (issue 9, item 12).

It used to print "Stopped." and keep a core busy for over a minute (threads of moto and
of the workflows still running). It must exit within 10 s, with its state saved: what
was written before the signal is there after a restart.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.local.client import ApiClient
from infra.local.launcher import start_platform_process
from tests.fixtures.camt054 import Credit, camt054, payer_iban

pytestmark = pytest.mark.platform
ARGS = (
    "--api-port", "0", "--portal-port", "0", "--aws-port", "0", "--sftp-port", "0",
    "--time-factor", "3600",
)  # fmt: skip


def _s3(endpoints: dict[str, Any]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoints["aws_endpoint_url"],
        region_name=endpoints["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_sigterm_stops_within_ten_seconds_with_the_state_saved(tmp_path: Path) -> None:
    state = tmp_path / ".encaisse"
    platform = start_platform_process(state, *ARGS)
    endpoints = platform.endpoints
    bucket = endpoints["buckets"]["documents"]
    _s3(endpoints).put_object(Bucket=bucket, Key="kept.txt", Body=b"kept")
    # Work in progress when the signal comes: a file of payments being ingested.
    demo = endpoints["demo"]
    leases = ApiClient(endpoints["api_url"], demo["api_key"]).get("/v1/leases", limit=30)
    body = camt054(
        demo["collection_iban"],
        [
            Credit("10.00", lease["viban"], "M. STOP", payer_iban(n), reference=f"STOP-{n}")
            for n, lease in enumerate(leases["items"])
        ],
        msg_id="STOP",
    )
    _s3(endpoints).put_object(
        Bucket=endpoints["buckets"]["inbox"], Key=f"{demo['org_id']}/stop.xml", Body=body
    )
    platform.process.send_signal(signal.SIGTERM)
    try:
        code = platform.process.wait(10)
    except subprocess.TimeoutExpired:
        platform.process.kill()
        pytest.fail(f"still running 10 s after SIGTERM:\n{platform.output_text()[-3000:]}")
    platform.stop()
    assert code == 0, platform.output_text()[-3000:]
    assert "Stopped." in platform.output_text()

    again = start_platform_process(state, *ARGS)
    try:
        got = _s3(again.endpoints).get_object(Bucket=bucket, Key="kept.txt")
        assert got["Body"].read() == b"kept"
    finally:
        assert again.stop() == 0
