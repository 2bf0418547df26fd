"""The tenants' digital safe: DocumentsBucket, key ``<org_id>/<lease_id>/<document>``."""

from __future__ import annotations

from urllib.parse import urlencode

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.core.errors import EncaisseError


class DocumentStoreError(EncaisseError):
    """S3 refused or failed a call on the documents bucket."""


class S3DocumentStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put_pdf(self, key: str, body: bytes, *, for_print: bool) -> None:
        """Store a PDF; ``for_print`` tags it for the postal print batch.

        The tag ``delivery=print|safe`` is what the print batch selects on; tenants
        who consented to e-delivery only find the document in their safe.
        """
        try:
            client("s3").put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/pdf",
                ServerSideEncryption="AES256",
                Tagging=urlencode({"delivery": "print" if for_print else "safe"}),
                Metadata={"delivery": "print" if for_print else "safe"},
            )
        except ClientError as e:
            raise DocumentStoreError(f"s3://{self.bucket}/{key}: {e}") from e
