"""The tenants' digital safe: PDFs in DocumentsBucket (``<org_id>/<lease_id>/<document>.pdf``)
and their manifests and consents in DocumentsTable."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo import StorageError, from_ddb, to_ddb
from functions.core.documents import (
    Consent,
    ConsentChannel,
    ConsentSource,
    Delivery,
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
    NoticeRequest,
)
from functions.core.errors import EncaisseError


class DocumentStoreError(EncaisseError):
    """S3 refused or failed a call on the documents bucket."""


class S3DocumentStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put_pdf(self, key: str, body: bytes, *, for_print: bool) -> None:
        """Store a PDF; ``for_print`` marks it for the postal print batch.

        The mark is the object's metadata ``delivery: print|safe`` (object tags
        would need ``s3:PutObjectTagging``, which the function's S3CrudPolicy lacks);
        tenants who consented to e-delivery only find the document in their safe.
        """
        try:
            client("s3").put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/pdf",
                ServerSideEncryption="AES256",
                Metadata={"delivery": "print" if for_print else "safe"},
            )
        except ClientError as e:
            raise DocumentStoreError(f"s3://{self.bucket}/{key}: {e}") from e

    def put(self, key: str, body: bytes) -> None:
        """Store a PDF under the bucket's default encryption (SSE-KMS in AWS)."""
        try:
            client("s3").put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/pdf"
            )
        except ClientError as e:
            raise DocumentStoreError(f"s3://{self.bucket}/{key}: {e}") from e

    def get(self, key: str) -> bytes:
        try:
            body: bytes = client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as e:
            raise DocumentStoreError(f"s3://{self.bucket}/{key}: {e}") from e
        return body

    def presigned_get(self, key: str, expires_in: int, filename: str) -> str:
        url: str = client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": "application/pdf",
                "ResponseContentDisposition": f'inline; filename="{filename}"',
            },
            ExpiresIn=expires_in,
        )
        return url


def record_to_item(r: DocumentRecord) -> dict[str, Any]:
    return {
        "org_id": r.org_id,
        "sk": f"doc#{r.document_id}",
        "lease_key": f"{r.org_id}#{r.lease_id}",
        "lease_id": r.lease_id,
        "document_id": r.document_id,
        "kind": r.kind.value,
        "period": r.period,
        "sha256": r.sha256,
        "size": r.size,
        "created_at": r.created_at.isoformat(),
        "delivery": r.delivery.value,
        "status": r.status.value,
        "postcode": r.postcode,
    }


