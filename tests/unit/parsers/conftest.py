from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    """The shared test data: ``$ENCAISSE_SHARED_DIR`` or ``../shared`` next to the repo."""
    env = os.environ.get("ENCAISSE_SHARED_DIR")
    return Path(env) if env else REPO / ".." / "shared"


STATEMENTS = shared_dir() / "testdata" / "statements"


@pytest.fixture
def statements_dir() -> Path:
    if not STATEMENTS.is_dir():
        pytest.skip(f"shared statements not found at {STATEMENTS} (set ENCAISSE_SHARED_DIR)")
    return STATEMENTS


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
