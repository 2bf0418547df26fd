"""Crash injection: the platform dies (exit 137, as after SIGKILL) at each named
step of ingest and match, is started again on the same state folder, the sweeper
re-drives what was left behind, and ``encaisse check`` finds the books whole —
every payment of the file booked once (issue 9, item 2).

Needs the embedded platform to keep what it acknowledged across a crash (the
emulator's journal). Slow (two platform starts per step): ``make chaos``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from functions.adapters.faults import STEPS
from infra.local.cli import main as encaisse
from infra.local.client import ApiClient
from infra.local.launcher import start_platform_process
from tests.chaos.platform import ARGS, aws, statuses
from tests.fixtures.camt054 import Credit, camt054, payer_iban

pytestmark = pytest.mark.chaos
PAYMENTS = 3


def _listing(endpoints: dict[str, Any], bucket: str, prefix: str = "") -> list[str]:
    resp = aws(endpoints, "s3").list_objects_v2(Bucket=endpoints["buckets"][bucket], Prefix=prefix)
    return [o["Key"] for o in resp.get("Contents", [])]


def _inbox(endpoints: dict[str, Any]) -> list[str]:
    resp = aws(endpoints, "s3").list_objects_v2(Bucket=endpoints["buckets"]["inbox"])
    return [o["Key"] for o in resp.get("Contents", [])]


@pytest.mark.parametrize("step", STEPS)
def test_crash_then_restart_heals(step: str, tmp_path: Path, own_environment: None) -> None:
    state = tmp_path / ".encaisse"
    platform = start_platform_process(state, *ARGS, env={"ENCAISSE_CRASH_AT": step})
    endpoints = platform.endpoints
    demo = endpoints["demo"]
    org_id = demo["org_id"]
    api = ApiClient(endpoints["api_url"], demo["api_key"])
    leases = api.get("/v1/leases", limit=PAYMENTS)["items"]
    marker = f"CHAOS-{step}"
    body = camt054(
        demo["collection_iban"],
        [
            Credit("12.34", lease["viban"], "M. CHAOS", payer_iban(n), reference=f"{marker}-{n}")
            for n, lease in enumerate(leases)
        ],
        msg_id=marker,
    )
    aws(endpoints, "s3").put_object(
        Bucket=endpoints["buckets"]["inbox"], Key=f"{org_id}/{marker}.xml", Body=body
    )
    assert platform.process.wait(120) == 137, f"{step} was not reached"
    platform.stop()

    again = start_platform_process(state, *ARGS)
    try:
        endpoints = again.endpoints
        cli = ["--state-dir", str(state), "--org", org_id]
        deadline = time.monotonic() + 120
        while True:
            assert encaisse(["sweep", "--older-than", "0", *cli]) == 0
            booked = statuses(endpoints, marker)
            if len(booked) == PAYMENTS and "new" not in booked.values() and not _inbox(endpoints):
                break
            assert time.monotonic() < deadline, (
                f"not healed after a crash at {step}: payments {booked or 'none (lost)'}, "
                f"inbox {_inbox(endpoints)}, archive {_listing(endpoints, 'archive', org_id)}"
            )
            time.sleep(1)
        assert set(booked.values()) == {"allocated"}
        assert encaisse(["check", *cli]) == 0
    finally:
        assert again.stop() == 0
