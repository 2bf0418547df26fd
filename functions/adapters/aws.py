"""AWS clients, built lazily and once per process.

Built with botocore's own session rather than boto3's: the clients are the same, and
a cold start does not import boto3's resource and S3-transfer layers, which no adapter
uses. ``AWS_ENDPOINT_URL`` (the embedded emulator locally) is honoured by botocore.

Every client comes from one session: a session loads botocore's endpoint data (a 1.2 MB
JSON file) on its first client, so a session per client paid that again for each
service (the SQS client built after DynamoDB's: 106 ms of CPU, 8 ms from the shared
session). A session is not thread-safe: clients are built under a lock (the API serves
each request on its own thread), which also keeps one client per service.

The DynamoDB client reads the items of its answers as plain JSON (:class:`_ItemsParser`):
botocore walks every attribute of every item against the service model to build the
same dictionaries (boto/boto3#2928), a third of the API's CPU while an ERP pages through
entries.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from botocore.config import Config
from botocore.parsers import JSONParser, ResponseParserFactory
from botocore.session import Session, get_session

# No client-side parameter validation (as PynamoDB's clients): DynamoDB and the emulator
# check every request anyway, and botocore's validator walks each attribute of a
# 100-item transaction (~5 ms of CPU per TransactWriteItems of a bulk call).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, parameter_validation=False)


# The answers whose only rich values are items (AttributeValue maps): everything else in
# them is a string, a number, a list or a map, as JSON has it.
_ITEM_ANSWERS = frozenset(
    {
        "GetItemOutput",
        "BatchGetItemOutput",
        "TransactGetItemsOutput",
        "QueryOutput",
        "ScanOutput",
        "PutItemOutput",
        "UpdateItemOutput",
        "DeleteItemOutput",
        "BatchWriteItemOutput",
        "TransactWriteItemsOutput",
    }
)
# A binary value (B, BS) is base64 in JSON and bytes once parsed: such an answer goes
# through botocore's own walk.
_BINARY = re.compile(rb'"BS?"\s*:')


class _ItemsParser(JSONParser):
    """botocore's JSON parser, except for an answer of :data:`_ITEM_ANSWERS` holding no
    binary value: that is the JSON itself, which is what botocore's walk of its shape
    gives (``tests/unit/test_aws_items_parser.py`` compares both)."""

    def _handle_json_body(self, raw_body: Any, shape: Any) -> Any:
        botocore: Any = super()  # private methods, not in botocore's type stubs
        items_only = shape is not None and shape.name in _ITEM_ANSWERS
        if items_only and not _BINARY.search(raw_body or b""):
            return botocore._parse_body_as_json(raw_body)
        return botocore._handle_json_body(raw_body, shape)


class _DynamoParsers(ResponseParserFactory):
    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return _ItemsParser()
        return super().create_parser(protocol_name)


def _create(session: Session, service: str) -> Any:
    if service != "dynamodb":
        return session.create_client(service, config=_CONFIG)
    # A client keeps the session's parser factory it was built with.
    default = session.get_component("response_parser_factory")
    session.register_component("response_parser_factory", _DynamoParsers())
    try:
        return session.create_client(service, config=_CONFIG)
    finally:
        session.register_component("response_parser_factory", default)


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
                self._clients[service] = _create(self._session, service)
            return self._clients[service]

    def cache_clear(self) -> None:
        with self._lock:
            self._session = None
            self._clients.clear()


client = _Clients()
