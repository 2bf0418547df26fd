"""DynamoDB repositories: the only code that knows how records are stored.

Items are plain attribute maps built by the ``*_to_item`` / ``*_from_item``
functions below, so the storage format is readable in one place.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.faults import crash_point
from functions.core.accounting import AccountingEntry, EntryLine, SourceType
from functions.core.address import PostalAddress
from functions.core.allocation import Allocation
from functions.core.booking import Booking
from functions.core.dunning import DunningPolicy
from functions.core.errors import ConflictError, EncaisseError, NotFoundError, ValidationError
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.ledger import LedgerLine, LineKind
from functions.core.matching import CollectionRecord, MatchDecision, MatchPolicy
from functions.core.organisation import Branding, ChartOfAccounts, HouseholdSplit, Organisation
from functions.core.secrets import PlainSecrets
from functions.core.sepa import Mandate
from functions.core.transactions import BankTransaction, TransactionKind, TransactionStatus
from functions.core.viban import VirtualIbanRange

_ser = TypeSerializer()
_de = TypeDeserializer()


class StorageError(EncaisseError):
    """DynamoDB refused or failed a call."""


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in item.items() if v is not None}


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_de.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


_CURSOR_VERSION = 1
_MAX_CURSOR_CHARS = 2048
_KEY_EQUALS = re.compile(r"(\w+)\s*=\s*(:\w+)")
_NOT_OURS = "not a cursor this API returned"


def cursor_scope(kwargs: dict[str, Any]) -> str:
    """What a cursor is bound to: the table, index and key condition (hence the organisation)."""
    what = [
        kwargs.get("TableName"),
        kwargs.get("IndexName"),
        kwargs.get("KeyConditionExpression"),
        kwargs.get("ExpressionAttributeValues"),
    ]
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:24]


def encode_cursor(key: dict[str, Any] | None, scope: str = "") -> str | None:
    if not key:
        return None
    data = {"v": _CURSOR_VERSION, "s": scope, "k": key}
    return base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).decode()


def _key_value_ok(value: Any) -> bool:
    if isinstance(value, str):
        return 0 < len(value) <= 1024
    return isinstance(value, int) and not isinstance(value, bool)


def decode_cursor(cursor: str | None, scope: str | None = None) -> dict[str, Any] | None:
    """The start key a cursor holds; refuses garbled, forged or foreign cursors (400).

    With ``scope``, the cursor must come from the same listing (``cursor_scope``).
    """
    if not cursor:
        return None
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise ValidationError("cursor", _NOT_OURS)
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, RecursionError) as e:
        raise ValidationError("cursor", _NOT_OURS) from e
    if (
        not isinstance(data, dict)
        or data.get("v") != _CURSOR_VERSION
        or not isinstance(data.get("s"), str)
        or not isinstance(data.get("k"), dict)
    ):
        raise ValidationError("cursor", _NOT_OURS)
    key: dict[str, Any] = data["k"]
    if not 0 < len(key) <= 4 or not all(_key_value_ok(v) for v in key.values()):
        raise ValidationError("cursor", _NOT_OURS)
    if scope is not None and data["s"] != scope:
        raise ValidationError("cursor", "belongs to another listing")
    return key


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


def _query_page(table: str, org_id: str, limit: int, cursor: str | None, **extra: Any) -> Page:
    """One page of an organisation's items, newest cursor encoded for the API."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "org_id = :o",
        "ExpressionAttributeValues": {":o": {"S": org_id}},
        "Limit": limit,
    } | extra
    return query_page(kwargs, cursor)


def query_page(kwargs: dict[str, Any], cursor: str | None) -> Page:
    """Run one query from the API's cursor; the next cursor encodes where it stopped."""
    scope = cursor_scope(kwargs)
    start = decode_cursor(cursor, scope)
    if start:
        values = kwargs.get("ExpressionAttributeValues", {})
        for name, placeholder in _KEY_EQUALS.findall(kwargs.get("KeyConditionExpression", "")):
            if name in start and {"S": start[name]} != values.get(placeholder):
                raise ValidationError("cursor", "belongs to another listing")
        kwargs["ExclusiveStartKey"] = to_ddb(start)
    try:
        resp = client("dynamodb").query(**kwargs)
    except ClientError as e:
        if start and e.response.get("Error", {}).get("Code") == "ValidationException":
            raise ValidationError("cursor", _NOT_OURS) from e
        raise
    last = from_ddb(resp["LastEvaluatedKey"]) if "LastEvaluatedKey" in resp else None
    return Page([from_ddb(i) for i in resp["Items"]], encode_cursor(last, scope))


# ---------------------------------------------------------------- organisations


