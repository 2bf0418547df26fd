"""Shared fixtures: the embedded emulator (in-process) and the running platform (subprocess).

``emulator`` — session: moto in this process with our patches and every resource of
template.yaml, no demo data, ``os.environ`` set as the handlers see it (so handler
modules and adapters can be imported and used directly). Workflow time runs 3600 times
faster (a one-hour Wait lasts a second). No SQS pollers run: tests drive handlers
themselves; ``event_sources`` starts them for one test. Yields
:class:`infra.local.resources.Resources`.

``running_platform`` — session: ``python -m infra.local.runtime`` (what ``encaisse up``
runs) in a subprocess on free ports, seeded, time factor 3600. Yields the endpoints.json
dict; stopped with SIGINT at the end, which must exit cleanly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EMULATOR_TIME_FACTOR = 3600.0
LOCAL_PORTAL_URL = "http://127.0.0.1:8701"


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    from infra.local.invoke import INVOKER
    from infra.local.resources import in_process

    overrides = {"PORTAL_BASE_URL": LOCAL_PORTAL_URL}
    with in_process(time_factor=EMULATOR_TIME_FACTOR, environment_overrides=overrides) as res:
        INVOKER.register(res.functions)
        try:
            yield res
        finally:
            INVOKER.clear()


@pytest.fixture
def clean_tables(emulator: Any) -> Iterator[None]:
    """Empties every table of the template after the test."""
    yield
    dynamodb = emulator.client("dynamodb")
    for name in emulator.tables.values():
        keys = [
            k["AttributeName"]
            for k in dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]
        ]
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            items = [{k: item[k] for k in keys} for item in page["Items"]]
            for start in range(0, len(items), 25):
                batch = [{"DeleteRequest": {"Key": key}} for key in items[start : start + 25]]
                dynamodb.batch_write_item(RequestItems={name: batch})


@pytest.fixture
def event_sources(emulator: Any) -> Iterator[Any]:
    """The SQS pollers feeding the real handlers, for one test (schedules off)."""
    from infra.local.runner import EventSources

    sources = EventSources(emulator, time_factor=EMULATOR_TIME_FACTOR, schedules_enabled=False)
    sources.start()
    try:
        yield sources
    finally:
        sources.stop()


@pytest.fixture(scope="session")
def running_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from infra.local.launcher import start_platform_process

    state_dir: Path = tmp_path_factory.mktemp("platform") / ".encaisse"
    platform = start_platform_process(
        state_dir,
        "--api-port", "0", "--portal-port", "0", "--aws-port", "0", "--sftp-port", "0",
        "--time-factor", "3600",
        timeout=120,
        # a few notices, not the demo's 500; a key revoked by the CLI refused at once
        env={"ENCAISSE_DEMO_NOTICES": "12", "API_KEY_CACHE_SECONDS": "0"},
    )  # fmt: skip
    try:
        yield platform.endpoints
    finally:
        code = platform.stop()
        assert code == 0, f"the platform exited with {code}:\n{platform.output_text()[-5000:]}"
