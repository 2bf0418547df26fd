"""The local API in a process of its own, as API Gateway runs the API apart from the rest.

Served from a thread of the platform's process, each API request queued for that
process's interpreter lock behind the emulator, the pollers and the workflows:
``GET /v1/leases/{id}/account`` answered in 1.1 s at the 95th percentile under the
benchmark's 20 clients during a month's run. Here the platform binds the socket (its
port is known at once and connections queue in its backlog while no child serves it)
and a child process, ``python -m infra.local.api_process``, serves it with the
platform's environment, reaching AWS through the emulator's endpoint like any client.

The child starts early (its imports and clients are built while the platform restores
or seeds its state), says ``ready`` on its status pipe, then waits for the platform's
go on its control pipe before accepting the first connection: the API answers only
once the state is in place. The child exits when its control pipe closes (the platform
stopped or died) and, on Linux, when the thread that started it dies
(``PR_SET_PDEATHSIG``): no API outlives a SIGKILLed platform. A child that dies while
serving is replaced at once; one that fails before it is ready (the app does not import,
a setting is missing) is an :class:`ApiProcessError` naming why, at start-up, and after
:data:`MAX_FAILED_STARTS` failed restarts the platform stops listening on the port
(connections refused) and logs why.

Given a portal port, the same child serves the tenant portal on a second socket bound
the same way, as CloudFront sits in front of API Gateway: its ``/v1/*`` are answered by
the app in the child itself, without an HTTP hop, and only the local pages
(``/_local/*``: the outbox and the schedules, which live in the platform's process) are
forwarded to the platform. Served from the platform's process, each tenant page's
request waited for that process's interpreter lock before its hop to the API: 257-503
ms at the 95th percentile under the benchmark's 20 clients during a month's run, against
281 ms for the same call sent to the API directly.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Any

from infra.local import heap
from infra.local.invoke import ROOT

LOG = logging.getLogger("encaisse.local.api")

BACKLOG = 128
READY = b"ready"
GO = b"g"
# Restarts of a child that died before it was ready, in a row, before giving up.
MAX_FAILED_STARTS = 3
# What the routes build on first use, built before the first request is accepted: the
# month's first calls do not pay for them.
_WARM = ("keys", "leases", "ledger", "listings", "entries", "lease_service", "notice_queue",
         "idempotency_store")  # fmt: skip


class ApiProcessError(RuntimeError):
    """The API's process exited before it was ready to serve."""


