"""The tenant portal in headless Chromium, against the running platform."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from infra.local.client import ApiClient
from tests.qr_reading import read, svg_modules

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _render(url: str) -> str:
    """The DOM after the page's scripts ran (Chromium's own headless mode)."""
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make test` installs it (Debian package chromium)")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=8000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(url: str, path: Path, width: int, height: int) -> None:
    """A PNG of the page at that window size, for people to look at."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--virtual-time-budget=8000", "--hide-scrollbars",
                f"--window-size={width},{height}", f"--screenshot={path}", url,
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def api(running_platform: dict[str, Any]) -> ApiClient:
    return ApiClient(running_platform["api_url"], running_platform["demo"]["api_key"])


def test_tenant_sees_balance_iban_and_qr(
    running_platform: dict[str, Any], api: ApiClient, tmp_path: Path
) -> None:
    lease = api.get("/v1/leases", limit=1)["items"][0]
    link = api.post(f"/v1/leases/{lease['lease_id']}/tenant-link", {})
    dom = _render(link["url"])
    assert "Bonjour " + lease["tenants"][0]["name"] in dom
    assert "Reste à payer" in dom or "Votre compte est à jour" in dom
    iban = lease["viban"]
    assert " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) in dom
    assert "Avis d'échéance" in dom  # the history
    # The EPC QR code the page drew reads back as the payload the API sent (UTF-8: the
    # demo landlord's name has accents), with the lease's IBAN and reference.
    src = re.search(r'<img id="qr"[^>]* src="(data:image/svg\+xml,[^"]+)"', dom)
    assert src is not None, "no QR code drawn"
    page = urllib.request.Request(
        running_platform["api_url"] + "/v1/tenant/account",
        headers={"Authorization": f"Tenant {link['token']}"},
    )
    with urllib.request.urlopen(page, timeout=30) as answer:
        sent = json.loads(answer.read())["pay"]["epc_payload"]
    assert read(svg_modules(html.unescape(src.group(1))), tmp_path) == sent
    for name, (width, height) in {"phone": (390, 1600), "desktop": (1280, 1100)}.items():
        screenshot(link["url"], tmp_path / f"account-{name}.png", width, height)
    epc = sent.split("\n")
    assert epc[6] == iban and epc[9] == lease["rf_reference"]


def test_balance_page_has_no_serious_accessibility_violation(
    running_platform: dict[str, Any], api: ApiClient
) -> None:
    from tests.e2e.axe import audit, blocking

    lease = api.get("/v1/leases", limit=1)["items"][0]
    link = api.post(f"/v1/leases/{lease['lease_id']}/tenant-link", {})["url"]
    for width, height in ((390, 844), (1280, 900)):
        violations = audit(link, "Payer par virement", width, height)
        assert blocking(violations) == [], violations


def test_payment_page_by_reference_shows_no_personal_data(
    running_platform: dict[str, Any], api: ApiClient
) -> None:
    lease = api.get("/v1/leases", limit=1)["items"][0]
    dom = _render(f"{running_platform['portal_url']}/?ref={lease['rf_reference']}")
    assert "Payer par virement" in dom
    assert lease["tenants"][0]["name"] not in dom
    assert "Reste à payer" not in dom


def test_expired_or_forged_link_is_explained(running_platform: dict[str, Any]) -> None:
    dom = _render(f"{running_platform['portal_url']}/#t=v1.e30.forged")
    assert "Ce lien n'est plus valable" in dom


def test_the_page_works_without_its_qr_code(
    running_platform: dict[str, Any], api: ApiClient
) -> None:
    """A QR code that cannot be drawn (here, a payload beyond any QR code) hides the code,
    not the page: the balance and the transfer details stay."""
    from tests.e2e.axe import browser_page

    lease = api.get("/v1/leases", limit=1)["items"][0]
    link = api.post(f"/v1/leases/{lease['lease_id']}/tenant-link", {})["url"]
    with browser_page(link, 390, 844) as page:
        page.wait_for_text("Payer par virement")
        assert page.evaluate('document.querySelector("figure.qr").hidden') is False
        page.evaluate(
            'fillPay({beneficiary: "OPH", iban_display: "FR76 3000", iban: "FR763000", bic: "B",'
            ' rf_display: "RF18 5390", rf_reference: "RF18539", amount: "12.00",'
            ' epc_payload: "x".repeat(3000)})'
        )
        assert page.evaluate('document.querySelector("figure.qr").hidden') is True
        assert page.evaluate('document.getElementById("iban").textContent') == "FR76 3000"
        assert page.evaluate('document.getElementById("error").hidden') is True
