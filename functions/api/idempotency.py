"""``Idempotency-Key`` on write routes, with powertools idempotency.

The key is scoped to the organisation. The first request with a key runs and its
response (2xx only) is kept 24 hours; the same key with the same request (method,
path, JSON body) replays that response with ``Idempotent-Replayed: true``; the same key
with another request is refused (422). Error responses are not kept: the client can
correct its request and retry with the same key.

The DynamoDB record holds the status, headers and a SHA-256 digest of the body; a
body above ``INLINE_BODY_BYTES`` (a 1,000-item bulk answer is ~1 MB, an item at most
400 KB) is kept in S3 and checked against the digest on replay. A retry while the first
request still runs answers 409; the record of a request that died mid-way (its Lambda
timed out or was killed) frees the key once API Gateway's 29 s are over.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from chalice.app import Response

from functions.core.errors import ConflictError, ValidationError

if TYPE_CHECKING:
    # powertools' idempotency package imports boto3 (its DynamoDB layer): ~0.3 s of a
    # cold start that only a request with an Idempotency-Key needs, so it is imported there.
    from aws_lambda_powertools.utilities.idempotency import (
        BasePersistenceLayer,
        IdempotencyConfig,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext

HEADER = "Idempotency-Key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEEP_SECONDS = 24 * 3600
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


INLINE_BODY_BYTES = 64 * 1024


class ReplayStore(Protocol):
    """Where the body of a large answer is kept (``functions.adapters.idempotency``)."""

    def put(self, org_id: str, key: str, body: str) -> str: ...

    def get(self, ref: str) -> str | None: ...


class IdempotencyKeyReusedError(ValidationError):
    """The key was already used for another request (HTTP 422)."""


class _ApiGatewayContext:
    """API Gateway gives a request 29 s: an unfinished first request frees its key then."""

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def idempotency_config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    config = IdempotencyConfig(
        event_key_jmespath="[org_id, key]",
        payload_validation_jmespath="fingerprint",
        expires_after_seconds=KEEP_SECONDS,
    )
    # Powertools reads only the remaining time of the context it is given.
    config.register_lambda_context(cast("LambdaContext", _ApiGatewayContext()))
    return config


def key_from_headers(headers: dict[str, str]) -> str | None:
    lower = {k.lower(): v for k, v in headers.items()}
    raw = lower.get(HEADER.lower())
    if raw is None:
        return None
    if not _KEY.match(raw):
        raise ValidationError(HEADER, "1 to 255 printable ASCII characters, no spaces")
    return raw


def fingerprint(
    method: str, path: str, path_params: dict[str, str] | None, raw_body: bytes | str | None
) -> str:
    """The request as compared on replay: JSON bodies by content, not by spacing."""
    body = raw_body.encode() if isinstance(raw_body, str) else raw_body or b""
    path = f"{path} {json.dumps(path_params or {}, sort_keys=True)}"
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


class _NotKeptError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def as_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return Response(
        body=json.dumps(result, ensure_ascii=False),
        status_code=200,
        headers={"Content-Type": "application/json"},
    )


def run_once(
    store: BasePersistenceLayer,
    config: IdempotencyConfig,
    org_id: str,
    key: str,
    request_fingerprint: str,
    run: Callable[[], Any],
    replays: ReplayStore,
) -> Response:
    """Run the view once per (organisation, key); replay its response afterwards."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    executed = False
    answer: str | None = None

    def execute(request: dict[str, str]) -> dict[str, Any]:
        nonlocal executed
        executed = True
        response = as_response(run())
        if response.status_code >= 300:
            raise _NotKeptError(response)
        raw = response.body
        body = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
        data = body.encode("utf-8")
        kept: dict[str, Any] = {
            "status_code": response.status_code,
            "headers": dict(response.headers or {}),
            "body_sha256": hashlib.sha256(data).hexdigest(),
        }
        if len(data) > INLINE_BODY_BYTES:
            kept["body_ref"] = replays.put(org_id, key, body)
        else:
            kept["body"] = body
        nonlocal answer
        answer = body
        return kept

    once = idempotent_function(
        execute,
        data_keyword_argument="request",
        persistence_store=store,
        config=config,
        key_prefix="api",
    )
    request = {"org_id": org_id, "key": key, "fingerprint": request_fingerprint}
    try:
        kept: dict[str, Any] = once(request=request)
    except _NotKeptError as e:
        return e.response
    except IdempotencyValidationError as e:
        raise IdempotencyKeyReusedError(
            HEADER, "this key was already used for a different request; use a new key"
        ) from e
    except IdempotencyAlreadyInProgressError as e:
        raise ConflictError(
            f"a request with this {HEADER} is still in progress; retry in a few seconds"
        ) from e
    headers = dict(kept["headers"])
    if executed and answer is not None:
        body = answer
    else:
        headers["Idempotent-Replayed"] = "true"
        body = _kept_body(kept, replays)
    return Response(body=body, status_code=int(kept["status_code"]), headers=headers)


def _kept_body(kept: dict[str, Any], replays: ReplayStore) -> str:
    body = kept.get("body")
    if body is None and "body_ref" in kept:
        body = replays.get(str(kept["body_ref"]))
    digest = kept.get("body_sha256")
    if body is None or (
        digest is not None and hashlib.sha256(body.encode("utf-8")).hexdigest() != digest
    ):
        raise ConflictError(
            f"the answer kept for this {HEADER} is no longer available; "
            "check the outcome with a read, or send the request with a new key"
        )
    return str(body)
