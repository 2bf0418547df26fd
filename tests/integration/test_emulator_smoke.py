"""Our patches to moto still apply and still do their job; our workflows run on it.

If moto is upgraded and a patch target moves, the ``emulator`` fixture fails at start
(each patch asserts its target) and these tests say which behaviour is gone.

The workflow tests drive the real ASL of infra/statemachines with stand-in step
handlers (the real ones are tested in test_notify.py / their own tests): they check
the paths of the workflows, not what each step does.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local import patches
from infra.local.invoke import INVOKER, LocalFunction

pytestmark = pytest.mark.integration

CALLS: list[dict[str, Any]] = []


class SmokeError(Exception):
    pass


class ErpWebhookError(Exception):
    """Same name as the ERP handler's error: the workflow retries on the name."""


def echo_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append(event)
    if event.get("fail"):
        raise SmokeError("asked to fail")
    return {"echo": event, "function": context.function_name}


# ------------------------------------------------------------------ helpers


def _run(
    emulator: Any, definition: dict[str, Any] | str, payload: Any, timeout: float = 60
) -> dict[str, Any]:
    sfn = emulator.client("stepfunctions")
    if isinstance(definition, dict):
        arn = sfn.create_state_machine(
            name=f"smoke-{uuid.uuid4().hex[:8]}",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/encaisse-local-execution",
        )["stateMachineArn"]
    else:
        arn = definition
    execution = sfn.start_execution(
        stateMachineArn=arn, name=f"run-{uuid.uuid4().hex[:8]}", input=json.dumps(payload)
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            described["history"] = sfn.get_execution_history(executionArn=execution)["events"]
            return described  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"{execution} still running after {timeout} s")


def _states_entered(described: dict[str, Any]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in described["history"]
        if "stateEnteredEventDetails" in e
    ]


@pytest.fixture
def echo_function(emulator: Any) -> Iterator[str]:
    """A function in moto whose invocations reach ``echo_handler`` in this process."""
    name = f"smoke-echo-{uuid.uuid4().hex[:6]}"
    created = emulator.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role="arn:aws:iam::123456789012:role/encaisse-local-execution",
        Handler=f"{__name__}.echo_handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    INVOKER.register(
        {name: LocalFunction(name, name, created["FunctionArn"], f"{__name__}.echo_handler")}
    )
    CALLS.clear()
    yield created["FunctionArn"]


@pytest.fixture
def stand_in(emulator: Any) -> Iterator[dict[str, Any]]:
    """Puts ``script[function logical id]`` in place of a template function's handler."""
    originals = dict(emulator.functions)
    for logical_id, function in originals.items():
        INVOKER.register(
            {
                logical_id: dataclasses.replace(
                    function,
                    handler=f"{__name__}.stand_in_{logical_id.removesuffix('Function').lower()}",
                )
            }
        )
    STAND_IN.clear()
    CALLS.clear()
    try:
        yield STAND_IN
    finally:
        INVOKER.register(originals)


STAND_IN: dict[str, Any] = {}


def _scripted(kind: str, event: dict[str, Any]) -> Any:
    CALLS.append({"to": kind, **event})
    behaviour = STAND_IN[kind]
    return behaviour(event)


def stand_in_erp(event: dict[str, Any], context: Any) -> Any:
    return _scripted("erp", event)


def stand_in_notify(event: dict[str, Any], context: Any) -> Any:
    return _scripted("notify", event)


def stand_in_ingest(event: dict[str, Any], context: Any) -> Any:
    return _scripted("ingest", event)


def stand_in_match(event: dict[str, Any], context: Any) -> Any:
    return _scripted("match", event)


def stand_in_api(event: dict[str, Any], context: Any) -> Any:
    return _scripted("api", event)


# ------------------------------------------------------------------ patches


