"""Fixtures the integration modules share (the emulator itself is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from functions.adapters.settings import Settings


@pytest.fixture
def settings(emulator: Any) -> Settings:
    """The platform's settings, read from the emulator's environment."""
    return Settings.from_env()


@pytest.fixture
def client(emulator: Any) -> Iterator[Client]:
    """The Chalice API in-process, imported once the emulator's environment is set."""
    from functions.api.app import app

    with Client(app) as c:
        yield c
