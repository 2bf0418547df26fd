"""The bulk routes on the emulator: batched writes that still answer item by item.

``/v1/leases/bulk`` and ``/v1/rent-calls/bulk`` write in transactions of up to 100
items (issue 12); each item keeps its own outcome, a bad item its own error, and a
lease changed by someone else between the read and the write is handled like the
one-by-one path did.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pytest
from chalice.test import Client

from functions.adapters.dynamo import DynamoLedgerRepository, DynamoLedgerWriter
from functions.adapters.settings import Settings
from functions.bootstrap import Composition
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine
from functions.leases.service import LeaseService, RentCall, rent_call_line
from tests.integration.test_api import LEASE, _h, _new_org

pytestmark = pytest.mark.integration

CALL = {"period": "2026-11", "due_date": "2026-11-05", "rent": "412.30", "charges": "61.20"}
BAD_LEASES = {17: ("rent", "abc"), 250: ("start_date", "2024-02-30"), 999: ("rent", "-1")}


def _leases() -> list[dict[str, object]]:
    items: list[dict[str, object]] = [LEASE | {"lease_id": f"M-{n:04d}"} for n in range(1000)]
    for n, (name, value) in BAD_LEASES.items():
        items[n] = items[n] | {name: value}
    items[500] = LEASE | {"lease_id": "M-0001"}  # twice in one call
    return items


def test_a_1000_item_bulk_answers_each_item_with_a_few_bad_ones(
    client: Client, settings: Settings
) -> None:
    _, key = _new_org(settings, ["erp"])
    r = client.http.post("/v1/leases/bulk", headers=_h(key), body=json.dumps({"leases": _leases()}))
    assert r.status_code == 200, r.body[:500]
    out = json.loads(r.body)
    assert [i["index"] for i in out["items"]] == list(range(1000))
    bad = {i["index"]: i["error"]["field"] for i in out["items"] if i["status"] == "error"}
    assert bad == {n: name for n, (name, _) in BAD_LEASES.items()} | {500: "lease_id"}
    assert out["counts"] == {"created": 996, "error": 4}
    vibans = [i["lease"]["viban"] for i in out["items"] if i["status"] == "created"]
    assert len(set(vibans)) == 996
    stored = json.loads(client.http.get("/v1/leases/M-0002", headers=_h(key)).body)
    assert stored["viban"] == out["items"][2]["lease"]["viban"]
    assert client.http.get("/v1/leases/M-0017", headers=_h(key)).status_code == 404

    # the same call again updates every lease, keeping each vIBAN
    again = json.loads(
        client.http.post(
            "/v1/leases/bulk", headers=_h(key), body=json.dumps({"leases": _leases()})
        ).body
    )
    assert again["counts"] == {"updated": 996, "error": 4}
    assert [i["lease"]["viban"] for i in again["items"] if i["status"] == "updated"] == vibans

    calls = [CALL | {"lease_id": f"M-{n:04d}", "rent_call_id": f"RC-{n}"} for n in range(1000)]
    calls[17] = CALL | {"lease_id": "M-0017"}  # the lease was refused above: 404
    calls[40] = CALL | {"lease_id": "M-0040", "due_date": "2026-11-31"}
    calls[41] = calls[42]  # the same rent call twice in one call
    body = json.dumps({"rent_calls": calls})
    r = client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=body)
    assert r.status_code == 200, r.body[:500]
    out = json.loads(r.body)
    assert [i["index"] for i in out["items"]] == list(range(1000))
    errors = {i["index"]: i["error"] for i in out["items"] if i["status"] == "error"}
    assert set(errors) == {17, 40, 250, 500, 999}  # 250, 500 and 999 were never stored
    assert errors[40]["field"] == "due_date" and "M-0017" in errors[17]["detail"]
    assert out["items"][41]["status"] == "created" and out["items"][42]["status"] == "exists"
    assert out["counts"] == {"created": 994, "exists": 1, "error": 5}
    account = json.loads(client.http.get("/v1/leases/M-0042/account", headers=_h(key)).body)
    assert account["balance"] == "473.50" and len(account["lines"]) == 1

    # posted again: every line exists already, no balance moves
    again = json.loads(client.http.post("/v1/rent-calls/bulk", headers=_h(key), body=body).body)
    assert again["counts"] == {"exists": 995, "error": 5}
    account = json.loads(client.http.get("/v1/leases/M-0042/account", headers=_h(key)).body)
    assert account["balance"] == "473.50" and len(account["lines"]) == 1


def _lease_input(org_id: str, lease_id: str) -> Lease:
    from functions.api.requests import lease_from_body

    return lease_from_body(org_id, lease_id, LEASE)


@dataclass
class _CreatedMeanwhile:
    """The lease store as seen by a call that read before another call created a lease."""

    inner: object
    hidden: str

    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]:
        found: dict[str, Lease] = self.inner.find_many(org_id, lease_ids)  # type: ignore[attr-defined]
        return {k: v for k, v in found.items() if k != self.hidden}

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_lease_created_by_another_call_keeps_its_viban(settings: Settings) -> None:
    org_id, _ = _new_org(settings, ["erp"])
    root = Composition(settings)
    first, _ = root.lease_service.register(_lease_input(org_id, "C-1"))
    racing = LeaseService(
        root.organisations,
        _CreatedMeanwhile(root.leases, "C-1"),
        root.ledger_writer,  # type: ignore[arg-type]
    )
    out = racing.register_many(org_id, [_lease_input(org_id, f"C-{n}") for n in range(3)])
    assert [created for _, created in out] == [True, False, True]
    assert out[1][0].viban == first.viban == root.leases.get(org_id, "C-1").viban


@dataclass
class _BookedMeanwhile:
    """A ledger writer before whose first batch another line moves a lease's balance."""

    inner: DynamoLedgerWriter
    other: LedgerLine
    lease: Lease
    calls: list[int] = field(default_factory=list)

    def post(self, *args: object, **kwargs: object) -> bool:
        raise AssertionError("the bulk path posts in batches")

    def post_batch(
        self, lines: Sequence[LedgerLine], versions: dict[str, int]
    ) -> tuple[frozenset[tuple[str, str]], frozenset[str]] | None:
        if not self.calls:
            assert self.inner.post([self.other], {self.lease.lease_id: self.lease})
        self.calls.append(len(lines))
        return self.inner.post_batch(lines, versions)


