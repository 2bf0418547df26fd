"""The tenants' digital safe: DocumentsBucket, key ``<org_id>/<lease_id>/<document>``."""

from __future__ import annotations

from botocore.exceptions import ClientError

from functions.adapters.aws import client
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
