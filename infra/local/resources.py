"""Every resource of template.yaml, created in the emulator from the template itself.

Not a second list kept by hand: tables, buckets, queues, topics, functions and state
machines are whatever the template declares, with its names, keys, indexes, redrive
policies and notification configuration. moto's CloudFormation would ignore bucket
notifications and ``DefinitionSubstitutions`` and put state machines where they do not
run, so the resources are created through the service APIs instead.

Resource types that only matter in AWS (CloudFront, alarms, log groups, IAM roles,
Transfer Family, API Gateway) are not created: the local platform plays their part
(servers, SFTP) or has nothing to do with them.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from infra.local.emulator import DUMMY_CREDENTIALS, Emulator, reset_backends
from infra.local.invoke import LocalFunction
from infra.local.template import TEMPLATE_PATH, Stack, load_template

# The role every local function and state machine "assumes" (moto checks it exists).
LOCAL_ROLE_NAME = "encaisse-local-execution"

FUNCTION_TYPES = ("AWS::Serverless::Function",)
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine",)


@dataclass(frozen=True)
class Queue:
    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class SqsSource:
    """An SQS event source mapping of the template (an ``SQS`` event of a function)."""

    function: str  # logical id
    queue: str  # logical id
    batch_size: int
    report_batch_item_failures: bool
    maximum_batching_window: int = 0


@dataclass(frozen=True)
class Schedule:
    """A ``Schedule``/``ScheduleV2`` event of a function or a state machine."""

    target: str  # logical id
    kind: str  # "function" | "state_machine"
    expression: str  # rate(15 minutes) | cron(0 6 * * ? *)
    input: Any
    name: str


@dataclass
class Resources:
    """What was created: physical names, URLs and ARNs by logical id."""

    endpoint_url: str
    stack: Stack
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    mail_identities: list[str] = field(default_factory=list)

    @property
    def region(self) -> str:
        return self.stack.region

    @property
    def environment(self) -> dict[str, str]:
        """The variables every function shares (the template's Globals)."""
        envs = [dict(f.environment) for f in self.functions.values()]
        if not envs:
            return {}
        return {k: v for k, v in envs[0].items() if all(e.get(k) == v for e in envs[1:])}

    def by_role(self, kind: str) -> dict[str, str]:
        """Physical names keyed like endpoints.json (``InboxBucket`` → ``inbox``)."""
        suffix, source = {
            "buckets": ("Bucket", self.buckets),
            "tables": ("Table", self.tables),
            "queues": ("Queue", {k: q.url for k, q in self.queues.items()}),
            "topics": ("Topic", self.topics),
            "state_machines": ("StateMachine", self.state_machines),
            "functions": ("Function", {k: f.name for k, f in self.functions.items()}),
        }[kind]
        return {_role(logical_id, suffix): value for logical_id, value in source.items()}

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


def _role(logical_id: str, suffix: str) -> str:
    """The endpoints.json key of a logical id: ``DunningCasesTable`` → ``dunning_cases``.

    ``suffix`` is the type word the logical id ends with (``Table``, ``Queue`` …).
    """
    stem = logical_id.removesuffix(suffix)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()


def _dummy_zip() -> bytes:
    # The code never runs from this zip: invocations are dispatched to our handlers.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Encaisse local platform: handlers run in-process.\n")
    return buffer.getvalue()


def create_resources(
    endpoint_url: str,
    *,
    template_path: Path = TEMPLATE_PATH,
    parameters: Mapping[str, str] | None = None,
    environment_overrides: Mapping[str, str] | None = None,
) -> Resources:
    """Create every resource of the template in the emulator at ``endpoint_url``.

    ``environment_overrides`` replace resolved function variables whose value only
    exists in AWS (``PORTAL_BASE_URL`` is the CloudFront domain there).
    """
    stack = Stack(load_template(template_path), parameter_overrides=dict(parameters or {}))
    res = Resources(endpoint_url=endpoint_url, stack=stack)
    role_arn = _create_role(res)
    _create_tables(res)
    _create_queues(res)
    _create_topics(res)
    _create_buckets(res)
    _verify_mail_identities(res)
    _create_functions(res, role_arn, dict(environment_overrides or {}))
    _create_state_machines(res, role_arn, template_path.parent)
    _collect_event_sources(res)
    return res


@contextmanager
def in_process(
    *, time_factor: float = 1.0, environment_overrides: Mapping[str, str] | None = None
) -> Iterator[Resources]:
    """The template's resources on an emulator started in this process (moto's state
    reset first), with its endpoint and the functions' shared environment exported and
    the process's AWS clients forgotten, until the end (then the environment is put
    back): what the in-process benchmarks and the tests' ``emulator`` fixture run on."""
    from functions.adapters.aws import client

    reset_backends()
    emulator = Emulator(0, time_factor=time_factor)
    url = emulator.start()
    saved = dict(os.environ)
    try:
        os.environ.update(emulator.client_environment())
        resources = create_resources(url, environment_overrides=environment_overrides)
        os.environ.update(resources.environment)
        client.cache_clear()
        yield resources
    finally:
        emulator.stop()
        os.environ.clear()
        os.environ.update(saved)
        client.cache_clear()


def _create_role(res: Resources) -> str:
    iam = res.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    try:
        role = iam.create_role(RoleName=LOCAL_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName=LOCAL_ROLE_NAME)
    return str(role["Role"]["Arn"])


def _create_tables(res: Resources) -> None:
    dynamodb = res.client("dynamodb")
    for logical_id in res.stack.of_type("AWS::DynamoDB::Table"):
        props = res.stack.properties(logical_id)
        args: dict[str, Any] = {
            key: props[key]
            for key in (
                "TableName",
                "AttributeDefinitions",
                "KeySchema",
                "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes",
                "BillingMode",
                "ProvisionedThroughput",
                "StreamSpecification",
            )
            if key in props
        }
        args.setdefault("BillingMode", "PAY_PER_REQUEST")
        dynamodb.create_table(**args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=args["TableName"],
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        res.tables[logical_id] = args["TableName"]


def _queue_dependencies(res: Resources, logical_id: str) -> list[str]:
    redrive = (res.stack.resources[logical_id].get("Properties") or {}).get("RedrivePolicy") or {}
    target = redrive.get("deadLetterTargetArn")
    if isinstance(target, dict) and "Fn::GetAtt" in target:
        return [target["Fn::GetAtt"][0]]
    return []


def _create_queues(res: Resources) -> None:
    sqs = res.client("sqs")
    pending = list(res.stack.of_type("AWS::SQS::Queue"))
    # Dead-letter queues first: a redrive policy names an existing queue.
    while pending:
        ready = [q for q in pending if all(d in res.queues for d in _queue_dependencies(res, q))]
        if not ready:
            raise RuntimeError(f"circular redrive policies among {pending}")
        for logical_id in ready:
            props = res.stack.properties(logical_id)
            name = res.stack.physical_name(logical_id)
            attributes: dict[str, str] = {}
            for key, value in props.items():
                if key in ("QueueName", "Tags"):
                    continue
                if isinstance(value, dict):
                    attributes[key] = json.dumps(value)
                elif isinstance(value, bool):
                    attributes[key] = "true" if value else "false"
                else:
                    attributes[key] = str(value)
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            res.stack.queue_urls[logical_id] = url
            res.queues[logical_id] = Queue(name=name, url=url, arn=res.stack.arn(logical_id))
            pending.remove(logical_id)
    for logical_id in res.stack.of_type("AWS::SQS::QueuePolicy"):
        props = res.stack.properties(logical_id)
        for url in props["Queues"]:
            sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )


def _create_topics(res: Resources) -> None:
    sns = res.client("sns")
    for logical_id in res.stack.of_type("AWS::SNS::Topic"):
        props = res.stack.properties(logical_id)
        attributes = {"DisplayName": props["DisplayName"]} if "DisplayName" in props else {}
        arn = sns.create_topic(Name=res.stack.physical_name(logical_id), Attributes=attributes)
        res.topics[logical_id] = str(arn["TopicArn"])


def _create_buckets(res: Resources) -> None:
    s3 = res.client("s3")
    for logical_id in res.stack.of_type("AWS::S3::Bucket"):
        props = res.stack.properties(logical_id)
        name = props["BucketName"]
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": res.region})
        if "BucketEncryption" in props:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                        for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                    ]
                },
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
            )
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        notifications = props.get("NotificationConfiguration") or {}
        queue_configs = [
            {
                "QueueArn": q["Queue"],
                "Events": [q["Event"]],
                **({"Filter": _s3_filter(q["Filter"])} if "Filter" in q else {}),
            }
            for q in notifications.get("QueueConfigurations", [])
        ]
        if queue_configs:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"QueueConfigurations": queue_configs}
            )
        res.buckets[logical_id] = name


