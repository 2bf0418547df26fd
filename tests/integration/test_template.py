"""template.yaml and the ASL workflows: lint, security properties, the architecture contract."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.template import TEMPLATE_PATH, Stack, apply_globals, load_template

ROOT = TEMPLATE_PATH.parent


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return apply_globals(load_template())


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_reports_nothing() -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(
        TEMPLATE_PATH.read_text(encoding="utf-8"), config=ManualArgs(regions=["eu-west-3"])
    )
    problems = [
        f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if m.rule.id[0] in "EW"
    ]
    assert problems == []


def test_every_bucket_is_encrypted_and_private(template: dict[str, Any]) -> None:
    buckets = _of_type(template, "AWS::S3::Bucket")
    assert {
        "InboxBucket",
        "QuarantineBucket",
        "ArchiveBucket",
        "DocumentsBucket",
        "PortalBucket",
    } <= set(buckets)
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}, (
            logical_id
        )
        block = props["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
    for logical_id in ("ArchiveBucket", "DocumentsBucket"):
        assert buckets[logical_id]["Properties"]["VersioningConfiguration"]["Status"] == "Enabled"
    assert buckets["QuarantineBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]


def test_inbox_notifies_the_ingest_queue_which_allows_it(template: dict[str, Any]) -> None:
    inbox = template["Resources"]["InboxBucket"]
    queues = inbox["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert queues == [
        {"Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": ["IngestQueue", "Arn"]}}
    ]
    assert inbox["DependsOn"] == "IngestQueuePolicy"
    policy = template["Resources"]["IngestQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "IngestQueue"}]
    statement = policy["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}


def test_every_work_queue_has_a_dead_letter_queue_and_encryption(template: dict[str, Any]) -> None:
    queues = _of_type(template, "AWS::SQS::Queue")
    dead_letter = {k for k in queues if "DeadLetter" in k}
    work = set(queues) - dead_letter
    assert work == {"IngestQueue", "MatchQueue", "NoticesQueue"}
    for logical_id, queue in queues.items():
        assert queue["Properties"].get("SqsManagedSseEnabled") or queue["Properties"].get(
            "KmsMasterKeyId"
        ), logical_id
    for logical_id in work:
        redrive = queues[logical_id]["Properties"]["RedrivePolicy"]
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert target in dead_letter
        assert redrive["maxReceiveCount"] >= 1
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["Namespace"] == "AWS/SQS"
    }
    assert alarmed == dead_letter


def _statements(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "Effect" in node and "Action" in node:
            yield node
        for value in node.values():
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def test_no_statement_allows_every_action_on_every_resource(template: dict[str, Any]) -> None:
    statements = list(_statements(template["Resources"]))
    assert statements
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = statement.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if statement["Effect"] == "Allow":
            assert not ("*" in actions and "*" in resources), statement
            assert not any(a.endswith(":*") for a in actions if isinstance(a, str)), statement


def test_tables_follow_the_contract(template: dict[str, Any]) -> None:
    expected = {
        "OrganisationsTable": ("organisations", ["org_id"], {}),
        "ApiKeysTable": ("api-keys", ["key_hash"], {"org-index": ["org_id"]}),
        "LeasesTable": (
            "leases",
            ["org_id", "lease_id"],
            {"viban-index": ["viban"], "rf-index": ["rf_reference"]},
        ),
        "LedgerTable": ("ledger", ["account_key", "line_id"], {}),
        "TransactionsTable": (
            "transactions",
            ["org_id", "transaction_id"],
            {"status-index": ["org_status", "transaction_id"]},
        ),
        "EntriesTable": (
            "entries",
            ["org_id", "entry_id"],
            {"pending-index": ["pending_org", "entry_id"]},
        ),
        "FilesTable": ("files", ["org_id", "file_id"], {}),
        "DunningCasesTable": ("dunning-cases", ["org_id", "case_id"], {}),
        "IdempotencyTable": ("idempotency", ["id"], {}),
        "DocumentsTable": (
            "documents",
            ["org_id", "sk"],
            {"lease-index": ["lease_key", "created_at"]},
        ),
    }
    tables = _of_type(template, "AWS::DynamoDB::Table")
    assert set(tables) == set(expected)
    for logical_id, (suffix, keys, indexes) in expected.items():
        props = tables[logical_id]["Properties"]
        assert props["TableName"] == {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}
        assert [k["AttributeName"] for k in props["KeySchema"]] == keys
        found = {
            gsi["IndexName"]: [k["AttributeName"] for k in gsi["KeySchema"]]
            for gsi in props.get("GlobalSecondaryIndexes", [])
        }
        assert found == indexes, logical_id
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for logical_id in ("LedgerTable", "EntriesTable", "TransactionsTable"):
        assert tables[logical_id]["DeletionPolicy"] == "Retain"
    assert tables["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }


CONTRACT_ENV = {
    "ORGANISATIONS_TABLE", "API_KEYS_TABLE", "LEASES_TABLE", "LEDGER_TABLE",
    "TRANSACTIONS_TABLE", "ENTRIES_TABLE", "FILES_TABLE", "DUNNING_TABLE",
    "IDEMPOTENCY_TABLE", "INBOX_BUCKET", "QUARANTINE_BUCKET", "ARCHIVE_BUCKET",
    "DOCUMENTS_BUCKET", "MATCH_QUEUE_URL", "ERP_PUSH_STATE_MACHINE_ARN",
    "DUNNING_STATE_MACHINE_ARN", "ALERT_TOPIC_ARN", "MAIL_SENDER", "PORTAL_BASE_URL",
}  # fmt: skip


def test_functions_follow_the_contract(template: dict[str, Any]) -> None:
    expected = {
        "IngestFunction": ("functions.ingest.handler.lambda_handler", "ingest"),
        "MatchFunction": ("functions.match.handler.lambda_handler", "match"),
        "ErpFunction": ("functions.erp.handler.lambda_handler", "erp"),
        "NotifyFunction": ("functions.notify.handler.lambda_handler", "notify"),
        "SweeperFunction": ("functions.sweeper.handler.lambda_handler", "sweeper"),
        "ApiFunction": ("functions.api.app.app", "api"),
        "DocumentsFunction": ("functions.documents.handler.lambda_handler", "documents"),
    }
    functions = _of_type(template, "AWS::Serverless::Function")
    assert set(functions) == set(expected)
    for logical_id, (handler, service) in expected.items():
        props = functions[logical_id]["Properties"]
        assert props["Handler"] == handler
        assert props["Runtime"] == "python3.11"
        variables = props["Environment"]["Variables"]
        assert set(variables) >= CONTRACT_ENV
        assert variables["POWERTOOLS_SERVICE_NAME"] == service
        for event in props.get("Events", {}).values():
            if event["Type"] == "SQS":
                assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    sqs_sources = {
        logical_id: [
            e["Properties"]["Queue"]["Fn::GetAtt"][0]
            for e in f["Properties"].get("Events", {}).values()
            if e["Type"] == "SQS"
        ]
        for logical_id, f in functions.items()
    }
    assert sqs_sources["IngestFunction"] == ["IngestQueue"]
    assert sqs_sources["MatchFunction"] == ["MatchQueue"]
    assert sqs_sources["DocumentsFunction"] == ["NoticesQueue"]


def test_environment_resolves_to_the_local_names() -> None:
    stack = Stack(load_template())
    stack.queue_urls["MatchQueue"] = "http://127.0.0.1/123456789012/encaisse-local-match"
    stack.queue_urls["IngestQueue"] = "http://127.0.0.1/123456789012/encaisse-local-ingest"
    stack.queue_urls["NoticesQueue"] = "http://127.0.0.1/123456789012/encaisse-local-notices"
    variables = stack.properties("IngestFunction")["Environment"]["Variables"]
    assert variables["LEASES_TABLE"] == "encaisse-local-leases"
    assert variables["INBOX_BUCKET"] == "encaisse-local-inbox-123456789012"
    assert variables["ERP_PUSH_STATE_MACHINE_ARN"] == (
        "arn:aws:states:eu-west-3:123456789012:stateMachine:encaisse-local-erp-push"
    )
    assert variables["MATCH_QUEUE_URL"].endswith("/encaisse-local-match")


def _api_events(template: dict[str, Any]) -> set[tuple[str, str]]:
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    return {
        (e["Properties"]["Path"], e["Properties"]["Method"].upper())
        for e in events.values()
        if e["Type"] == "Api"
    }


def test_api_events_include_the_contract_routes(template: dict[str, Any]) -> None:
    routes = {
        ("/v1/health", "GET"), ("/v1/entries", "GET"), ("/v1/entries/ack", "POST"),
        ("/v1/leases", "GET"), ("/v1/leases/{lease_id}", "PUT"),
        ("/v1/leases/{lease_id}", "GET"), ("/v1/leases/{lease_id}/account", "GET"),
        ("/v1/rent-calls", "POST"), ("/v1/transactions", "GET"), ("/v1/files", "GET"),
        ("/v1/uploads", "POST"), ("/v1/openapi.json", "GET"),
    }  # fmt: skip
    assert routes <= _api_events(template)
    for event in template["Resources"]["ApiFunction"]["Properties"]["Events"].values():
        assert event["Properties"]["RestApiId"] == {"Ref": "EncaisseApi"}


def test_api_events_match_the_chalice_routes(template: dict[str, Any]) -> None:
    from functions.api.app import app

    app_routes = {
        (path, method.upper())
        for path, methods in app.routes.items()
        for method in methods
        if method.upper() != "OPTIONS"
    }
    template_routes = _api_events(template)
    missing = sorted(app_routes - template_routes)
    # Ready to paste under ApiFunction's Events in template.yaml.
    snippet = "".join(
        f"        {_event_name(method, path)}:\n          Type: Api\n"
        f"          Properties:\n            RestApiId: !Ref EncaisseApi\n"
        f'            Path: "{path}"\n            Method: {method}\n'
        for path, method in missing
    )
    assert missing == [], f"routes missing from template.yaml, add:\n{snippet}"
    assert sorted(template_routes - app_routes) == [], "template events without a route"


def _event_name(method: str, path: str) -> str:
    words = re.findall(r"[a-z0-9]+", path.replace("/v1/", "/").replace("{", "by-").lower())
    return method.capitalize() + "".join(w.capitalize() for w in words)


# ------------------------------------------------------------------ ASL


def _scopes(definition: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (StartAt, States) scope: the top level, Map processors, Parallel branches."""
    yield where or "top", definition
    for name, state in definition["States"].items():
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _scopes(state[key], f"{where}/{name}")
        for i, branch in enumerate(state.get("Branches", [])):
            yield from _scopes(branch, f"{where}/{name}[{i}]")


