"""Broken and hostile ZIP archives end in a parse error naming the member and
the reason (the file is then quarantined), never in another exception; a
ZIP bomb is stopped while it is decompressed, whatever it declares."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date
from pathlib import Path

import pytest

from functions.core.errors import StatementParseError
from functions.core.statements import Balance, Entry, Statement, Transaction
from functions.ingest import cli_statement
from functions.ingest.parsers import ZipLimits, parse_bytes
from functions.ingest.parsers.render import render_cfonb120

DAY = date(2026, 11, 20)


def _statement_bytes() -> bytes:
    entries = tuple(
        Entry(1_000 + n, "EUR", DAY, DAY, transactions=(Transaction(1_000 + n, f"PAYEUR {n}"),))
        for n in range(20)
    )
    closing = Balance(sum(e.amount_cents for e in entries), DAY)
    st = Statement(
        None, "FR7630004008210000420001774", None, "EUR", Balance(0, DAY), closing, entries
    )
    return render_cfonb120([st])


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _encrypted(data: bytes) -> bytes:
    """The archive with its members marked encrypted (zipfile writes none)."""
    out = bytearray(data)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            (flags,) = struct.unpack_from("<H", out, at + flag_at)
            struct.pack_into("<H", out, at + flag_at, flags | 0x1)
            at = out.find(signature, at + 4)
    return bytes(out)


def _corrupt_deflate(data: bytes) -> bytes:
    out = bytearray(data)
    start = 30 + len("a.txt")  # the local header, then the compressed data
    for i in range(start, start + 40):
        out[i] ^= 0x5A
    return bytes(out)


def _bomb(size: int) -> bytes:
    """One member of ``size`` zero bytes, compressed as it is written."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.txt", "w", force_zip64=True) as member,
    ):
        block = bytes(1024 * 1024)
        for _ in range(size // len(block)):
            member.write(block)
    return buffer.getvalue()


def test_a_sound_archive_is_read() -> None:
    parsed = parse_bytes(_zip({"a.txt": _statement_bytes()}), "ok.zip")
    assert len(parsed.statements[0].entries) == 20


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_encrypted, "encrypted"),
        (_corrupt_deflate, "unreadable ZIP member"),
        (lambda data: data[: len(data) // 2], "unreadable ZIP archive"),
        (lambda data: data[:-30], "unreadable ZIP archive"),
    ],
    ids=["encrypted", "corrupt-deflate", "truncated-half", "truncated-directory"],
)
def test_a_broken_archive_is_a_parse_error(damage: object, reason: str) -> None:
    data = damage(_zip({"a.txt": _statement_bytes()}))  # type: ignore[operator]
    with pytest.raises(StatementParseError, match=reason) as info:
        parse_bytes(data, "broken.zip")
    assert info.value.file.startswith("broken.zip")


def test_a_zip_bomb_stops_at_the_ratio_limit() -> None:
    bomb = _bomb(64 * 1024 * 1024)
    assert len(bomb) < 200_000
    with pytest.raises(StatementParseError, match="times its compressed size"):
        parse_bytes(bomb, "bomb.zip")


def test_an_archive_over_the_total_limit_is_refused() -> None:
    data = _zip({f"s{n}.txt": _statement_bytes() for n in range(3)})
    limits = ZipLimits(total_bytes=len(_statement_bytes()) * 2)
    with pytest.raises(StatementParseError, match="too large once unpacked") as info:
        parse_bytes(data, "big.zip", limits)
    assert info.value.file == "big.zip!s2.txt"


def test_an_archive_of_too_many_files_is_refused() -> None:
    data = _zip({f"s{n}.txt": b"x" for n in range(4)})
    with pytest.raises(StatementParseError, match="4 files"):
        parse_bytes(data, "many.zip", ZipLimits(members=3))


def test_the_cli_prints_one_line_for_a_broken_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "locked.zip"
    path.write_bytes(_encrypted(_zip({"a.txt": _statement_bytes()})))
    assert cli_statement.main([str(path), "--summary"]) == cli_statement.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "locked.zip!a.txt" in err and "encrypted" in err
