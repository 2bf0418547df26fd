"""Talking to a running platform found through ``.encaisse/endpoints.json``."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.core.errors import EncaisseError

DEFAULT_STATE_DIR = Path(".encaisse")


class PlatformNotRunningError(EncaisseError):
    """No endpoints.json, or the platform it names does not answer."""


class ApiCallError(EncaisseError):
    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.body = body


def state_dir(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("ENCAISSE_STATE_DIR") or DEFAULT_STATE_DIR)


def load_endpoints(directory: Path) -> dict[str, Any]:
    path = directory / "endpoints.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise PlatformNotRunningError(
            f"{path} not found: start the platform with 'make run' (or 'encaisse up')"
        ) from e
    return data


@dataclass
class ApiClient:
    base_url: str
    api_key: str
    timeout: float = 30.0

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        raw, _ = self._send(method, path, data, query)
        return json.loads(raw) if raw else None

    def download(self, path: str, **query: Any) -> tuple[bytes, dict[str, str]]:
        """A non-JSON answer (an export): its bytes and its headers (lower-case names)."""
        return self._send("GET", path, None, query)

    def _send(
        self, method: str, path: str, data: bytes | None, query: dict[str, Any]
    ) -> tuple[bytes, dict[str, str]]:
        """The answer's bytes and headers (lower-case names); ApiCallError for an
        HTTP error, PlatformNotRunningError when nothing answers."""
        params = {k: v for k, v in query.items() if v is not None}
        url = self.base_url.rstrip("/") + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http only)
        req.add_header("Authorization", f"Bearer {self.api_key}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                return resp.read(), {k.lower(): v for k, v in resp.headers.items()}
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")
            raise ApiCallError(e.code, payload) from e
        except urllib.error.URLError as e:
            raise PlatformNotRunningError(f"{url}: {e.reason}") from e

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, **query)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def iterate(self, path: str, **query: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(path, after=cursor, **query)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items


class MissingApiKeyError(EncaisseError):
    """No API key given and no demo landlord to borrow one from."""


def api_key_for(endpoints: dict[str, Any], explicit: str | None = None) -> str:
    """The key the CLI calls the API with: ``--api-key``, else ``ENCAISSE_API_KEY``,
    else the demo landlord's (a platform started with ``--no-seed`` has none)."""
    key = (
        explicit
        or os.environ.get("ENCAISSE_API_KEY")
        or (endpoints.get("demo") or {}).get("api_key")
    )
    if not key:
        raise MissingApiKeyError(
            "no API key: pass --api-key KEY or set ENCAISSE_API_KEY "
            "(the platform runs without the demo landlord)"
        )
    return str(key)


def org_for(endpoints: dict[str, Any], explicit: str | None = None) -> str:
    """The organisation a command acts for: ``--org``, ``ENCAISSE_ORG``, else the demo's."""
    org = explicit or os.environ.get("ENCAISSE_ORG") or (endpoints.get("demo") or {}).get("org_id")
    if not org:
        raise MissingApiKeyError(
            "no organisation: pass --org ORG or set ENCAISSE_ORG "
            "(the platform runs without the demo landlord)"
        )
    return str(org)


def api_client(endpoints: dict[str, Any], api_key: str | None = None) -> ApiClient:
    return ApiClient(endpoints["api_url"], api_key_for(endpoints, api_key))
