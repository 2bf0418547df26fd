"""The integration fixtures (settings, the in-process API client) serve here too."""

from tests.integration.conftest import client, settings

__all__ = ["client", "settings"]
