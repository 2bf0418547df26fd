"""boto3 clients, built lazily and once per process.

``AWS_ENDPOINT_URL`` (the embedded emulator locally) is honoured by boto3 itself.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]
