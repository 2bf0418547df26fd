"""camt entry batches (camt/batches.py): reading runs of entries apart from
iterparse gives exactly what iterparse alone gives, whatever the file holds."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.core.errors import StatementParseError
from functions.core.statements import ParsedFile
from functions.ingest.parsers import camt, parse_bytes
from functions.ingest.parsers.camt import batches as camt_batches
from functions.ingest.parsers.camt import source as camt_source
from tests.unit.parsers.conftest import REPO, STATEMENTS

CAMT_SAMPLES = sorted(
    p
    for p in (STATEMENTS.glob("camt*/*") if STATEMENTS.is_dir() else [])
    if p.is_file() and not p.name.endswith((".expected.json", ".pydata"))
)
OWN = sorted(
    [
        *(Path(__file__).parent / "fixtures").glob("camt*.xml"),
        *(REPO / "tests" / "golden" / "own").glob("camt*/*.xml"),
        *(REPO / "tests" / "golden" / "own").glob("sdd_returns/*.xml"),
    ]
)

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _entry(n: int, extra: str = "", name: str = "Ntry") -> str:
    return (
        f'<{name}><Amt Ccy="EUR">{n}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        f"<BookgDt><Dt>2024-03-0{n % 9 + 1}</Dt></BookgDt>{extra}"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{n}</EndToEndId></Refs>"
        f"<RltdPties><Dbtr><Pty><Nm>Payer {n}</Nm></Pty></Dbtr></RltdPties>"
        f"<RmtInf><Ustrd>LOYER {n}</Ustrd></RmtInf></TxDtls></NtryDtls></{name}>\n"
    )


UTF8 = '<?xml version="1.0" encoding="UTF-8"?>'


def _doc(body: str, root_attributes: str = f'xmlns="{NS}"', declaration: str = UTF8) -> bytes:
    return (
        f"{declaration}\n"
        f"<Document {root_attributes}><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>"
        f"<Stmt><Id>S1</Id><Acct><Id><IBAN>FR7630004000031234567890143</IBAN></Id></Acct>\n"
        f"{body}</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


def _outcome(data: bytes) -> ParsedFile | str:
    try:
        return parse_bytes(data, "t.xml")
    except StatementParseError as e:
        return f"{e.location}: {e.reason}"


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of a few entries, read a few bytes at a time: every run and
    token meets a buffer boundary somewhere."""
    monkeypatch.setattr(camt_batches, "BATCH_BYTES", 700)
    monkeypatch.setattr(camt_batches, "_READ_BYTES", 97)
    # A first read that holds the root's start tag but seldom the whole file.
    monkeypatch.setattr(camt_source, "_HEAD", 1024)


def _both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    batched = _outcome(data)
    with monkeypatch.context() as m:
        m.setattr(camt_source, "USE_BATCHES", False)
        plain = _outcome(data)
    return batched, plain


def _batches_used(data: bytes) -> int:
    reader, _, batches = camt_source.without_default_namespace(io.BytesIO(data))
    if batches is None:
        return 0
    markers = 0
    while piece := reader.read():
        markers += piece.count(camt_batches.MARKER.encode())
    return markers


