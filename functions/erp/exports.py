"""Accounting exports for the ERP or the accountant: a period's entries as CSV or FEC.

Every entry dated in the period counts, acknowledged or not. The FEC (article A47 A-1
of the Livre des procédures fiscales) names its file after the landlord's SIREN and
labels each tenant sub-ledger with the lease's tenants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from functions.core.accounting import AccountingEntry, entries_as_csv
from functions.core.errors import ValidationError
from functions.core.fec import entries_as_fec, fec_file_name, subledger_ids, tenant_labels
from functions.core.lease import Lease
from functions.core.organisation import Organisation

EXPORT_MAX_ENTRIES = 20_000
EXPORT_MAX_DAYS = 400
FORMATS = ("csv", "fec")


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Entries(Protocol):
    def between(self, org_id: str, start: date, end: date, limit: int) -> list[AccountingEntry]: ...


class Leases(Protocol):
    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]: ...


@dataclass(frozen=True, slots=True)
class Export:
    file_name: str
    body: str
    content_type: str


@dataclass
class EntryExports:
    orgs: Organisations
    entries: Entries
    leases: Leases

    def export(self, org_id: str, fmt: str, start: date, end: date) -> Export:
        """The entries dated ``start`` to ``end`` (inclusive) in ``fmt`` (csv or fec).

        Raises ``ValidationError`` for another format, a period that ends before it
        starts or one longer than ``EXPORT_MAX_DAYS``."""
        if fmt not in FORMATS:
            raise ValidationError("format", " or ".join(FORMATS))
        if start > end:
            raise ValidationError("from", "is after to")
        if (end - start).days > EXPORT_MAX_DAYS:
            raise ValidationError("from", f"a period of at most {EXPORT_MAX_DAYS} days")
        entries = self.entries.between(org_id, start, end, EXPORT_MAX_ENTRIES)
        if fmt == "fec":
            leases = self.leases.find_many(org_id, subledger_ids(entries))
            return Export(
                fec_file_name(self.orgs.get(org_id).siren, end),
                entries_as_fec(entries, tenant_labels(leases)),
                "text/plain; charset=utf-8",
            )
        return Export(
            f"ecritures-{start:%Y%m%d}-{end:%Y%m%d}.csv",
            entries_as_csv(entries),
            "text/csv; charset=utf-8",
        )
