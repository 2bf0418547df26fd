"""docs/scaling.md states the functions' batch sizes, concurrency, memory and timeouts, and
which tables are keyed by organisation: these tests keep it true to template.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.template import TEMPLATE_PATH, apply_globals, load_template

DOC = TEMPLATE_PATH.parent / "docs" / "scaling.md"
HEADER = "| function | trigger | batch size | reserved concurrency | memory (MB) | timeout (s) |"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return apply_globals(load_template())


def _documented_functions() -> dict[str, tuple[str, str, str, str]]:
    """The rows of the document's function table: name → (batch, reserved, memory, timeout)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2  # header and separator
    rows = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        name, _trigger, batch, reserved, memory, timeout = (
            c.strip() for c in line.strip("|").split("|")
        )
        rows[name] = (batch, reserved, memory, timeout)
    return rows


def _actual(props: dict[str, Any]) -> tuple[str, str, str, str]:
    sqs = [e["Properties"] for e in props.get("Events", {}).values() if e["Type"] == "SQS"]
    batch = str(sqs[0]["BatchSize"]) if sqs else "—"
    return (
        batch,
        str(props["ReservedConcurrentExecutions"]),
        str(props["MemorySize"]),
        str(props["Timeout"]),
    )


def test_the_function_table_matches_the_template(template: dict[str, Any]) -> None:
    functions = {
        name: _actual(r["Properties"])
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert _documented_functions() == functions


def test_only_the_documented_tables_are_not_keyed_by_organisation(
    template: dict[str, Any],
) -> None:
    """The partition-key analysis assumes every other table's hash key is org_id."""
    others = set()
    for name, r in template["Resources"].items():
        if r["Type"] != "AWS::DynamoDB::Table":
            continue
        (hash_key,) = (
            k["AttributeName"] for k in r["Properties"]["KeySchema"] if k["KeyType"] == "HASH"
        )
        if hash_key != "org_id":
            others.add((name, hash_key))
    assert others == {
        ("ApiKeysTable", "key_hash"),
        ("LedgerTable", "account_key"),
        ("IdempotencyTable", "id"),
    }