def _targets(state: dict[str, Any]) -> list[str]:
    targets = [state[k] for k in ("Next", "Default") if k in state]
    targets += [c["Next"] for c in state.get("Choices", [])]
    targets += [c["Next"] for c in state.get("Catch", [])]
    return targets


ASL_FILES = {
    "ErpPushStateMachine": ROOT / "infra/statemachines/erp_push.asl.json",
    "DunningStateMachine": ROOT / "infra/statemachines/dunning.asl.json",
}


@pytest.mark.parametrize("logical_id", sorted(ASL_FILES))
def test_asl_is_consistent(logical_id: str, template: dict[str, Any]) -> None:
    path = ASL_FILES[logical_id]
    props = template["Resources"][logical_id]["Properties"]
    assert (ROOT / props["DefinitionUri"]) == path
    definition = json.loads(path.read_text(encoding="utf-8"))
    assert definition.get("QueryLanguage", "JSONPath") == "JSONPath"  # moto has no JSONata
    for where, scope in _scopes(definition):
        states = scope["States"]
        assert scope["StartAt"] in states, where
        reachable, todo = set(), [scope["StartAt"]]
        while todo:
            name = todo.pop()
            if name in reachable:
                continue
            reachable.add(name)
            state = states[name]
            for target in _targets(state):
                assert target in states, f"{where}/{name} → {target}"
                todo.append(target)
            terminal = state["Type"] in {"Succeed", "Fail", "Choice"} or state.get("End")
            assert terminal or "Next" in state, f"{where}/{name} neither ends nor goes on"
        assert reachable == set(states), f"{where}: unreachable {set(states) - reachable}"
    placeholders = set(re.findall(r"\$\{(\w+)\}", path.read_text(encoding="utf-8")))
    assert placeholders == set(props["DefinitionSubstitutions"])


