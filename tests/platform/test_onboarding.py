"""A new landlord onboarded through public interfaces only (docs/onboarding.md), on a
platform started without the demo landlord (``encaisse up --no-seed``).

The operator creates the organisation with ``encaisse org create`` (which makes the
platform's first operator key); the landlord's ERP loads leases with households,
mandates, payer history and opening balances through the API, posts the month's rent
calls, drops the month's bank file with ``encaisse upload --wait`` and finds the
balances its own books show.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from functions.core.sepa import ics_check_digits
from functions.core.viban import VirtualIbanRange
from infra.local.client import ApiCallError, ApiClient
from tests.fixtures.camt054 import Credit, camt054, payer_iban

pytestmark = pytest.mark.platform

GENERIC_IBAN = VirtualIbanRange("30004", "00999", "00").iban_for(7_700_001)
ICS = f"FR{ics_check_digits('FR', 'OPH001')}ZZZOPH001"


@pytest.fixture(scope="module")
def bare_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from infra.local.launcher import BARE, start_platform_process

    state_dir: Path = tmp_path_factory.mktemp("bare") / ".encaisse"
    platform = start_platform_process(state_dir, *BARE, timeout=120)
    try:
        yield platform.endpoints
    finally:
        code = platform.stop()
        assert code == 0, f"the platform exited with {code}:\n{platform.output_text()[-5000:]}"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.local.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_a_landlord_is_onboarded_and_its_balances_match_its_erp(
    bare_platform: dict[str, Any], tmp_path: Path
) -> None:
    state = bare_platform["state_dir"]
    assert bare_platform["demo"] is None

    # Without the demo landlord and without a key, commands say what is missing.
    bare = _cli("--state-dir", state, "leases", "list")
    assert bare.returncode == 1 and "--api-key" in bare.stderr, bare.stderr

    # 1. The operator creates the organisation (the first operator key comes with it).
    created = _cli(
        "org", "create", "--id", "oph-sud", "--name", "OPH du Sud",
        "--bank-code", "30004", "--branch-code", "00999", "--account-prefix", "61",
        "--bic", "BNPAFRPPXXX", "--iban", GENERIC_IBAN, "--ics", ICS,
        "--state-dir", state,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    org = json.loads(created.stdout)
    assert org["ics"] == ICS and org["viban_range"]["account_prefix"] == "61"
    key = org["api_key"]["key"]
    shown = _cli("--state-dir", state, "org", "show", "oph-sud")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["name"] == "OPH du Sud"
    updated = _cli("org", "update", "oph-sud", "--erp-format", "fec", "--state-dir", state)
    assert json.loads(updated.stdout)["erp"]["format"] == "fec", updated.stderr

    # 2. The ERP loads its leases: a household's flat and parking, a direct-debit
    # tenant with a mandate, a tenant whose payer history is known.
    api = ApiClient(bare_platform["api_url"], key)
    base = {"residence": "Les Pins", "commune": "Nîmes", "start_date": "2018-09-01"}
    leases = {
        "0010666-01": base | {"tenants": [{"name": "Karim HADDAD"}], "unit": "A3",
                              "rent": "380.00", "charges": "70.00",
                              "aid_paid_to_landlord": "120.00", "household_id": "H-0010666",
                              "external_id": "0010666/01"},
        "0010666-02": base | {"tenants": [{"name": "Karim HADDAD"}], "unit": "P12",
                              "rent": "35.00", "household_id": "H-0010666",
                              "external_id": "0010666/02"},
        "0020111-01": base | {"tenants": [{"name": "Sylvie MARCHAND"}], "unit": "B7",
                              "rent": "410.00", "charges": "60.00",
                              "payment_method": "direct_debit",
                              "mandate": {"rum": "OPHSUD-0020111", "signed_on": "2018-08-20",
                                          "debtor_iban": payer_iban(7),
                                          "debtor_name": "MARCHAND SYLVIE",
                                          "sequence": "RCUR"}},
        "0030222-01": base | {"tenants": [{"name": "Jean-Luc ROUX"}], "unit": "C1",
                              "rent": "300.00", "charges": "50.00",
                              "payer_ibans": [payer_iban(9)]},
    }  # fmt: skip
    vibans = {}
    for lease_id, body in leases.items():
        vibans[lease_id] = api.put(f"/v1/leases/{lease_id}", body)["viban"]
    assert api.get("/v1/leases/0010666-02")["external_id"] == "0010666/02"

    # 3. Opening balances as the ERP has them: arrears, a credit; a repeat is harmless.
    opening = {"0010666-02": "70.00", "0020111-01": "-45.00", "0030222-01": "350.00"}
    for lease_id, amount in opening.items():
        body = {"amount": amount, "date": "2026-11-30", "reference": f"AN-2026/{lease_id}"}
        api.post(f"/v1/leases/{lease_id}/opening-balance", body)
    again = {"amount": "70.00", "date": "2026-11-30", "reference": "AN-2026/0010666-02"}
    assert not api.post("/v1/leases/0010666-02/opening-balance", again)["created"]
    with pytest.raises(ApiCallError) as refused:
        api.post("/v1/leases/0010666-02/opening-balance",
                 {"amount": "-1.00", "date": "2026-11-30", "reference": "AN-bis"})  # fmt: skip
    assert refused.value.status == 409
    api.post("/v1/leases/0030222-01/adjustments",
             {"amount": "-20.00", "date": "2026-12-01", "reference": "AV-118",
              "label": "Régularisation de charges 2025"})  # fmt: skip

    # 4. December's rent calls.
    for lease_id, body in leases.items():
        rent, charges = body["rent"], body.get("charges", "0")
        aid = body.get("aid_paid_to_landlord", "0")
        api.post("/v1/rent-calls", {"lease_id": lease_id, "period": "2026-12",
                                    "due_date": "2026-12-05", "rent": rent,
                                    "charges": charges, "apl": aid})  # fmt: skip

    # 5. December's bank file: the household paid its flat's vIBAN for the flat and the
    # parking's arrears (shared oldest debt first); the tenant known from the payer
    # history paid the generic IBAN with no text.
    statement = tmp_path / "oph-sud-2026-12.xml"
    statement.write_bytes(
        camt054(
            GENERIC_IBAN,
            [
                Credit("400.00", vibans["0010666-01"], "M KARIM HADDAD", payer_iban(3),
                       "LOYER DECEMBRE ET PARKING"),
                Credit("330.00", None, "ROUX J L", payer_iban(9), ""),
            ],
            msg_id="OPHSUD-1212",
            booking=date(2026, 12, 8),
        )
    )  # fmt: skip
    uploaded = _cli("upload", str(statement), "--wait", "90", "--org", "oph-sud",
                    "--api-key", key, "--state-dir", state)  # fmt: skip
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert "decided" in uploaded.stdout and "new" not in uploaded.stdout.split("decided:")[1]

    # 6. The balances are the ERP's: opening + rent calls - payments ± adjustments.
    expected = {
        "0010666-01": (380_00 + 70_00 - 120_00) - 330_00,
        "0010666-02": 70_00 + 35_00 - 70_00,
        "0020111-01": -45_00 + 470_00,
        "0030222-01": 350_00 - 20_00 + 350_00 - 330_00,
    }
    listed = _cli("leases", "list", "--json", "--state-dir", state, env=_env(key))
    assert listed.returncode == 0, listed.stderr
    balances = {x["lease_id"]: x["balance"] for x in json.loads(listed.stdout)}
    assert balances == {k: f"{v / 100:.2f}" for k, v in expected.items()}

    exported = _cli("--api-key", key, "allocations", "export", "--json", "--state-dir", state)
    assert exported.returncode == 0, exported.stderr
    allocations = json.loads(exported.stdout)
    assert len(allocations) == 2
    household = next(a for a in allocations if a["amount"] == "400.00")
    assert {x["lease_id"]: x["amount"] for x in household["allocations"]} == {
        "0010666-01": "330.00",
        "0010666-02": "70.00",
    }, household


def _env(key: str) -> dict[str, str]:
    import os

    return dict(os.environ) | {"ENCAISSE_API_KEY": key}
