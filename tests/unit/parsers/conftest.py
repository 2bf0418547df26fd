from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    """The shared test data: ``$ENCAISSE_SHARED_DIR`` or ``../shared`` next to the repo."""
    env = os.environ.get("ENCAISSE_SHARED_DIR")
    return Path(env) if env else REPO / ".." / "shared"


STATEMENTS = shared_dir() / "testdata" / "statements"


def missing_shared(path: Path) -> None:
    """A test whose shared data (``../shared``) is absent: skipped on a
    developer's clone, failed in CI (``CI=true``), where it must be there."""
    message = f"shared test data not found at {path} (set ENCAISSE_SHARED_DIR)"
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def shared_cases(cases: Iterable[str]) -> list[str]:
    """The parameters of a test of the shared files: ``cases``, or a single
    placeholder when the files are absent, so that such a test skips once
    (fails in CI) through :func:`shared_statements` rather than once per file."""
    return sorted(cases) if STATEMENTS.is_dir() else ["-"]


@pytest.fixture(scope="session")
def shared_statements() -> Path:
    """The shared statements folder (see :func:`missing_shared`)."""
    if not STATEMENTS.is_dir():
        missing_shared(STATEMENTS)
    return STATEMENTS


@pytest.fixture
def statements_dir(shared_statements: Path) -> Path:
    return shared_statements


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
