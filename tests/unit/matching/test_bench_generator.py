"""The matching benchmark's generator makes every kind issue 13 names, and a small run of it
through the production parsers and matcher books nothing wrong."""

from __future__ import annotations

from collections import Counter

from bench.matching.bench_match import run_accuracy
from bench.matching.generate import month, portfolio

KINDS = (
    "guardian, adult named in the text",
    "former tenant, arrears",
    "new payer, name + amount, as banks print it",
    "lease number in text",
    "new payer, name + amount",
    "unknown third party",
)


def test_the_generator_makes_the_new_kinds_with_their_variety() -> None:
    p = portfolio(3_000, seed=11)
    m = month(p, seed=12)
    cases = Counter(t.case for t in m.truth.values())
    for kind in KINDS:
        assert cases[kind] > 0, kind
    assert any(lid.isdigit() for lid in p.profiles)  # numeric lease numbers
    assert any("née" in t.name for lease in p.leases for t in lease.tenants)
    names = {t.counterparty_name or "" for t in m.statement + m.cfonb + m.mt940}
    assert any(n.startswith(("UDAF", "ATI")) or "MJPM" in n for n in names)
    assert any(n.startswith(("M. ou Mme", "Mlle", "MR ")) for n in names)
    texts = {t.remittance or "" for t in m.statement + m.cfonb + m.mt940}
    assert any(x.startswith(("BAIL", "CT-", "L ")) for x in texts)


def test_a_small_benchmark_run_books_nothing_wrong() -> None:
    by_cat, _, _ = run_accuracy(1_500, 5)
    assert sum(t.wrong for t in by_cat.values()) == 0
    for strong in ("vIBAN", "RF reference", "direct debit"):
        assert by_cat[strong].automatic == by_cat[strong].count
    generic = by_cat["generic IBAN"]
    assert generic.automatic >= 0.85 * generic.count
