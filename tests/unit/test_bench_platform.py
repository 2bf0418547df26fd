"""The platform benchmark's generator and report on a tiny portfolio (no platform)."""

from __future__ import annotations

from pathlib import Path

from bench.matching.generate import month, portfolio
from bench.platform.bench_platform import (
    BEGIN,
    END,
    Result,
    Stage,
    bank_files,
    bodies,
    chunks,
    percentile,
    report,
    write_docs,
)
from functions.api.requests import lease_from_body, rent_call_from_body
from functions.core.lease import rf_reference_for_viban
from functions.core.transactions import bank_transactions
from functions.core.viban import VirtualIbanRange
from functions.ingest.parsers import parse_bytes


def test_the_bulk_bodies_are_what_the_api_accepts() -> None:
    p = portfolio(60)
    leases, calls = bodies(p)
    assert len(leases) == 60 and 0 < len(calls) <= 60
    parsed = [lease_from_body("org-bench", x["lease_id"], x) for x in leases]
    assert {x.payment_method.value for x in parsed} == {"transfer", "direct_debit"}
    assert any(x.household_id for x in parsed) and any(x.payer_ibans for x in parsed)
    for call in calls:
        rent_call_from_body("org-bench", call)
    assert [len(c) for c in chunks(list(range(2500)), 1000)] == [1000, 1000, 500]  # type: ignore[arg-type]


def test_the_bank_files_carry_the_platforms_vibans_and_parse_back() -> None:
    p = portfolio(60)
    m = month(p)
    platform_range = VirtualIbanRange("30004", "00821", "57")
    vibans = {x.viban: platform_range.iban_for(10_000 + i) for i, x in enumerate(p.leases)}
    files = bank_files(p, m, vibans)
    assert [name for name, _, _ in files] == ["camt054_bench.xml", "camt053_bench.xml"]
    seen = []
    for name, raw, count in files:
        txs = list(bank_transactions("org-bench", parse_bytes(raw, name), name))
        assert len(txs) == count > 0
        seen += txs
    credited = {t.creditor_account_iban for t in seen} - {None, p.org.collection_iban}
    assert credited and credited <= set(vibans.values())
    old_rfs = {rf_reference_for_viban(v) for v in vibans}
    assert not any(t.structured_reference in old_rfs for t in seen)
    assert any(t.mandate_id for t in seen)


def test_the_report_marks_targets_and_replaces_only_its_section(tmp_path: Path) -> None:
    r = Result(10, load="2 cores", ceiling=900.0, payments=10, booking_rate=300.0)
    r.stages = [
        Stage("POST /v1/leases/bulk", 1000, 1.0),
        Stage("POST /v1/rent-calls/bulk", 10, 1.0),
    ]
    r.max_bulk_call_s, r.idempotent_bulk, r.peak_rss_mb = 1.2, "works", 400.0
    r.latency_p95_ms, r.imports = 50.0, {"functions.api.app": 0.9}
    text = report(r)
    assert "| POST /v1/leases/bulk | 1,000 | 1.00 | 1,000.0 |  |" in text
    assert "| /v1/leases/bulk ≥ 500 items/s | ✔ |" in text
    assert "| /v1/rent-calls/bulk ≥ 500 items/s | ✘ |" in text
    assert "(450/s) | ✘ |" in text  # 300/s is under half of the 900/s ceiling
    assert "| each handler's cold import < 700 ms | ✘ |" in text
    assert percentile([0.3, 0.1, 0.2], 0.95) == 0.3 and percentile([], 0.95) == 0.0

    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n## Matching\n\nkept\n", encoding="utf-8")
    write_docs("first", 10, docs=docs)
    write_docs("second", 10, docs=docs)
    out = docs.read_text(encoding="utf-8")
    assert out.count(BEGIN) == 1 and out.count(END) == 1
    assert "## Matching\n\nkept" in out and "second" in out and "first" not in out