def _s3_filter(cfn_filter: dict[str, Any]) -> dict[str, Any]:
    # CloudFormation spells it S3Key.Rules; the API Key.FilterRules.
    rules = cfn_filter.get("S3Key", {}).get("Rules", [])
    return {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}


def _verify_mail_identities(res: Resources) -> None:
    # SES refuses to send from an unverified address; in AWS that is a one-off manual
    # step, here the MailSender parameter is verified on creation.
    sender = res.stack.parameters.get("MailSender")
    if not sender:
        return
    ses = res.client("ses")
    ses.verify_email_identity(EmailAddress=sender)
    ses.verify_domain_identity(Domain=sender.rpartition("@")[2])
    res.mail_identities.append(sender)


def _create_functions(res: Resources, role_arn: str, overrides: dict[str, str]) -> None:
    lambda_ = res.client("lambda")
    code = _dummy_zip()
    for logical_id in res.stack.of_type(*FUNCTION_TYPES):
        props = res.stack.properties(logical_id)
        name = res.stack.physical_name(logical_id)
        variables = {
            k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
        }
        variables.update({k: v for k, v in overrides.items() if k in variables})
        lambda_.create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", "python3.11"),
            Role=role_arn,
            Handler=props["Handler"],
            Code={"ZipFile": code},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Architectures=props.get("Architectures", ["x86_64"]),
            Environment={"Variables": variables},
        )
        res.functions[logical_id] = LocalFunction(
            logical_id=logical_id,
            name=name,
            arn=res.stack.arn(logical_id),
            handler=props["Handler"],
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            environment=variables,
            reserved_concurrency=_reserved(props),
        )


