"""One local Lambda function in its own process, as AWS runs each function in a sandbox.

The platform's invoker (:class:`infra.local.invoke.Invoker` with ``processes=True``)
starts a worker per function on its first invocation: ``python -m infra.local.worker``
with the platform's environment plus the function's own variables, which imports the
handler once (its cold start) and then runs one invocation at a time for as long as the
platform lives. Handlers thus run on every core the machine has (the emulator, the API
and the functions no longer share one interpreter lock) and each sees its own
``os.environ``, as in AWS.

Protocol: two pipes, frames of a 4-byte big-endian length and a UTF-8 JSON body.
Platform → worker ``{"event": …}``; worker → platform ``{"result": …}`` or
``{"error": {"errorType", "errorMessage", "requestId", "stackTrace"}}``.
The worker exits when its input pipe closes (the platform stopped or died) and, on
Linux, when the thread that started it dies (``PR_SET_PDEATHSIG``): no orphan survives
a SIGKILLed platform.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import os
import signal
import struct
import sys
import traceback
from collections.abc import Callable
from typing import Any

from infra.local import heap
from infra.local.invoke import LambdaContext

HEADER = struct.Struct(">I")
PR_SET_PDEATHSIG = 1


def write_frame(fd: int, message: Any) -> None:
    """Send one JSON message (raises TypeError/ValueError if it cannot be encoded)."""
    body = json.dumps(message, separators=(",", ":")).encode()
    data = memoryview(HEADER.pack(len(body)) + body)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None  # end of file: the other side is gone
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> Any:
    """The next message, or None at the end of the pipe."""
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    body = _read_exactly(fd, size)
    if body is None:
        return None
    return json.loads(body)


def error_payload(error: BaseException, request_id: str) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "requestId": request_id,
        "stackTrace": traceback.format_exception(error),
    }


def die_with_parent(parent_pid: int) -> None:
    """Be killed when the platform's thread that started this process dies (the API's
    process uses it too)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # no prctl: the closed pipe still ends us
            pass
    if os.getppid() != parent_pid:  # the platform died before prctl took effect
        os._exit(0)


def _load(handler: str) -> tuple[Callable[[Any, Any], Any] | None, dict[str, Any] | None]:
    module_name, _, attribute = handler.rpartition(".")
    try:
        loaded: Callable[[Any, Any], Any] = getattr(importlib.import_module(module_name), attribute)
    except Exception as e:  # reported on every invocation, as Lambda's Runtime.* errors
        payload = error_payload(e, "")
        payload["errorType"] = f"Runtime.ImportModuleError: {payload['errorType']}"
        return None, payload
    return loaded, None


def serve(args: argparse.Namespace) -> int:
    handler, load_error = _load(args.handler)
    heap.settle()  # the handler's imports and clients out of the collector's full passes
    while True:
        message = read_frame(args.fd_in)
        if message is None:
            return 0
        context = LambdaContext(args.name, args.arn, args.memory, args.timeout)
        if handler is None:
            assert load_error is not None
            write_frame(args.fd_out, {"error": {**load_error, "requestId": context.aws_request_id}})
            continue
        try:
            reply: dict[str, Any] = {"result": handler(message["event"], context)}
        except Exception as e:
            reply = {"error": error_payload(e, context.aws_request_id)}
        try:
            write_frame(args.fd_out, reply)
        except (TypeError, ValueError) as e:  # a result JSON cannot encode
            error = {"errorType": "Runtime.MarshalError", "errorMessage": str(e)}
            write_frame(args.fd_out, {"error": error})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.local.worker")
    parser.add_argument("handler", help="module.attribute of the handler")
    parser.add_argument("--fd-in", type=int, required=True)
    parser.add_argument("--fd-out", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--arn", required=True)
    parser.add_argument("--memory", type=int, default=128)
    parser.add_argument("--timeout", type=int, default=3)
    parser.add_argument("--nice", type=int, default=0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    die_with_parent(args.parent)
    if args.nice:
        os.nice(args.nice)
    try:
        return serve(args)
    except BrokenPipeError:  # the platform is gone
        return 0


if __name__ == "__main__":
    sys.exit(main())
