"""The local API server (``infra.local.servers.api_server``): Chalice's app over HTTP,
served by a child process (``infra.local.api_process``) on a socket the platform binds,
and the portal served by the same child on a second one."""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.api_process import ApiProcess, ApiProcessError, ApiProcesses
from infra.local.servers import api_server
from tests.fixtures.processes import alive, kill_and_expect_gone

ROOT = Path(__file__).resolve().parents[2]


def _health(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/v1/health")
        status = conn.getresponse().status
    finally:
        conn.close()
    return status


@pytest.fixture(scope="module")
def server(emulator: Any) -> Iterator[ApiProcess]:
    running = api_server("127.0.0.1", 0)
    running.start()
    running.serve()
    yield running
    running.stop()


def test_answers_on_a_kept_alive_connection_without_writing_to_stderr(
    server: ApiProcess, capfd: pytest.CaptureFixture[str]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
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


def test_an_unknown_route_is_answered_and_the_connection_kept(server: ApiProcess) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
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
    server: ApiProcess,
) -> None:
    body = json.dumps({"leases": []}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/leases/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 100")  # before the body is sent
        sock.sendall(body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401")  # no key: refused, after reading the body


def test_a_child_process_serves_it_from_serve_until_stopped(emulator: Any) -> None:
    api = api_server("127.0.0.1", 0)
    port = api.port
    assert port > 0  # bound before any child starts
    api.start()
    try:
        with socket.create_connection(("127.0.0.1", api.port), timeout=30) as early:
            early.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert api._ready.wait(120)  # the child imported the app and built its clients
            readable, _, _ = select.select([early], [], [], 1.0)
            assert not readable  # queued, not answered: the platform has not said go
            api.serve()
            assert early.recv(1024).startswith(b"HTTP/1.1 200")
        child = api.pid
        assert child is not None and child != os.getpid()
    finally:
        api.stop()
    assert not alive(child)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_child_that_dies_is_replaced_and_the_port_kept(emulator: Any) -> None:
    api = api_server("127.0.0.1", 0)
    api.start()
    api.serve()
    try:
        first = api.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert _health(api.port) == 200  # queued in the backlog, answered by the next one
        assert api.pid not in (None, first)
        assert api.restarts == 1
    finally:
        api.stop()


def test_a_child_that_cannot_start_is_a_clear_error(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_TABLE")  # the API's settings need it
    api = api_server("127.0.0.1", 0)
    api.start()
    try:
        with pytest.raises(ApiProcessError, match="LEDGER_TABLE"):
            api.serve()
    finally:
        api.stop()


PLATFORM = textwrap.dedent(
    """
    import time
    from infra.local.servers import api_server
    api = api_server("127.0.0.1", 0)
    api.start()
    api.serve()
    print(api.pid, api.port, flush=True)
    time.sleep(120)
    """
)


def test_no_api_process_outlives_a_killed_platform(emulator: Any) -> None:
    platform = subprocess.Popen(
        [sys.executable, "-c", PLATFORM],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert platform.stdout is not None
        pid, port = map(int, platform.stdout.readline().split())
        assert _health(port) == 200
        kill_and_expect_gone(platform, pid, "API process")
    finally:
        platform.kill()
        platform.wait()


def test_a_child_that_cannot_be_replaced_closes_the_port(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    api = api_server("127.0.0.1", 0)
    port = api.port
    api.start()
    api.serve()
    try:
        child = api.pid
        assert child is not None
        monkeypatch.delenv("LEDGER_TABLE")  # every next child fails before it is ready
        os.kill(child, signal.SIGKILL)
        assert api._watcher is not None
        api._watcher.join(120)  # gave up after MAX_FAILED_STARTS
        assert not api._watcher.is_alive()
        with pytest.raises(ConnectionRefusedError):  # rather than left waiting in the backlog
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        assert "the API is not served" in caplog.text and "LEDGER_TABLE" in caplog.text
    finally:
        api.stop()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_the_api_process_serves_the_portal_and_forwards_only_the_local_pages(
    emulator: Any,
) -> None:
    """The portal's static files and its /v1/* (answered by the app in the API's
    process, no hop) come from the API's child; /_local/* from the platform's process."""
    from functions.api.headers import PORTAL_CSP
    from infra.local.servers import LOCAL_PAGES_CSP, outbox_messages, portal_server

    local = portal_server("127.0.0.1", 0, schedules=lambda: [{"name": "Every.Day"}])
    local.start()
    api = api_server("127.0.0.1", 0, portal_port=0, local_url=f"http://127.0.0.1:{local.port}")
    assert api.portal_port is not None and api.portal_port != api.port
    portal = f"http://127.0.0.1:{api.portal_port}"
    api.start()
    try:
        api.serve()
        status, headers, body = _get(portal + "/")
        assert status == 200 and headers["content-security-policy"] == PORTAL_CSP
        assert b"<html" in body.lower()
        status, headers, body = _get(portal + "/config.json")
        assert json.loads(body) == {"api_url": f"http://127.0.0.1:{api.port}"}
        status, headers, body = _get(portal + "/v1/health")
        assert status == 200 and json.loads(body) == {"status": "ok", "service": "encaisse"}
        assert headers["cache-control"] == "no-store"
        # errors of the gateway and of the routes, as the API answers them
        assert _get(portal + "/v1/nowhere")[0] in (403, 404)
        status, _, body = _get(portal + "/v1/tenant/account", {"Authorization": "Tenant v1.e30.x"})
        assert status == 401 and json.loads(body)["status"] == 401
        status, headers, body = _get(portal + "/_local/schedules")
        assert json.loads(body) == {"schedules": [{"name": "Every.Day"}]}
        assert headers["content-security-policy"] == LOCAL_PAGES_CSP
        # what the emulator of this process (the platform's, here) sent in earlier tests
        sent = {"messages": [m.as_dict() for m in outbox_messages()]}
        assert json.loads(_get(portal + "/_local/outbox?format=json")[2]) == sent
        child = api.pid
        assert child is not None and child != os.getpid()
        os.kill(child, signal.SIGKILL)  # a new child serves both ports
        assert _get(portal + "/v1/health")[0] == 200
        assert api.pid not in (None, child)
    finally:
        api.stop()
        local.stop()
    for port in (api.port, api.portal_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_several_processes_serve_the_same_ports_each_replaced_alone(emulator: Any) -> None:
    """Two children accept on the same sockets (the kernel spreads the connections); one
    that dies is replaced while the other keeps serving; all end on stop."""
    api = api_server("127.0.0.1", 0, portal_port=0, processes=2)
    assert isinstance(api, ApiProcesses)
    api.start()
    try:
        api.serve()
        first, second = api.pids
        assert first is not None and second is not None and first != second
        for _ in range(4):
            assert _health(api.port) == 200
            assert _get(f"http://127.0.0.1:{api.portal_port}/v1/health")[0] == 200
        os.kill(second, signal.SIGKILL)
        assert _health(api.port) == 200  # the other one, or the next one from the backlog
        deadline = time.monotonic() + 60
        while api.restarts < 1 or None in api.pids:
            assert time.monotonic() < deadline, "the dead child was not replaced"
            time.sleep(0.05)
        assert api.pids[0] == first and api.pids[1] not in (None, second)
        children = [pid for pid in api.pids if pid is not None]
    finally:
        api.stop()
    assert not any(alive(pid) for pid in children)
    for port in (api.port, api.portal_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
