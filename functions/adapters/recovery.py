"""What the sweeper and the dead-letter redrive need of AWS: transactions still
waiting, files left in the inbox, and the queues that hand work back."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from urllib.parse import quote_plus

from functions.adapters.aws import client
from functions.adapters.dynamo import from_ddb
from functions.adapters.storage import ObjectStoreError


class DynamoWaitingTransactions:
    """Transactions still ``new`` (the status index), recorded before a time.

    Records written before ``recorded_at`` existed count as old."""

    def __init__(self, table: str) -> None:
        self.table = table

    def waiting_since(self, org_id: str, before: datetime) -> Iterator[str]:
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                IndexName="status-index",
                KeyConditionExpression="org_status = :s",
                FilterExpression="attribute_not_exists(recorded_at) OR recorded_at < :b",
                ExpressionAttributeValues={
                    ":s": {"S": f"{org_id}#new"},
                    ":b": {"S": before.isoformat()},
                },
                ProjectionExpression="transaction_id",
            )
        )
        for page in pages:
            yield from (str(from_ddb(i)["transaction_id"]) for i in page["Items"])


class S3Inbox:
    """Files in the inbox bucket; ingest moves each one it has read elsewhere."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def left_since(self, before: datetime, prefix: str = "") -> Iterator[str]:
        pages = (
            client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        for page in pages:
            for obj in page.get("Contents", []):
                if obj["LastModified"] < before and not obj["Key"].endswith("/"):
                    yield str(obj["Key"])


class SqsIngestQueue:
    """Sends an inbox file's S3 notification again (the shape S3 sends)."""

    def __init__(self, queue_url: str, bucket: str) -> None:
        self.queue_url = queue_url
        self.bucket = bucket

    def redeliver(self, key: str) -> None:
        body = {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "bucket": {"name": self.bucket},
                        # S3 URL-encodes keys in notifications; ingest decodes them.
                        "object": {"key": quote_plus(key, safe="/")},
                    },
                }
            ]
        }
        client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))


class SqsRedriver:
    """Moves the messages of each source queue's dead-letter queue (read from the
    queue's ``RedrivePolicy``) back to the source queue."""

    def __init__(self, source_queue_urls: dict[str, str]) -> None:
        self.sources = {name: url for name, url in source_queue_urls.items() if url}

    def names(self) -> list[str]:
        return sorted(self.sources)

    def dead_letter_url(self, source_url: str) -> str:
        sqs = client("sqs")
        attrs = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["RedrivePolicy"])
        policy = json.loads(attrs.get("Attributes", {}).get("RedrivePolicy", "{}"))
        arn = str(policy.get("deadLetterTargetArn", ""))
        if not arn:
            raise ObjectStoreError(f"{source_url}: no dead-letter queue")
        # Same account and endpoint as its source queue: the URL follows from the ARN.
        return f"{source_url.rsplit('/', 1)[0]}/{arn.rsplit(':', 1)[-1]}"

    def redrive(self, names: Sequence[str] | None = None) -> dict[str, int]:
        """Messages moved per source queue name."""
        return {name: self._move(self.sources[name]) for name in (names or self.names())}

    def _move(self, source_url: str) -> int:
        sqs = client("sqs")
        dlq = self.dead_letter_url(source_url)
        moved = 0
        while True:
            resp = sqs.receive_message(
                QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
            )
            messages = resp.get("Messages", [])
            if not messages:
                return moved
            sent = sqs.send_message_batch(
                QueueUrl=source_url,
                Entries=[{"Id": str(n), "MessageBody": m["Body"]} for n, m in enumerate(messages)],
            )
            if sent.get("Failed"):
                raise ObjectStoreError(f"{source_url}: refused redriven messages")
            sqs.delete_message_batch(
                QueueUrl=dlq,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(messages)
                ],
            )
            moved += len(messages)
