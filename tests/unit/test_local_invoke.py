"""The in-process Lambda invoker: one lock per function (issue 12).

Different functions run at the same time (a long documents batch must not hold up ingest
and match); one function never runs twice at once (handlers keep module-global state);
a function's own variables are seen by its module at import, and no running invocation
swaps the process environment.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from infra.local.invoke import HandlerError, Invoker, LocalFunction

HERE = __name__
GATES: dict[str, threading.Event] = {}
ACTIVE: dict[str, int] = {}
PEAK: dict[str, int] = {}
GUARD = threading.Lock()


def _function(name: str, handler: str, **env: str) -> dict[str, LocalFunction]:
    arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{name}"
    return {name: LocalFunction(name, name, arn, handler, environment=env)}


def waits_for_other(event: dict[str, Any], context: Any) -> bool:
    """Returns whether the other function ran while this one was running."""
    GATES["first-running"].set()
    return GATES["second-ran"].wait(10)


def lets_other_go(event: dict[str, Any], context: Any) -> str:
    GATES["second-ran"].set()
    return "done"


def counts_overlap(event: dict[str, Any], context: Any) -> None:
    name = context.function_name
    with GUARD:
        ACTIVE[name] = ACTIVE.get(name, 0) + 1
        PEAK[name] = max(PEAK.get(name, 0), ACTIVE[name])
    time.sleep(0.002)
    with GUARD:
        ACTIVE[name] -= 1


def fails(event: dict[str, Any], context: Any) -> None:
    raise ValueError("bad event")


def test_two_functions_run_at_the_same_time() -> None:
    invoker = Invoker()
    invoker.register(_function("slow-documents", f"{HERE}.waits_for_other"))
    invoker.register(_function("ingest", f"{HERE}.lets_other_go"))
    GATES.update({"first-running": threading.Event(), "second-ran": threading.Event()})
    outcome: list[Any] = []
    first = threading.Thread(target=lambda: outcome.append(invoker.invoke("slow-documents", {})))
    first.start()
    assert GATES["first-running"].wait(10)
    # With one lock for every function this call would wait for the first one (which
    # waits for it): the first would give up after 10 s and report False.
    assert invoker.invoke("ingest", {}) == "done"
    first.join(15)
    assert outcome == [True]
    assert invoker.invocations == 2


def test_one_function_never_runs_twice_at_once() -> None:
    invoker = Invoker()
    invoker.register(_function("match", f"{HERE}.counts_overlap"))
    invoker.register(_function("ingest", f"{HERE}.counts_overlap"))
    PEAK.clear()
    ACTIVE.clear()

    def calls(name: str) -> None:
        for _ in range(15):
            invoker.invoke(name, {})

    threads = [threading.Thread(target=calls, args=(n,)) for n in ["match", "ingest"] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert PEAK == {"match": 1, "ingest": 1}
    assert invoker.invocations == 90


def test_a_function_sees_its_own_variables_at_import_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"local_invoke_probe_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(
        "import os\n"
        "SERVICE = os.environ.get('POWERTOOLS_SERVICE_NAME')\n"
        "SHARED = os.environ.get('INVOKE_TEST_SHARED')\n"
        "def handler(event, context):\n"
        "    return [SERVICE, SHARED, os.environ.get('POWERTOOLS_SERVICE_NAME')]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("INVOKE_TEST_SHARED", "globals")
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    invoker = Invoker()
    invoker.register(
        _function(
            "probe",
            f"{module}.handler",
            POWERTOOLS_SERVICE_NAME="probe",
            INVOKE_TEST_SHARED="globals",
        )
    )
    try:
        assert invoker.invoke("probe", {}) == ["probe", "globals", None]
        assert "POWERTOOLS_SERVICE_NAME" not in os.environ
        assert os.environ["INVOKE_TEST_SHARED"] == "globals"
    finally:
        sys.modules.pop(module, None)


def test_errors_and_unknown_functions_are_lambda_errors() -> None:
    invoker = Invoker()
    invoker.register(_function("broken", f"{HERE}.fails"))
    with pytest.raises(HandlerError) as raised:
        invoker.invoke("arn:aws:lambda:eu-west-3:123456789012:function:broken", {})
    assert raised.value.payload["errorType"] == "ValueError"
    assert raised.value.payload["errorMessage"] == "bad event"
    payload, errored = invoker.invoke_json("missing", {})
    assert errored and "ResourceNotFoundException" in payload
    # The failed invocation released its function's lock.
    with pytest.raises(HandlerError):
        invoker.invoke("broken", {})
