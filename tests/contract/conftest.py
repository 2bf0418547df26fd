"""The stores under contract: the in-memory fakes (tests/fakes.py) and the DynamoDB
adapters on the embedded emulator (marked ``integration``), as one :class:`Stores`.

Each test gets an organisation of its own (``org``), created in both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from functions.core.organisation import Organisation
from tests.fakes import FakeDocumentRepository, fake_world
from tests.unit.matching.helpers import COLLECTION, RANGE


@dataclass
class Stores:
    kind: str
    organisations: Any
    leases: Any
    transactions: Any
    records: Any
    ledger: Any
    ledger_writer: Any
    booker: Any
    entries: Any
    files: Any
    listings: Any
    api_keys: Any
    dunning_cases: Any
    waiting: Any
    documents: Any


def _fakes() -> Stores:
    w = fake_world()
    return Stores(
        "fake",
        w.organisations,
        w.leases,
        w.transactions,
        w.records,
        w.ledger,
        w.ledger_writer,
        w.booker,
        w.entries,
        w.files,
        w.listings,
        w.api_keys,
        w.dunning_cases,
        w.transactions,
        FakeDocumentRepository(),
    )


def _dynamo() -> Stores:
    from functions.adapters.recovery import DynamoWaitingTransactions
    from functions.adapters.settings import Settings
    from functions.bootstrap import Composition

    c = Composition(Settings.from_env())
    return Stores(
        "dynamo",
        c.organisations,
        c.leases,
        c.transactions,
        c.transaction_records,
        c.ledger,
        c.ledger_writer,
        c.booker,
        c.entries,
        c.files,
        c.listings,
        c.api_keys,
        c.dunning_cases,
        DynamoWaitingTransactions(c.settings.transactions_table),
        c.document_manifests,
    )


@pytest.fixture(params=["fake", pytest.param("dynamo", marks=pytest.mark.integration)])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "fake":
        return _fakes()
    request.getfixturevalue("emulator")
    request.getfixturevalue("clean_tables")
    return _dynamo()


@pytest.fixture
def org(stores: Stores) -> Organisation:
    organisation = Organisation(
        f"org-{uuid.uuid4().hex[:10]}", "Habitat Contrat", COLLECTION, RANGE
    )
    stores.organisations.put_new(organisation)
    return organisation
