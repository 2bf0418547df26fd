"""Operations (scope ``operator``): hand dead-lettered messages back to their queue.

``POST /v1/ops/redrive`` with an optional ``{"queue": "ingest" | "match"}`` moves
every message of that queue's dead-letter queue (of both, without a body) back
to the source queue, and answers how many moved per queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from functions.api.auth import Principal
from functions.api.http import Routes, deps, json_response
from functions.core.errors import ValidationError

if TYPE_CHECKING:
    from functions.adapters.recovery import SqsRedriver

bp = Blueprint(__name__)
route = Routes(bp)


def _redriver() -> SqsRedriver:
    return deps.redriver


@route("/v1/ops/redrive", methods=("POST",), scope="operator", replay=False)
def redrive(principal: Principal) -> Any:
    body = bp.current_request.json_body if bp.current_request.raw_body else None
    if body is not None and not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    queue = (body or {}).get("queue")
    redriver = _redriver()
    if queue is not None and queue not in redriver.names():
        raise ValidationError("queue", f"must be one of {', '.join(redriver.names())}")
    moved = redriver.redrive([queue] if queue else None)
    return json_response({"moved": moved})