def test_workflow_tasks_use_the_contract_actions() -> None:
    def actions(path: Path) -> set[str]:
        found = set()
        for _, scope in _scopes(json.loads(path.read_text(encoding="utf-8"))):
            for state in scope["States"].values():
                payload = state.get("Parameters", {}).get("Payload", {})
                if "action" in payload:
                    found.add(payload["action"])
        return found

    assert actions(ASL_FILES["ErpPushStateMachine"]) == {
        "list_organisations", "collect", "deliver", "mark_delivered", "park",
    }  # fmt: skip
    assert actions(ASL_FILES["DunningStateMachine"]) == {
        "check_balance", "send_reminder", "send_letter", "refer_social", "close_case",
    }  # fmt: skip


def test_schedules(template: dict[str, Any]) -> None:
    erp = template["Resources"]["ErpPushStateMachine"]["Properties"]
    (schedule,) = erp["Events"].values()
    assert schedule["Properties"]["Schedule"] == "rate(15 minutes)"
    assert json.loads(schedule["Properties"]["Input"]) == {}
    notify = template["Resources"]["NotifyFunction"]["Properties"]
    daily = [e for e in notify["Events"].values() if e["Type"] == "Schedule"]
    assert all(e["Properties"]["Schedule"].startswith("cron(") for e in daily)
    assert sorted(json.loads(e["Properties"]["Input"])["action"] for e in daily) == [
        "open_cases",
        "print_run",
    ]


