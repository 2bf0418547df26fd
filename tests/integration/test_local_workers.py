"""Local Lambda functions in worker processes (``Invoker.use_processes``), as the
platform runs them: the protocol's answers and errors, a worker that dies mid-invocation,
each function's own environment, and no worker outliving a killed platform."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from infra.local.invoke import CRASH_STATUS, HandlerError, Invoker, LocalFunction
from tests.fixtures.processes import alive, kill_and_expect_gone

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HERE = "tests.integration.test_local_workers"  # as the worker imports it (from the repository)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "event": event,
        "pid": os.getpid(),
        "mine": os.environ.get("ONLY_MINE"),
        "function": context.function_name,
        "request": context.aws_request_id,
    }


def fails(event: dict[str, Any], context: Any) -> None:
    raise ValueError(f"bad event {event['n']}")


def dies(event: dict[str, Any], context: Any) -> None:
    os._exit(int(event["status"]))


def unencodable(event: dict[str, Any], context: Any) -> object:
    return {"when": object()}


def meet(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Waits (at most 60 s) until ``event["expect"]`` invocations have entered: only
    invocations running at the same time all see each other."""
    folder = Path(event["folder"])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(list(folder.iterdir())) < event["expect"] and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"pid": os.getpid(), "met": len(list(folder.iterdir()))}


def _function(
    name: str, handler: str, reserved: int | None = None, **env: str
) -> dict[str, LocalFunction]:
    arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{name}"
    return {name: LocalFunction(name, name, arn, handler, environment=env,
                                reserved_concurrency=reserved)}  # fmt: skip


@pytest.fixture
def invoker() -> Iterator[Invoker]:
    made = Invoker()
    made.use_processes()
    yield made
    made.clear()


def test_an_invocation_runs_in_the_function_s_own_process_with_its_own_variables(
    invoker: Invoker,
) -> None:
    invoker.register(_function("one", f"{HERE}.echo", ONLY_MINE="one's"))
    invoker.register(_function("two", f"{HERE}.echo"))
    first = invoker.invoke("one", {"n": 1, "text": "é"})
    assert first["event"] == {"n": 1, "text": "é"}
    assert first["pid"] != os.getpid()
    assert (first["mine"], first["function"]) == ("one's", "one")
    assert "ONLY_MINE" not in os.environ  # the platform's own environment is untouched
    assert invoker.invoke("two", {})["mine"] is None  # another function does not see it
    again = invoker.invoke("one", {"n": 2})
    assert again["pid"] == first["pid"]  # warm: the same worker, imported once
    assert again["request"] != first["request"]
    assert sorted(invoker.worker_pids) == sorted({first["pid"], invoker.invoke("two", {})["pid"]})


def test_a_handler_error_is_lambda_s_error_payload_and_the_worker_lives_on(
    invoker: Invoker,
) -> None:
    invoker.register(_function("bad", f"{HERE}.fails"))
    for n in (1, 2):
        with pytest.raises(HandlerError) as raised:
            invoker.invoke("bad", {"n": n})
        payload = raised.value.payload
        assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", f"bad event {n}")
        assert any("fails" in line for line in payload["stackTrace"])
    assert len(invoker.worker_pids) == 1


def test_a_handler_that_cannot_be_imported_fails_every_invocation(invoker: Invoker) -> None:
    invoker.register(_function("missing", "tests.integration.no_such_module.handler"))
    for _ in range(2):
        with pytest.raises(HandlerError) as raised:
            invoker.invoke("missing", {})
        assert raised.value.payload["errorType"].startswith("Runtime.ImportModuleError")


def test_a_result_json_cannot_encode_is_a_marshal_error(invoker: Invoker) -> None:
    invoker.register(_function("odd", f"{HERE}.unencodable"))
    with pytest.raises(HandlerError) as raised:
        invoker.invoke("odd", {})
    assert raised.value.payload["errorType"] == "Runtime.MarshalError"


def test_a_worker_that_dies_mid_invocation_is_an_error_and_the_next_starts_afresh(
    invoker: Invoker,
) -> None:
    invoker.register(_function("fragile", f"{HERE}.dies"))
    invoker.register(_function("steady", f"{HERE}.echo"))
    steady = invoker.invoke("steady", {})["pid"]
    with pytest.raises(HandlerError) as raised:
        invoker.invoke("fragile", {"status": 3})
    assert raised.value.payload == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "fragile's process exited with status 3",
    }
    assert invoker.worker_pids == [steady]  # the dead one is forgotten, the other untouched
    invoker.register(_function("fragile", f"{HERE}.echo"))  # same name, a handler that lives
    assert invoker.invoke("fragile", {"n": 1})["event"] == {"n": 1}


