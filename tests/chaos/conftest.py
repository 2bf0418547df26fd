"""The integration fixtures (settings, the in-process API client) serve here too, and the
crash scenarios' own environment guard."""

import os
from collections.abc import Iterator

import pytest

from tests.integration.conftest import client, settings

__all__ = ["client", "settings"]


@pytest.fixture
def own_environment() -> Iterator[None]:
    """The CLI points this process's AWS clients at the platform: undo it after."""
    from functions.adapters.aws import client as aws_client

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    aws_client.cache_clear()
