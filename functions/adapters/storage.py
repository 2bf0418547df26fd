"""S3 (statement files, quarantine, archive) and SQS (match queue) adapters."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from typing import IO, Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.adapters.faults import crash_point
from functions.core.errors import EncaisseError


class ObjectStoreError(EncaisseError):
    """S3 refused or failed a call."""


# A statement file is kept in memory up to this size, on local disk beyond.
_IN_MEMORY_BYTES = 8 * 1024 * 1024
_COPY_BLOCK = 1024 * 1024


class S3FileStore:
    """Moves statement files between the inbox, quarantine and archive buckets."""

    def __init__(self, inbox: str, quarantine: str, archive: str) -> None:
        self.inbox = inbox
        self.quarantine = quarantine
        self.archive = archive

    def open(self, bucket: str, key: str) -> IO[bytes] | None:
        """A local, seekable copy of the object (in memory up to a few MB,
        then on disk), or None if it is gone (already moved by an earlier run).
        The body is copied in blocks: a 300 MB statement never sits in memory."""
        try:
            body = client("s3").get_object(Bucket=bucket, Key=key)["Body"]
            copy: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES)  # noqa: SIM115 - returned open
            try:
                shutil.copyfileobj(body, copy, _COPY_BLOCK)
            except BaseException:
                copy.close()
                raise
        except ClientError as e:
            if e.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                return None
            raise ObjectStoreError(f"s3://{bucket}/{key}: {e}") from e
        copy.seek(0)
        return copy

    def _move(self, bucket: str, key: str, target: str) -> None:
        s3 = client("s3")
        s3.copy_object(
            Bucket=target,
            Key=key,
            CopySource={"Bucket": bucket, "Key": key},
            ServerSideEncryption="AES256",
        )
        s3.delete_object(Bucket=bucket, Key=key)

    def archive_file(self, bucket: str, key: str) -> None:
        crash_point("ingest.registered")
        self._move(bucket, key, self.archive)

    def quarantine_file(self, bucket: str, key: str, error: dict[str, Any]) -> None:
        """Error report first, then the file: a crash in between loses nothing."""
        client("s3").put_object(
            Bucket=self.quarantine,
            Key=f"{key}.error.json",
            Body=json.dumps(error, ensure_ascii=False, indent=2).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
        self._move(bucket, key, self.quarantine)

    def put_inbox(self, key: str, body: bytes) -> None:
        client("s3").put_object(
            Bucket=self.inbox, Key=key, Body=body, ServerSideEncryption="AES256"
        )


class SqsMatchQueue:
    """Sends new transaction ids to the match function, in batches."""

    BATCH = 100  # ids per message: well under SQS's 256 KB

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, org_id: str, transaction_ids: Sequence[str]) -> None:
        sqs = client("sqs")
        messages = [
            {
                "Id": str(n),
                "MessageBody": json.dumps(
                    {"org_id": org_id, "transaction_ids": list(transaction_ids[i : i + self.BATCH])}
                ),
            }
            for n, i in enumerate(range(0, len(transaction_ids), self.BATCH))
        ]
        for start in range(0, len(messages), 10):
            resp = sqs.send_message_batch(
                QueueUrl=self.queue_url, Entries=messages[start : start + 10]
            )
            if resp.get("Failed"):
                raise ObjectStoreError(f"match queue refused messages: {resp['Failed']}")
        crash_point("ingest.queued")


class S3BatchStore:
    """ERP push batches, kept as JSON objects beside the archived statements."""

    PREFIX = "erp-batches"

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def _key(self, org_id: str, batch_id: str) -> str:
        return f"{self.PREFIX}/{org_id}/{batch_id}.json"

    def put(self, org_id: str, batch_id: str, record: dict[str, Any]) -> None:
        client("s3").put_object(
            Bucket=self.bucket,
            Key=self._key(org_id, batch_id),
            Body=json.dumps(record, ensure_ascii=False).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )

    def get(self, org_id: str, batch_id: str) -> dict[str, Any]:
        obj = client("s3").get_object(Bucket=self.bucket, Key=self._key(org_id, batch_id))
        record: dict[str, Any] = json.loads(obj["Body"].read())
        return record
