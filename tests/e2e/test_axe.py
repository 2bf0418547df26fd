"""The accessibility audit itself: it does see a violation (so an empty list means something)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from tests.e2e.axe import audit, blocking

pytestmark = pytest.mark.e2e

PAGE = """<!doctype html><html lang="fr"><head><title>Essai</title></head><body><main>
<h1>Essai</h1><img src="logo.png"><p style="color:#bbb;background:#fff">Texte pâle</p>
</main></body></html>"""


def test_audit_reports_a_missing_alt_text(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        violations = audit(f"http://127.0.0.1:{server.server_port}/index.html", "Essai")
    finally:
        server.shutdown()
        server.server_close()
    found = {v["id"]: v["impact"] for v in blocking(violations)}
    assert found.get("image-alt") == "critical", violations
    assert found.get("color-contrast") == "serious", violations


def test_missing_axe_fails_in_ci_and_skips_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.e2e import axe

    monkeypatch.setattr(axe, "AXE_JS", tmp_path / "absent.min.js")
    monkeypatch.setattr(axe.shutil, "which", lambda name: None)  # no npm to fetch it
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="make axe"):
        axe.axe_source()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make axe"):
        axe.axe_source()
