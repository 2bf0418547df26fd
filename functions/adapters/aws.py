"""AWS clients, built lazily and once per process.

Built with botocore's own session rather than boto3's: the clients are the same, and
a cold start does not import boto3's resource and S3-transfer layers, which no adapter
uses. ``AWS_ENDPOINT_URL`` (the embedded emulator locally) is honoured by botocore.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.config import Config
from botocore.session import get_session

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def client(service: str) -> Any:
    return get_session().create_client(service, config=_CONFIG)