def organisation_to_item(org: Organisation) -> dict[str, Any]:
    return {
        "org_id": org.org_id,
        "name": org.name,
        "collection_iban": org.collection_iban,
        "viban_bank_code": org.viban_range.bank_code,
        "viban_branch_code": org.viban_range.branch_code,
        "viban_account_prefix": org.viban_range.account_prefix,
        "viban_bic": org.viban_range.bic,
        "chart": {
            "bank": org.chart.bank,
            "tenants": org.chart.tenants,
            "suspense": org.chart.suspense,
            "journal": org.chart.journal,
            "opening": org.chart.opening,
            "adjustments": org.chart.adjustments,
            "opening_journal": org.chart.opening_journal,
            "adjustments_journal": org.chart.adjustments_journal,
        },
        "siren": org.siren,
        "erp_format": org.erp_format,
        "erp_webhook_url": org.erp_webhook_url,
        "erp_webhook_secret_arn": org.erp_webhook_secret_arn,
        "portal_secret_arn": org.portal_secret_arn,
        "address": org.address.to_dict() if org.address else None,
        "branding": _branding_to_item(org.branding),
        "ics": org.ics,
        "dunning": org.dunning.to_dict() if org.dunning else None,
        "household_split": org.household_split.value,
    }


def _branding_to_item(branding: Branding) -> dict[str, Any]:
    return {
        f.name: getattr(branding, f.name)
        for f in dataclasses.fields(branding)
        if getattr(branding, f.name) is not None
    }


def organisation_from_item(item: dict[str, Any]) -> Organisation:
    return Organisation(
        org_id=item["org_id"],
        name=item["name"],
        collection_iban=item["collection_iban"],
        viban_range=VirtualIbanRange(
            item["viban_bank_code"],
            item["viban_branch_code"],
            item["viban_account_prefix"],
            item.get("viban_bic"),
        ),
        chart=ChartOfAccounts(**item.get("chart", {})),
        siren=item.get("siren"),
        erp_format=item.get("erp_format", "json"),
        erp_webhook_url=item.get("erp_webhook_url"),
        erp_webhook_secret_arn=item.get("erp_webhook_secret_arn"),
        portal_secret_arn=item.get("portal_secret_arn"),
        address=PostalAddress.from_dict(item["address"]) if item.get("address") else None,
        branding=Branding(**item.get("branding") or {}),
        ics=item.get("ics"),
        dunning=DunningPolicy.from_dict(item["dunning"]) if item.get("dunning") else None,
        household_split=HouseholdSplit(item.get("household_split") or "oldest_debt_first"),
    )


class DynamoOrganisationRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def put(self, org: Organisation) -> None:
        # Never overwrite the vIBAN counter: it must only ever grow.
        item = to_ddb(organisation_to_item(org))
        names = {f"#a{i}": k for i, k in enumerate(item) if k != "org_id"}
        values = {f":a{i}": item[k] for i, k in enumerate(item) if k != "org_id"}
        sets = ", ".join(f"#a{i} = :a{i}" for i, k in enumerate(item) if k != "org_id")
        client("dynamodb").update_item(
            TableName=self.table,
            Key={"org_id": {"S": org.org_id}},
            UpdateExpression=f"SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def put_new(self, org: Organisation) -> None:
        """Store an organisation whose id must be free."""
        try:
            client("dynamodb").put_item(
                TableName=self.table,
                Item=to_ddb(organisation_to_item(org)),
                ConditionExpression="attribute_not_exists(org_id)",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(f"organisation {org.org_id!r} exists already") from e
            raise StorageError(str(e)) from e

    def get(self, org_id: str) -> Organisation:
        resp = client("dynamodb").get_item(
            TableName=self.table, Key={"org_id": {"S": org_id}}, ConsistentRead=True
        )
        if "Item" not in resp:
            raise NotFoundError("organisation", org_id)
        return organisation_from_item(from_ddb(resp["Item"]))

    def with_plain_secrets(self) -> list[PlainSecrets]:
        """Organisations still holding secrets in clear (items written before the secret store)."""
        found: list[PlainSecrets] = []
        paginator = client("dynamodb").get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table,
            FilterExpression=(
                "attribute_exists(portal_secret) OR attribute_exists(erp_webhook_secret)"
            ),
            ProjectionExpression="org_id, portal_secret, erp_webhook_secret",
        ):
            for raw in page.get("Items", []):
                item = from_ddb(raw)
                found.append(
                    PlainSecrets(
                        item["org_id"], item.get("portal_secret"), item.get("erp_webhook_secret")
                    )
                )
        return found

    def store_secret_refs(self, org: Organisation) -> None:
        """Keep the secrets' references and drop any value stored in clear."""
        client("dynamodb").update_item(
            TableName=self.table,
            Key={"org_id": {"S": org.org_id}},
            UpdateExpression=(
                "SET portal_secret_arn = :p, erp_webhook_secret_arn = :e "
                "REMOVE portal_secret, erp_webhook_secret"
            ),
            ConditionExpression="attribute_exists(org_id)",
            ExpressionAttributeValues=to_ddb(
                {":p": org.portal_secret_arn, ":e": org.erp_webhook_secret_arn}
            ),
        )

    def matching_policy(self, org_id: str) -> MatchPolicy:
        """The organisation's matching settings (attribute ``matching_policy``) over defaults."""
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}},
            ProjectionExpression="matching_policy",
        )
        stored = from_ddb(resp.get("Item", {})).get("matching_policy")
        return MatchPolicy.from_dict(stored if isinstance(stored, dict) else None)

    def set_matching_policy(self, org_id: str, settings: dict[str, Any]) -> MatchPolicy:
        policy = MatchPolicy.from_dict(settings)  # refuse bad settings before storing them
        client("dynamodb").update_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}},
            UpdateExpression="SET matching_policy = :p",
            ConditionExpression="attribute_exists(org_id)",
            ExpressionAttributeValues=to_ddb(
                {":p": json.loads(json.dumps(settings), parse_float=Decimal)}
            ),
        )
        return policy

    def exists(self, org_id: str) -> bool:
        try:
            self.get(org_id)
        except NotFoundError:
            return False
        return True

    def list_ids(self) -> list[str]:
        ids: list[str] = []
        for page in (
            client("dynamodb")
            .get_paginator("scan")
            .paginate(TableName=self.table, ProjectionExpression="org_id")
        ):
            ids.extend(i["org_id"]["S"] for i in page["Items"])
        return sorted(ids)

    def reserve_viban_sequences(self, org_id: str, count: int) -> range:
        """Atomically reserve ``count`` never-used vIBAN numbers."""
        resp = client("dynamodb").update_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}},
            UpdateExpression="ADD viban_next :n",
            ConditionExpression="attribute_exists(org_id)",
            ExpressionAttributeValues={":n": {"N": str(count)}},
            ReturnValues="UPDATED_NEW",
        )
        end = int(resp["Attributes"]["viban_next"]["N"])
        return range(end - count, end)


