"""Every public sample file: parse, render to JSON, compare with our golden file.

The golden files (tests/golden/statements/<folder>/<file>.expected.json) are
our own output, reviewed once; regenerate them with ``UPDATE_GOLDEN=1``. The
facts the MANIFEST states are checked independently in test_manifest_facts.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from functions.core.errors import StatementParseError
from functions.ingest.parsers import parse_bytes
from functions.ingest.statement_json import to_json
from tests.unit.parsers.conftest import REPO, STATEMENTS, missing_shared, shared_cases

GOLDEN = REPO / "tests" / "golden" / "statements"

# Files the MANIFEST marks NEGATIVE, with a word the error's reason must contain.
NEGATIVE = {
    "camt053/genkgo__camt053.v2.wrong.xml": "no Stmt",
    "sdd_returns/oca-pay__test-sepa-camt-unpaid-invalid.xml": "namespace",
    "cfonb120/pennylane__invalid_date.txt": "not a DDMMYY date",
    "cfonb120/pennylane__operation_out_of_statement.txt": "outside an 01",
    "cfonb120/pennylane__operation_detail_without_operation.txt": "without a preceding operation",
    "cfonb120/pennylane__end_of_statement_without_beginning.txt": "without its old balance",
    "cfonb120/pennylane__operation_unstarted.txt": "without a preceding operation",
}


def sample_files() -> list[str]:
    if not STATEMENTS.is_dir():
        return []
    return sorted(
        str(p.relative_to(STATEMENTS))
        for p in STATEMENTS.glob("*/*")
        if p.is_file() and not p.name.endswith((".expected.json", ".pydata"))
    )


SAMPLES = sample_files()


def _render(relative: str) -> dict[str, object]:
    path = STATEMENTS / relative
    try:
        return to_json(parse_bytes(path.read_bytes(), path.name))
    except StatementParseError as e:
        return {"error": e.as_dict()}


@pytest.mark.usefixtures("shared_statements")
@pytest.mark.parametrize("relative", SAMPLES or ["-"])
def test_golden(relative: str) -> None:
    rendered = _render(relative)
    golden = GOLDEN / f"{relative}.expected.json"
    text = json.dumps(rendered, ensure_ascii=False, indent=2) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}: run with UPDATE_GOLDEN=1"
    assert json.loads(golden.read_text(encoding="utf-8")) == rendered


@pytest.mark.usefixtures("shared_statements")
@pytest.mark.parametrize("relative", shared_cases(NEGATIVE))
def test_negative_files_are_rejected(relative: str) -> None:
    path = STATEMENTS / relative
    with pytest.raises(StatementParseError) as info:
        parse_bytes(path.read_bytes(), path.name)
    assert NEGATIVE[relative] in info.value.reason
    assert info.value.file == path.name


def test_every_sample_is_covered() -> None:
    if not SAMPLES:
        missing_shared(STATEMENTS)
    # 93 data files in the MANIFEST; a new file needs a golden file too.
    assert len(SAMPLES) == 93
    assert set(NEGATIVE) <= set(SAMPLES)


def test_golden_files_have_a_sample() -> None:
    if not SAMPLES:
        missing_shared(STATEMENTS)
    stale = [
        str(p.relative_to(GOLDEN))
        for p in Path(GOLDEN).glob("*/*.expected.json")
        if str(p.relative_to(GOLDEN)).removesuffix(".expected.json") not in SAMPLES
    ]
    assert stale == []