def record_from_item(item: dict[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        org_id=item["org_id"],
        lease_id=item["lease_id"],
        document_id=item["document_id"],
        kind=DocumentKind(item["kind"]),
        period=item.get("period"),
        sha256=item["sha256"],
        size=int(item["size"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        delivery=Delivery(item["delivery"]),
        status=DocumentStatus(item["status"]),
        postcode=item.get("postcode", ""),
    )


def _consent_item(c: Consent) -> dict[str, Any]:
    return {
        "e_delivery": c.e_delivery,
        "source": c.source.value,
        "channel": c.channel.value,
        "at": c.at.isoformat(),
    }


def _consent(item: dict[str, Any]) -> Consent:
    return Consent(
        bool(item["e_delivery"]),
        ConsentSource(item["source"]),
        ConsentChannel(item["channel"]),
        datetime.fromisoformat(item["at"]),
    )


class DynamoDocumentRepository:
    """DocumentsTable: ``doc#<id>`` manifests (index by lease) and ``consent#<lease>``."""

    def __init__(self, table: str) -> None:
        self.table = table

    def put_new(self, record: DocumentRecord) -> bool:
        """False when the document already exists (a retried rent call)."""
        try:
            client("dynamodb").put_item(
                TableName=self.table,
                Item=to_ddb(record_to_item(record)),
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StorageError(f"{self.table}: {e}") from e
        return True

    def get(self, org_id: str, doc_id: str) -> DocumentRecord | None:
        found = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "sk": f"doc#{doc_id}"}),
            ConsistentRead=True,
        )
        return record_from_item(from_ddb(found["Item"])) if "Item" in found else None

    def for_lease(self, org_id: str, lease_id: str) -> list[DocumentRecord]:
        out: list[DocumentRecord] = []
        paginator = client("dynamodb").get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            IndexName="lease-index",
            KeyConditionExpression="lease_key = :k",
            ExpressionAttributeValues=to_ddb({":k": f"{org_id}#{lease_id}"}),
            ScanIndexForward=False,
        ):
            out.extend(record_from_item(from_ddb(i)) for i in page["Items"])
        return out

    def with_status(self, org_id: str, status: DocumentStatus) -> list[DocumentRecord]:
        out: list[DocumentRecord] = []
        paginator = client("dynamodb").get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="org_id = :o AND begins_with(sk, :p)",
            FilterExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=to_ddb({":o": org_id, ":p": "doc#", ":s": status.value}),
        ):
            out.extend(record_from_item(from_ddb(i)) for i in page["Items"])
        return out

    def set_status(self, org_id: str, doc_id: str, status: DocumentStatus) -> None:
        client("dynamodb").update_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "sk": f"doc#{doc_id}"}),
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=to_ddb({":s": status.value}),
        )

    def log_access(self, org_id: str, doc_id: str, who: str, at: datetime) -> None:
        """Append who downloaded the document and when (kept with its manifest)."""
        client("dynamodb").update_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "sk": f"doc#{doc_id}"}),
            UpdateExpression="SET accesses = list_append(if_not_exists(accesses, :e), :a)",
            ExpressionAttributeValues=to_ddb(
                {":e": [], ":a": [{"who": who, "at": at.isoformat()}]}
            ),
        )

    def accesses(self, org_id: str, doc_id: str) -> list[dict[str, str]]:
        found = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "sk": f"doc#{doc_id}"}),
            ConsistentRead=True,
        )
        item = from_ddb(found.get("Item", {}))
        return [dict(a) for a in item.get("accesses", [])]

    def consent(self, org_id: str, lease_id: str) -> tuple[Consent | None, list[Consent]]:
        """The current consent of a lease's tenants and its history (oldest first)."""
        found = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "sk": f"consent#{lease_id}"}),
            ConsistentRead=True,
        )
        if "Item" not in found:
            return None, []
        item = from_ddb(found["Item"])
        return _consent(item), [_consent(h) for h in item.get("history", [])]

    def put_consent(self, org_id: str, lease_id: str, consent: Consent) -> None:
        entry = _consent_item(consent)
        client("dynamodb").update_item(
            TableName=self.table,
            Key=to_ddb({"org_id": org_id, "sk": f"consent#{lease_id}"}),
            UpdateExpression=(
                "SET e_delivery = :d, #src = :s, channel = :c, #at = :t, lease_id = :l,"
                " history = list_append(if_not_exists(history, :e), :h)"
            ),
            ExpressionAttributeNames={"#src": "source", "#at": "at"},
            ExpressionAttributeValues=to_ddb(
                {
                    ":d": consent.e_delivery,
                    ":s": entry["source"],
                    ":c": entry["channel"],
                    ":t": entry["at"],
                    ":l": lease_id,
                    ":e": [],
                    ":h": [entry],
                }
            ),
        )

    def consents(self, org_id: str) -> dict[str, Consent]:
        """Every lease's current consent in the organisation."""
        out: dict[str, Consent] = {}
        paginator = client("dynamodb").get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="org_id = :o AND begins_with(sk, :p)",
            ExpressionAttributeValues=to_ddb({":o": org_id, ":p": "consent#"}),
        ):
            for raw in page["Items"]:
                item = from_ddb(raw)
                out[item["lease_id"]] = _consent(item)
        return out

    # ------------------------------------------------------------ consent campaigns
    def _campaign_key(self, org_id: str, campaign_id: str, lease_id: str) -> dict[str, Any]:
        return to_ddb({"org_id": org_id, "sk": f"campaign#{campaign_id}#{lease_id}"})

    def mark_invited(
        self, org_id: str, campaign_id: str, lease_id: str, channel: str, at: datetime
    ) -> bool:
        """False when this campaign already invited this lease's tenants."""
        item = {
            "org_id": org_id,
            "sk": f"campaign#{campaign_id}#{lease_id}",
            "campaign_id": campaign_id,
            "lease_id": lease_id,
            "channel": channel,
            "invited_at": at.isoformat(),
        }
        try:
            client("dynamodb").put_item(
                TableName=self.table,
                Item=to_ddb(item),
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StorageError(f"{self.table}: {e}") from e
        return True

    def unmark_invited(self, org_id: str, campaign_id: str, lease_id: str) -> None:
        client("dynamodb").delete_item(
            TableName=self.table,
            Key=self._campaign_key(org_id, campaign_id, lease_id),
            ConditionExpression="attribute_not_exists(accepted_at)",
        )

    def mark_accepted(self, org_id: str, campaign_id: str, lease_id: str, at: datetime) -> bool:
        """False when the invitation does not exist or its link was already used."""
        try:
            client("dynamodb").update_item(
                TableName=self.table,
                Key=self._campaign_key(org_id, campaign_id, lease_id),
                UpdateExpression="SET accepted_at = :t",
                ConditionExpression="attribute_exists(sk) AND attribute_not_exists(accepted_at)",
                ExpressionAttributeValues=to_ddb({":t": at.isoformat()}),
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StorageError(f"{self.table}: {e}") from e
        return True


class BucketPrintProvider:
    """The local mail house: each batch's PDF and CSV index in a print bucket,
    ``<org>/<run id>/batch.pdf`` and ``index.csv``."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def deposit(self, org_id: str, run_id: str, pdf: bytes, index_csv: str) -> str:
        prefix = f"{org_id}/{run_id}"
        try:
            s3 = client("s3")
            s3.put_object(
                Bucket=self.bucket, Key=f"{prefix}/batch.pdf", Body=pdf,
                ContentType="application/pdf",
            )  # fmt: skip
            s3.put_object(
                Bucket=self.bucket, Key=f"{prefix}/index.csv", Body=index_csv.encode("utf-8"),
                ContentType="text/csv; charset=utf-8",
            )  # fmt: skip
        except ClientError as e:
            raise DocumentStoreError(f"s3://{self.bucket}/{prefix}: {e}") from e
        return f"s3://{self.bucket}/{prefix}/"


class SqsNoticeQueue:
    """Sends rent calls to render to the documents function, in bounded batches."""

    PER_MESSAGE = 20  # notices a worker renders per message (~4 s): far from any limit

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, org_id: str, requests: Sequence[NoticeRequest]) -> int:
        """Returns the number of messages sent."""
        bodies = [
            json.dumps(
                {
                    "org_id": org_id,
                    "notices": [r.to_dict() for r in requests[i : i + self.PER_MESSAGE]],
                }
            )
            for i in range(0, len(requests), self.PER_MESSAGE)
        ]
        sqs = client("sqs")
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(n), "MessageBody": body}
                for n, body in enumerate(bodies[start : start + 10])
            ]
            try:
                resp = sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except ClientError as e:
                raise DocumentStoreError(f"notices queue: {e}") from e
            if resp.get("Failed"):
                raise DocumentStoreError(f"notices queue refused messages: {resp['Failed']}")
        return len(bodies)

    def send_quittance_checks(self, org_id: str, lease_ids: Sequence[str]) -> None:
        """Leases a payment was booked to: the documents function issues the quittances
        of the periods it completed (and nothing for a period still partly paid)."""
        body = json.dumps({"org_id": org_id, "quittance_checks": list(lease_ids)})
        try:
            client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body)
        except ClientError as e:
            raise DocumentStoreError(f"notices queue: {e}") from e
