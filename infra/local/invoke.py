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
  does not hold up ingest and match);
* the variables the template's functions share (its Globals) are in ``os.environ``
  for good (the platform sets them before any handler is loaded); the few that differ
  per function (``POWERTOOLS_SERVICE_NAME``, the sweeper's ``SWEEP_AFTER_MINUTES``) are
  read by handler modules at import only, so they are set just while a handler module
  is first imported, under one load lock. A running invocation never swaps the
  process environment.

With worker processes, a function may run up to its local concurrency at once
(``use_processes(concurrency=...)``, by logical id; 1 unless set, never more than the
template's ``ReservedConcurrentExecutions``), each invocation in a worker of its own, as
Lambda runs concurrent invocations in separate sandboxes: a function's workers are a
pool, started on demand up to that number and reused while warm.

Handlers must not invoke their own function *synchronously*: that call could wait for
the slot its caller holds. None of ours does (workflows and queues are asynchronous).
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
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG = logging.getLogger("encaisse.local.invoke")

# How long an invocation waits for the one before it of the same function (the longest
# function timeout is 300 s in template.yaml; past this something is stuck rather than slow).
LOCK_TIMEOUT_SECONDS = 900.0
# How long a stop waits for workers to finish their invocation before killing them.
WORKER_STOP_SECONDS = 5.0
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
    reserved_concurrency: int | None = None
    """The template's ``ReservedConcurrentExecutions``: the most invocations at once."""


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
        self._guard = threading.Lock()  # the registry, the slots, the pools, counters
        self._load_lock = threading.Lock()  # first imports (they see the function's env)
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._functions: dict[str, LocalFunction] = {}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._workers: dict[str, list[_Worker]] = {}  # every live worker, by function
        self._idle: dict[str, list[_Worker]] = {}  # those waiting for an invocation
        self._niceness: Mapping[str, int] = {}
        self._concurrency: Mapping[str, int] = {}
        # Workers are started from one long-lived thread: PR_SET_PDEATHSIG follows the
        # thread that started a process, and a Step Functions task's thread ends early.
        self._spawner: ThreadPoolExecutor | None = None
        self.invocations = 0

    def use_processes(
        self,
        niceness: Mapping[str, int] | None = None,
        concurrency: Mapping[str, int] | None = None,
    ) -> None:
        """Run each function in worker processes from now on; ``niceness`` lowers the
        CPU priority of some functions (by logical id) locally, ``concurrency`` lets some
        run several invocations at once (by logical id; bounded by the template)."""
        with self._guard:
            self._niceness = dict(niceness or {})
            self._concurrency = dict(concurrency or {})
            self._slots.clear()  # functions not invoked yet: their next call sizes them
            if self._spawner is None:
                self._spawner = ThreadPoolExecutor(1, thread_name_prefix="lambda-workers")

    @property
    def worker_pids(self) -> list[int]:
        with self._guard:
            return [w.process.pid for pool in self._workers.values() for w in pool]

    def concurrency(self, name_or_arn: str) -> int:
        """How many invocations of this function may run at once here: 1 in this
        process; with workers, its local setting bounded by its reserved concurrency."""
        function = self.function(name_or_arn)
        if function is None or self._spawner is None:
            return 1
        wanted = self._concurrency.get(function.logical_id, 1)
        if function.reserved_concurrency is not None:
            wanted = min(wanted, function.reserved_concurrency)
        return max(1, wanted)

    def register(self, functions: Mapping[str, LocalFunction]) -> None:
        with self._guard:
            for function in functions.values():
                self._functions[function.name] = function

    def clear(self) -> None:
        with self._guard:
            self._functions.clear()
            workers = [w for pool in self._workers.values() for w in pool]
            self._workers, self._idle = {}, {}
            spawner, self._spawner = self._spawner, None
        # Every input closed first, then one shared wait: busy workers (a batch in
        # progress) are killed together after WORKER_STOP_SECONDS, not one after another.
        for worker in workers:
            worker.close_input()
        deadline = time.monotonic() + WORKER_STOP_SECONDS
        for worker in workers:
            worker.stop(max(0.0, deadline - time.monotonic()))
        if spawner is not None:
            spawner.shutdown(wait=False)

    def function(self, name_or_arn: str) -> LocalFunction | None:
        name = name_or_arn.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0]
        return self._functions.get(name)

    def _function_slots(self, name: str) -> threading.BoundedSemaphore:
        size = self.concurrency(name)
        with self._guard:
            slots = self._slots.get(name)
            if slots is None:
                slots = self._slots[name] = threading.BoundedSemaphore(size)
            self.invocations += 1
            return slots

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
        slots = self._function_slots(function.name)
        if not slots.acquire(timeout=LOCK_TIMEOUT_SECONDS):
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
            slots.release()

    def _take_worker(self, function: LocalFunction) -> _Worker:
        """An idle worker of the function, or a new one (the caller holds a slot, so
        a function never has more workers than slots)."""
        with self._guard:
            idle = self._idle.get(function.name)
            spawner = self._spawner
            if idle:
                return idle.pop()
        assert spawner is not None
        worker = spawner.submit(self._spawn, function, False).result()
        assert worker is not None
        return worker

    def prestart(self, logical_ids: Iterable[str]) -> None:
        """Start these functions' workers now, in the background, up to their
        concurrency: their imports are done before the first event arrives, as a busy
        function's sandboxes are warm (the lease index is still built on first use)."""
        wanted = set(logical_ids)
        with self._guard:
            spawner = self._spawner
            functions = [f for f in self._functions.values() if f.logical_id in wanted]
        if spawner is None:
            return
        for function in functions:
            for _ in range(self.concurrency(function.name)):
                spawner.submit(self._spawn, function, True)

    def _spawn(self, function: LocalFunction, idle: bool) -> _Worker | None:
        """A worker for an invocation, or an idle one (``prestart``) only while the
        function has fewer workers than slots (run on the spawner's thread, one at a
        time): an invocation takes a worker prestarted while it waited, if any."""
        with self._guard:
            pool = self._workers.setdefault(function.name, [])
            if idle and len(pool) >= self.concurrency(function.name):
                return None
            waiting = self._idle.get(function.name)
            if not idle and waiting:  # prestarted while this call waited for the spawner
                return waiting.pop()
        worker = _Worker.start(function, self._niceness.get(function.logical_id, 0))
        with self._guard:
            if self._spawner is None:  # cleared meanwhile
                worker.stop(timeout=0)
                return None if idle else worker
            self._workers.setdefault(function.name, []).append(worker)
            if idle:
                self._idle.setdefault(function.name, []).append(worker)
        return worker

    def _forget_worker(self, name: str, worker: _Worker) -> None:
        with self._guard:
            pool = self._workers.get(name, [])
            if worker in pool:
                pool.remove(worker)

    def _invoke_worker(self, function: LocalFunction, event: Any) -> Any:
        """One invocation in one of the function's workers (the caller holds a slot)."""
        from infra.local.worker import read_frame, write_frame

        worker = self._take_worker(function)
        try:
            write_frame(worker.to_worker, {"event": event})
            reply = read_frame(worker.from_worker)
        except OSError:  # the worker is gone (broken pipe)
            reply = None
        if reply is not None:
            with self._guard:
                if worker in self._workers.get(function.name, []):  # not cleared meanwhile
                    self._idle.setdefault(function.name, []).append(worker)
        else:
            self._forget_worker(function.name, worker)
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


@dataclass(eq=False)  # a worker is itself: pools find it by identity
class _Worker:
    """A function's worker process and the two ends of its pipes this process holds."""

    process: subprocess.Popen[bytes]
    to_worker: int
    from_worker: int
    _closed: bool = False
    _input_closed: bool = False
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

    def close_input(self) -> None:
        """No more invocations: the worker exits once idle."""
        with self._lock:
            if not self._input_closed:
                os.close(self.to_worker)
                self._input_closed = True

    def stop(self, timeout: float = WORKER_STOP_SECONDS) -> int:
        """Closes its input (it exits when idle), kills it if it does not exit in time;
        its exit status. Safe to call twice (the invoking thread and the platform's stop)."""
        self.close_input()
        with self._lock:
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
