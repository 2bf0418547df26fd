"""Property-based tests of the running API from its own OpenAPI description (schemathesis).

Every operation of ``/v1/openapi.json`` gets generated requests (valid and invalid path
and query parameters, headers and bodies) with the key of an organisation of its own
(generated writes must not disturb the demo landlord other tests read); none may answer
5xx. The number of examples per operation is small so the whole run stays within a few
minutes; ``API_PROPERTY_EXAMPLES`` raises it for a deeper run.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from functions.adapters.dynamo import organisation_to_item, to_ddb
from functions.api.auth import hash_key, new_key
from functions.core.organisation import Organisation
from functions.core.viban import VirtualIbanRange
from infra.local.client import ApiClient

pytestmark = pytest.mark.platform

EXAMPLES = int(os.environ.get("API_PROPERTY_EXAMPLES", "30"))


def _own_organisation(platform: dict[str, Any]) -> str:
    """A landlord with a key of every scope, written straight into the platform's tables."""
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=platform["aws_endpoint_url"],
        region_name=platform["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    org = Organisation(
        f"org-props-{uuid.uuid4().hex[:8]}",
        "Office de test des propriétés",
        "FR7630004008210000420001774",
        VirtualIbanRange("30004", "00821", "9876"),
    )
    ddb.put_item(
        TableName=platform["tables"]["organisations"], Item=to_ddb(organisation_to_item(org))
    )
    key = new_key()
    ddb.put_item(
        TableName=platform["tables"]["api_keys"],
        Item=to_ddb(
            {
                "key_hash": hash_key(key),
                "org_id": org.org_id,
                "scopes": ["erp", "backoffice"],
                "label": "property tests",
                "created_at": datetime.now(UTC).isoformat(),
            }
        ),
    )
    return key


def _operations(platform: dict[str, Any]) -> list[Any]:
    spec = ApiClient(platform["api_url"], "").get("/v1/openapi.json")
    spec["servers"] = [{"url": platform["api_url"]}]
    schema = schemathesis.openapi.from_dict(spec)
    return [result.ok() for result in schema.get_all_operations()]


def _property(
    operation: Any, base_url: str, auth: dict[str, str], seen: list[str], statuses: set[int]
) -> Any:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        # a generated Authorization header would only test the 401 path
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = headers | auth
        response = case.call(base_url=base_url, timeout=30)
        statuses.add(response.status_code)
        if response.status_code >= 500 and len(seen) < 3:
            seen.append(
                f"{operation.label} → {response.status_code}: {case.as_curl_command()}\n"
                f"    {response.text[:300]}"
            )

    return run


def test_no_generated_request_gets_a_server_error(running_platform: dict[str, Any]) -> None:
    base_url = running_platform["api_url"]
    auth = {"Authorization": f"Bearer {_own_organisation(running_platform)}"}
    operations = _operations(running_platform)
    assert len(operations) >= 15
    failures: list[str] = []
    answered = 0  # the run is not vacuous: most operations got past validation at least once
    for operation in operations:
        seen: list[str] = []
        statuses: set[int] = set()
        _property(operation, base_url, auth, seen, statuses)()
        failures.extend(seen)
        answered += any(200 <= s < 300 for s in statuses)
    assert not failures, "server errors:\n" + "\n".join(failures)
    assert answered >= len(operations) // 2, f"only {answered} operations ever answered 2xx"
