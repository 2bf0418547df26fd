from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from functions.core.errors import StatementParseError, UnknownFormatError
from functions.ingest import cli_statement
from functions.ingest.parsers import parse_bytes
from functions.ingest.parsers.detect import Kind, detect
from functions.ingest.statement_json import to_summary
from tests.unit.parsers.conftest import FIXTURES, fixture_bytes


def test_zip_of_two_formats_is_merged() -> None:
    parsed = parse_bytes(fixture_bytes("two_statements.zip"), "two.zip")
    # Member-name order: camt054_… then cfonb120_…
    assert parsed.format == "camt.054.001.08+cfonb120"
    assert len(parsed.statements) == 2 + 3
    assert parsed.statements[0].id == "NTF-2024-03-05-001"
    assert parsed.statements[2].account_iban == "FR7630004000312345678901429"


def test_error_inside_a_zip_names_the_member() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ok.xml", fixture_bytes("camt054_viban_credits.xml"))
        archive.writestr("bad.txt", b"0130004    00031EUR2 23456789014  991399" + b" " * 80)
    with pytest.raises(StatementParseError) as info:
        parse_bytes(buffer.getvalue(), "in.zip")
    assert info.value.file == "in.zip!bad.txt"
    assert info.value.location == "line 1"


def test_empty_zip_and_corrupt_zip() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    with pytest.raises(StatementParseError, match="no file"):
        parse_bytes(buffer.getvalue(), "empty.zip")
    with pytest.raises(StatementParseError, match="ZIP"):
        parse_bytes(b"PK\x03\x04garbage", "bad.zip")


def test_bom_leading_blank_lines_and_windows_line_ends() -> None:
    xml = fixture_bytes("camt054_viban_credits.xml")
    expected = parse_bytes(xml, "a")
    variant = b"\xef\xbb\xbf" + xml.replace(b"\n", b"\r\n")
    assert parse_bytes(variant, "b") == expected


def test_latin1_xml_without_declaration_is_read() -> None:
    xml = fixture_bytes("camt054_viban_credits.xml").decode("utf-8")
    latin = xml.replace('<?xml version="1.0" encoding="UTF-8"?>', "").encode("iso-8859-1")
    parsed = parse_bytes(latin, "latin.xml")
    assert parsed.statements[0].entries[0].transactions[0].counterparty_name == "Mme Hélène Dupré"


def test_cp1250_text_is_detected() -> None:
    text = (
        ":20:X\n:25:PL29114010810000267002001002\n:60F:C170119PLN0,40\n"
        ":61:1701190119C0,03NTRFNONREF\n:86:ZAPŁATA ŚWIADCZENIE\n:62F:C170119PLN0,43\n"
    )
    parsed = parse_bytes(text.encode("cp1250"), "pl.sta")
    assert parsed.statements[0].entries[0].transactions[0].remittance == "ZAPŁATA ŚWIADCZENIE"


@pytest.mark.parametrize("data", [b"", b"   \n", b"hello world", b"<html></html>", b"%PDF-1.4"])
def test_unknown_content(data: bytes) -> None:
    with pytest.raises(UnknownFormatError):
        parse_bytes(data, "x")


def test_detect_kinds() -> None:
    assert detect(fixture_bytes("camt054_viban_credits.xml")) is Kind.CAMT
    assert detect(fixture_bytes("cfonb120_fr_latin1_crlf.txt")) is Kind.CFONB120
    assert detect(fixture_bytes("two_statements.zip")) is Kind.ZIP
    assert detect(b"\n\n:20:REF\n:25:ACC\n") is Kind.MT940


def test_cli_json_summary_and_error(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    path = str(FIXTURES / "cfonb120_fr_latin1_crlf.txt")
    assert cli_statement.main([path]) == 0
    full = json.loads(capsys.readouterr().out)
    assert full["format"] == "cfonb120"
    assert full["statements"][0]["entries"][1]["amount"] == "-85.25"
    assert full["statements"][0]["closing_balance"] == {"amount": "2015.25", "date": "2024-03-05"}
    assert cli_statement.main([path, "--summary"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["statements"][0]["credits"] == "612.50"
    assert summary["statements"][0]["debits"] == "97.25"
    assert summary["statements"][0]["entries"] == 3
    bad = FIXTURES.parent / "test_cfonb120.py"  # not a statement
    assert cli_statement.main([str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("test_cfonb120.py")


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_cli_summary_streams_to_the_same_summary(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--summary`` reads the file entry by entry; it sums what a whole
    parse sums."""
    assert cli_statement.main([str(FIXTURES / name), "--summary"]) == 0
    streamed = json.loads(capsys.readouterr().out)
    assert streamed == to_summary(parse_bytes(fixture_bytes(name), name))


def test_cli_summary_of_a_file_broken_near_its_end_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = fixture_bytes("camt054_viban_credits.xml")
    cut = data.rindex(b"</Ntry>")
    path = tmp_path / "cut.xml"
    path.write_bytes(data[:cut])
    assert cli_statement.main([str(path), "--summary"]) == cli_statement.EXIT_UNREADABLE
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("cut.xml: ")
