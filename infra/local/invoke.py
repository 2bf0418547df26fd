"""Running our Lambda handlers: in this process (tests) or each function in its own
worker process (the platform, :mod:`infra.local.worker`).

AWS runs each function in its own sandbox with its own environment. The platform does
the same with ``use_processes()``: one worker process per function, started on the
function's first invocation, so handlers run on every core (not under the interpreter
lock the emulator and the API hold) and each sees its own ``os.environ``. A worker that
dies is an invocation error (``Runtime.ExitError``) and the next invocation starts a
fresh one; a worker that dies of an injected crash (``ENCAISSE_CRASH_AT``, status 137)
takes the platform down with it, as the machine it models would die.

In this process (the default, used by tests that register functions on an emulator
fixture), every handler shares ``os.environ``:

* each function has its own lock: one invocation of a function at a time (handler
  modules keep module-global state, e.g. powertools' ``BatchProcessor``), while
  different functions run concurrently (a documents batch rendering notices for minutes
  does not hold up ingest and match) — the same in both modes;
* the variables the template's functions share (its Globals) are in ``os.environ``
  for good (the platform sets them before any handler is loaded); the few that differ
  per function (``POWERTOOLS_SERVICE_NAME``, the sweeper's ``SWEEP_AFTER_MINUTES``) are
  read by handler modules at import only, so they are set just while a handler module
  is first imported, under one load lock. A running invocation never swaps the
  process environment.

Handlers must not invoke their own function *synchronously*: that call would wait for
the lock its caller holds. None of ours does (workflows and queues are asynchronous).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG = logging.getLogger("encaisse.local.invoke")

# How long an invocation waits for the one before it of the same function (the longest
# function timeout is 300 s in template.yaml; past this something is stuck rather than slow).
LOCK_TIMEOUT_SECONDS = 900.0
# The exit status of an injected crash (functions/adapters/faults.py): the machine died.
CRASH_STATUS = 137
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LocalFunction:
    """What the platform knows of one function of the template."""

    logical_id: str
    name: str
    arn: str
    handler: str
    timeout: int = 3
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that powertools and our code read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


class HandlerError(Exception):
    """A handler raised; ``payload`` is what Lambda would return as the error."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(f"{payload['errorType']}: {payload['errorMessage']}")
        self.payload = payload


