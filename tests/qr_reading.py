"""Reading back the QR codes the portal draws (portal/qr.js): the modules of its SVG data
URI, and what a reader (zbar) gets from them once rasterised."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def svg_modules(uri: str) -> list[str]:
    """The dark modules of the SVG data URI, as rows of 0 and 1 (its margin included)."""
    svg = unquote(uri.removeprefix("data:image/svg+xml,"))
    found = re.search(r'viewBox="0 0 (\d+) \d+"', svg)
    assert found is not None, svg[:200]
    width = int(found.group(1))
    rows = [[0] * width for _ in range(width)]
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for i in range(int(n)):
            rows[int(y)][int(x) + i] = 1
    return ["".join(map(str, row)) for row in rows]


def command(name: str, package: str) -> str:
    """The path of the command ``name``; the test is skipped without it, and fails in CI."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is missing ({package})")
        pytest.skip(f"{name} is not installed")
    return path


def read(rows: list[str], tmp_path: Path, scale: int = 6) -> str:
    """What zbar reads from the modules (UTF-8), drawn ``scale`` pixels each."""
    zbarimg = command("zbarimg", "zbar-tools, make deps")
    from PIL import Image

    image = Image.new("1", (len(rows) * scale, len(rows) * scale), 1)
    for y, row in enumerate(rows):
        for x, bit in enumerate(row):
            if bit == "1":
                image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    png = tmp_path / "qr.png"
    image.save(png)
    out = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", str(png)],
        capture_output=True,
        check=True,
    )
    return out.stdout.decode("utf-8").rstrip("\n")
