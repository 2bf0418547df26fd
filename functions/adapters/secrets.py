"""AWS Secrets Manager as the :class:`~functions.core.secrets.SecretStore`.

Values are cached in the process for a short time (``ttl`` seconds): a warm Lambda
does not call Secrets Manager on every request, and a rotation made elsewhere is
seen within the TTL (the previous value stays valid for far longer than that).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.core.errors import NotFoundError
from functions.core.secrets import RotatingSecret

DEFAULT_TTL = 60.0


class SecretsManagerStore:
    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, RotatingSecret]] = {}
        self._lock = threading.Lock()

    def create(self, name: str, value: RotatingSecret) -> str:
        sm = client("secretsmanager")
        try:
            arn = str(sm.create_secret(Name=name, SecretString=value.to_json())["ARN"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceExistsException":
                raise
            arn = str(sm.describe_secret(SecretId=name)["ARN"])
            self.put(arn, value)
        self._remember(arn, value)
        return arn

    def get(self, ref: str) -> RotatingSecret:
        with self._lock:
            cached = self._cache.get(ref)
        if cached and self.clock() < cached[0]:
            return cached[1]
        try:
            text = client("secretsmanager").get_secret_value(SecretId=ref)["SecretString"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                raise NotFoundError("secret", ref) from e
            raise
        value = RotatingSecret.from_json(text)
        self._remember(ref, value)
        return value

    def put(self, ref: str, value: RotatingSecret) -> None:
        client("secretsmanager").put_secret_value(SecretId=ref, SecretString=value.to_json())
        self._remember(ref, value)

    def forget(self) -> None:
        """Drop the cache (tests; a rotation from another process is seen after the TTL)."""
        with self._lock:
            self._cache.clear()

    def _remember(self, ref: str, value: RotatingSecret) -> None:
        with self._lock:
            self._cache[ref] = (self.clock() + self.ttl, value)