class Invoker:
    """The registry of local functions and the one place their handlers are called."""

    def __init__(self) -> None:
        self._guard = threading.Lock()  # the registry, the per-function locks, counters
        self._load_lock = threading.Lock()  # first imports (they see the function's env)
        self._locks: dict[str, threading.Lock] = {}
        self._functions: dict[str, LocalFunction] = {}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._workers: dict[str, _Worker] = {}
        self._niceness: Mapping[str, int] = {}
        # Workers are started from one long-lived thread: PR_SET_PDEATHSIG follows the
        # thread that started a process, and a Step Functions task's thread ends early.
        self._spawner: ThreadPoolExecutor | None = None
        self.invocations = 0

    def use_processes(self, niceness: Mapping[str, int] | None = None) -> None:
        """Run each function in its own worker process from now on; ``niceness`` lowers
        the CPU priority of some functions (by logical id) locally."""
        with self._guard:
            self._niceness = dict(niceness or {})
            if self._spawner is None:
                self._spawner = ThreadPoolExecutor(1, thread_name_prefix="lambda-workers")

    @property
    def worker_pids(self) -> list[int]:
        with self._guard:
            return [w.process.pid for w in self._workers.values()]

    def register(self, functions: Mapping[str, LocalFunction]) -> None:
        with self._guard:
            for function in functions.values():
                self._functions[function.name] = function

    def clear(self) -> None:
        with self._guard:
            self._functions.clear()
            workers, self._workers = list(self._workers.values()), {}
            spawner, self._spawner = self._spawner, None
        for worker in workers:
            worker.stop()
        if spawner is not None:
            spawner.shutdown(wait=False)

    def function(self, name_or_arn: str) -> LocalFunction | None:
        name = name_or_arn.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0]
        return self._functions.get(name)

    def _function_lock(self, name: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(name)
            if lock is None:
                lock = self._locks[name] = threading.Lock()
            self.invocations += 1
            return lock

    def _load(self, function: LocalFunction) -> Callable[[Any, Any], Any]:
        handler = self._handlers.get(function.handler)
        if handler is not None:
            return handler
        with self._load_lock:
            if function.handler in self._handlers:
                return self._handlers[function.handler]
            # The module reads its settings at import: it sees its function's variables.
            previous = {k: os.environ.get(k) for k in function.environment}
            try:
                os.environ.update(function.environment)
                module_name, _, attribute = function.handler.rpartition(".")
                module = importlib.import_module(module_name)
                loaded: Callable[[Any, Any], Any] = getattr(module, attribute)
            finally:
                for key, value in previous.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
            self._handlers[function.handler] = loaded
            return loaded

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Run the handler of this function; raises :class:`HandlerError` if it raises."""
        function = self.function(name_or_arn)
        if function is None:
            raise HandlerError(
                {
                    "errorType": "ResourceNotFoundException",
                    "errorMessage": f"no local handler for {name_or_arn}",
                }
            )
        lock = self._function_lock(function.name)
        if not lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
            raise HandlerError(
                {
                    "errorType": "Lambda.TooManyRequestsException",
                    "errorMessage": f"an invocation of {function.name} has run too long",
                }
            )
        try:
            if self._spawner is not None:
                return self._invoke_worker(function, event)
            context = LambdaContext(
                function.name, function.arn, function.memory_size, function.timeout
            )
            try:
                return self._load(function)(event, context)
            except Exception as e:
                # One line: the error goes back to the caller (a workflow's Retry/Catch,
                # a queue's redrive); the stack trace is in the returned payload.
                LOG.warning("%s raised %s: %s", function.name, type(e).__name__, e)
                raise HandlerError(
                    {
                        "errorType": type(e).__name__,
                        "errorMessage": str(e),
                        "requestId": context.aws_request_id,
                        "stackTrace": traceback.format_exception(e),
                    }
                ) from e
        finally:
            lock.release()

    def _worker(self, function: LocalFunction) -> _Worker:
        with self._guard:
            worker = self._workers.get(function.name)
            spawner = self._spawner
        if worker is not None:
            return worker
        assert spawner is not None
        nice = self._niceness.get(function.logical_id, 0)
        worker = spawner.submit(_Worker.start, function, nice).result()
        with self._guard:
            self._workers[function.name] = worker
        return worker

    def _invoke_worker(self, function: LocalFunction, event: Any) -> Any:
        """One invocation in the function's worker (the caller holds its lock)."""
        from infra.local.worker import read_frame, write_frame

        worker = self._worker(function)
        try:
            write_frame(worker.to_worker, {"event": event})
            reply = read_frame(worker.from_worker)
        except OSError:  # the worker is gone (broken pipe)
            reply = None
        if reply is None:
            with self._guard:
                if self._workers.get(function.name) is worker:
                    del self._workers[function.name]
            status = worker.stop()
            if status == CRASH_STATUS and os.environ.get("ENCAISSE_CRASH_AT"):
                LOG.error("%s crashed at %s: the platform dies with it", function.name,
                          os.environ["ENCAISSE_CRASH_AT"])  # fmt: skip
                os._exit(CRASH_STATUS)
            raise HandlerError(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"{function.name}'s process exited with status {status}",
                }
            )
        if "error" in reply:
            payload: dict[str, Any] = reply["error"]
            LOG.warning("%s raised %s: %s", function.name, payload.get("errorType"),
                        payload.get("errorMessage"))  # fmt: skip
            raise HandlerError(payload)
        return reply["result"]

    def invoke_json(self, name_or_arn: str, event: Any) -> tuple[str, bool]:
        """Like Lambda's Invoke API: (payload as JSON, whether it is a function error)."""
        try:
            result = self.invoke(name_or_arn, event)
            return json.dumps(result), False
        except HandlerError as e:
            return json.dumps(e.payload), True
        except (TypeError, ValueError) as e:  # a result json cannot encode
            return json.dumps({"errorType": "Runtime.MarshalError", "errorMessage": str(e)}), True


@dataclass
class _Worker:
    """A function's worker process and the two ends of its pipes this process holds."""

    process: subprocess.Popen[bytes]
    to_worker: int
    from_worker: int
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def start(function: LocalFunction, nice: int = 0) -> _Worker:
        event_read, event_write = os.pipe()
        reply_read, reply_write = os.pipe()
        env = {**os.environ, **function.environment}
        env["AWS_LAMBDA_FUNCTION_NAME"] = function.name
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(function.memory_size)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        command = [
            sys.executable, "-m", "infra.local.worker", function.handler,
            "--fd-in", str(event_read), "--fd-out", str(reply_write),
            "--parent", str(os.getpid()), "--name", function.name, "--arn", function.arn,
            "--memory", str(function.memory_size), "--timeout", str(function.timeout),
            "--nice", str(nice),
        ]  # fmt: skip
        try:
            process = subprocess.Popen(  # noqa: S603 - our own module, our arguments
                command, env=env, pass_fds=(event_read, reply_write)
            )
        finally:
            os.close(event_read)
            os.close(reply_write)
        LOG.info("%s started in process %d", function.name, process.pid)
        return _Worker(process, event_write, reply_read)

    def stop(self, timeout: float = 5.0) -> int:
        """Closes its input (it exits when idle), kills it if it does not exit in time;
        its exit status. Safe to call twice (the invoking thread and the platform's stop)."""
        with self._lock:
            if not self._closed:
                os.close(self.to_worker)
            try:
                status = self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                status = self.process.wait()
            if not self._closed:
                os.close(self.from_worker)
                self._closed = True
            return status


# The process-wide invoker: moto's Lambda backend (patched) and the SQS pollers share it.
INVOKER = Invoker()