# ---------------------------------------------------------------- leases


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
        item = lease_to_item(lease)
        terms = (*self._TERMS, "payer_ibans") if payer_ibans else self._TERMS
        present = [k for k in terms if item.get(k) is not None]
        absent = [k for k in terms if item.get(k) is None]
        expr = "SET " + ", ".join(f"#{k} = :{k}" for k in present)
        if absent:
            expr += " REMOVE " + ", ".join(f"#{k}" for k in absent)
        client("dynamodb").update_item(
            TableName=self.table,
            Key={"org_id": {"S": lease.org_id}, "lease_id": {"S": lease.lease_id}},
            UpdateExpression=expr,
            ConditionExpression="attribute_exists(lease_id)",
            ExpressionAttributeNames={f"#{k}": k for k in terms},
            ExpressionAttributeValues=to_ddb({f":{k}": item[k] for k in present}),
        )

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


def transaction_to_item(tx: BankTransaction) -> dict[str, Any]:
    return {
        "org_id": tx.org_id,
        "transaction_id": tx.transaction_id,
        "org_status": f"{tx.org_id}#{tx.status.value}",
        "status": tx.status.value,
        "kind": tx.kind.value,
        "amount_cents": tx.amount_cents,
        "currency": tx.currency,
        "booking_date": _iso(tx.booking_date),
        "value_date": _iso(tx.value_date),
        "account_iban": tx.account_iban,
        "statement_id": tx.statement_id,
        "bank_reference": tx.bank_reference,
        "bank_transaction_code": tx.bank_transaction_code,
        "counterparty_name": tx.counterparty_name,
        "counterparty_iban": tx.counterparty_iban,
        "creditor_account_iban": tx.creditor_account_iban,
        "end_to_end_id": tx.end_to_end_id,
        "mandate_id": tx.mandate_id,
        "remittance": tx.remittance,
        "structured_reference": tx.structured_reference,
        "return_reason": tx.return_reason,
        "original_end_to_end_id": tx.original_end_to_end_id,
        "reversal": tx.reversal,
        "file_id": tx.file_id,
    }


def transaction_from_item(item: dict[str, Any]) -> BankTransaction:
    return BankTransaction(
        org_id=item["org_id"],
        transaction_id=item["transaction_id"],
        kind=TransactionKind(item["kind"]),
        amount_cents=int(item["amount_cents"]),
        currency=item.get("currency", "EUR"),
        booking_date=_d(item.get("booking_date")),
        value_date=_d(item.get("value_date")),
        account_iban=item.get("account_iban"),
        statement_id=item.get("statement_id"),
        bank_reference=item.get("bank_reference"),
        bank_transaction_code=item.get("bank_transaction_code"),
        counterparty_name=item.get("counterparty_name"),
        counterparty_iban=item.get("counterparty_iban"),
        creditor_account_iban=item.get("creditor_account_iban"),
        end_to_end_id=item.get("end_to_end_id"),
        mandate_id=item.get("mandate_id"),
        remittance=item.get("remittance"),
        structured_reference=item.get("structured_reference"),
        return_reason=item.get("return_reason"),
        original_end_to_end_id=item.get("original_end_to_end_id"),
        reversal=bool(item.get("reversal", False)),
        file_id=item.get("file_id", ""),
        status=TransactionStatus(item.get("status", "new")),
    )


