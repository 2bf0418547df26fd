"""ERP routes beyond the basics of app.py: accounting exports (CSV, FEC).

GET /v1/entries/export?format=csv|fec&from=YYYY-MM-DD&to=YYYY-MM-DD
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalice.app import Blueprint, Response

from functions.api.auth import Principal
from functions.api.http import Routes, deps
from functions.core.errors import ValidationError

bp = Blueprint(__name__)
route = Routes(bp)


def _day(params: dict[str, str], key: str, default: date) -> date:
    raw = params.get(key)
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as e:
        raise ValidationError(key, f"{raw[:20]!r} is not a date (YYYY-MM-DD)") from e


@route("/v1/entries/export")
def export_entries(p: Principal) -> Response:
    """Every entry dated in the period (acknowledged or not), as CSV or as a FEC file."""
    params = route.query()
    end = _day(params, "to", datetime.now(UTC).date())
    start = _day(params, "from", end.replace(month=1, day=1))
    export = deps.entry_exports.export(p.org_id, params.get("format", "csv"), start, end)
    return Response(
        body=export.body,
        status_code=200,
        headers={
            "Content-Type": export.content_type,
            "Content-Disposition": f'attachment; filename="{export.file_name}"',
        },
    )
