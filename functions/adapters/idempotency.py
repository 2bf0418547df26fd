"""The powertools idempotency store on the IdempotencyTable (HASH ``id``, TTL ``expiration``),
and the S3 store of answers too large for one DynamoDB item (400 KB)."""

from __future__ import annotations

import hashlib

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.core.errors import EncaisseError

REPLAY_PREFIX = "api-replays/"  # expired by the bucket's lifecycle rule (template.yaml)


class ReplayStoreError(EncaisseError):
    """S3 refused or failed a call on a kept answer."""


def idempotency_store(table: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table, boto3_client=client("dynamodb"))


class S3ReplayStore:
    """Keeps the body of a large answer in S3, one object per (organisation, key)."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, org_id: str, key: str, body: str) -> str:
        name = hashlib.sha256(f"{org_id}\n{key}".encode()).hexdigest()
        ref = f"{REPLAY_PREFIX}{org_id}/{name}.json"
        try:
            client("s3").put_object(
                Bucket=self.bucket,
                Key=ref,
                Body=body.encode("utf-8"),
                ContentType="application/json",
                ServerSideEncryption="AES256",
            )
        except ClientError as e:
            raise ReplayStoreError(f"s3://{self.bucket}/{ref}: {e}") from e
        return ref

    def get(self, ref: str) -> str | None:
        try:
            obj = client("s3").get_object(Bucket=self.bucket, Key=ref)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise ReplayStoreError(f"s3://{self.bucket}/{ref}: {e}") from e
        body: bytes = obj["Body"].read()
        return body.decode("utf-8")