def batch_write(ddb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending = {table: requests}
    for _ in range(8):
        resp = ddb.batch_write_item(RequestItems=pending)
        pending = resp.get("UnprocessedItems") or {}
        if not pending:
            return
    raise StorageError(f"{table}: batch write left unprocessed items after retries")


def _batch_get(ddb: Any, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {
            table: {"Keys": keys[start : start + 100], "ConsistentRead": True}
        }
        for _ in range(8):
            resp = ddb.batch_get_item(RequestItems=request)
            found.extend(from_ddb(i) for i in resp["Responses"].get(table, []))
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise StorageError(f"{table}: batch get left unprocessed keys after retries")
    return found


class DynamoTransactionRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def add_new(self, transactions: Iterable[BankTransaction]) -> tuple[list[str], list[str]]:
        """Store the transactions not stored yet.

        Returns ``(written, to_match)``: the ids written now, and every id of the batch
        still waiting for a decision (written now, or stored by an earlier delivery
        that stopped before the match queue heard of it). Re-delivered transactions
        keep their stored record and status untouched.
        """
        batch: dict[str, BankTransaction] = {}
        for tx in transactions:
            batch.setdefault(tx.transaction_id, tx)
        if not batch:
            return [], []
        ddb = client("dynamodb")
        keys = [
            {"org_id": {"S": tx.org_id}, "transaction_id": {"S": tx_id}}
            for tx_id, tx in batch.items()
        ]
        stored = {i["transaction_id"]: i["status"] for i in _batch_get(ddb, self.table, keys)}
        new: list[BankTransaction] = []
        # When it was recorded: the sweeper re-drives what stays ``new`` too long.
        recorded = {"recorded_at": datetime.now(UTC).isoformat()}
        for tx_id, tx in batch.items():
            if tx_id in stored:
                continue
            # Conditional: a concurrent delivery may have written (and matching
            # decided) it since the read; its record is never reset to new.
            try:
                ddb.put_item(
                    TableName=self.table,
                    Item=to_ddb(transaction_to_item(tx) | recorded),
                    ConditionExpression="attribute_not_exists(transaction_id)",
                )
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                stored[tx_id] = "written by another delivery"
                continue
            new.append(tx)
        waiting = TransactionStatus.NEW.value
        to_match = [t for t in batch if stored.get(t, waiting) == waiting]
        crash_point("ingest.recorded")
        return [tx.transaction_id for tx in new], to_match

    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]:
        keys = [{"org_id": {"S": org_id}, "transaction_id": {"S": t}} for t in transaction_ids]
        items = _batch_get(client("dynamodb"), self.table, keys)
        order = {t: i for i, t in enumerate(transaction_ids)}
        return sorted(
            (transaction_from_item(i) for i in items), key=lambda t: order[t.transaction_id]
        )

    def get_item(self, org_id: str, transaction_id: str) -> dict[str, Any]:
        """The stored record (transaction, decision, revision, history)."""
        if not transaction_id.startswith("tx_"):
            raise NotFoundError("transaction", transaction_id)
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}, "transaction_id": {"S": transaction_id}},
            ConsistentRead=True,
        )
        if "Item" not in resp:
            raise NotFoundError("transaction", transaction_id)
        return from_ddb(resp["Item"])

    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None:
        """The direct-debit collection booked with this end-to-end id, if any."""
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_ddb(collection_key(org_id, end_to_end_id)),
            ConsistentRead=True,
        )
        if "Item" not in resp:
            return None
        item = from_ddb(resp["Item"])
        return CollectionRecord(
            transaction_id=item["collection_of"],
            allocations=allocations_from_item(item),
            booking_date=_d(item.get("booking_date")),
            reversed_by=item.get("reversed_by"),
        )

    def list(
        self, org_id: str, status: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page:
        kwargs: dict[str, Any] = {"TableName": self.table, "Limit": limit}
        if status:
            kwargs |= {
                "IndexName": "status-index",
                "KeyConditionExpression": "org_status = :s",
                "ExpressionAttributeValues": {":s": {"S": f"{org_id}#{status}"}},
            }
        else:
            kwargs |= {
                "KeyConditionExpression": "org_id = :o AND begins_with(transaction_id, :tx)",
                "ExpressionAttributeValues": {":o": {"S": org_id}, ":tx": {"S": "tx_"}},
            }
        return query_page(kwargs, cursor)


# ---------------------------------------------------------------- entries and ledger


def entry_to_item(entry: AccountingEntry) -> dict[str, Any]:
    return {
        "org_id": entry.org_id,
        "entry_id": entry.entry_id,
        "pending_org": entry.org_id,
        "date": entry.date.isoformat(),
        "journal": entry.journal,
        "label": entry.label,
        "source_type": entry.source_type.value,
        "source_id": entry.source_id,
        "transaction_id": entry.transaction_id,
        "lease_id": entry.lease_id,
        "amount_cents": entry.amount_cents,
        "lines": [
            {
                "account": line.account,
                "subledger": line.subledger,
                "debit_cents": line.debit_cents,
                "credit_cents": line.credit_cents,
                "label": line.label,
            }
            for line in entry.lines
        ],
        "created_at": entry.created_at.isoformat(),
    }


def entry_from_item(item: dict[str, Any]) -> AccountingEntry:
    return AccountingEntry(
        org_id=item["org_id"],
        entry_id=item["entry_id"],
        date=date.fromisoformat(item["date"]),
        journal=item["journal"],
        label=item["label"],
        source_type=SourceType(item["source_type"]),
        source_id=item["source_id"],
        transaction_id=item["transaction_id"],
        lease_id=item.get("lease_id"),
        lines=tuple(
            EntryLine(
                account=line["account"],
                debit_cents=int(line["debit_cents"]),
                credit_cents=int(line["credit_cents"]),
                subledger=line.get("subledger"),
                label=line.get("label", ""),
            )
            for line in item["lines"]
        ),
        created_at=datetime.fromisoformat(item["created_at"]),
    )


class DynamoEntryRepository:
    """The ERP outbox. Unacknowledged entries carry ``pending_org`` (a sparse index)."""

    def __init__(self, table: str) -> None:
        self.table = table

    def list_pending(
        self, org_id: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[AccountingEntry], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "pending-index",
            "KeyConditionExpression": "pending_org = :o",
            "ExpressionAttributeValues": {":o": {"S": org_id}},
            "Limit": limit,
        }
        if after:
            kwargs["KeyConditionExpression"] += " AND entry_id > :after"
            kwargs["ExpressionAttributeValues"][":after"] = {"S": after}
        resp = client("dynamodb").query(**kwargs)
        entries = [entry_from_item(from_ddb(i)) for i in resp["Items"]]
        more = "LastEvaluatedKey" in resp
        return entries, (entries[-1].entry_id if entries and more else None)

    def acknowledge(self, org_id: str, entry_ids: Sequence[str], by: str) -> list[str]:
        """Mark entries booked by the ERP; returns those that exist (acks are idempotent)."""
        now = datetime.now(UTC).isoformat()
        done: list[str] = []
        ddb = client("dynamodb")
        for entry_id in entry_ids:
            try:
                ddb.update_item(
                    TableName=self.table,
                    Key={"org_id": {"S": org_id}, "entry_id": {"S": entry_id}},
                    UpdateExpression="REMOVE pending_org SET acknowledged_at = if_not_exists("
                    "acknowledged_at, :now), acknowledged_by = if_not_exists(acknowledged_by, :by)",
                    ConditionExpression="attribute_exists(entry_id)",
                    ExpressionAttributeValues={":now": {"S": now}, ":by": {"S": by}},
                )
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise StorageError(str(e)) from e
                continue
            done.append(entry_id)
        return done

    def between(self, org_id: str, start: date, end: date, limit: int) -> list[AccountingEntry]:
        """Every entry (acknowledged or not) dated from ``start`` to ``end``, in id order.

        An entry is never recorded before its date, so ids before ``start`` are skipped.
        Raises ValidationError when more than ``limit`` entries match.
        """
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "org_id = :o AND entry_id >= :first",
            "FilterExpression": "#d BETWEEN :start AND :end",
            "ExpressionAttributeNames": {"#d": "date"},
            "ExpressionAttributeValues": to_ddb(
                {
                    ":o": org_id,
                    ":first": start.strftime("%Y%m%d"),
                    ":start": start.isoformat(),
                    ":end": end.isoformat(),
                }
            ),
        }
        out: list[AccountingEntry] = []
        for page in client("dynamodb").get_paginator("query").paginate(**kwargs):
            out.extend(entry_from_item(from_ddb(i)) for i in page["Items"])
            if len(out) > limit:
                raise ValidationError("to", f"more than {limit} entries: export a shorter period")
        return out

    def claim(
        self, org_id: str, batch_id: str, limit: int, now: datetime, stale_before: datetime
    ) -> list[AccountingEntry]:
        """Pending entries no other ERP push batch holds, now held by ``batch_id``.

        Each claim is conditional, so two overlapping runs never share an entry. A claim
        older than ``stale_before`` (a run that died) may be taken over.
        """
        ddb = client("dynamodb")
        claimed: list[AccountingEntry] = []
        after: str | None = None
        while len(claimed) < limit:
            entries, after = self.list_pending(org_id, after, min(limit, 500))
            for entry in entries:
                if len(claimed) >= limit:
                    break
                try:
                    ddb.update_item(
                        TableName=self.table,
                        Key={"org_id": {"S": org_id}, "entry_id": {"S": entry.entry_id}},
                        UpdateExpression="SET batch_id = :b, batch_at = :now",
                        ConditionExpression="attribute_exists(pending_org) AND "
                        "(attribute_not_exists(batch_id) OR batch_at < :stale)",
                        ExpressionAttributeValues=to_ddb(
                            {
                                ":b": batch_id,
                                ":now": now.isoformat(),
                                ":stale": stale_before.isoformat(),
                            }
                        ),
                    )
                except ClientError as e:
                    if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise StorageError(str(e)) from e
                    continue
                claimed.append(entry)
            if after is None:
                break
        return claimed

    def release(self, org_id: str, entry_ids: Sequence[str], batch_id: str) -> None:
        """Give back a parked batch's entries: the next run or the ERP's polling takes them."""
        ddb = client("dynamodb")
        for entry_id in entry_ids:
            try:
                ddb.update_item(
                    TableName=self.table,
                    Key={"org_id": {"S": org_id}, "entry_id": {"S": entry_id}},
                    UpdateExpression="REMOVE batch_id, batch_at",
                    ConditionExpression="batch_id = :b",
                    ExpressionAttributeValues={":b": {"S": batch_id}},
                )
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise StorageError(str(e)) from e


