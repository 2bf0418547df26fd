"""Accessibility audit of a portal page: axe-core run inside headless Chromium.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: it
reads JSON commands on fd 3 and writes answers on fd 4, each ended by a NUL byte), so no
websocket client nor browser-automation package is needed. axe-core itself comes from
npm and is cached under ``.cache/axe/`` (``make axe``, or fetched here on first use).
Without it the audit is skipped locally but fails in CI (``CI=true``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_portal import CHROMIUM

AXE_VERSION = "4.10.3"  # the same as the Makefile's `axe` target
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "axe"
AXE_JS = CACHE / f"axe-{AXE_VERSION}.min.js"
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    """axe.min.js from the cache, fetched with `npm pack` when missing."""
    if not AXE_JS.exists() and shutil.which("npm"):
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "pack", f"axe-core@{AXE_VERSION}", "--silent"],
            cwd=CACHE, capture_output=True, timeout=180, check=False,
        )  # fmt: skip
        archive = CACHE / f"axe-core-{AXE_VERSION}.tgz"
        if archive.exists():
            with tarfile.open(archive) as tar:
                member = tar.extractfile("package/axe.min.js")
                if member is not None:
                    partial = AXE_JS.with_suffix(".tmp")
                    partial.write_bytes(member.read())
                    partial.replace(AXE_JS)
    if not AXE_JS.exists():
        message = f"axe-core is not available ({AXE_JS}): run `make axe` (needs npm)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS.read_text(encoding="utf-8")


class _Pipe:
    """A DevTools-protocol session over Chromium's debugging pipe."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._out = os.fdopen(write_fd, "wb", buffering=0)
        self._in = os.fdopen(read_fd, "rb", buffering=0)
        self._buffer = b""
        self._next = 0
        # What Chromium sent unasked (e.g. Fetch.requestPaused).
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise AssertionError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self.events.append(answer)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._in.read(65536)
            if not chunk:
                raise AssertionError("Chromium closed the debugging pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(raw)
        return decoded

    def close(self) -> None:
        self._out.close()
        self._in.close()


class Page:
    """One Chromium tab driven over the pipe: evaluate scripts, wait for text, run axe."""

    def __init__(self, pipe: _Pipe, session: str) -> None:
        self.pipe = pipe
        self.session = session

    def release_held(self) -> int:
        """Lets the requests held by ``browser_page(hold=...)`` go on; returns how many."""
        paused = [e for e in self.pipe.events if e["method"] == "Fetch.requestPaused"]
        self.pipe.events = [e for e in self.pipe.events if e not in paused]
        for event in paused:
            request = event["params"]["requestId"]
            self.pipe.call("Fetch.continueRequest", self.session, requestId=request)
        self.pipe.call("Fetch.disable", self.session)
        return len(paused)

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        answer = self.pipe.call(
            "Runtime.evaluate",
            self.session,
            expression=expression,
            awaitPromise=await_promise,
            returnByValue=True,
        )
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def wait_for_text(self, text: str, seconds: float = 60) -> None:
        probe = f"Boolean(document.body && document.body.innerText.includes({json.dumps(text)}))"
        self.wait_for(probe, seconds, f"the page never showed {text!r}")

    def wait_for(self, expression: str, seconds: float = 60, message: str = "") -> None:
        """Polls ``expression`` in the page until it is true."""
        deadline = time.monotonic() + seconds
        while not self.evaluate(expression):
            status = self.evaluate("document.body ? document.body.innerText.slice(0, 600) : ''")
            assert time.monotonic() < deadline, f"{message or expression} (the page: {status!r})"
            time.sleep(0.2)

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's violations on the page as it is now."""
        if not self.evaluate("typeof axe !== 'undefined'"):
            self.evaluate(axe_source())
        run = (
            "axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify("
            "r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))"
        )
        violations: list[dict[str, Any]] = json.loads(self.evaluate(run, await_promise=True))
        return violations


@contextlib.contextmanager
def browser_page(
    url: str, width: int = 1280, height: int = 900, hold: str | None = None
) -> Iterator[Page]:
    """Headless Chromium on ``url`` at this window size, driven over its debugging pipe.

    ``hold`` (a URL pattern, e.g. ``*documents.js``) holds those requests until
    ``Page.release_held()``: a slow network made deterministic.
    """
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make test` installs it (Debian package chromium)")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory() as profile:
        # Chromium expects the pipe on its fds 3 (commands) and 4 (answers): bash moves them
        # there before exec (no preexec_fn, which is unsafe with threads).
        move = f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-'
        browser = subprocess.Popen(
            [
                "bash", "-c", move, "chromium",
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-pipe",
                f"--window-size={width},{height}", "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_chrome_r, from_chrome_w),
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        pipe = _Pipe(to_chrome_w, from_chrome_r)
        try:
            target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
            session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            if hold:
                pipe.call("Fetch.enable", session, patterns=[{"urlPattern": hold}])
            pipe.call("Page.navigate", session, url=url)
            yield Page(pipe, session)
            with contextlib.suppress(AssertionError):  # the pipe may close before the answer
                pipe.call("Browser.close")
        finally:
            pipe.close()
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()


def audit(url: str, ready_text: str, width: int = 1280, height: int = 900) -> list[dict[str, Any]]:
    """axe's violations on ``url`` once ``ready_text`` is shown (the page's scripts ran)."""
    axe_source()  # skip (or fail in CI) before starting a browser
    with browser_page(url, width, height) as page:
        page.wait_for_text(ready_text)
        return page.axe()


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING]
