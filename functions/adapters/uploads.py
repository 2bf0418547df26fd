"""Pre-signed S3 URLs through which the back office puts a statement file into the inbox."""

from __future__ import annotations

from dataclasses import dataclass

from functions.adapters.aws import client


@dataclass(frozen=True, slots=True)
class UploadLink:
    url: str
    key: str
    expires_in: int


class S3UploadLinks:
    def __init__(self, inbox_bucket: str) -> None:
        self.bucket = inbox_bucket

    def for_file(self, org_id: str, file_name: str, expires_in: int = 900) -> UploadLink:
        """A URL to PUT ``file_name`` into ``org_id``'s inbox folder, valid ``expires_in`` s."""
        key = f"{org_id}/{file_name}"
        url = client("s3").generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return UploadLink(url, key, expires_in)
