"""The embedded platform keeps what it acknowledged across a SIGKILL (issue 9, item 2).

No crash hook and no sweeper here: the platform is killed from outside, right after an
upload is acknowledged or while the file's payments are being matched, and started
again on the same state folder. The emulator's write-ahead journal must bring back the
file, its transactions and the SQS messages in flight, so that every payment gets
decided by the ordinary pipeline and ``encaisse check`` finds the books whole.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from infra.local.cli import main as encaisse
from infra.local.client import ApiClient
from infra.local.launcher import start_platform_process
from tests.chaos.platform import ARGS, aws, statuses
from tests.fixtures.camt054 import Credit, camt054, payer_iban

pytestmark = pytest.mark.chaos
PAYMENTS = 40


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
    aws(endpoints, "s3").put_object(Bucket=endpoints["buckets"]["inbox"], Key=key, Body=body)
    if moment == "during-matching":
        deadline = time.monotonic() + 120
        while len(statuses(endpoints, marker)) < len(leases):  # ingested, matching begun
            assert time.monotonic() < deadline, "the file was never ingested"
            time.sleep(0.05)
    seen_before = statuses(endpoints, marker)
    platform.process.send_signal(signal.SIGKILL)
    platform.process.wait(30)
    platform.stop()

    again = start_platform_process(state, *ARGS)
    try:
        endpoints = again.endpoints
        deadline = time.monotonic() + 180
        while True:
            now = statuses(endpoints, marker)
            if len(now) == len(leases) and "new" not in now.values():
                break
            assert time.monotonic() < deadline, (
                f"after a SIGKILL {moment}: {len(now)} of {len(leases)} payments, "
                f"{sum(s == 'new' for s in now.values())} still new"
            )
            time.sleep(0.5)
        # Nothing acknowledged before the kill is gone, and everything got decided.
        assert set(seen_before) <= set(now)
        assert set(now.values()) == {"allocated"}
        assert encaisse(["check", "--state-dir", str(state), "--org", org_id]) == 0
    finally:
        assert again.stop() == 0
