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

# No client-side parameter validation (as PynamoDB's clients): DynamoDB and the emulator
# check every request anyway, and botocore's validator walks each attribute of a
# 100-item transaction (~5 ms of CPU per TransactWriteItems of a bulk call).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, parameter_validation=False)


@cache
def client(service: str) -> Any:
    return get_session().create_client(service, config=_CONFIG)