def test_security_headers_on_cloudfront_and_cors_for_one_origin(template: dict[str, Any]) -> None:
    from functions.api.headers import PORTAL_CSP

    policy = template["Resources"]["PortalResponseHeadersPolicy"]["Properties"]
    security = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert " ".join(csp.split()) == PORTAL_CSP  # the same policy as the local portal
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    config = template["Resources"]["PortalDistribution"]["Properties"]["DistributionConfig"]
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    assert all(
        b["ResponseHeadersPolicyId"] == {"Ref": "PortalResponseHeadersPolicy"} for b in behaviours
    )
    api = template["Resources"]["EncaisseApi"]["Properties"]
    assert "*" not in json.dumps(api["Cors"]["AllowOrigin"])
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = api["GatewayResponses"][kind]["ResponseParameters"]["Headers"]
        assert "*" not in json.dumps(headers["Access-Control-Allow-Origin"])
        assert headers["Cache-Control"] == "'no-store'"
        assert headers["X-Content-Type-Options"] == "'nosniff'"


# ------------------------------------------------------------- hardening (issue 9, item 11)

PUBLIC_ROUTES = {
    ("/v1/health", "GET"),
    ("/v1/openapi.json", "GET"),
    ("/v1/tenant/account", "GET"),
    ("/v1/tenant/consent-campaign", "POST"),
    ("/v1/pay/{rf_reference}", "GET"),
}


def _is_tls_only(statement: dict[str, Any]) -> bool:
    return (
        statement["Effect"] == "Deny"
        and statement["Principal"] in ("*", {"AWS": "*"})
        and statement["Action"] in ("s3:*", ["s3:*"])
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    )


def test_every_bucket_refuses_plain_http(template: dict[str, Any]) -> None:
    covered = set()
    for policy in _of_type(template, "AWS::S3::BucketPolicy").values():
        props = policy["Properties"]
        bucket = props["Bucket"]["Ref"]
        for statement in props["PolicyDocument"]["Statement"]:
            resources = json.dumps(statement["Resource"])
            if _is_tls_only(statement) and bucket in resources and "/*" in resources:
                covered.add(bucket)
    assert covered == set(_of_type(template, "AWS::S3::Bucket"))


def test_every_function_has_a_reserved_concurrency(template: dict[str, Any]) -> None:
    functions = _of_type(template, "AWS::Serverless::Function")
    limits = {k: f["Properties"].get("ReservedConcurrentExecutions") for k, f in functions.items()}
    assert all(isinstance(v, int) and 1 <= v <= 200 for v in limits.values()), limits
    # An account's default of 1,000 keeps at least 100 unreserved.
    assert sum(limits.values()) <= 900  # type: ignore[arg-type]


