"""Organisations: the landlord's settings, secrets references and vIBAN sequences."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.base import StorageError, from_ddb, to_ddb
from functions.core.address import PostalAddress
from functions.core.dunning import DunningPolicy
from functions.core.errors import ConflictError, NotFoundError
from functions.core.matching import MatchPolicy
from functions.core.organisation import Branding, ChartOfAccounts, HouseholdSplit, Organisation
from functions.core.secrets import PlainSecrets
from functions.core.viban import VirtualIbanRange


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