def _call(org_id: str, lease_id: str, rent_call_id: str) -> RentCall:
    return RentCall(org_id, lease_id, rent_call_id, "2026-11", date(2026, 11, 5), 40000, 5000)


def test_a_lease_moved_between_the_read_and_the_write_is_read_again(settings: Settings) -> None:
    org_id, _ = _new_org(settings, ["erp"])
    root = Composition(settings)
    root.lease_service.register_many(org_id, [_lease_input(org_id, f"R-{n}") for n in range(3)])
    lease = root.leases.get(org_id, "R-1")
    other = rent_call_line(_call(org_id, "R-1", "EARLIER"), root.lease_service.clock())
    writer = _BookedMeanwhile(root.ledger_writer, other, lease)
    service = LeaseService(root.organisations, root.leases, writer)  # type: ignore[arg-type]
    calls = [_call(org_id, f"R-{n}", "NOV") for n in range(3)] + [_call(org_id, "R-0", "NOV")]
    posting = service.post_rent_calls(org_id, calls)
    assert posting.outcomes == [True, True, True, False]
    assert posting.before["R-1"] == 0
    assert writer.calls == [3, 3]  # refused as a whole, then posted with R-1 read again
    assert root.leases.get(org_id, "R-1").balance_cents == 2 * 45000
    assert root.leases.get(org_id, "R-0").balance_cents == 45000
    lines = DynamoLedgerRepository(settings.ledger_table).lines(org_id, "R-1")
    assert sorted(line.source_id for line in lines) == ["EARLIER", "NOV"]