class ApiProcess:
    """The API on ``host:port`` (and the portal on ``host:portal_port`` if given, its
    local pages forwarded to ``local_url``), served by a child process between ``start``
    and ``stop``.

    ``start`` binds nothing new (the sockets are bound on construction) and returns at
    once; ``serve`` waits until the child is ready and lets it accept connections.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        portal_port: int | None = None,
        local_url: str = "",
        ready_timeout: float = 120.0,
        sockets: list[socket.socket] | None = None,
    ) -> None:
        """``sockets``: another one's (the API's, then the portal's, if any), served
        by this one's child too, instead of binding ``port`` and ``portal_port``."""
        self._sockets = sockets if sockets is not None else _bind(host, port, portal_port)
        self._socket = self._sockets[0]
        self._port = int(self._socket.getsockname()[1])  # still known once it is closed
        self._portal_port: int | None = None
        if len(self._sockets) > 1:
            self._portal_port = int(self._sockets[1].getsockname()[1])
        self.api_url = f"http://{host}:{self._port}"
        self.local_url = local_url
        self.ready_timeout = ready_timeout
        self.restarts = 0
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._control: int | None = None  # the write end of the child's control pipe
        self._ready = threading.Event()
        self._go = threading.Event()
        self._stopping = threading.Event()
        self._failure: str | None = None
        self._watcher: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def portal_port(self) -> int | None:
        """The portal's port, if this process serves it."""
        return self._portal_port

    @property
    def pid(self) -> int | None:
        """The serving child's process id (None between two children)."""
        with self._lock:
            return self._child.pid if self._child is not None else None

    def start(self) -> None:
        """Start the child; it imports the app and builds its clients meanwhile."""
        # Children are started from this long-lived thread: PR_SET_PDEATHSIG follows the
        # thread that started a process.
        self._watcher = threading.Thread(target=self._watch, name="api-process", daemon=True)
        self._watcher.start()

    def serve(self) -> None:
        """Wait for the child to be ready and let it accept connections (raises
        :class:`ApiProcessError` if it exited first, ``TimeoutError`` if it takes longer
        than ``ready_timeout``)."""
        if not self._ready.wait(self.ready_timeout):
            raise TimeoutError(f"the API's process was not ready after {self.ready_timeout:.0f} s")
        if self._failure is not None:
            raise ApiProcessError(self._failure)
        self._go.set()
        with self._lock:
            self._send_go()

    def stop(self) -> None:
        self._stopping.set()
        self._ready.set()  # nobody waits for a child that will not come
        with self._lock:
            child, self._child = self._child, None
            self._close_control()
        if child is not None:
            _end(child)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(10)
        self._close_sockets()

    # ------------------------------------------------------------ the child

    def _watch(self) -> None:
        failed = 0
        while not self._stopping.is_set():
            child, failure = self._spawn()
            if self._stopping.is_set():
                return
            if failure is not None:  # it never got ready
                failed += 1
                if not self._ready.is_set() or failed >= MAX_FAILED_STARTS:
                    self._give_up(failure)
                    return
                LOG.error("the API's process did not start (%s): trying again", failure)
                self._stopping.wait(1.0)
                continue
            failed = 0
            code = child.wait()
            with self._lock:  # no pid between two children (the dead one's may be reused)
                if self._child is child:
                    self._child = None
                    self._close_control()
            if self._stopping.is_set():
                return
            self.restarts += 1
            LOG.error("the API's process exited with status %s: starting a new one", code)

    def _spawn(self) -> tuple[subprocess.Popen[bytes], str | None]:
        """A new child, once ready (None) or why it is not (its last words, its status)."""
        control_read, control_write = os.pipe()
        status_read, status_write = os.pipe()
        fds = [sock.fileno() for sock in self._sockets]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}  # fmt: skip
        command = [
            sys.executable, "-m", "infra.local.api_process", "--socket-fd", str(fds[0]),
            "--control-fd", str(control_read), "--status-fd", str(status_write),
            "--parent", str(os.getpid()),
            "--log-level", logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        ]  # fmt: skip
        if len(fds) > 1:
            command += ["--portal-fd", str(fds[1]), "--api-url", self.api_url]
            command += ["--local-url", self.local_url] if self.local_url else []
        try:
            child = subprocess.Popen(  # noqa: S603 - this interpreter, our module
                command, env=env, pass_fds=(*fds, control_read, status_write)
            )
        finally:
            os.close(control_read)
            os.close(status_write)
        with self._lock:
            self._child, self._control = child, control_write
            if self._stopping.is_set():  # stop() came meanwhile and did not see it
                self._close_control()
                child.terminate()
        LOG.info("the API is served by process %d", child.pid)
        with os.fdopen(status_read, "rb") as status:
            said = status.read()  # until the child is ready (and closes it) or exits
        if said.strip() == READY:
            self._ready.set()
            with self._lock:
                if self._go.is_set():
                    self._send_go()
            return child, None
        code = child.wait()
        with self._lock:
            self._close_control()
        reason = said.decode(errors="replace").strip() or "no message"
        return child, f"exited with status {code}: {reason}"

    def _send_go(self) -> None:
        if self._control is None:
            return
        with contextlib.suppress(OSError):  # the child is gone: the watcher starts another
            os.write(self._control, GO)

    def _close_control(self) -> None:
        if self._control is not None:
            os.close(self._control)
            self._control = None

    def _give_up(self, failure: str) -> None:
        LOG.error("the API is not served: its process %s", failure)
        self._failure = failure
        self._ready.set()
        if self._go.is_set():  # serving already: refuse connections rather than hang them
            self._close_sockets()

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            sock.close()