def test_every_schedule_has_a_dead_letter_queue_and_a_retry_policy(
    template: dict[str, Any],
) -> None:
    queues = _of_type(template, "AWS::SQS::Queue")
    schedules = {}
    for kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
        for logical_id, resource in _of_type(template, kind).items():
            for name, event in resource["Properties"].get("Events", {}).items():
                if event["Type"] in ("Schedule", "ScheduleV2"):
                    schedules[f"{logical_id}.{name}"] = event["Properties"]
    assert len(schedules) >= 3
    for name, props in schedules.items():
        dlq = props["DeadLetterConfig"]
        if dlq.get("Type") == "SQS":  # SAM makes the queue and its policy
            assert "Arn" not in dlq, name
        else:
            target = dlq["Arn"]["Fn::GetAtt"]
            assert target[0] in queues and target[1] == "Arn", name
        retry = props["RetryPolicy"]
        assert 0 < retry["MaximumRetryAttempts"] <= 185, name
        assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86_400, name
    policies = _of_type(template, "AWS::SQS::QueuePolicy").values()
    dlqs = {
        p["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        for p in schedules.values()
        if "Arn" in p["DeadLetterConfig"]
    }
    for dlq in dlqs:
        statements = [
            s
            for p in policies
            if {"Ref": dlq} in p["Properties"]["Queues"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]
        assert any(s["Principal"] == {"Service": "events.amazonaws.com"} for s in statements)


def test_the_erp_api_has_a_per_key_usage_plan(template: dict[str, Any]) -> None:
    plans = list(_of_type(template, "AWS::ApiGateway::UsagePlan").values())
    assert plans
    props = plans[0]["Properties"]
    assert props["Throttle"]["RateLimit"] > 0 and props["Throttle"]["BurstLimit"] > 0
    assert props["Quota"]["Limit"] > 0
    (stage,) = props["ApiStages"]
    assert stage["ApiId"] == {"Ref": "EncaisseApi"}
    assert {"/v1/entries/GET", "/v1/entries/ack/POST"} <= set(stage["Throttle"])


def test_unauthenticated_routes_are_throttled_harder(template: dict[str, Any]) -> None:
    settings = template["Resources"]["EncaisseApi"]["Properties"]["MethodSettings"]

    def path(resource_path: str) -> str:  # "/~1v1~1health" is /v1/health
        return (
            "/" + resource_path[3:].replace("~1", "/")
            if resource_path[:3] == "/~1"
            else resource_path
        )

    by_route = {(path(s["ResourcePath"]), s["HttpMethod"]): s for s in settings}
    default = by_route[("/*", "*")]
    assert _api_events(template) >= PUBLIC_ROUTES
    for route in PUBLIC_ROUTES:
        strict = by_route[route]
        assert strict["ThrottlingRateLimit"] < default["ThrottlingRateLimit"] / 4, route
        assert strict["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"] / 4, route


def _grants(function: dict[str, Any]) -> list[dict[str, Any]]:
    """Every IAM statement of a function, SAM policy templates included (by what they grant)."""
    crud = ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan"]
    templates = {
        "DynamoDBCrudPolicy": ([*crud, "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"], "Table"),
        "DynamoDBWritePolicy": (["dynamodb:PutItem", "dynamodb:DeleteItem"], "Table"),
        "DynamoDBReadPolicy": (["dynamodb:GetItem", "dynamodb:Query"], "Table"),
    }
    found = []
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, str):
            found.append({"Action": [policy], "Resource": "*"})
            continue
        for name, params in policy.items():
            if name == "Statement":
                found.extend(params)
            elif name in templates:
                found.append({"Action": templates[name][0], "Resource": params})
    return found


def test_the_api_cannot_delete_organisations_or_api_keys(template: dict[str, Any]) -> None:
    api = template["Resources"]["ApiFunction"]
    for statement in _grants(api):
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = json.dumps(statement["Resource"])
        if "OrganisationsTable" in resources or "ApiKeysTable" in resources:
            assert not {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"} & set(
                actions
            ), statement
            assert not any("FullAccess" in a or "Crud" in a for a in actions)


def test_only_the_functions_that_need_them_read_secrets(template: dict[str, Any]) -> None:
    readers = set()
    for logical_id, function in _of_type(template, "AWS::Serverless::Function").items():
        for statement in _grants(function):
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if any(a.startswith("secretsmanager:") for a in actions):
                readers.add(logical_id)
                resource = json.dumps(statement["Resource"])
                assert "secret:encaisse/${AWS::StackName}/organisations/*" in resource
                assert "secretsmanager:*" not in actions
    # the API (links, new organisations), the ERP push (signatures), documents (links)
    assert readers == {"ApiFunction", "ErpFunction", "DocumentsFunction"}