def test_every_patch_is_applied(emulator: Any) -> None:
    assert patches.apply_all() == sorted(patches.PATCHES)
    from moto.awslambda.models import LambdaFunction
    from moto.s3 import notifications
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    assert LambdaFunction._invoke_lambda.__module__ == patches.__name__
    assert WaitFunction._wait_interval.__module__ == patches.__name__
    assert notifications._get_s3_event.__module__ == patches.__name__
    assert retrier_decl.time.sleep(0) is None and retrier_decl.time is not time
    assert patches.SETTINGS.time_factor == 3600


def test_a_one_hour_wait_ends(emulator: Any) -> None:
    definition = {
        "StartAt": "OneHour",
        "States": {
            "OneHour": {"Type": "Wait", "Seconds": 3600, "Next": "TenDays"},
            "TenDays": {"Type": "Wait", "SecondsPath": "$.seconds", "End": True},
        },
    }
    # Three hours of workflow time; without the time factor the timeout would fail it.
    # Only completion is asserted, not a duration.
    described = _run(emulator, definition, {"seconds": 7200}, timeout=30)
    assert described["status"] == "SUCCEEDED"


def test_lambda_task_reaches_the_handler_in_process(emulator: Any, echo_function: str) -> None:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": echo_function,
                    "Payload": {"action": "ping", "n.$": "$.n"},
                },
                "ResultSelector": {"result.$": "$.Payload"},
                "End": True,
            }
        },
    }
    described = _run(emulator, definition, {"n": 7})
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["result"]["echo"] == {"action": "ping", "n": 7}
    assert output["result"]["function"].startswith("smoke-echo-")
    assert CALLS == [{"action": "ping", "n": 7}]


def test_handler_errors_are_retried_by_name_and_caught(emulator: Any, echo_function: str) -> None:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": echo_function, "Payload": {"fail": True}},
                # An hour between attempts: only the time factor makes this quick.
                "Retry": [
                    {"ErrorEquals": ["SmokeError"], "IntervalSeconds": 3600, "MaxAttempts": 2}
                ],
                "Catch": [
                    {"ErrorEquals": ["SmokeError"], "ResultPath": "$.error", "Next": "Caught"}
                ],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }
    described = _run(emulator, definition, {}, timeout=30)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["error"]["Error"] == "SmokeError"
    assert len(CALLS) == 3  # the first attempt and two retries


def test_s3_notification_records_look_like_aws(emulator: Any) -> None:
    key = f"smoke-{uuid.uuid4().hex[:6]}/relevé du mois.xml"
    emulator.client("s3").put_object(Bucket=emulator.buckets["InboxBucket"], Key=key, Body=b"<x/>")
    sqs = emulator.client("sqs")
    url = emulator.queues["IngestQueue"].url
    deadline = time.monotonic() + 10
    record = None
    while record is None and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            body = json.loads(message["Body"])
            for r in body.get("Records", []):
                if r["s3"]["object"]["key"].startswith(key.partition("/")[0]):
                    record = r
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert record is not None, "no notification reached the ingest queue"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"]
    assert record["requestParameters"]["sourceIPAddress"]
    assert record["responseElements"]
    assert record["s3"]["object"]["sequencer"]
    # Form-encoded like AWS: "/" kept, spaces as "+", UTF-8 percent-encoded.
    from urllib.parse import unquote_plus

    assert "/" in record["s3"]["object"]["key"]
    assert unquote_plus(record["s3"]["object"]["key"]) == key

    from aws_lambda_powertools.utilities.parser.models import S3Model

    S3Model.model_validate({"Records": [record]})  # the strict model accepts it


# ------------------------------------------------------------------ workflows