def test_two_invocations_of_one_function_run_at_once_each_in_its_own_worker(
    tmp_path: Path,
) -> None:
    invoker = Invoker()
    invoker.use_processes(concurrency={"both": 2})
    try:
        invoker.register(_function("both", f"{HERE}.meet", reserved=20))
        assert invoker.concurrency("both") == 2
        event = {"folder": str(tmp_path), "expect": 2}
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: invoker.invoke("both", event), range(2)))
        assert [a["met"] for a in answers] == [2, 2]  # each saw the other one running
        assert len({a["pid"] for a in answers}) == 2
        assert sorted(invoker.worker_pids) == sorted(a["pid"] for a in answers)
        # Warm: the next invocations reuse the pool, never more workers than slots.
        again = invoker.invoke("both", {"folder": str(tmp_path), "expect": 0})
        assert again["pid"] in {a["pid"] for a in answers}
        assert len(invoker.worker_pids) == 2
    finally:
        invoker.clear()


def test_a_function_s_concurrency_is_bounded_by_the_template_and_one_in_process() -> None:
    invoker = Invoker()
    invoker.register(_function("capped", f"{HERE}.echo", reserved=1))
    invoker.register(_function("free", f"{HERE}.echo"))
    assert invoker.concurrency("capped") == invoker.concurrency("free") == 1  # in-process
    invoker.use_processes(concurrency={"capped": 3, "free": 3})
    try:
        assert (invoker.concurrency("capped"), invoker.concurrency("free")) == (1, 3)
    finally:
        invoker.clear()


def test_prestarted_workers_are_there_before_the_first_invocation() -> None:
    invoker = Invoker()
    invoker.use_processes(concurrency={"early": 2})
    try:
        invoker.register(_function("early", f"{HERE}.echo"))
        invoker.register(_function("late", f"{HERE}.echo"))
        invoker.prestart(["early"])
        deadline = time.monotonic() + 60
        while len(invoker.worker_pids) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = set(invoker.worker_pids)
        assert len(started) == 2  # both slots of "early", none of "late"
        assert invoker.invoke("early", {})["pid"] in started
        assert set(invoker.worker_pids) == started
    finally:
        invoker.clear()


def test_an_invocation_right_after_prestart_takes_the_prestarted_worker() -> None:
    invoker = Invoker()
    invoker.use_processes()
    try:
        invoker.register(_function("solo", f"{HERE}.echo"))
        # The spawner busy for a moment: the prestart and then the invocation's own
        # request for a worker queue behind it, in that order.
        assert invoker._spawner is not None
        invoker._spawner.submit(time.sleep, 0.5)
        invoker.prestart(["solo"])
        pid = invoker.invoke("solo", {})["pid"]
        assert invoker.worker_pids == [pid]  # one slot, one worker
    finally:
        invoker.clear()


def test_clear_stops_every_worker(invoker: Invoker) -> None:
    invoker.register(_function("one", f"{HERE}.echo"))
    pid = invoker.invoke("one", {})["pid"]
    invoker.clear()
    assert not alive(pid)


PLATFORM = textwrap.dedent(
    """
    import sys, time
    from infra.local.invoke import Invoker, LocalFunction
    invoker = Invoker()
    invoker.use_processes()
    arn = "arn:aws:lambda:eu-west-3:123456789012:function:f"
    invoker.register({"f": LocalFunction("f", "f", arn, sys.argv[1])})
    print(invoker.invoke("f", {"status": int(sys.argv[2])}).get("pid"), flush=True)
    time.sleep(120)
    """
)


def _platform(handler: str, status: int = 0, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PLATFORM, f"{HERE}.{handler}", str(status)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_no_worker_outlives_a_killed_platform() -> None:
    platform = _platform("echo")
    try:
        assert platform.stdout is not None
        worker = int(platform.stdout.readline())
        assert alive(worker)
        kill_and_expect_gone(platform, worker, "worker")
    finally:
        platform.kill()
        platform.wait()


def test_an_injected_crash_in_a_worker_takes_the_platform_down() -> None:
    """``ENCAISSE_CRASH_AT`` models the machine dying: the platform exits with the status."""
    platform = _platform("dies", CRASH_STATUS, ENCAISSE_CRASH_AT="match.booked")
    try:
        assert platform.wait(60) == CRASH_STATUS
    finally:
        platform.kill()
        platform.wait()