class ApiProcesses:
    """The API (and the portal) served by ``count`` children on the same sockets, each
    an :class:`ApiProcess` (started, replaced and ended alike): the kernel hands each
    connection to one of them, as API Gateway hands concurrent requests to several
    Lambda instances, instead of one interpreter lock for every client."""

    def __init__(self, host: str, port: int, *, count: int, **options: Any) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        first = ApiProcess(host, port, **options)
        options.pop("portal_port", None)
        self.members = [first] + [
            ApiProcess(host, port, sockets=first._sockets, **options) for _ in range(count - 1)
        ]

    @property
    def port(self) -> int:
        return self.members[0].port

    @property
    def portal_port(self) -> int | None:
        return self.members[0].portal_port

    @property
    def pid(self) -> int | None:
        return self.members[0].pid

    @property
    def pids(self) -> list[int | None]:
        return [member.pid for member in self.members]

    @property
    def restarts(self) -> int:
        return sum(member.restarts for member in self.members)

    def start(self) -> None:
        for member in self.members:
            member.start()

    def serve(self) -> None:
        for member in self.members:
            member.serve()

    def stop(self) -> None:
        for member in self.members:
            member.stop()


def _bind(host: str, port: int, portal_port: int | None) -> list[socket.socket]:
    sockets = [socket.create_server((host, port), backlog=BACKLOG)]
    if portal_port is not None:
        try:
            sockets.append(socket.create_server((host, portal_port), backlog=BACKLOG))
        except OSError:
            sockets[0].close()
            raise
    return sockets


def _end(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# ------------------------------------------------------------------ in the child


def _warm() -> None:
    from functions.adapters.aws import client
    from functions.api.http import deps

    for name in _WARM:
        getattr(deps, name)
    for service in ("dynamodb", "sqs", "s3"):
        client(service)


def _exit_when_closed(control: int) -> None:
    """Reads the platform's go (once), then waits for the end of the pipe: the platform
    stopped or died."""
    while os.read(control, 64):
        pass
    os._exit(0)


def _prepare(args: argparse.Namespace) -> tuple[Any, Any]:
    """The API's server and the portal's (None without ``--portal-fd``), ready to serve."""
    from infra.local.servers import chalice_server, gateway_forward, http_forward, portal_server

    server = chalice_server(socket.socket(fileno=args.socket_fd))
    portal = None
    if args.portal_fd is not None:
        portal = portal_server(
            "", 0,
            sock=socket.socket(fileno=args.portal_fd),
            api_url=args.api_url,
            api=gateway_forward(),
            # A schedule run on demand answers once it has run: as long as a Lambda may.
            local=http_forward(args.local_url, timeout=900) if args.local_url else None,
        )  # fmt: skip
    _warm()
    heap.settle()  # the imports' objects out of the collector's full passes
    return server, portal


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.local.api_process")
    parser.add_argument("--socket-fd", type=int, required=True, help="bound, listening")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--status-fd", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--portal-fd", type=int, help="bound, listening: serve the portal")
    parser.add_argument("--api-url", default="", help="the API's URL, for the portal's pages")
    parser.add_argument("--local-url", default="", help="where the portal's /_local/ pages are")
    parser.add_argument("--log-level", default="INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    from infra.local.worker import die_with_parent

    args = build_parser().parse_args(argv)
    die_with_parent(args.parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the platform, which stops us
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with os.fdopen(args.status_fd, "wb") as status:
        try:
            server, portal = _prepare(args)
        except Exception as e:
            LOG.exception("the API cannot start")
            status.write(f"{type(e).__name__}: {e}".encode())
            return 1
        status.write(READY)
    # Wait for the platform's go: its state is in place.
    if os.read(args.control_fd, 1) != GO:
        return 0
    threading.Thread(target=_exit_when_closed, args=(args.control_fd,), daemon=True).start()
    if portal is not None:
        portal.start()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
