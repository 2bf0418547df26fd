"""Services on the in-memory fakes (tests/fakes.py): one world per test, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.core.organisation import Organisation
from tests.fakes import FakeWorld, fake_world
from tests.unit.matching.helpers import COLLECTION, ORG, RANGE, lease

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@pytest.fixture
def world() -> FakeWorld:
    """An organisation ``org-a`` with two leases (TIL-00001 and TIL-00002), each owing 560 €."""
    w = fake_world(clock)
    w.organisations.put_new(Organisation(ORG, "Habitat Test", COLLECTION, RANGE))
    w.leases.put_new(lease(1, "Zoé LEFÈVRE"))
    w.leases.put_new(lease(2, "Karim BENALI"))
    return w