def _reserved(props: Mapping[str, Any]) -> int | None:
    value = props.get("ReservedConcurrentExecutions")
    return None if value is None else int(value)


def substitute(definition: str, substitutions: Mapping[str, Any]) -> str:
    """Step Functions' ``DefinitionSubstitutions``: ``${Name}`` → value."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in substitutions:
            raise KeyError(f"no DefinitionSubstitutions value for ${{{key}}}")
        return str(substitutions[key])

    return re.sub(r"\$\{(\w+)\}", replace, definition)


def _create_state_machines(res: Resources, role_arn: str, base: Path) -> None:
    sfn = res.client("stepfunctions")
    for logical_id in res.stack.of_type(*STATE_MACHINE_TYPES):
        props = res.stack.properties(logical_id)
        if "DefinitionUri" in props:
            text = (base / props["DefinitionUri"]).read_text(encoding="utf-8")
        else:
            text = json.dumps(props["Definition"])
        definition = substitute(text, props.get("DefinitionSubstitutions") or {})
        arn = sfn.create_state_machine(
            name=res.stack.physical_name(logical_id),
            definition=definition,
            roleArn=role_arn,
            type=props.get("Type", "STANDARD"),
        )["stateMachineArn"]
        res.state_machines[logical_id] = str(arn)


def _collect_event_sources(res: Resources) -> None:
    for kind, types in (("function", FUNCTION_TYPES), ("state_machine", STATE_MACHINE_TYPES)):
        for logical_id, resource in res.stack.of_type(*types).items():
            events = (resource.get("Properties") or {}).get("Events") or {}
            for event_name, event in events.items():
                props = res.stack.resolve(event.get("Properties") or {})
                if event["Type"] == "SQS" and kind == "function":
                    queue_arn = props["Queue"]
                    queue = next(k for k, q in res.queues.items() if q.arn == queue_arn)
                    res.sqs_sources.append(
                        SqsSource(
                            function=logical_id,
                            queue=queue,
                            batch_size=int(props.get("BatchSize", 10)),
                            report_batch_item_failures="ReportBatchItemFailures"
                            in props.get("FunctionResponseTypes", []),
                            maximum_batching_window=int(
                                props.get("MaximumBatchingWindowInSeconds", 0)
                            ),
                        )
                    )
                elif event["Type"] in ("Schedule", "ScheduleV2"):
                    if props.get("Enabled", True) is False or props.get("State") == "DISABLED":
                        continue
                    raw_input = props.get("Input")
                    res.schedules.append(
                        Schedule(
                            target=logical_id,
                            kind=kind,
                            expression=props["Schedule"]
                            if "Schedule" in props
                            else props["ScheduleExpression"],
                            input=json.loads(raw_input) if raw_input else {},
                            name=f"{logical_id}.{event_name}",
                        )
                    )