def ledger_line_to_item(line: LedgerLine) -> dict[str, Any]:
    return {
        "account_key": line.account_key,
        "line_id": line.line_id,
        "org_id": line.org_id,
        "lease_id": line.lease_id,
        "kind": line.kind.value,
        "date": line.date.isoformat(),
        "amount_cents": line.amount_cents,
        "label": line.label,
        "source_id": line.source_id,
        "recorded_at": line.recorded_at.isoformat(),
    }


def ledger_line_from_item(item: dict[str, Any]) -> LedgerLine:
    return LedgerLine(
        org_id=item["org_id"],
        lease_id=item["lease_id"],
        line_id=item["line_id"],
        kind=LineKind(item["kind"]),
        date=date.fromisoformat(item["date"]),
        amount_cents=int(item["amount_cents"]),
        label=item["label"],
        source_id=item["source_id"],
        recorded_at=datetime.fromisoformat(item["recorded_at"]),
    )


class DynamoLedgerRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def put_many_new(self, lines: Sequence[LedgerLine]) -> None:
        """Bulk load of lines known to be new, whose balances the caller set (seeding)."""
        ddb = client("dynamodb")
        for start in range(0, len(lines), 25):
            requests = [
                {"PutRequest": {"Item": to_ddb(ledger_line_to_item(line))}}
                for line in lines[start : start + 25]
            ]
            batch_write(ddb, self.table, requests)

    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]:
        out: list[LedgerLine] = []
        for page in (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                KeyConditionExpression="account_key = :k",
                ExpressionAttributeValues={":k": {"S": f"{org_id}#{lease_id}"}},
            )
        ):
            out.extend(ledger_line_from_item(from_ddb(i)) for i in page["Items"])
        return out


