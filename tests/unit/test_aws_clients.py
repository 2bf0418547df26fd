"""``functions.adapters.aws.client``: one client per service, all from one session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from functions.adapters.aws import client


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    client.cache_clear()
    yield
    client.cache_clear()  # the next tests build theirs from their own environment


def test_each_service_has_one_client_and_all_share_one_session(fresh: None) -> None:
    ddb, sqs = client("dynamodb"), client("sqs")
    assert client("dynamodb") is ddb and client("sqs") is sqs
    assert ddb.meta.service_model.service_name == "dynamodb"
    # botocore's endpoint data is loaded once per session: the second client reuses it
    assert ddb._endpoint is not sqs._endpoint
    assert ddb._loader is sqs._loader


def test_cache_clear_builds_new_clients_from_the_environment(
    fresh: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = client("sqs")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    assert client("sqs") is before
    client.cache_clear()
    after = client("sqs")
    assert after is not before
    assert after.meta.endpoint_url == "http://127.0.0.1:2"


def test_threads_starting_together_get_the_same_client(fresh: None) -> None:
    got: list[Any] = []
    start = threading.Barrier(8)

    def build() -> None:
        start.wait()
        got.append(client("sqs"))

    threads = [threading.Thread(target=build) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(c is got[0] for c in got)
