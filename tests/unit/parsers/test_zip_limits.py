"""Broken and hostile ZIP archives end in a parse error naming the member and
the reason (the file is then quarantined), never in another exception; a
ZIP bomb is stopped while it is decompressed, whatever it declares."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from functions.core.errors import StatementParseError
from functions.core.statements import Balance, Entry, Statement, Transaction
from functions.ingest import cli_statement
from functions.ingest.parsers import ZipLimits, parse_bytes
from functions.ingest.parsers.render import render_cfonb120
from tests.fixtures.archives import corrupt_deflate, encrypted, zip_bomb, zip_of

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


def test_a_sound_archive_is_read() -> None:
    parsed = parse_bytes(zip_of({"a.txt": _statement_bytes()}), "ok.zip")
    assert len(parsed.statements[0].entries) == 20


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (encrypted, "encrypted"),
        (corrupt_deflate, "unreadable ZIP member"),
        (lambda data: data[: len(data) // 2], "unreadable ZIP archive"),
        (lambda data: data[:-30], "unreadable ZIP archive"),
    ],
    ids=["encrypted", "corrupt-deflate", "truncated-half", "truncated-directory"],
)
def test_a_broken_archive_is_a_parse_error(damage: object, reason: str) -> None:
    data = damage(zip_of({"a.txt": _statement_bytes()}))  # type: ignore[operator]
    with pytest.raises(StatementParseError, match=reason) as info:
        parse_bytes(data, "broken.zip")
    assert info.value.file.startswith("broken.zip")


def test_a_zip_bomb_stops_at_the_ratio_limit() -> None:
    bomb = zip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 200_000
    with pytest.raises(StatementParseError, match="times its compressed size"):
        parse_bytes(bomb, "bomb.zip")


def test_an_archive_over_the_total_limit_is_refused() -> None:
    data = zip_of({f"s{n}.txt": _statement_bytes() for n in range(3)})
    limits = ZipLimits(total_bytes=len(_statement_bytes()) * 2)
    with pytest.raises(StatementParseError, match="too large once unpacked") as info:
        parse_bytes(data, "big.zip", limits)
    assert info.value.file == "big.zip!s2.txt"


def test_an_archive_of_too_many_files_is_refused() -> None:
    data = zip_of({f"s{n}.txt": b"x" for n in range(4)})
    with pytest.raises(StatementParseError, match="4 files"):
        parse_bytes(data, "many.zip", ZipLimits(members=3))


def test_the_cli_prints_one_line_for_a_broken_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "locked.zip"
    path.write_bytes(encrypted(zip_of({"a.txt": _statement_bytes()})))
    assert cli_statement.main([str(path), "--summary"]) == cli_statement.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "locked.zip!a.txt" in err and "encrypted" in err


def test_limits_from_configuration() -> None:
    assert ZipLimits.of() == ZipLimits()
    assert ZipLimits.of("3", "", " 50 ") == ZipLimits(members=3, ratio=50)
    for bad in ("-1", "0", "lots", "1e6"):
        with pytest.raises(ValueError, match="not a positive integer"):
            ZipLimits.of(ratio=bad)


def test_the_ingestor_takes_its_limits_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")  # clients are built, never called
    from functions.adapters.settings import REQUIRED, Settings
    from functions.bootstrap import build_ingestor

    env = dict.fromkeys(REQUIRED, "unused") | {"ZIP_MAX_MEMBERS": "1"}
    ingestor = build_ingestor(Settings.from_env(env))
    data = zip_of({"a.txt": _statement_bytes(), "b.txt": _statement_bytes()})
    with pytest.raises(StatementParseError, match=r"2 files \(max 1\)"):
        ingestor.parse(data, "two.zip")
    with pytest.raises(StatementParseError, match=r"2 files \(max 1\)"):
        ingestor.stream(io.BytesIO(data), "two.zip")
