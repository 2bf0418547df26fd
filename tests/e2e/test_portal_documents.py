"""The portal's "Mes documents" in headless Chromium: the demo tenant's notice and consent,
with screenshots at phone and desktop widths (kept in the test's temporary folder)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from infra.local.client import ApiClient
from tests.e2e.axe import audit, blocking
from tests.e2e.test_portal import _render, screenshot

pytestmark = pytest.mark.e2e


def test_tenant_sees_documents_and_the_consent_button(
    running_platform: dict[str, Any], tmp_path: Path
) -> None:
    api = ApiClient(running_platform["api_url"], running_platform["demo"]["api_key"])
    active = [x for x in api.iterate("/v1/leases", limit=500) if not x.get("end_date")]
    lease_id = active[0]["lease_id"]
    deadline = time.monotonic() + 90
    while not api.get(f"/v1/leases/{lease_id}/documents")["items"]:
        assert time.monotonic() < deadline, "the demo notice was not rendered"
        time.sleep(0.5)
    link = api.post(f"/v1/leases/{lease_id}/tenant-link", {})["url"]

    dom = _render(link)
    assert "Mes documents" in dom
    assert "Avis d'échéance" in dom
    assert 'class="open-doc"' in dom
    assert "Recevoir" in dom  # the one-tap consent button

    for name, (width, height) in {"phone": (390, 844), "desktop": (1280, 900)}.items():
        screenshot(link, tmp_path / f"documents-{name}.png", width, height)
        # axe-core audits the page with the documents section shown, at both widths.
        violations = audit(link, "Mes documents", width, height)
        assert blocking(violations) == [], violations


def test_consent_campaign_link_is_one_tap_and_accessible(running_platform: dict[str, Any]) -> None:
    import base64
    import json
    import urllib.request

    from tests.e2e.axe import browser_page

    api = ApiClient(running_platform["api_url"], running_platform["demo"]["api_key"])
    active = [x for x in api.iterate("/v1/leases", limit=500) if not x.get("end_date")]
    target = next(x for x in active if any(t.get("email") for t in x["tenants"]))
    lease_id = target["lease_id"]
    api.put(f"/v1/leases/{lease_id}/consent", {"e_delivery": False, "source": "paper"})
    report = api.post("/v1/documents/consent-campaign", {"campaign_id": "e2e-campaign"})
    assert report["invited"] >= 1

    with urllib.request.urlopen(running_platform["outbox_url"] + "?format=json") as response:
        messages = json.loads(response.read())["messages"]

    def lease_of(link: str) -> str:
        payload = link.split("#c=", 1)[1].split(".")[1]
        return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["l"])

    links = [w for m in messages for w in m["body"].split() if "/#c=" in w]
    (link,) = [x for x in links if lease_of(x) == lease_id]

    with browser_page(link, 390, 844) as page:
        page.wait_for_text("Recevoir vos documents en ligne")
        assert blocking(page.axe()) == []
        page.evaluate("document.getElementById('campaign-accept').click()")
        page.wait_for_text("Merci, votre choix est enregistré")
        assert blocking(page.axe()) == []
    consent = api.get(f"/v1/leases/{lease_id}/consent")
    assert (consent["e_delivery"], consent["source"]) == (True, "campaign")

    # A second use, on a slow network: while documents.js (which makes the button work) is
    # still on its way, the page must not offer the button; app.js has run by then.
    with browser_page(link, 1280, 900, hold="*documents.js") as page:
        page.wait_for("typeof start === 'function' && document.readyState !== 'loading'")
        assert not page.evaluate("document.body.innerText.includes('Recevoir vos documents')")
        assert page.release_held() == 1
        page.wait_for_text("Recevoir vos documents en ligne")
        page.evaluate("document.getElementById('campaign-accept').click()")
        page.wait_for_text("Ce lien a déjà été utilisé")