# ---------------------------------------------------------------- booking


def _put_new(table: str, item: dict[str, Any], key: str) -> dict[str, Any]:
    """A transaction item writing ``item``, which must not exist yet."""
    return {
        "Put": {
            "TableName": table,
            "Item": to_ddb(item),
            "ConditionExpression": f"attribute_not_exists({key})",
        }
    }


def _balance_deltas(lines: Sequence[LedgerLine]) -> dict[str, int]:
    """How much each lease's balance moves with ``lines``."""
    deltas: dict[str, int] = {}
    for line in lines:
        deltas[line.lease_id] = deltas.get(line.lease_id, 0) + line.amount_cents
    return deltas


def ledger_write_items(
    ledger_table: str, leases_table: str, lines: Sequence[LedgerLine], leases: dict[str, Lease]
) -> list[dict[str, Any]]:
    """Transaction items: new ledger lines, and each lease's balance moved (version checked)."""
    items = [_put_new(ledger_table, ledger_line_to_item(line), "line_id") for line in lines]
    for lease_id, delta in _balance_deltas(lines).items():
        lease = leases[lease_id]
        items.append(
            {
                "Update": {
                    "TableName": leases_table,
                    "Key": to_ddb({"org_id": lease.org_id, "lease_id": lease_id}),
                    "UpdateExpression": "SET balance_cents = balance_cents + :d, "
                    "version = version + :one",
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": to_ddb(
                        {":d": delta, ":one": 1, ":v": lease.version}
                    ),
                }
            }
        )
    return items


class DynamoLedgerWriter:
    """Posts ledger lines that come with no bank transaction (rent calls, opening
    balances, adjustments), with their accounting entries when they have some."""

    def __init__(self, ledger_table: str, leases_table: str, entries_table: str = "") -> None:
        self.ledger_table = ledger_table
        self.leases_table = leases_table
        self.entries_table = entries_table

    def post(
        self,
        lines: Sequence[LedgerLine],
        leases: dict[str, Lease],
        entries: Sequence[AccountingEntry] = (),
    ) -> bool:
        """False if the lines exist already; ConflictError if a lease moved meanwhile."""
        if entries and not self.entries_table:
            raise StorageError("DynamoLedgerWriter: no entries table to write entries to")
        items = ledger_write_items(self.ledger_table, self.leases_table, lines, leases)
        items += [
            _put_new(self.entries_table, entry_to_item(entry), "entry_id") for entry in entries
        ]
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as e:
            if e.response["Error"]["Code"] != "TransactionCanceledException":
                raise StorageError(str(e)) from e
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            if any(r == "ConditionalCheckFailed" for r in reasons[: len(lines)]):
                return False
            raise ConflictError(f"ledger lines not posted ({reasons}); retry") from e
        return True


