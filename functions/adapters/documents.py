"""The tenants' digital safe: PDFs in DocumentsBucket (``<org_id>/<lease_id>/<document>.pdf``);
their manifests and consents in DocumentsTable are kept by
:mod:`functions.adapters.dynamo.documents` (re-exported here)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.dynamo.documents import (
    DynamoDocumentRepository,
    record_from_item,
    record_to_item,
)
from functions.core.documents import NoticeRequest
from functions.core.errors import EncaisseError

__all__ = [
    "BucketPrintProvider",
    "DocumentStoreError",
    "DynamoDocumentRepository",
    "S3DocumentStore",
    "SqsNoticeQueue",
    "record_from_item",
    "record_to_item",
]


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
