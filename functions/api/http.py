"""What every route shares: dependencies, authentication, problem responses, helpers."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Chalice, Request, Response

from functions.api import headers as security
from functions.api import idempotency
from functions.api.auth import CachedKeyStore, authenticate
from functions.bootstrap import Composition
from functions.core.errors import (
    AuthenticationError,
    ConflictError,
    EncaisseError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        BasePersistenceLayer,
        IdempotencyConfig,
    )

    from functions.adapters.dynamo import DynamoOrganisationRepository
    from functions.organisations.secrets import OrganisationSecrets

MAX_LIMIT = 500
MAX_BODY_BYTES = 5 * 1024 * 1024  # below Lambda's 6 MB payload; a 1,000-lease bulk is < 2 MB
MAX_JSON_DEPTH = 32  # the deepest body a route reads is 4 levels
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


class PayloadTooLargeError(ValidationError):
    """A request body above ``MAX_BODY_BYTES`` (HTTP 413)."""


def check_body_shape(raw: bytes | str | None) -> None:
    """Refuse an oversized or too deeply nested body before any JSON parser recurses into it."""
    if not raw:
        return
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeError("body", f"at most {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET)
    depth = 0
    for char in brackets:
        if char in b"[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValidationError("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        else:
            depth -= 1


class _Deps(Composition):
    """The API's view of the composition root: the repositories and services its routes
    call, built on first use (so the app imports without an environment), plus what
    only the API needs."""

    @property
    def orgs(self) -> DynamoOrganisationRepository:
        return self.organisations

    @functools.cached_property
    def keys(self) -> CachedKeyStore:
        """Keys as the routes authenticate them: trusted for a short while once read."""
        return CachedKeyStore(self.api_keys, self.settings.api_key_cache_seconds)

    @property
    def idempotency(self) -> BasePersistenceLayer:
        return self.idempotency_store

    @property
    def secrets(self) -> OrganisationSecrets:
        return self.org_secrets

    @functools.cached_property
    def cors_origins(self) -> frozenset[str]:
        s = self.settings
        return security.allowed_origins(s.cors_allowed_origins, s.portal_base_url)

    @functools.cached_property
    def idempotency_config(self) -> IdempotencyConfig:
        return idempotency.idempotency_config()


deps = _Deps()

_STATUS = {
    idempotency.IdempotencyKeyReusedError: (422, "idempotency-key-reused", "Key reused"),
    PayloadTooLargeError: (413, "payload-too-large", "Payload too large"),
    ValidationError: (400, "invalid-request", "Invalid request"),
    AuthenticationError: (401, "unauthenticated", "Authentication required"),
    PermissionDeniedError: (403, "forbidden", "Forbidden"),
    NotFoundError: (404, "not-found", "Not found"),
    ConflictError: (409, "conflict", "Conflict"),
}


def problem(error: EncaisseError) -> Response:
    """RFC 9457 problem details for a domain error."""
    status, slug, title = 500, "internal", "Internal error"
    for cls, mapped in _STATUS.items():
        if isinstance(error, cls):
            status, slug, title = mapped
            break
    body: dict[str, Any] = {
        "type": f"https://encaisse.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": str(error),
    }
    if isinstance(error, ValidationError):
        body["field"] = error.field
    headers: dict[str, str | list[str]] = {"Content-Type": "application/problem+json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="encaisse"'
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=headers)


class Routes:
    """Route decorators for a Chalice app or blueprint, with authentication, scope check
    and error mapping; and the request helpers its views share."""

    def __init__(self, target: Chalice | Blueprint) -> None:
        self.target = target

    def __call__(
        self,
        path: str,
        methods: tuple[str, ...] = ("GET",),
        scope: str | None = "erp",
        replay: bool = True,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """``replay=False`` for a route whose answer holds a secret shown once: an
        ``Idempotency-Key`` does not store (and replay) it."""

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def wrapped(**params: Any) -> Any:
                try:
                    request = self.request()
                    check_body_shape(request.raw_body)
                    if scope is None:
                        return view(**params)
                    headers = dict(request.headers)
                    principal = authenticate(deps.keys, headers)
                    principal.require(scope)
                    key = idempotency.key_from_headers(headers)
                    if key is None or not replay or request.method not in idempotency.WRITE_METHODS:
                        return view(principal, **params)
                    return idempotency.run_once(
                        deps.idempotency,
                        deps.idempotency_config,
                        principal.org_id,
                        key,
                        idempotency.fingerprint(
                            request.method, request.path, request.uri_params, request.raw_body
                        ),
                        lambda: view(principal, **params),
                        deps.replays,
                    )
                except EncaisseError as e:
                    return problem(e)

            self.target.route(path, methods=list(methods), content_types=["application/json"])(
                wrapped
            )
            return view

        return decorate

    def request(self) -> Request:
        """The request at hand (views run only inside one)."""
        request = self.target.current_request
        if request is None:
            raise RuntimeError("no request at hand: called outside a route")
        return request

    def query(self) -> dict[str, str]:
        return dict(self.request().query_params or {})

    def limit(self, params: dict[str, str], default: int = 100) -> int:
        raw = params.get("limit", str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValidationError("limit", f"a whole number from 1 to {MAX_LIMIT}")
        return int(raw)

    def body(self) -> Any:
        raw = self.request().raw_body
        if not raw:
            raise ValidationError("body", "a JSON body is required")
        check_body_shape(raw)
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise ValidationError("body", f"not valid JSON ({e})") from e


def json_response(body: Any, status_code: int = 200) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status_code,
        headers={"Content-Type": "application/json"},
    )


def with_security_headers(app: Chalice) -> None:
    """Every answer of the API (errors included) carries the security headers, is never
    stored by a cache, and is readable cross-origin by the portal's origin only."""

    def add_headers(event: Any, get_response: Callable[[Any], Response]) -> Response:
        response = get_response(event)
        origin = (event.headers or {}).get("origin")
        extra = security.API_HEADERS | security.cors_headers(origin, deps.cors_origins)
        response.headers = {**extra, **(response.headers or {})}
        return response

    app.register_middleware(add_headers, "http")
