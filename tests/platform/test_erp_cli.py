"""The ERP's access from a terminal: API keys created, listed, revoked; entries exported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.local.client import ApiCallError, ApiClient

pytestmark = pytest.mark.platform


def _cli(
    platform: dict[str, Any], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "--state-dir", platform["state_dir"], *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )


def test_an_api_key_is_created_listed_and_revoked(running_platform: dict[str, Any]) -> None:
    org_id = running_platform["demo"]["org_id"]
    created = _cli(running_platform, "apikey", "create", "--org", org_id, "--scope", "erp",
                   "--label", "ERP ULIS")  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("enc_") and "conservez-la" in created.stderr
    api = ApiClient(running_platform["api_url"], key)
    assert "items" in api.get("/v1/entries")
    with pytest.raises(ApiCallError) as denied:
        api.get("/v1/transactions")  # erp scope only
    assert denied.value.status == 403

    listed = _cli(running_platform, "apikey", "list", "--org", org_id, "--json")
    assert listed.returncode == 0, listed.stderr
    mine = [k for k in json.loads(listed.stdout) if k["label"] == "ERP ULIS"]
    assert len(mine) == 1 and mine[0]["scopes"] == ["erp"] and mine[0]["revoked_at"] is None
    assert key not in listed.stdout

    revoked = _cli(running_platform, "apikey", "revoke", mine[0]["key_id"])
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(ApiCallError) as refused:
        api.get("/v1/entries")
    assert refused.value.status == 401
    again = _cli(running_platform, "apikey", "revoke", mine[0]["key_id"])
    assert "déjà révoquée" in again.stdout

    unknown = _cli(running_platform, "apikey", "create", "--org", "nope", "--scope", "erp")
    assert unknown.returncode == 1 and "not found" in unknown.stderr


def test_entries_export_writes_the_fec_file(
    running_platform: dict[str, Any], tmp_path: Path
) -> None:
    done = _cli(running_platform, "entries", "export", "--format", "fec", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (written,) = tmp_path.glob("*FEC*.txt")  # this year up to today
    text = written.read_bytes().decode("iso-8859-15")
    header, *rows = text.split("\r\n")
    assert header.split("|")[:3] == ["JournalCode", "JournalLib", "EcritureNum"]
    assert all(len(r.split("|")) == 18 for r in rows if r)

    csv = _cli(running_platform, "entries", "export", "--format", "csv", "-o", "-")
    assert csv.returncode == 0 and csv.stdout.startswith("entry_id;date;journal;")
