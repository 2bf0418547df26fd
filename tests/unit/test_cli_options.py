"""The CLI's global options stand before or after the sub-command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.cli import UsageError, hoist_global_options, main


@pytest.mark.parametrize(
    "argv",
    [
        ["--state-dir", "/s", "--org", "o", "--api-key", "k", "leases", "list", "--json"],
        ["leases", "list", "--json", "--state-dir", "/s", "--org=o", "--api-key", "k"],
        ["leases", "--api-key=k", "list", "--state-dir=/s", "--json", "--org", "o"],
    ],
)
def test_global_options_are_taken_wherever_they_stand(argv: list[str]) -> None:
    options, rest = hoist_global_options(argv)
    assert options == {"--state-dir": "/s", "--org": "o", "--api-key": "k"}
    assert rest == ["leases", "list", "--json"]


def test_up_keeps_its_own_options() -> None:
    options, rest = hoist_global_options(["up", "--no-seed", "--state-dir", "/s"])
    assert options == {"--state-dir": "/s"} and rest == ["up", "--no-seed"]


def test_an_option_without_its_value_is_refused() -> None:
    with pytest.raises(UsageError, match="--org needs a value"):
        hoist_global_options(["leases", "list", "--org"])
    with pytest.raises(UsageError, match="--api-key needs a value"):
        hoist_global_options(["--api-key", "--json", "leases", "list"])


def test_running_a_command_in_process_leaves_the_callers_environment_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A test (or tool) calling main() must not inherit --org for its later subprocesses.
    monkeypatch.delenv("ENCAISSE_ORG", raising=False)
    before = dict(os.environ)
    main(["--org", "org-elsewhere", "--state-dir", str(tmp_path / "none"), "leases", "list"])
    assert dict(os.environ) == before


ROOT = Path(__file__).resolve().parents[2]


def test_statement_parse_starts_without_the_other_commands() -> None:
    # `encaisse statement parse` of a large file pays the CLI's start-up: it must not
    # import the platform's commands, their HTTP client or the matching core.
    sample = ROOT / "tests/golden/own/camt053/two_statements.xml"
    code = (
        "import json, sys; from infra.local.cli import main; "
        f"status = main(['statement', 'parse', {str(sample)!r}, '--summary']); "
        "print(json.dumps([status, sorted(sys.modules)]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    status, loaded = json.loads(run.stdout.splitlines()[-1])
    assert status == 0
    unwanted = ("infra.local.cli_", "infra.local.client", "functions.core.matching", "http.client")
    assert [m for m in loaded if m.startswith(unwanted)] == []
