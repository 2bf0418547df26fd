"""AWS clients, built lazily and once per process.

Built with botocore's own session rather than boto3's: the clients are the same, and
a cold start does not import boto3's resource and S3-transfer layers, which no adapter
uses. ``AWS_ENDPOINT_URL`` (the embedded emulator locally) is honoured by botocore.

Every client comes from one session: a session loads botocore's endpoint data (a 1.2 MB
JSON file) on its first client, so a session per client paid that again for each
service (the SQS client built after DynamoDB's: 106 ms of CPU, 8 ms from the shared
session). A session is not thread-safe: clients are built under a lock (the API serves
each request on its own thread), which also keeps one client per service.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.config import Config
from botocore.session import Session, get_session

# No client-side parameter validation (as PynamoDB's clients): DynamoDB and the emulator
# check every request anyway, and botocore's validator walks each attribute of a
# 100-item transaction (~5 ms of CPU per TransactWriteItems of a bulk call).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, parameter_validation=False)


class _Clients:
    """``client(service)``: the process's client for ``service``; ``client.cache_clear()``
    forgets them and their session (tests and the local CLI point them at another
    emulator by changing the environment)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: Session | None = None
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        built = self._clients.get(service)
        if built is not None:
            return built
        with self._lock:
            if service not in self._clients:
                if self._session is None:
                    self._session = get_session()
                self._clients[service] = self._session.create_client(service, config=_CONFIG)
            return self._clients[service]

    def cache_clear(self) -> None:
        with self._lock:
            self._session = None
            self._clients.clear()


client = _Clients()
