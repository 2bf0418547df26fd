"""``encaisse statement parse FILE --summary`` on a generated multi-MB camt.053: the
streamed summary is the whole parse's, and no step holds the whole file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.parsers.bench_parsers import _statement, _write_camt
from functions.ingest import cli_statement
from functions.ingest import parsers as parsers_module
from functions.ingest.parsers import parse_bytes
from functions.ingest.statement_json import to_summary


def test_the_summary_of_a_large_camt053_is_streamed_and_equals_the_whole_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "large.camt053.xml"
    _write_camt(path, _statement(4_000))  # ~5 MB, entries of ~1.2 KB as banks send them
    assert path.stat().st_size > 4_000_000
    whole = to_summary(parse_bytes(path.read_bytes(), path.name))

    def whole_file(*_: object, **__: object) -> None:
        raise AssertionError("the summary read the whole file")

    # The whole-file entry points are off limits to --summary.
    monkeypatch.setattr(parsers_module, "parse_bytes", whole_file)
    monkeypatch.setattr(cli_statement, "parse_file", whole_file)
    assert cli_statement.main([str(path), "--summary"]) == 0
    streamed = json.loads(capsys.readouterr().out)
    assert streamed == whole
    assert streamed["statements"][0]["entries"] == 4_000
