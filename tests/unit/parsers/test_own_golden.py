"""The repository's own samples: one per format and quirk the parsers read,
written for this project (tests/golden/own/README.md), so that a fresh
clone without ../shared tests every parser. Each is parsed, rendered to JSON
and compared with its reviewed ``.expected.json``; regenerate those with
``UPDATE_GOLDEN=1`` and review the diff. A sample named ``*.invalid.*`` is
refused: its golden file holds the error."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from functions.core.errors import StatementParseError
from functions.core.statements import Entry, Statement
from functions.ingest.parsers import parse_bytes, stream_file
from functions.ingest.statement_json import to_json
from tests.unit.parsers.conftest import REPO

OWN = REPO / "tests" / "golden" / "own"
SAMPLES = sorted(
    str(p.relative_to(OWN))
    for p in OWN.glob("*/*")
    if p.is_file() and not p.name.endswith(".expected.json")
)
# Every format (folder) the parsers read, and its quirks (sample names).
COVERED = {
    "camt052": {"intraday_report.xml"},
    "camt053": {
        "two_statements.xml",
        "prefixed_namespace_crlf.xml",
        "french_bank_quirks.xml",
        "negative_credit.invalid.xml",
        "no_statement.invalid.xml",
        "entry_without_amount.invalid.xml",
        "unknown_message.invalid.xml",
    },
    "camt054": {"viban_credits.xml", "direct_debit_batch.xml"},
    "sdd_returns": {"returned_collection.xml", "foreign_namespace.invalid.xml"},
    "mt940": {
        "structured_86.sta",
        "german_gvc.sta",
        "sparkasse_quirks.sta",
        "ing_dutch_structured.sta",
        "rabobank_structured.sta",
        "rabobank_legacy.sta",
        "knab_structured_and_free.sta",
        "fragment_without_header.sta",
        "mt942_interim.sta",
    },
    "cfonb120": {
        "latin1_crlf.txt",
        "glued_records.txt",
        "intraday_extract.txt",
        "blank_balance_decimals.txt",
        "two_accounts_spaced_text.txt",
        "complement_without_operation.invalid.txt",
        "new_balance_without_old.invalid.txt",
        "invalid_date.invalid.txt",
        "operation_outside_block.invalid.txt",
    },
    "pain002": {
        "rejected_collections.xml",
        "equivalent_amount.xml",
        "truncated.invalid.xml",
    },
    "zip": {"bundle_with_metadata.zip"},
}


def _render(path: Path) -> dict[str, object]:
    try:
        return to_json(parse_bytes(path.read_bytes(), path.name))
    except StatementParseError as e:
        return {"error": e.as_dict()}


@pytest.mark.parametrize("relative", SAMPLES)
def test_own_golden(relative: str) -> None:
    path = OWN / relative
    rendered = _render(path)
    golden = OWN / f"{relative}.expected.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        text = json.dumps(rendered, ensure_ascii=False, indent=2) + "\n"
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}: run with UPDATE_GOLDEN=1"
    assert json.loads(golden.read_text(encoding="utf-8")) == rendered
    assert ("error" in rendered) == (".invalid." in relative)


@pytest.mark.parametrize("relative", SAMPLES)
def test_own_sample_streams_as_it_parses(relative: str) -> None:
    path = OWN / relative
    data = path.read_bytes()
    if ".invalid." in relative:
        # The error parse_bytes gives, raised when the stream opens (an error
        # in the first bytes read) or while it is read.
        with pytest.raises(StatementParseError) as info:
            list(stream_file(io.BytesIO(data), path.name).entries())
        assert {"error": info.value.as_dict()} == _render(path)
        return
    stream = stream_file(io.BytesIO(data), path.name)
    parsed = parse_bytes(data, path.name)
    entries: list[tuple[Statement, Entry]] = list(stream.entries())
    assert [e for _, e in entries] == [e for s in parsed.statements for e in s.entries]
    assert [(s.id, s.closing_balance, s.notes) for s in stream.statements] == [
        (s.id, s.closing_balance, s.notes) for s in parsed.statements
    ]


@pytest.mark.parametrize("relative", [s for s in SAMPLES if ".invalid." not in s])
def test_own_sample_streams_the_transactions_it_parses(relative: str) -> None:
    path = OWN / relative
    data = path.read_bytes()
    streamed = [(e, tx) for _, e, tx in stream_file(io.BytesIO(data), path.name).transactions()]
    parsed = [(e, tx) for _, e, tx in parse_bytes(data, path.name).transactions()]
    assert streamed == parsed


def test_every_format_and_quirk_has_its_sample() -> None:
    found: dict[str, set[str]] = {}
    for relative in SAMPLES:
        folder, _, name = relative.partition("/")
        found.setdefault(folder, set()).add(name)
    assert found == COVERED


def test_every_golden_file_has_its_sample() -> None:
    stale = [
        str(p.relative_to(OWN))
        for p in OWN.glob("*/*.expected.json")
        if str(p.relative_to(OWN)).removesuffix(".expected.json") not in SAMPLES
    ]
    assert stale == []