@dataclass(frozen=True, slots=True)
class BookingTables:
    leases: str
    ledger: str
    transactions: str
    entries: str


COLLECTION_PREFIX = "~e2e#"
"""Items of the transactions table that remember a direct-debit collection by its
end-to-end id (so that its return reverses it once). Transaction ids start with
``tx_``: listings read that prefix only."""


def collection_key(org_id: str, end_to_end_id: str) -> dict[str, Any]:
    return {"org_id": org_id, "transaction_id": f"{COLLECTION_PREFIX}{end_to_end_id}"}


class DynamoBooker:
    """Writes one transaction's outcome in a single DynamoDB transaction.

    The transaction's status moves from the expected one (``new`` for the
    matcher; the queue's status for a person's decision, with the decision's
    revision checked) to its outcome, the previous decision is kept in its
    history, the ledger lines and accounting entries are created (conditions:
    not there yet), and each lease's cached balance moves with its version
    checked — with the payer IBANs it learned and the dunning flag of a
    direct-debit return. Either all of it is written or none: a retry after a
    failure books exactly once.
    """

    def __init__(self, tables: BookingTables) -> None:
        self.t = tables

    def book(self, booking: Booking, leases: dict[str, Lease]) -> bool:
        """Returns False if the transaction had left the expected status already."""
        tx, decision = booking.tx, booking.decision
        status = decision.outcome.value
        values: dict[str, Any] = {
            ":s": status,
            ":os": f"{tx.org_id}#{status}",
            ":expected": booking.expected_status,
            ":d": decision_to_item(decision, booking.decided_at),
            ":rev": booking.revision + (0 if booking.expected_status == "new" else 1),
        }
        update = "SET #s = :s, org_status = :os, decision = :d, revision = :rev"
        condition = "#s = :expected"
        if booking.expected_status != "new":
            values[":old_rev"] = booking.revision
            values[":empty"] = []
            update += ", history = list_append(if_not_exists(history, :empty), :prev)"
            condition += " AND (attribute_not_exists(revision) OR revision = :old_rev)"
            values[":prev"] = [
                (booking.previous_decision or {})
                | {"revision": booking.revision, "replaced_at": booking.decided_at.isoformat()}
            ]
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.t.transactions,
                    "Key": to_ddb({"org_id": tx.org_id, "transaction_id": tx.transaction_id}),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_ddb(values),
                }
            }
        ]
        items += [
            _put_new(self.t.ledger, ledger_line_to_item(line), "line_id") for line in booking.lines
        ]
        items += self._lease_updates(booking, leases)
        items += [
            _put_new(self.t.entries, entry_to_item(entry), "entry_id") for entry in booking.entries
        ]
        if booking.collection_e2e:
            items.append(
                {
                    "Put": {
                        "TableName": self.t.transactions,
                        "Item": to_ddb(
                            collection_key(tx.org_id, booking.collection_e2e)
                            | {
                                "collection_of": tx.transaction_id,
                                "booking_date": _iso(tx.booking_date),
                                "allocations": [
                                    {"lease_id": a.lease_id, "amount_cents": a.amount_cents}
                                    for a in decision.allocations
                                ],
                            }
                        ),
                    }
                }
            )
        if booking.reverses_e2e:
            items.append(
                {
                    "Update": {
                        "TableName": self.t.transactions,
                        "Key": to_ddb(collection_key(tx.org_id, booking.reverses_e2e)),
                        "UpdateExpression": "SET reversed_by = :r",
                        "ConditionExpression": "attribute_not_exists(reversed_by) "
                        "OR reversed_by = :r",
                        "ExpressionAttributeValues": to_ddb({":r": tx.transaction_id}),
                    }
                }
            )
        crash_point("match.deciding")
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as e:
            if e.response["Error"]["Code"] != "TransactionCanceledException":
                raise StorageError(str(e)) from e
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # the transaction left the expected status already
            raise ConflictError(
                f"transaction {tx.transaction_id}: concurrent update ({reasons}); retry"
            ) from e
        crash_point("match.booked")
        return True

    def _lease_updates(self, booking: Booking, leases: dict[str, Lease]) -> list[dict[str, Any]]:
        deltas = _balance_deltas(booking.lines)
        touched = list(deltas) + [
            lid for lid in (*booking.payer_ibans, *booking.dunning) if lid not in deltas
        ]
        out = []
        for lease_id in dict.fromkeys(touched):
            lease = leases[lease_id]
            values: dict[str, Any] = {
                ":d": deltas.get(lease_id, 0),
                ":one": 1,
                ":v": lease.version,
            }
            sets = ["balance_cents = balance_cents + :d", "version = version + :one"]
            removes = []
            if lease_id in booking.payer_ibans:
                ibans = list(booking.payer_ibans[lease_id])
                if ibans:
                    sets.append("payer_ibans = :p")
                    values[":p"] = ibans
                else:
                    removes.append("payer_ibans")
            if lease_id in booking.dunning:
                sets.append("dunning_flag = :f")
                values[":f"] = booking.dunning[lease_id].as_item()
            expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
            out.append(
                {
                    "Update": {
                        "TableName": self.t.leases,
                        "Key": to_ddb({"org_id": lease.org_id, "lease_id": lease_id}),
                        "UpdateExpression": expr,
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": to_ddb(values),
                    }
                }
            )
        return out


