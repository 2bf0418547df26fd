"""The composition root builds every service from Settings, each on first use only."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import pytest

from functions.adapters.settings import REQUIRED, MissingSettingError, Settings
from functions.bootstrap import Composition

ROOT = Path(__file__).resolve().parents[2]
ENV = {name: f"x-{name.lower()}" for name in REQUIRED} | {"MATCH_QUEUE_URL": "https://q/match"}
PARTS = [
    name
    for name, value in vars(Composition).items()
    if isinstance(value, cached_property) and name != "settings"
]


@pytest.fixture
def root(monkeypatch: pytest.MonkeyPatch) -> Composition:
    # Clients are built (never called): they need a region and credentials to exist.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unused")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unused")
    return Composition(Settings.from_env(ENV))


@pytest.mark.parametrize("part", PARTS)
def test_the_root_builds_each_part_from_the_settings(root: Composition, part: str) -> None:
    built = getattr(root, part)
    assert built is not None
    assert getattr(root, part) is built  # once per process


def test_services_share_the_roots_repositories(root: Composition) -> None:
    assert root.matcher.leases is root.leases
    assert root.review.booker is root.booker
    assert root.documents.manifests is root.document_manifests
    assert root.dunning.opening.orgs is root.organisations
    assert root.dunning.reminders.debtors.leases is root.leases


def test_the_api_reads_its_settings_on_first_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)
    from functions.api.http import _Deps

    deps = _Deps()  # what `import functions.api.app` does: no environment needed yet
    monkeypatch.setenv("LEASES_TABLE", "x")
    with pytest.raises(MissingSettingError, match="missing environment variables"):
        _ = deps.leases


# What each function's code needs; the rest of the package must stay unimported.
NOT_NEEDED = {
    "functions.match.handler": ["functions.ingest.parsers", "functions.notify", "weasyprint"],
    "functions.ingest.handler": ["functions.match.service", "functions.notify", "weasyprint"],
    "functions.erp.handler": ["functions.ingest", "functions.match", "functions.notify"],
    "functions.sweeper.handler": ["functions.ingest.parsers", "functions.match", "weasyprint"],
    "functions.notify.handler": [
        "functions.ingest",
        "functions.match",
        "functions.erp",
        # Its cold start (< 700 ms, issue 12): the matching core, the other tables'
        # adapters and the letter's renderer (send_letter only) are not needed to start.
        "functions.core.matching",
        "functions.adapters.dynamo.booking",
        "functions.adapters.dynamo.transactions",
        "functions.adapters.dynamo.api_keys",
        "functions.documents.render",
    ],
    "functions.documents.handler": ["functions.ingest", "functions.match", "functions.notify"],
}


@pytest.mark.parametrize("handler", sorted(NOT_NEEDED))
def test_a_handler_imports_only_what_its_function_uses(handler: str) -> None:
    code = f"import sys, json; import {handler}; print(json.dumps(sorted(m for m in sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "", "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "eu-west-3"} | ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(run.stdout)
    unwanted = [
        m
        for m in loaded
        for prefix in NOT_NEEDED[handler]
        if m == prefix or m.startswith(prefix + ".")
    ]
    assert unwanted == []
