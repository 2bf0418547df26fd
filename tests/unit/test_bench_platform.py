"""The platform benchmark's generator and report on a tiny portfolio (no platform)."""

from __future__ import annotations

from pathlib import Path

from bench.matching.generate import month, portfolio
from bench.platform.bench_platform import (
    BEGIN,
    END,
    MONTH_STAGE,
    Baseline,
    Result,
    Stage,
    bank_files,
    bodies,
    chunks,
    read_baseline,
    report,
    write_docs,
)
from bench.platform.extra import (
    ParseMeasure,
    collection_file,
    dd_leases,
    dd_organisation,
    history_items,
)
from bench.platform.latency import percentile
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
        Stage(MONTH_STAGE, 10, 0.5),
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
    assert out.count(BEGIN.format(10)) == 1 and out.count(END.format(10)) == 1
    assert "## Matching\n\nkept" in out and "second" in out and "first" not in out
    # each size keeps its own section; a run with history is a size of its own
    write_docs("big", 50_000, docs=docs)
    write_docs("big with history", 50_000, docs=docs, history=12)
    write_docs("third", 10, docs=docs)
    out = docs.read_text(encoding="utf-8")
    assert "third" in out and "second" not in out and "big\n" in out and "big with history" in out
    assert "(issue 12, `make bench-platform`, 50,000 leases, 12 months of history)" in out
    assert out.index("third") < out.index("big\n") < out.index("big with history")


def test_the_flat_cost_baseline_is_kept_across_runs(tmp_path: Path) -> None:
    """The 1,000-lease run leaves its time per payment; a later run of another size
    keeps it and prints its ratio against it."""
    docs = tmp_path / "benchmarks.md"
    write_docs("1,000 leases", 1000, docs=docs, baseline=Baseline(40.0, 1000, "2026-12-03"))
    write_docs("50,000 leases", 50_000, docs=docs, history=12)
    assert read_baseline(docs) == Baseline(40.0, 1000, "2026-12-03")
    write_docs("1,000 leases, no month", 1000, docs=docs)
    assert read_baseline(docs) == Baseline(40.0, 1000, "2026-12-03")
    assert docs.read_text(encoding="utf-8").count("bench-platform:baseline") == 1
    r = Result(50_000, history_months=12, baseline=read_baseline(docs))
    r.stages = [Stage(MONTH_STAGE, 1000, 50.0)]
    assert r.ms_per_payment == 50.0 and r.flat_ratio == 1.25
    text = report(r)
    assert "50.0 ms per payment vs 40.0 ms, 1.25×) | ✔ |" in text
    r.stages = [Stage(MONTH_STAGE, 1000, 60.0)]
    assert "1.50×) | ✘ |" in report(r)
    # a target whose stage did not run is neither met nor missed
    assert "| CLI parse --summary ≥ 0.5 of raw iterparse and < 100 MB | — |" in text


def test_the_parse_target_reads_the_ratio_and_the_peak() -> None:
    r = Result(10)
    r.parse = ParseMeasure(100_000, 128.0, 20.0, 32.0, 11.0, 17.0, "/usr/bin/time")
    assert "| CLI parse --summary ≥ 0.5 of raw iterparse and < 100 MB | ✔ |" in report(r)
    r.parse = ParseMeasure(100_000, 128.0, 30.0, 112.0, 12.0, 17.0, "/usr/bin/time")
    assert "| CLI parse --summary ≥ 0.5 of raw iterparse and < 100 MB | ✘ |" in report(r)


def test_the_collection_day_file_holds_one_collection_per_direct_debit_lease() -> None:
    leases, payers = dd_leases(40)
    assert len(leases) == 40 and all(x.mandate_id for x in leases)
    org = dd_organisation(portfolio(1))
    assert org.org_id != portfolio(1).org.org_id
    parsed = parse_bytes(collection_file(org, leases, payers), "day.xml")
    txs = list(bank_transactions(org.org_id, parsed, "day.xml"))
    assert {t.mandate_id for t in txs} == {x.mandate_id for x in leases}
    assert all(t.bank_transaction_code == "PMNT-RDDT-ESDD" for t in txs)


def test_the_history_is_decided_and_acknowledged() -> None:
    p = portfolio(30)
    items = list(history_items(p.org, p.leases, 2))
    txs = [i for role, i in items if role == "transactions"]
    assert txs and all(i["status"] == "allocated" for i in txs)
    entries = [i for role, i in items if role == "entries"]
    assert entries and not any("pending_org" in i for i in entries)
