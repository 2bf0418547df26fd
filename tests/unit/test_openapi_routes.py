"""The published OpenAPI document describes exactly the API's routes."""

from __future__ import annotations

import json
from pathlib import Path

from functions.api.app import app

SPEC = json.loads(
    (Path(__file__).resolve().parents[2] / "functions/api/openapi.json").read_text("utf-8")
)
METHODS = {"get", "post", "put", "patch", "delete"}


def test_every_route_is_documented() -> None:
    undocumented = [
        (path, method)
        for path, methods in app.routes.items()
        for method in methods
        if method != "OPTIONS" and method.lower() not in SPEC["paths"].get(path, {})
    ]
    assert undocumented == []


def test_every_documented_operation_exists() -> None:
    ghosts = [
        (path, method)
        for path, ops in SPEC["paths"].items()
        for method in ops
        if method in METHODS and method.upper() not in app.routes.get(path, {})
    ]
    assert ghosts == []
