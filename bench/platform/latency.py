"""The benchmark's latency load, in a process of its own.

``clients`` threads read accounts in turn until stopped, each pausing ``think`` seconds
between two requests (a bounded load, not a flood). Every client alternates between the
ERP's ``GET /v1/leases/{id}/account`` (API key) and, when tenant tokens are given, the
tenant account page's ``GET /v1/tenant/account``, called as the page calls it: on the
portal's origin, which forwards ``/v1/*`` to the API as CloudFront does in AWS.

The clients run in a child process, as a load tool such as locust would: in the
benchmark's own process, their timings could also count the benchmark's other work
(uploading the files, polling, paging the entries, sampling memory) and its collector's
pauses, which no client of the platform waits for. In four interleaved runs of the
1,000-lease month the p95s moved less than they do from run to run; the load stays apart
so that what it times is the platform alone.

Protocol on the child's standard streams: one JSON line in (the settings), ``started``
out once the clients run; ``stop`` in, then one JSON line out (the latencies, in
seconds, and the count of failed requests).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import IO, Any


@dataclass
class Settings:
    api_url: str
    key: str
    lease_ids: list[str]
    clients: int = 20
    think: float = 0.5
    portal_url: str = ""
    tokens: list[str] = field(default_factory=list)


@dataclass
class Latencies:
    account: list[float] = field(default_factory=list)
    tenant: list[float] = field(default_factory=list)
    errors: int = 0


class Clients:
    """The clients themselves (in the child process)."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.out = Latencies()
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True)
            for i in range(settings.clients)
        ]

    def _request(self, n: int) -> tuple[urllib.request.Request, list[float]]:
        s = self.s
        if s.tokens and n % 2:
            token = s.tokens[(n // 2) % len(s.tokens)]
            url = f"{s.portal_url.rstrip('/')}/v1/tenant/account"
            return urllib.request.Request(  # noqa: S310 - 127.0.0.1
                url, headers={"Authorization": f"Tenant {token}"}
            ), self.out.tenant
        lease_id = s.lease_ids[(n // 2 if s.tokens else n) % len(s.lease_ids)]
        return urllib.request.Request(  # noqa: S310 - 127.0.0.1
            f"{s.api_url.rstrip('/')}/v1/leases/{lease_id}/account",
            headers={"Authorization": f"Bearer {s.key}"},
        ), self.out.account

    def _run(self, n: int) -> None:
        i = n
        while not self.stop_event.is_set():
            req, latencies = self._request(i)
            i += len(self.threads)
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                    resp.read()
                ok = True
            except (urllib.error.URLError, TimeoutError):
                ok = False
            elapsed = time.perf_counter() - t0
            with self.lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    self.out.errors += 1
            self.stop_event.wait(self.s.think)

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> Latencies:
        self.stop_event.set()
        for t in self.threads:
            t.join(60)
        with self.lock:
            return Latencies(list(self.out.account), list(self.out.tenant), self.out.errors)


class LatencyLoad:
    """The load, from the benchmark's side: the clients start on ``with`` and stop at
    its end, in a child process; then ``latencies``, ``tenant_latencies``, ``errors``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.latencies: list[float] = []
        self.tenant_latencies: list[float] = []
        self.errors = 0
        self._child: subprocess.Popen[str] | None = None

    def __enter__(self) -> LatencyLoad:
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.platform.latency"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._child = child
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps(asdict(self.settings)) + "\n")
        child.stdin.flush()
        if child.stdout.readline().strip() != "started":
            child.kill()
            raise RuntimeError("the latency load's process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        child = self._child
        assert child is not None
        try:
            said, _ = child.communicate("stop\n", timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            raise
        if child.returncode != 0 or not said.strip():
            raise RuntimeError(f"the latency load's process exited with {child.returncode}")
        out = json.loads(said)
        self.latencies, self.tenant_latencies = out["account"], out["tenant"]
        self.errors = int(out["errors"])

    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    def tenant_p95_ms(self) -> float:
        return percentile(self.tenant_latencies, 0.95) * 1000


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def serve(stdin: IO[str], stdout: IO[str]) -> int:
    """The child's side of the protocol."""
    line = stdin.readline()
    if not line.strip():
        return 0
    raw: dict[str, Any] = json.loads(line)
    clients = Clients(Settings(**raw))
    clients.start()
    stdout.write("started\n")
    stdout.flush()
    while (said := stdin.readline()) and said.strip() != "stop":
        pass
    stdout.write(json.dumps(asdict(clients.stop())) + "\n")
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.stdin, sys.stdout))
