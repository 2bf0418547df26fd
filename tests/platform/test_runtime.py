"""The local platform as `encaisse up` runs it: a subprocess, driven from outside.

Resources from the template, the inbox → queue → ingest poller path with the real
handler, SFTP uploads, and the state surviving a restart.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import paramiko
import pytest

from infra.local.launcher import PlatformProcess, start_platform_process
from infra.local.template import Stack, load_template

pytestmark = pytest.mark.platform

FREE_PORTS = ("--api-port", "0", "--portal-port", "0", "--aws-port", "0", "--sftp-port", "0")


def _client(endpoints: dict[str, Any], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoints["aws_endpoint_url"],
        region_name=endpoints["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _eventually(check: Any, timeout: float = 30.0, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {check.__doc__ or check}")
        time.sleep(every)


def _start(state_dir: Path, *extra: str) -> PlatformProcess:
    return start_platform_process(
        state_dir, *FREE_PORTS, "--time-factor", "3600", "--no-seed", *extra
    )


@pytest.fixture(scope="module")
def bare_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    """A platform without the demo landlord."""
    platform = _start(tmp_path_factory.mktemp("bare") / ".encaisse")
    try:
        yield platform
    finally:
        assert platform.stop() == 0, platform.output_text()[-5000:]


def test_every_template_resource_exists(bare_platform: PlatformProcess) -> None:
    endpoints = bare_platform.endpoints
    stack = Stack(load_template())

    def names(*types: str) -> set[str]:
        return {stack.physical_name(lid) for lid in stack.of_type(*types)}

    tables = set(_client(endpoints, "dynamodb").list_tables()["TableNames"])
    assert names("AWS::DynamoDB::Table") <= tables
    assert set(endpoints["tables"].values()) == names("AWS::DynamoDB::Table")
    buckets = {b["Name"] for b in _client(endpoints, "s3").list_buckets()["Buckets"]}
    assert names("AWS::S3::Bucket") <= buckets
    queues = _client(endpoints, "sqs").list_queues()["QueueUrls"]
    assert {url.rsplit("/", 1)[1] for url in queues} >= names("AWS::SQS::Queue")
    machines = {
        m["name"]
        for m in _client(endpoints, "stepfunctions").list_state_machines()["stateMachines"]
    }
    assert names("AWS::Serverless::StateMachine") <= machines
    functions = {
        f["FunctionName"] for f in _client(endpoints, "lambda").list_functions()["Functions"]
    }
    assert names("AWS::Serverless::Function") <= functions
    topics = {t["TopicArn"] for t in _client(endpoints, "sns").list_topics()["Topics"]}
    assert set(endpoints["topics"].values()) <= topics

    notification = _client(endpoints, "s3").get_bucket_notification_configuration(
        Bucket=endpoints["buckets"]["inbox"]
    )
    assert notification["QueueConfigurations"][0]["QueueArn"].endswith(":encaisse-local-ingest")
    assert endpoints["demo"] is None
    assert Path(endpoints["state_dir"], "endpoints.json").exists()


def test_local_pages_answer(bare_platform: PlatformProcess) -> None:
    endpoints = bare_platform.endpoints
    with urllib.request.urlopen(endpoints["outbox_url"] + "?format=json") as response:
        assert json.load(response) == {"messages": []}
    with urllib.request.urlopen(endpoints["outbox_url"]) as response:
        assert "Boîte d'envoi" in response.read().decode()
    with urllib.request.urlopen(endpoints["schedules_url"]) as response:
        names = {s["name"] for s in json.load(response)["schedules"]}
    # every schedule of the template, and nothing else
    resources = load_template()["Resources"]
    assert names == {
        f"{logical_id}.{name}"
        for logical_id, resource in resources.items()
        for name, event in resource.get("Properties", {}).get("Events", {}).items()
        if event["Type"] in ("Schedule", "ScheduleV2")
    }
    assert {"ErpPushStateMachine.Every15Minutes", "NotifyFunction.DailyOpenCases"} <= names
    if endpoints["api_url"]:
        with urllib.request.urlopen(endpoints["api_url"] + "/v1/health") as response:
            assert response.status == 200


def _objects_under(endpoints: dict[str, Any], prefix: str) -> dict[str, list[str]]:
    s3 = _client(endpoints, "s3")
    found = {}
    for role in ("inbox", "archive", "quarantine"):
        listed = s3.list_objects_v2(Bucket=endpoints["buckets"][role], Prefix=prefix)
        keys = [o["Key"] for o in listed.get("Contents", [])]
        if keys:
            found[role] = keys
    return found


def test_inbox_upload_is_fed_to_the_ingest_handler(bare_platform: PlatformProcess) -> None:
    endpoints = bare_platform.endpoints
    org = f"nobody-{uuid.uuid4().hex[:6]}"
    _client(endpoints, "s3").put_object(
        Bucket=endpoints["buckets"]["inbox"], Key=f"{org}/stray.txt", Body=b"not a statement"
    )

    # No such organisation: the real handler quarantines the file with a reason. That it
    # did shows the notification went through the ingest queue to the poller.
    def quarantined() -> bool:
        """the file is in quarantine"""
        return "quarantine" in _objects_under(endpoints, f"{org}/")

    _eventually(quarantined)
    sqs = _client(endpoints, "sqs")

    def queue_drained() -> bool:
        """the ingest queue is empty"""
        attributes = sqs.get_queue_attributes(
            QueueUrl=endpoints["queues"]["ingest"], AttributeNames=["All"]
        )["Attributes"]
        return (
            attributes["ApproximateNumberOfMessages"] == "0"
            and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        )

    _eventually(queue_drained)


def test_sftp_user_per_organisation(bare_platform: PlatformProcess) -> None:
    endpoints = bare_platform.endpoints
    org = f"org-sftp-{uuid.uuid4().hex[:6]}"
    _client(endpoints, "dynamodb").put_item(
        TableName=endpoints["tables"]["organisations"], Item={"org_id": {"S": org}}
    )
    host, port = endpoints["sftp"]["host"], endpoints["sftp"]["port"]
    # The first attempt makes the platform notice the new organisation and give it a
    # user; its password is in the state folder.
    with pytest.raises(paramiko.AuthenticationException):
        _sftp_put(host, port, org, "wrong", "x.txt", b"x")
    users = json.loads(Path(endpoints["state_dir"], "sftp_users.json").read_text())
    _sftp_put(host, port, org, users[org]["password"], "virement.xml", b"<Document/>")

    def arrived() -> dict[str, list[str]]:
        """the upload is under the organisation's prefix"""
        return _objects_under(endpoints, f"{org}/virement.xml")

    assert _eventually(arrived)


