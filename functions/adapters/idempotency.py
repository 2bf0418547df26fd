"""The powertools idempotency store on the IdempotencyTable (HASH ``id``, TTL ``expiration``)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from functions.adapters.aws import client


def idempotency_store(table: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table, boto3_client=client("dynamodb"))
