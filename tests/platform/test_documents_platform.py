"""The running platform: the demo landlord's notices of the month, rendered in the background.

The platform fixture caps them at a few (``ENCAISSE_DEMO_NOTICES``); ``make run`` makes all.
"""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest

from infra.local.client import ApiClient

pytestmark = pytest.mark.platform


def test_demo_notices_of_the_month_exist_and_download(running_platform: dict[str, Any]) -> None:
    api = ApiClient(running_platform["api_url"], running_platform["demo"]["api_key"])
    leases = api.iterate("/v1/leases", limit=500)
    active = [x for x in leases if not x.get("end_date")]
    first = active[0]["lease_id"]
    deadline = time.monotonic() + 90
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        items = api.get(f"/v1/leases/{first}/documents")["items"]
        if items:
            break
        time.sleep(0.5)
    assert [i["kind"] for i in items] == ["avis_echeance"], "no notice rendered in 90 s"
    link = api.get(f"/v1/documents/{items[0]['document_id']}")
    with urllib.request.urlopen(link["url"], timeout=10) as resp:
        assert resp.read().startswith(b"%PDF")
