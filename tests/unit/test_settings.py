"""Settings: every variable of the template's Globals is required, read once at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from functions.adapters.settings import REQUIRED, MissingSettingError, Settings

ROOT = Path(__file__).resolve().parents[2]
FULL = {name: f"value-of-{name.lower()}" for name in REQUIRED}


def test_a_full_environment_gives_every_setting_and_the_optional_defaults() -> None:
    s = Settings.from_env(FULL)
    assert s.leases_table == "value-of-leases_table"
    assert s.cors_allowed_origins is None
    assert s.sweep_after_minutes == 30
    assert (s.zip_max_members, s.zip_max_bytes, s.zip_max_ratio) == (None, None, None)


def test_a_missing_or_blank_variable_is_named_in_one_line() -> None:
    env = {k: v for k, v in FULL.items() if k != "LEDGER_TABLE"} | {"MAIL_SENDER": "  "}
    with pytest.raises(MissingSettingError) as e:
        Settings.from_env(env)
    message = str(e.value)
    assert "\n" not in message
    assert "LEDGER_TABLE" in message and "MAIL_SENDER" in message
    assert "LEASES_TABLE" not in message


def test_optional_numbers_are_checked() -> None:
    s = Settings.from_env(FULL | {"SWEEP_AFTER_MINUTES": "0", "ZIP_MAX_RATIO": "50"})
    assert (s.sweep_after_minutes, s.zip_max_ratio) == (0, 50)
    with pytest.raises(MissingSettingError, match="ZIP_MAX_MEMBERS"):
        Settings.from_env(FULL | {"ZIP_MAX_MEMBERS": "0"})
    with pytest.raises(MissingSettingError, match="SWEEP_AFTER_MINUTES"):
        Settings.from_env(FULL | {"SWEEP_AFTER_MINUTES": "soon"})


def test_every_required_variable_is_set_by_the_template_globals() -> None:
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    globals_ = template[template.index("Globals:") : template.index("Resources:")]
    assert [name for name in REQUIRED if f"{name}:" not in globals_] == []


def test_a_handler_without_its_environment_stops_at_import_naming_the_variable() -> None:
    env = {"PATH": "", "PYTHONPATH": str(ROOT)} | {
        k: v for k, v in FULL.items() if k != "MATCH_QUEUE_URL"
    }
    run = subprocess.run(
        [sys.executable, "-c", "import functions.ingest.handler"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "MissingSettingError: missing environment variable MATCH_QUEUE_URL" in run.stderr
