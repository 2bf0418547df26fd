"""The chunked text reading of MT940/CFONB files gives what decoding the
whole file gives; the streamed CFONB parse reports the whole-file errors."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.errors import StatementParseError
from functions.core.viban import cle_rib as viban_cle_rib
from functions.ingest.parsers import cfonb120, common, parse_bytes, stream_file
from tests.unit.parsers.conftest import fixture_bytes

# Pieces that exercise line ends, control characters, BOMs and 8-bit guesses.
_PIECES = [b"a", b"\r", b"\n", b"\r\n", b"\x1a", b"\xc3\xa9", b"\xe9", b"\x8d", b"\xb3"]
_PIECES += [b"z", b"\xef\xbb\xbf", b" ", b"\x00", b"\x81", b"\x90"]


@settings(max_examples=400)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join),
    st.sampled_from([1, 2, 3, 7, 1 << 20]),
)
def test_iter_lines_matches_decode_text(data: bytes, chunk: int) -> None:
    original = common._CHUNK
    common._CHUNK = chunk  # small chunks cut CR LF pairs, UTF-8 sequences and tells
    try:
        source = io.BytesIO(data)
        encoding, start = common.guess_file_encoding(source)
        source.seek(start)
        assert list(common.iter_lines(source, encoding)) == common.decode_text(data).split("\n")
    finally:
        common._CHUNK = original


@given(
    st.text("0123456789", min_size=5, max_size=5),
    st.text("0123456789", min_size=5, max_size=5),
    st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=11, max_size=11),
)
def test_cle_rib_is_the_viban_one(bank: str, branch: str, account: str) -> None:
    assert common.cle_rib(bank, branch, account) == viban_cle_rib(bank, branch, account)


FIXTURE = "cfonb120_fr_latin1_crlf.txt"


def _lines() -> list[str]:
    return fixture_bytes(FIXTURE).decode("iso-8859-1").split("\r\n")


def _error(lines: list[str]) -> StatementParseError:
    with pytest.raises(StatementParseError) as info:
        parse_bytes("\r\n".join(lines).encode("iso-8859-1"), "bad.txt")
    return info.value


def test_a_record_too_long_anywhere_comes_first() -> None:
    lines = _lines()
    lines[1] = lines[1].replace("0000000006125{", "00000000061X5{", 1)  # bad amount, line 2
    lines[8] = lines[8] + "X" * 10  # too long, line 9
    error = _error(lines)
    assert error.location == "line 9"
    assert "characters long" in error.reason


def test_an_extract_line_is_refused_once_blocks_show_up() -> None:
    # An 04 first reads like an intraday extract, until an 01 further down.
    lines = _lines()
    first_operation = next(i for i, line in enumerate(lines) if line.startswith("04"))
    lines = lines[first_operation:]
    error = _error(lines)
    assert error.location == "line 1"
    assert "outside an 01…07 block" in error.reason


def test_end_error_names_the_last_record_not_trailing_blanks() -> None:
    lines = _lines()
    last_close = max(i for i, line in enumerate(lines) if line.startswith("07"))
    lines = [*lines[:last_close], "", "", ""]
    assert _error(lines).location == f"line {last_close}"


def test_stream_yields_blocks_before_an_error() -> None:
    lines = _lines()
    last_close = max(i for i, line in enumerate(lines) if line.startswith("07"))
    lines[last_close] = "09" + lines[last_close][2:]
    data = "\r\n".join(lines).encode("iso-8859-1")
    stream = stream_file(io.BytesIO(data), "bad.txt")
    assert stream.format == cfonb120.FORMAT
    items = stream.entries()
    assert next(items)[1].amount_cents == 61250
    with pytest.raises(StatementParseError, match="unknown record code"):
        list(items)
