"""Starting the platform as a child process and waiting for its endpoints.json.

Used by the test fixtures and reusable by the CLI (``encaisse up --detach`` style).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from infra.local.template import ROOT

ENDPOINTS_FILE = "endpoints.json"


class PlatformStartError(RuntimeError):
    """The platform exited or did not write its endpoints in time."""


def read_endpoints(state_dir: Path) -> dict[str, Any] | None:
    """The endpoints of a running platform, or None if it has not written them (yet)."""
    path = state_dir / ENDPOINTS_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


def wait_for_endpoints(
    state_dir: Path,
    *,
    timeout: float = 120.0,
    process: subprocess.Popen[Any] | None = None,
    output: Path | None = None,
) -> dict[str, Any]:
    """Wait until ``state_dir/endpoints.json`` exists (written last, once all is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endpoints = read_endpoints(state_dir)
        if endpoints is not None and (process is None or endpoints.get("pid") == process.pid):
            return endpoints
        if process is not None and process.poll() is not None:
            raise PlatformStartError(
                f"the platform exited with {process.returncode}:\n{_tail(output)}"
            )
        time.sleep(0.2)
    raise PlatformStartError(f"no {ENDPOINTS_FILE} after {timeout:.0f} s:\n{_tail(output)}")


def _tail(output: Path | None, lines: int = 80) -> str:
    if output is None or not output.exists():
        return "(no output captured)"
    return "\n".join(output.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@dataclass
class PlatformProcess:
    """A platform running in a child process (``python -m infra.local.runtime``)."""

    state_dir: Path
    process: subprocess.Popen[Any]
    output: Path
    endpoints: dict[str, Any] = field(default_factory=dict)
    _log: IO[Any] | None = None

    def output_text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl-C (SIGINT) and wait; kills it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._log is not None:
            self._log.close()
        return int(self.process.returncode)


BARE = (
    "--no-seed", "--api-port", "0", "--portal-port", "0", "--aws-port", "0",
    "--sftp-port", "0", "--no-schedules",
)  # fmt: skip
"""Arguments of a bare platform: no demo landlord, every port chosen by the system, no
schedules (benchmarks, and tests that onboard their own landlord)."""


def start_platform_process(
    state_dir: Path,
    *args: str,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
) -> PlatformProcess:
    """Start the platform with these extra arguments and wait for its endpoints."""
    state_dir.mkdir(parents=True, exist_ok=True)
    output = state_dir / "platform.log"
    log = output.open("a", encoding="utf-8")
    command = [sys.executable, "-m", "infra.local.runtime", "--state-dir", str(state_dir), *args]
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=child_env
    )
    running = PlatformProcess(state_dir, process, output, _log=log)
    try:
        running.endpoints = wait_for_endpoints(
            state_dir, timeout=timeout, process=process, output=output
        )
    except BaseException:
        running.stop(10)
        raise
    return running
