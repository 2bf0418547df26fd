"""ERP routes beyond the basics of app.py: accounting exports (CSV, FEC).

GET /v1/entries/export?format=csv|fec&from=YYYY-MM-DD&to=YYYY-MM-DD
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalice import Blueprint, Response

from functions.api.auth import Principal
from functions.api.http import Routes, deps
from functions.core.accounting import entries_as_csv
from functions.core.errors import ValidationError
from functions.core.fec import entries_as_fec, fec_file_name, subledger_ids, tenant_labels

bp = Blueprint(__name__)
route = Routes(bp)

EXPORT_MAX_ENTRIES = 20_000
EXPORT_MAX_DAYS = 400


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
    fmt = params.get("format", "csv")
    if fmt not in {"csv", "fec"}:
        raise ValidationError("format", "csv or fec")
    today = datetime.now(UTC).date()
    end = _day(params, "to", today)
    start = _day(params, "from", end.replace(month=1, day=1))
    if start > end:
        raise ValidationError("from", "is after to")
    if (end - start).days > EXPORT_MAX_DAYS:
        raise ValidationError("from", f"a period of at most {EXPORT_MAX_DAYS} days")
    entries = deps.entries.between(p.org_id, start, end, EXPORT_MAX_ENTRIES)
    if fmt == "fec":
        name = fec_file_name(deps.orgs.get(p.org_id).siren, end)
        leases = deps.leases.find_many(p.org_id, subledger_ids(entries))
        body, content_type = (
            entries_as_fec(entries, tenant_labels(leases)),
            "text/plain; charset=utf-8",
        )
    else:
        name = f"ecritures-{start:%Y%m%d}-{end:%Y%m%d}.csv"
        body, content_type = entries_as_csv(entries), "text/csv; charset=utf-8"
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
