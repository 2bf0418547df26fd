"""The local API server (``infra.local.servers.api_server``): Chalice's app over HTTP."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.servers import ServerThread, api_server


@pytest.fixture(scope="module")
def server(emulator: Any) -> Iterator[ServerThread]:
    # Once per process: chalice.local's create_local_server turns the app's class into
    # its local subclass and refuses to do it twice.
    running = api_server("127.0.0.1", 0)
    running.start()
    yield running
    running.stop()


def test_answers_on_a_kept_alive_connection_without_writing_to_stderr(
    server: ServerThread, capfd: pytest.CaptureFixture[str]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(3):  # the same connection each time
            conn.request("GET", "/v1/health")
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200
            assert json.loads(body) == {"status": "ok", "service": "encaisse"}
            assert int(resp.headers["Content-Length"]) == len(body)
            assert resp.headers["Cache-Control"]  # the app's security headers still apply
    finally:
        conn.close()
    assert capfd.readouterr().err == ""  # the access log is the logger's, at debug level


def test_an_unknown_route_is_answered_and_the_connection_kept(server: ServerThread) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/v1/nowhere")
        resp = conn.getresponse()
        resp.read()
        assert resp.status in (403, 404)
        conn.request("GET", "/v1/health")
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_a_client_expecting_100_continue_gets_it_before_sending_the_body(
    server: ServerThread,
) -> None:
    body = json.dumps({"leases": []}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/leases/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 100")  # before the body is sent
        sock.sendall(body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401")  # no key: refused, after reading the body
