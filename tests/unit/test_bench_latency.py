"""The benchmark's latency load runs its clients in a process of its own."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bench.platform.latency import LatencyLoad, Settings


class _Accounts(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization", "")))
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Accounts.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Accounts)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_clients_alternate_between_the_two_pages_and_report_each(server: str) -> None:
    settings = Settings(server, "key-1", ["L1", "L2"], clients=4, think=0.01,
                        portal_url=server, tokens=["tok-a"])  # fmt: skip
    with LatencyLoad(settings) as load:
        time.sleep(0.5)
    assert load.latencies and load.tenant_latencies and load.errors == 0
    sent = set(_Accounts.seen)
    assert ("/v1/leases/L1/account", "Bearer key-1") in sent
    assert ("/v1/leases/L2/account", "Bearer key-1") in sent
    assert ("/v1/tenant/account", "Tenant tok-a") in sent
    assert len(_Accounts.seen) == len(load.latencies) + len(load.tenant_latencies)
    assert 0 < load.p95_ms() < 30_000 and 0 < load.tenant_p95_ms() < 30_000


def test_requests_that_fail_are_counted_not_timed() -> None:
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{bound.getsockname()[1]}"
        with LatencyLoad(Settings(nowhere, "k", ["L1"], clients=2, think=0.01)) as load:
            time.sleep(0.3)
    assert load.errors > 0 and load.latencies == [] and load.tenant_latencies == []