def decision_to_item(decision: MatchDecision, decided_at: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "outcome": decision.outcome.value,
        "method": decision.method.value if decision.method else None,
        "score": Decimal(str(decision.score)),
        "evidence": list(decision.evidence),
        "reason": decision.reason,
        "allocations": [
            {"lease_id": a.lease_id, "amount_cents": a.amount_cents} for a in decision.allocations
        ],
        "suggestions": [
            {
                "lease_id": sg.lease_id,
                "score": Decimal(str(sg.score)),
                "reasons": list(sg.reasons),
                "allocations": [
                    {"lease_id": a.lease_id, "amount_cents": a.amount_cents} for a in sg.allocations
                ],
            }
            for sg in decision.suggestions
        ],
        "decided_at": decided_at.isoformat(),
        "confirmed_by": decision.confirmed_by,
    }
    if decision.reject is not None:
        r = decision.reject
        item["reject"] = {
            "reason_code": r.reason_code,
            "reason_label": r.reason_label,
            "category": r.category,
            "original_end_to_end_id": r.original_end_to_end_id,
            "original_transaction_id": r.original_transaction_id,
        }
    return {k: v for k, v in item.items() if v is not None} | {
        "confirmed_by": decision.confirmed_by
    }


def allocations_from_item(decision: dict[str, Any] | None) -> tuple[Allocation, ...]:
    if not decision:
        return ()
    return tuple(
        Allocation(a["lease_id"], int(a["amount_cents"])) for a in decision.get("allocations", [])
    )


# ---------------------------------------------------------------- files


class DynamoFileRepository:
    """One record per distinct file content (sha256) received by an organisation."""

    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, org_id: str, file_id: str) -> dict[str, Any] | None:
        resp = client("dynamodb").get_item(
            TableName=self.table,
            Key={"org_id": {"S": org_id}, "file_id": {"S": file_id}},
            ConsistentRead=True,
        )
        return from_ddb(resp["Item"]) if "Item" in resp else None

    def put(self, record: dict[str, Any]) -> None:
        client("dynamodb").put_item(TableName=self.table, Item=to_ddb(record))

    def list(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page:
        return _query_page(self.table, org_id, limit, cursor)


# ---------------------------------------------------------------- API keys


class DynamoApiKeyRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def put(self, key_hash: str, org_id: str, scopes: Sequence[str], label: str) -> None:
        client("dynamodb").put_item(
            TableName=self.table,
            Item=to_ddb(
                {
                    "key_hash": key_hash,
                    "org_id": org_id,
                    "scopes": list(scopes),
                    "label": label,
                    "created_at": datetime.now(UTC).isoformat(),
                    "key_prefix": key_hash[:8],
                }
            ),
            ConditionExpression="attribute_not_exists(key_hash)",
        )

    def get(self, key_hash: str) -> dict[str, Any] | None:
        resp = client("dynamodb").get_item(TableName=self.table, Key={"key_hash": {"S": key_hash}})
        return from_ddb(resp["Item"]) if "Item" in resp else None

    def list_for_org(self, org_id: str) -> list[dict[str, Any]]:
        """The organisation's keys (revoked ones too), oldest first."""
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                IndexName="org-index",
                KeyConditionExpression="org_id = :o",
                ExpressionAttributeValues={":o": {"S": org_id}},
            )
        )
        items = [from_ddb(i) for page in pages for i in page["Items"]]
        return sorted(items, key=lambda i: str(i.get("created_at", "")))

    def find_by_id(self, key_id: str) -> dict[str, Any]:
        """The key whose hash starts with ``key_id`` (what the API calls the key's id).

        Raises NotFoundError, or ValidationError when the id is ambiguous.
        """
        if len(key_id) < 8 or any(c not in "0123456789abcdef" for c in key_id):
            raise ValidationError("key_id", "at least 8 lower-case hexadecimal characters")
        pages = (
            client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self.table,
                FilterExpression="begins_with(key_hash, :p)",
                ExpressionAttributeValues={":p": {"S": key_id}},
            )
        )
        found = [from_ddb(i) for page in pages for i in page["Items"]]
        if not found:
            raise NotFoundError("API key", key_id)
        if len(found) > 1:
            raise ValidationError("key_id", "matches several keys: give more characters")
        return found[0]

    def revoke(self, key_hash: str, at: datetime) -> bool:
        """Refuse the key from now on; False if it was revoked already."""
        try:
            client("dynamodb").update_item(
                TableName=self.table,
                Key={"key_hash": {"S": key_hash}},
                UpdateExpression="SET revoked_at = :at",
                ConditionExpression="attribute_exists(key_hash)"
                " AND attribute_not_exists(revoked_at)",
                ExpressionAttributeValues={":at": {"S": at.isoformat()}},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise StorageError(str(e)) from e
            return False
        return True
