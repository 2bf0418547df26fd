"""Tests of the shared real-world files skip on a clone without ../shared,
and fail in CI, where the files must be there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.parsers.conftest import missing_shared


def test_missing_shared_data_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        missing_shared(Path("/nowhere/shared"))


def test_missing_shared_data_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="/nowhere/shared"):
        missing_shared(Path("/nowhere/shared"))