def _sftp_put(host: str, port: int, user: str, password: str, name: str, data: bytes) -> None:
    transport = paramiko.Transport((host, port))
    try:
        transport.connect(username=user, password=password)
        sftp = paramiko.SFTPClient.from_transport(transport)
        assert sftp is not None
        sftp.putfo(io.BytesIO(data), name)
    finally:
        transport.close()


@pytest.mark.platform
def test_sftp_upload_of_the_demo_user_lands_in_the_inbox(running_platform: dict[str, Any]) -> None:
    sftp = running_platform["sftp"]
    if not sftp["username"]:
        pytest.skip("no demo SFTP user (infra.local.seed did not run)")
    name = f"sftp-{uuid.uuid4().hex[:6]}.txt"
    _sftp_put(sftp["host"], sftp["port"], sftp["username"], sftp["password"], name, b"hello")

    def arrived() -> dict[str, list[str]]:
        """the upload is under the demo organisation's prefix"""
        return _objects_under(running_platform, f"{sftp['org_id']}/{name}")

    assert _eventually(arrived)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state_dir = tmp_path / ".encaisse"
    first = _start(state_dir, "--snapshot-interval", "0")
    try:
        endpoints = first.endpoints
        _client(endpoints, "dynamodb").put_item(
            TableName=endpoints["tables"]["files"],
            Item={"org_id": {"S": "org-keep"}, "file_id": {"S": "f-1"}, "n": {"N": "42"}},
        )
        for n in range(2, 31):  # more than one restore batch (25 items)
            _client(endpoints, "dynamodb").put_item(
                TableName=endpoints["tables"]["files"],
                Item={"org_id": {"S": "org-keep"}, "file_id": {"S": f"f-{n}"}, "n": {"N": str(n)}},
            )
        _client(endpoints, "s3").put_object(
            Bucket=endpoints["buckets"]["documents"],
            Key="org-keep/L-1/avis d'échéance.pdf",
            Body=b"%PDF-1.7 kept",
            ContentType="application/pdf",
            Metadata={"lease": "L-1"},
        )
    finally:
        assert first.stop() == 0, first.output_text()[-5000:]
    assert not (state_dir / "endpoints.json").exists()
    assert (state_dir / "snapshot" / "snapshot.json").exists()

    second = _start(state_dir, "--snapshot-interval", "0")
    try:
        endpoints = second.endpoints
        item = _client(endpoints, "dynamodb").get_item(
            TableName=endpoints["tables"]["files"],
            Key={"org_id": {"S": "org-keep"}, "file_id": {"S": "f-1"}},
        )["Item"]
        assert item["n"] == {"N": "42"}
        kept = _client(endpoints, "dynamodb").query(
            TableName=endpoints["tables"]["files"],
            KeyConditionExpression="org_id = :o",
            ExpressionAttributeValues={":o": {"S": "org-keep"}},
        )["Items"]
        assert sorted(int(i["n"]["N"]) for i in kept) == [*range(2, 31), 42]
        got = _client(endpoints, "s3").get_object(
            Bucket=endpoints["buckets"]["documents"], Key="org-keep/L-1/avis d'échéance.pdf"
        )
        assert got["Body"].read() == b"%PDF-1.7 kept"
        assert got["ContentType"] == "application/pdf"
        assert got["Metadata"] == {"lease": "L-1"}
        assert "(restored)" in second.output_text()
    finally:
        assert second.stop() == 0, second.output_text()[-5000:]
