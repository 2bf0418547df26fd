"""Running our Lambda handlers in this process, one invocation per function at a time.

AWS runs each function in its own sandbox with its own environment. Here every handler
shares this process and its ``os.environ``:

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

Handlers must not invoke their own function *synchronously*: that call would wait for
the lock its caller holds. None of ours does (workflows and queues are asynchronous).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LOG = logging.getLogger("encaisse.local.invoke")

# How long an invocation waits for the one before it of the same function (the longest
# function timeout is 300 s in template.yaml; past this something is stuck rather than slow).
LOCK_TIMEOUT_SECONDS = 900.0


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
        self.invocations = 0

    def register(self, functions: Mapping[str, LocalFunction]) -> None:
        with self._guard:
            for function in functions.values():
                self._functions[function.name] = function

    def clear(self) -> None:
        with self._guard:
            self._functions.clear()

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

    def invoke_json(self, name_or_arn: str, event: Any) -> tuple[str, bool]:
        """Like Lambda's Invoke API: (payload as JSON, whether it is a function error)."""
        try:
            result = self.invoke(name_or_arn, event)
            return json.dumps(result), False
        except HandlerError as e:
            return json.dumps(e.payload), True
        except (TypeError, ValueError) as e:  # a result json cannot encode
            return json.dumps({"errorType": "Runtime.MarshalError", "errorMessage": str(e)}), True


# The process-wide invoker: moto's Lambda backend (patched) and the SQS pollers share it.
INVOKER = Invoker()
