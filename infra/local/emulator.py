"""moto's server, in this process, with our patches and the Step Functions interpreter.

In-process (``ThreadedMotoServer``) rather than a child process so that the patched
Lambda backend can call our handlers directly and the outbox page can read sent
messages from moto's backends.

Two changes to how moto serves HTTP, both for speed (issue 12):

* connections are kept alive (HTTP/1.1): werkzeug's development server closes every
  connection after one answer, so each AWS call of a handler paid a TCP connection.
  The request body is read in full before the application runs, so the next request
  on the connection starts where it should (werkzeug closes because it cannot drain
  an unread body); chunked requests still close their connection;
* the host → backend resolution of moto's dispatcher is cached: moto lists its own
  package folder (``os.listdir`` + ``isdir`` of ~200 folders) and tries its URL
  patterns on every request.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
from typing import Any

from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from infra.local import patches
from infra.local.template import REGION

# The emulator accepts any credentials; these make boto3 sign requests without looking
# for a profile.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # not a secret: the emulator takes any
}


_WERKZEUG_LOG = logging.getLogger("werkzeug")

# An idle kept-alive connection is closed after this (clients reconnect transparently).
IDLE_CONNECTION_SECONDS = 300


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, answering HTTP/1.1 with keep-alive.

    Its answers are written through a buffer (werkzeug flushes it once the body is
    written): the status line, each header and the body were each a send on an
    unbuffered socket (``_SocketWriter.write``, 8 % of the emulator's samples in a
    profile of bench-platform). Its access log is skipped unless werkzeug's logger
    would print it (formatting it cost every request even at WARNING)."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_SECONDS
    wbufsize = 64 * 1024
    _drained = False

    def setup(self) -> None:
        super().setup()
        # werkzeug writes the headers and the body in separate sends: with Nagle's
        # algorithm the body would wait for the client's delayed ACK (~40 ms) on a
        # kept-alive connection.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connections: set[Any] | None = getattr(self.server, "open_connections", None)
        if connections is not None:
            connections.add(self.connection)

    def handle_one_request(self) -> None:
        socket_rfile = getattr(self, "_socket_rfile", None)
        if socket_rfile is not None:  # see make_environ
            self.rfile = socket_rfile
        super().handle_one_request()

    def finish(self) -> None:
        socket_rfile = getattr(self, "_socket_rfile", None)
        if socket_rfile is not None:
            self.rfile = socket_rfile
        try:
            super().finish()
        finally:
            connections: set[Any] | None = getattr(self.server, "open_connections", None)
            if connections is not None:
                connections.discard(self.connection)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if _WERKZEUG_LOG.isEnabledFor(logging.INFO):
            super().log_request(code, size)

    def make_environ(self) -> dict[str, Any]:
        # werkzeug has just written "100 Continue" when the client expects it (before
        # reading the body): it must leave the buffer now, the client waits for it.
        self.wfile.flush()
        environ: dict[str, Any] = super().make_environ()
        self._drained = not environ.get("wsgi.input_terminated")  # not chunked
        if self._drained:
            length = str(environ.get("CONTENT_LENGTH") or "0")
            size = int(length) if length.isdigit() else 0
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(size) if size else b"")
            # After answering, werkzeug reads whatever the socket holds (to discard an
            # unread body): that would swallow the next request of the connection. It
            # reads this empty stream instead; the next request gets the socket back.
            self._socket_rfile = self.rfile
            self.rfile = io.BytesIO()
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        # werkzeug always sends "Connection: close"; keep the connection when the
        # request was read in full and the client did not ask to close.
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and self._drained and not self.close_connection:
            return
        super().send_header(keyword, value)


class CachingDispatcher(DomainDispatcherApplication):
    """moto's dispatcher with its host → backend resolution cached."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backends[host]
        except KeyError:
            backend = super().get_backend_for_host(host)
            self._backends[host] = backend
            return backend


class _MotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` with keep-alive connections and the cached dispatcher."""

    def _server_entry(self) -> None:
        self._server = make_server(
            self._ip_address,
            self._port,
            CachingDispatcher(),
            True,
            request_handler=KeepAliveRequestHandler,
        )
        self._server.open_connections = set()  # type: ignore[attr-defined]
        self._server_ready_event.set()
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop accepting, then close the kept-alive connections (a client's pooled
        connection must not reach a stopped emulator)."""
        super().stop()
        server = self._server
        if server is None:
            return
        server.server_close()
        for connection in list(getattr(server, "open_connections", ())):
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)


class Emulator:
    """A moto server on ``host:port`` (0 = a free port), patched, executing workflows."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", time_factor: float = 1.0):
        self.host = host
        self.requested_port = port
        self.time_factor = time_factor
        self._server: _MotoServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        patches.apply_all(time_factor=self.time_factor)
        # Real ASL interpreter instead of moto's default stub executions.
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        # werkzeug logs every request at INFO: far too chatty for a developer console.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = _MotoServer(ip_address=self.host, port=self.requested_port, verbose=False)
        self._server.start()
        _, self.port = self._server.get_host_and_port()
        # The interpreter calls services at http://localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client_environment(self) -> dict[str, str]:
        """What boto3 needs to talk to this emulator (merged into ``os.environ``)."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **DUMMY_CREDENTIALS,
        }


def reset_backends() -> None:
    """Forget every resource and object (moto's state is process-wide)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