def test_erp_push_paths(emulator: Any, stand_in: dict[str, Any]) -> None:
    attempts: dict[str, int] = {}

    def erp(event: dict[str, Any]) -> Any:
        action = event["action"]
        if action == "list_organisations":
            return {"organisations": [{"org_id": o} for o in ("empty", "polling", "flaky", "down")]}
        if action == "collect":
            org = event["org_id"]
            return {
                "org_id": org,
                "batch_id": f"batch-{org}",
                "count": 0 if org == "empty" else 3,
                "format": "json",
                "has_webhook": org != "polling",
            }
        if action == "deliver":
            attempts[event["org_id"]] = attempts.get(event["org_id"], 0) + 1
            if event["org_id"] == "down" or attempts[event["org_id"]] < 3:
                raise ErpWebhookError("HTTP 503 from the ERP")
            return {"status_code": 200}
        return {}

    stand_in["erp"] = erp
    sqs, sns = emulator.client("sqs"), emulator.client("sns")
    sink = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    sink_arn = sqs.get_queue_attributes(QueueUrl=sink, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=emulator.topics["AlertTopic"], Protocol="sqs", Endpoint=sink_arn)

    described = _run(emulator, emulator.state_machines["ErpPushStateMachine"], {})

    assert described["status"] == "SUCCEEDED"
    by_org: dict[str, list[str]] = {}
    for call in CALLS:
        by_org.setdefault(call.get("org_id", "-"), []).append(call["action"])
    assert by_org["empty"] == ["collect"]
    assert by_org["polling"] == ["collect"]
    assert by_org["flaky"] == ["collect", "deliver", "deliver", "deliver", "mark_delivered"]
    assert by_org["down"] == ["collect"] + ["deliver"] * 6 + ["park"]
    park = next(c for c in CALLS if c["action"] == "park")
    assert park["batch_id"] == "batch-down" and park["error"]["Error"] == "ErpWebhookError"
    alerts = sqs.receive_message(QueueUrl=sink, MaxNumberOfMessages=10, WaitTimeSeconds=2)[
        "Messages"
    ]
    assert "down" in json.loads(alerts[0]["Body"])["Message"]


@pytest.mark.parametrize(
    ("paid_after_checks", "expected_steps", "reason"),
    [
        (0, [], "paid"),
        (2, ["send_reminder"], "paid"),
        (4, ["send_reminder", "send_reminder", "send_letter"], "paid"),
        (None, ["send_reminder", "send_reminder", "send_letter", "refer_social"], "referred"),
    ],
)
def test_dunning_paths(
    emulator: Any,
    stand_in: dict[str, Any],
    paid_after_checks: int | None,
    expected_steps: list[str],
    reason: str,
) -> None:
    checks = {"n": 0}

    def notify(event: dict[str, Any]) -> Any:
        if event["action"] == "check_balance":
            checks["n"] += 1
            paid = paid_after_checks is not None and checks["n"] > paid_after_checks
            return {"in_arrears": not paid, "balance_cents": 0 if paid else 42_000}
        return {}

    stand_in["notify"] = notify
    case = {"org_id": "org-x", "lease_id": "L-1", "case_id": f"case-{uuid.uuid4().hex[:6]}"}
    # Ten days each: 240 s at factor 3600 would time out; 1 s each does not.
    delays = {"reminder_1": 3600, "reminder_2": 3600, "letter": 3600, "referral": 3600}

    described = _run(
        emulator, emulator.state_machines["DunningStateMachine"], case | {"delays": delays}
    )

    assert described["status"] == "SUCCEEDED", described.get("cause")
    steps = [c["action"] for c in CALLS if c["action"] not in ("check_balance", "close_case")]
    assert steps == expected_steps
    levels = [c["level"] for c in CALLS if c["action"] == "send_reminder"]
    assert levels == [1, 2][: len(levels)]
    close = [c for c in CALLS if c["action"] == "close_case"]
    assert [c["reason"] for c in close] == [reason]
    assert all(c["case_id"] == case["case_id"] for c in CALLS)
    if paid_after_checks != 0:
        assert "WaitBeforeReminder1" in _states_entered(described)


