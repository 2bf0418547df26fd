"""Leases: terms, balances, vIBAN/RF indexes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.base import (
    Page,
    StorageError,
    _batch_get,
    _d,
    _iso,
    _query_page,
    batch_write,
    from_ddb,
    to_ddb,
    transact,
)
from functions.core.address import PostalAddress
from functions.core.errors import ConflictError, NotFoundError
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.sepa import Mandate


def lease_to_item(lease: Lease) -> dict[str, Any]:
    return {
        "org_id": lease.org_id,
        "lease_id": lease.lease_id,
        "tenants": [
            {k: v for k, v in (("name", t.name), ("email", t.email), ("phone", t.phone)) if v}
            for t in lease.tenants
        ],
        "residence": lease.residence,
        "commune": lease.commune,
        "unit": lease.unit,
        "start_date": lease.start_date.isoformat(),
        "end_date": _iso(lease.end_date),
        "rent_cents": lease.rent_cents,
        "charges_cents": lease.charges_cents,
        "apl_cents": lease.apl_cents,
        "payment_method": lease.payment_method.value,
        "mandate_id": lease.mandate_id,
        "e_delivery_consent": lease.e_delivery_consent,
        "viban": lease.viban,
        "rf_reference": lease.rf_reference,
        "balance_cents": lease.balance_cents,
        "version": lease.version,
        "payer_ibans": list(lease.payer_ibans) or None,
        "postal_address": lease.postal_address.to_dict() if lease.postal_address else None,
        "mandate": lease.mandate.to_dict() if lease.mandate else None,
        "household_id": lease.household_id,
        "external_id": lease.external_id,
    }


def lease_from_item(item: dict[str, Any]) -> Lease:
    return Lease(
        org_id=item["org_id"],
        lease_id=item["lease_id"],
        tenants=tuple(
            Tenant(t["name"], t.get("email"), t.get("phone")) for t in item.get("tenants", [])
        ),
        residence=item.get("residence", ""),
        commune=item.get("commune", ""),
        unit=item.get("unit", ""),
        start_date=date.fromisoformat(item["start_date"]),
        end_date=_d(item.get("end_date")),
        rent_cents=int(item.get("rent_cents", 0)),
        charges_cents=int(item.get("charges_cents", 0)),
        apl_cents=int(item.get("apl_cents", 0)),
        payment_method=PaymentMethod(item.get("payment_method", "transfer")),
        mandate_id=item.get("mandate_id"),
        e_delivery_consent=bool(item.get("e_delivery_consent", False)),
        viban=item["viban"],
        rf_reference=item["rf_reference"],
        balance_cents=int(item.get("balance_cents", 0)),
        version=int(item.get("version", 0)),
        payer_ibans=tuple(item.get("payer_ibans", ())),
        postal_address=(
            PostalAddress.from_dict(item["postal_address"]) if item.get("postal_address") else None
        ),
        mandate=Mandate.from_dict(item["mandate"]) if item.get("mandate") else None,
        household_id=item.get("household_id"),
        external_id=item.get("external_id"),
    )


class DynamoLeaseRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, org_id: str, lease_id: str) -> Lease:
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}, "lease_id": {"S": lease_id}},
            ConsistentRead=True,
        )
        if "Item" not in resp:
            raise NotFoundError("lease", lease_id)
        return lease_from_item(from_ddb(resp["Item"]))

    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]:
        """The stored leases among ``lease_ids`` (absent ones are left out)."""
        keys = [{"org_id": {"S": org_id}, "lease_id": {"S": i}} for i in dict.fromkeys(lease_ids)]
        items = _batch_get(client("dynamodb"), self.table, keys)
        return {i["lease_id"]: lease_from_item(i) for i in items}

    def balances(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(balance in cents, version) of the stored leases among ``lease_ids``: a read
        of these two attributes only."""
        keys = [{"org_id": {"S": org_id}, "lease_id": {"S": i}} for i in dict.fromkeys(lease_ids)]
        items = _batch_get(
            client("dynamodb"),
            self.table,
            keys,
            ProjectionExpression="lease_id, balance_cents, #v",
            ExpressionAttributeNames={"#v": "version"},
        )
        return {
            i["lease_id"]: (int(i.get("balance_cents", 0)), int(i.get("version", 0))) for i in items
        }

    def find(self, org_id: str, lease_id: str) -> Lease | None:
        try:
            return self.get(org_id, lease_id)
        except NotFoundError:
            return None

    def put_new(self, lease: Lease) -> None:
        """Store a lease that must not exist yet (a vIBAN is never given twice)."""
        try:
            client("dynamodb").put_item(
                TableName=self.table,
                Item=to_ddb(lease_to_item(lease)),
                ConditionExpression="attribute_not_exists(lease_id)",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(f"lease {lease.lease_id!r} exists already") from e
            raise StorageError(str(e)) from e

    def put_many_new(self, leases: Sequence[Lease]) -> None:
        """Bulk load (seeding, ERP bulk import) of leases known to be new."""
        ddb = client("dynamodb")
        for start in range(0, len(leases), 25):
            requests = [
                {"PutRequest": {"Item": to_ddb(lease_to_item(lease))}}
                for lease in leases[start : start + 25]
            ]
            batch_write(ddb, self.table, requests)

    _TERMS = (
        "tenants",
        "residence",
        "commune",
        "unit",
        "start_date",
        "end_date",
        "rent_cents",
        "charges_cents",
        "apl_cents",
        "payment_method",
        "mandate_id",
        "e_delivery_consent",
        "postal_address",
        "mandate",
        "household_id",
        "external_id",
    )

    def update_terms(self, lease: Lease, *, payer_ibans: bool = False) -> None:
        """Rewrite what the ERP owns; vIBAN, RF reference, balance and version stay.

        With ``payer_ibans`` the lease's known payer IBANs are rewritten too (an import
        of the ERP's payer history, merged by the caller with what was learned).
        """
        terms = (*self._TERMS, "payer_ibans") if payer_ibans else self._TERMS
        client("dynamodb").update_item(**self._terms_update(lease, terms))

    def _terms_update(self, lease: Lease, terms: Sequence[str]) -> dict[str, Any]:
        item = lease_to_item(lease)
        present = [k for k in terms if item.get(k) is not None]
        absent = [k for k in terms if item.get(k) is None]
        expr = " ".join(
            f"{verb} " + ", ".join(clauses)
            for verb, clauses in (
                ("SET", [f"#{k} = :{k}" for k in present]),
                ("REMOVE", [f"#{k}" for k in absent]),
            )
            if clauses
        )
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"org_id": {"S": lease.org_id}, "lease_id": {"S": lease.lease_id}},
            "UpdateExpression": expr,
            "ConditionExpression": "attribute_exists(lease_id)",
            "ExpressionAttributeNames": {f"#{k}": k for k in terms},
        }
        if present:
            update["ExpressionAttributeValues"] = to_ddb({f":{k}": item[k] for k in present})
        return update

    def create_many(self, leases: Sequence[Lease]) -> set[str]:
        """:meth:`put_new` for a batch, 100 leases per transaction. Answers the ids that
        exist already (created meanwhile by another call): those are not written."""
        ddb = client("dynamodb")
        clashed: set[str] = set()
        for start in range(0, len(leases), 100):
            pending = list(leases[start : start + 100])
            for _ in range(5):
                items = [
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_ddb(lease_to_item(lease)),
                            "ConditionExpression": "attribute_not_exists(lease_id)",
                        }
                    }
                    for lease in pending
                ]
                reasons = transact(ddb, items) if pending else None
                if reasons is None:
                    break
                found = {
                    lease.lease_id
                    for lease, code in zip(pending, reasons, strict=False)
                    if code == "ConditionalCheckFailed"
                }
                clashed |= found
                pending = [lease for lease in pending if lease.lease_id not in found]
            else:
                raise ConflictError("leases not stored: too many concurrent updates; retry")
        return clashed

    def update_many_terms(self, changes: Sequence[tuple[Lease, Lease]]) -> None:
        """:meth:`update_terms` for a batch of (lease as read, lease with the new terms),
        100 per transaction, writing only the terms (and payer IBANs) that changed."""
        ddb = client("dynamodb")
        items = []
        for stored, lease in changes:
            old, new = lease_to_item(stored), lease_to_item(lease)
            changed = [k for k in (*self._TERMS, "payer_ibans") if old.get(k) != new.get(k)]
            if changed:
                items.append({"Update": self._terms_update(lease, changed)})
        for start in range(0, len(items), 100):
            for _ in range(5):
                reasons = transact(ddb, items[start : start + 100])
                if reasons is None:
                    break
                if "ConditionalCheckFailed" in reasons:
                    raise ConflictError("a lease of this call no longer exists; retry")
            else:
                raise ConflictError("leases not updated: too many concurrent updates; retry")

    def list(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page:
        return _query_page(self.table, org_id, limit, cursor)

    def with_external_id(self, org_id: str, external_id: str) -> list[Lease]:
        """The leases the ERP numbers ``external_id`` (reads the organisation's leases)."""
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                KeyConditionExpression="org_id = :o",
                FilterExpression="external_id = :x",
                ExpressionAttributeValues={":o": {"S": org_id}, ":x": {"S": external_id}},
            )
        )
        return [lease_from_item(from_ddb(i)) for page in pages for i in page["Items"]]

    def iter_all(self, org_id: str) -> Iterator[Lease]:
        cursor: str | None = None
        while True:
            page = self.list(org_id, limit=500, cursor=cursor)
            yield from (lease_from_item(i) for i in page.items)
            if not page.cursor:
                return
            cursor = page.cursor

    def _by_index(self, index: str, attr: str, value: str, org_id: str) -> Lease | None:
        resp = client("dynamodb").query(
            TableName=self.table,
            IndexName=index,
            KeyConditionExpression=f"{attr} = :v",
            ExpressionAttributeValues={":v": {"S": value}},
        )
        for raw in resp["Items"]:
            item = from_ddb(raw)
            if item["org_id"] == org_id:  # a lease of another landlord never matches
                return lease_from_item(item)
        return None

    def by_viban(self, org_id: str, iban: str) -> Lease | None:
        return self._by_index("viban-index", "viban", iban.replace(" ", "").upper(), org_id)

    def by_rf(self, org_id: str, reference: str) -> Lease | None:
        return self._by_index("rf-index", "rf_reference", reference, org_id)

    def by_rf_any_org(self, reference: str) -> Lease | None:
        """RF references are unique across landlords (they derive from the vIBAN's BBAN)."""
        resp = client("dynamodb").query(
            TableName=self.table,
            IndexName="rf-index",
            KeyConditionExpression="rf_reference = :v",
            ExpressionAttributeValues={":v": {"S": reference}},
        )
        items = resp["Items"]
        return lease_from_item(from_ddb(items[0])) if len(items) == 1 else None


# ---------------------------------------------------------------- transactions