@pytest.mark.usefixtures("shared_statements")
@pytest.mark.parametrize("path", CAMT_SAMPLES or [Path("-")], ids=lambda p: p.name)
def test_every_shared_camt_file_reads_the_same(
    path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, plain = _both(path.read_bytes(), monkeypatch)
    assert batched == plain


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_our_camt_fixtures_read_the_same(
    path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, plain = _both(path.read_bytes(), monkeypatch)
    assert batched == plain


def _cases() -> Iterator[tuple[str, bytes, bool]]:
    """(case, document, whether runs are taken apart at all)."""
    plain = "".join(_entry(n) for n in range(1, 9))
    yield "plain entries", _doc(plain), True
    yield "pretty-printed", _doc(plain.replace("><", ">\n    <")), True
    yield "no namespace", _doc(plain, root_attributes=""), True
    yield (
        "comment between entries, holding an entry",
        _doc(_entry(1) + "<!-- " + _entry(2) + " -->" + _entry(3)),
        True,
    )
    yield (
        "CDATA holding an end tag inside an entry",
        _doc(_entry(1, "<AddtlNtryInf><![CDATA[</Ntry><Ntry>]]></AddtlNtryInf>") + _entry(2)),
        True,
    )
    yield (
        "comment holding an end tag inside an entry",
        _doc(_entry(1, "<!-- </Ntry> <Ntry> -->") + _entry(2)),
        True,
    )
    yield (
        "processing instruction between entries",
        _doc(_entry(1) + "<?bank page-break?>" + _entry(2)),
        True,
    )
    yield (
        "prefix declared on the statement",
        _doc(
            "".join(_entry(n, name="c:Ntry") for n in range(1, 4)) + _entry(4),
        ).replace(b"<Stmt>", f'<Stmt xmlns:c="{NS}">'.encode()),
        True,
    )
    yield (
        "prefixed attribute declared on the root",
        _doc(
            _entry(1, '<AcctSvcrRef xsi:nil="true"/>') + _entry(2),
            root_attributes=f'xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        ),
        True,
    )
    yield (
        "prefixed root",
        _doc(plain, root_attributes=f'xmlns:c="{NS}"')
        .replace(b"<", b"<c:")
        .replace(b"<c:/", b"</c:")
        .replace(b"<c:?", b"<?")
        .replace(b"<c:!", b"<!"),
        False,
    )
    yield (
        "two statements",
        _doc(_entry(1) + _entry(2) + "</Stmt><Stmt><Id>S2</Id>" + _entry(3) + _entry(4)),
        True,
    )
    yield (
        "another element between entries",
        _doc(_entry(1) + "<Bank>x</Bank>" + _entry(2) + "<Stmt><Id>inner</Id></Stmt>" + _entry(3)),
        True,
    )
    yield (
        "entity from a DOCTYPE",
        _doc(_entry(1, "<AddtlNtryInf>&bank;</AddtlNtryInf>") + _entry(2)).replace(
            b"<Document", b'<!DOCTYPE Document [<!ENTITY bank "BANQUE">]>\n<Document', 1
        ),
        False,
    )
    yield (
        "8-bit encoding",
        _doc(_entry(1, "<AddtlNtryInf>Frais bancaires é</AddtlNtryInf>") + _entry(2))
        .decode()
        .replace("UTF-8", "ISO-8859-1")
        .encode("latin-1"),
        False,
    )
    yield (
        "malformed entry after good ones",
        _doc(_entry(1) + _entry(2) + _entry(3).replace("</Amt>", "</Amount>") + _entry(4)),
        True,
    )
    yield "truncated file", _doc(plain)[:-300], True
    yield (
        "entry with an end tag written with a blank",
        _doc(_entry(1).replace("</Ntry>", "</Ntry >") + _entry(2)),
        True,
    )


@pytest.mark.parametrize(
    ("data", "batched"), [(d, b) for _, d, b in _cases()], ids=[c for c, _, _ in _cases()]
)
def test_tricky_documents_read_the_same(
    data: bytes, batched: bool, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, plain = _both(data, monkeypatch)
    assert fast == plain
    assert (_batches_used(data) > 0) == batched


def test_plain_entries_are_batched_and_read() -> None:
    data = _doc("".join(_entry(n) for n in range(1, 200)))
    assert _batches_used(data) >= 1
    parsed = camt.parse_stream(io.BytesIO(data), "t.xml")
    entries = parsed.statements[0].entries
    assert [e.amount_cents for e in entries] == [n * 100 for n in range(1, 200)]
    assert entries[41].transactions[0].counterparty_name == "Payer 42"


def test_line_numbers_of_errors_after_a_batch_are_those_of_the_file() -> None:
    body = "".join(_entry(n) for n in range(1, 50)) + "<Bad></Stmt>"
    data = _doc(body)
    line = data[: data.index(b"<Bad>")].count(b"\n") + 1
    with pytest.raises(StatementParseError) as info:
        camt.parse_stream(io.BytesIO(data), "t.xml")
    assert info.value.location == f"line {line}"


_SAMPLES_BYTES = [p.read_bytes() for p in [*OWN, *CAMT_SAMPLES]] + [d for _, d, _ in _cases()]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_camt_files_read_the_same(data: st.DataObject) -> None:
    original = bytearray(data.draw(st.sampled_from(_SAMPLES_BYTES)))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(original) - 1))
        snippet = data.draw(
            st.sampled_from([b"<", b">", b"</Ntry>", b"<Ntry>", b"<!--", b"-->", b"x", b":", b""])
        )
        original[at : at + data.draw(st.integers(0, 3))] = snippet
    mutated = bytes(original)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(camt_batches, "BATCH_BYTES", 500)
        m.setattr(camt_batches, "_READ_BYTES", 61)
        batched = _outcome(mutated)
        m.setattr(camt_source, "USE_BATCHES", False)
        plain = _outcome(mutated)
    if isinstance(batched, str) and isinstance(plain, str):
        # Both refused. Which of a garbled file's faults is met first may
        # differ (the reader looks at how far the parser got when the first
        # event arrives, and a run parsed apart is read before iterparse
        # finishes the document around it); refusing is what matters.
        return
    assert batched == plain
