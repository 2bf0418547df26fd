"""Accounting exports as a service: the period and format rules, the file names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from functions.core.accounting import AccountingEntry
from functions.core.errors import ValidationError
from functions.core.lease import Lease
from functions.core.organisation import Organisation
from functions.core.viban import VirtualIbanRange
from functions.erp.exports import EXPORT_MAX_DAYS, EntryExports

ORG = Organisation(
    "org-a",
    "OPH de test",
    "FR7630004008210000420001774",
    VirtualIbanRange("30004", "00821", "57"),
    siren="123456789",
)


class Store:
    def __init__(self) -> None:
        self.asked: list[tuple[date, date]] = []

    def get(self, org_id: str) -> Organisation:
        return ORG

    def between(self, org_id: str, start: date, end: date, limit: int) -> list[AccountingEntry]:
        self.asked.append((start, end))
        return []

    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]:
        return {}


def test_the_longest_period_is_a_bit_over_a_year() -> None:
    assert (date(2025, 2, 5) - date(2024, 1, 1)).days > EXPORT_MAX_DAYS > 366


def test_a_period_is_exported_under_a_dated_name() -> None:
    store = Store()
    exports = EntryExports(store, store, store)
    csv = exports.export("org-a", "csv", date(2026, 1, 1), date(2026, 11, 30))
    assert csv.file_name == "ecritures-20260101-20261130.csv"
    assert csv.content_type.startswith("text/csv")
    fec = exports.export("org-a", "fec", date(2026, 1, 1), date(2026, 11, 30))
    assert fec.file_name.startswith("123456789FEC20261130")
    assert store.asked == [(date(2026, 1, 1), date(2026, 11, 30))] * 2


@pytest.mark.parametrize(
    ("fmt", "start", "end", "field"),
    [
        ("xlsx", date(2026, 1, 1), date(2026, 1, 2), "format"),
        ("csv", date(2026, 1, 2), date(2026, 1, 1), "from"),
        ("fec", date(2024, 1, 1), date(2025, 2, 5), "from"),
    ],
)
def test_a_bad_format_or_period_names_its_field(
    fmt: str, start: date, end: date, field: str
) -> None:
    store = Store()
    with pytest.raises(ValidationError) as e:
        EntryExports(store, store, store).export("org-a", fmt, start, end)
    assert e.value.field == field
    assert store.asked == []  # nothing read