def test_dunning_defaults_its_delays(emulator: Any, stand_in: dict[str, Any]) -> None:
    stand_in["notify"] = lambda event: (
        {"in_arrears": False, "balance_cents": 0} if event["action"] == "check_balance" else {}
    )
    case = {"org_id": "org-x", "lease_id": "L-2", "case_id": f"case-{uuid.uuid4().hex[:6]}"}
    described = _run(emulator, emulator.state_machines["DunningStateMachine"], case)
    assert described["status"] == "SUCCEEDED"
    normalised = next(
        json.loads(e["stateExitedEventDetails"]["output"])
        for e in described["history"]
        if e.get("stateExitedEventDetails", {}).get("name") == "Normalise"
    )
    # J+10, J+20, J+30, J+45: the steps of functions.core.dunning's policy
    assert normalised["delays"] == {
        "reminder_1": 864000,
        "reminder_2": 864000,
        "letter": 864000,
        "referral": 1296000,
    }


# ------------------------------------------------------------------ event sources


def test_sqs_poller_deletes_successes_and_redrives_failures(
    emulator: Any, stand_in: dict[str, Any], event_sources: Any
) -> None:
    run = uuid.uuid4().hex[:6]

    def match(event: dict[str, Any]) -> Any:
        failures = []
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs"
            assert record["eventSourceARN"] == emulator.queues["MatchQueue"].arn
            assert record["awsRegion"] == "eu-west-3"
            assert int(record["attributes"]["ApproximateReceiveCount"]) >= 1
            if json.loads(record["body"]).get("fail"):
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    stand_in["match"] = match
    stand_in["ingest"] = lambda event: {"batchItemFailures": []}
    sqs = emulator.client("sqs")
    queue = emulator.queues["MatchQueue"].url
    for body in ({"run": run, "n": 1}, {"run": run, "n": 2, "fail": True}, {"run": run, "n": 3}):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))

    def bodies() -> list[dict[str, Any]]:
        return [
            json.loads(record["body"])
            for call in CALLS
            if call["to"] == "match"
            for record in call["Records"]
            if json.loads(record["body"]).get("run") == run
        ]

    dead_letter = emulator.queues["MatchDeadLetterQueue"].url
    deadline = time.monotonic() + 60
    dead: list[dict[str, Any]] = []
    while not dead and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=dead_letter, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            dead.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=dead_letter, ReceiptHandle=message["ReceiptHandle"])
    # The failing message was retried until maxReceiveCount (5), then moved to the DLQ;
    # the others were handled once and deleted.
    assert dead == [{"run": run, "n": 2, "fail": True}]
    seen = [b["n"] for b in bodies()]
    assert sorted(n for n in seen if n != 2) == [1, 3]
    assert seen.count(2) == 5


def test_schedules_fire_their_targets_with_the_template_input(
    emulator: Any, stand_in: dict[str, Any]
) -> None:
    from infra.local.runner import Scheduler, rate_seconds

    stand_in["notify"] = lambda event: {"opened": 0}
    stand_in["erp"] = lambda event: {"organisations": []}
    scheduler = Scheduler(emulator, time_factor=3600, enabled=False)
    assert {s["name"]: s["local_period_seconds"] for s in scheduler.describe()} == {
        "ErpPushStateMachine.Every15Minutes": 60.0,  # 900 s / 3600, but at least a minute
        "NotifyFunction.DailyOpenCases": None,  # cron: on demand only
        "NotifyFunction.DailyPrintRun": None,
        "SweeperFunction.Every15Minutes": 60.0,
    }
    assert rate_seconds("rate(15 minutes)") == 900 and rate_seconds("rate(1 day)") == 86400

    assert json.loads(scheduler.trigger("NotifyFunction.DailyOpenCases")) == {"opened": 0}
    assert CALLS == [{"to": "notify", "action": "open_cases"}]

    execution = scheduler.trigger("ErpPushStateMachine.Every15Minutes")
    sfn = emulator.client("stepfunctions")
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
    assert CALLS[-1] == {"to": "erp", "action": "list_organisations"}
