"""The DynamoDB package's re-exports, resolved on first use (PEP 562)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import functions.adapters.dynamo as dynamo

ROOT = Path(__file__).resolve().parents[2]


def test_every_exported_name_is_the_one_its_module_defines() -> None:
    assert sorted(dynamo._MODULES) == sorted(dynamo.__all__)
    for name, module in dynamo._MODULES.items():
        defining = importlib.import_module(f"functions.adapters.dynamo.{module}")
        assert getattr(dynamo, name) is getattr(defining, name), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchRepository"):
        _ = dynamo.NoSuchRepository  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        exec("from functions.adapters.dynamo import NoSuchRepository", {})


def test_importing_one_repository_imports_no_other() -> None:
    code = (
        "import sys, json; from functions.adapters.dynamo import DynamoLeaseRepository; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('functions.adapters'))))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(run.stdout))
    assert "functions.adapters.dynamo.leases" in loaded
    others = {"api_keys", "booking", "entries", "files", "organisations", "transactions"}
    assert not {f"functions.adapters.dynamo.{m}" for m in others} & loaded
