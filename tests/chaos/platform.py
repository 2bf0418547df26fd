"""What the crash scenarios share: how they start the platform and read its storage."""

from __future__ import annotations

from typing import Any

import boto3

# Free ports for every server; scheduled work at 3,600× so the sweeper and matching move on.
ARGS = (
    "--api-port", "0", "--portal-port", "0", "--aws-port", "0", "--sftp-port", "0",
    "--time-factor", "3600",
)  # fmt: skip


def aws(endpoints: dict[str, Any], service: str) -> Any:
    """A boto3 client of the platform's embedded AWS."""
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoints["aws_endpoint_url"],
        region_name=endpoints["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def statuses(endpoints: dict[str, Any], marker: str) -> dict[str, str]:
    """Transaction id → status of a file's payments (bank reference ``marker-n``)."""
    pages = (
        aws(endpoints, "dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=endpoints["tables"]["transactions"],
            FilterExpression="begins_with(bank_reference, :m)",
            ExpressionAttributeValues={":m": {"S": marker}},
        )
    )
    return {i["transaction_id"]["S"]: i["status"]["S"] for p in pages for i in p["Items"]}
