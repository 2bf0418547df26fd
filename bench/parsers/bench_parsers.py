"""Statement parser benchmark: entries/s and peak memory per format.

    uv run python -m bench.parsers.bench_parsers [--entries 100000] [--write-docs]

Generates one file per format with ``functions.ingest.parsers.render``
(~0.9 KB per camt entry), then times each parser in a fresh subprocess so
that the peak resident size (``VmHWM``) is that measurement's own. Reference points: raw
``lxml.etree.iterparse`` counting ``Ntry`` elements, and the PyPI libraries
``camt053``, ``mt-940`` and ``python-cfonb`` when installed (otherwise the
table says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from functions.core.statements import Balance, Entry, Statement, Transaction
from functions.ingest.parsers import render

ACCOUNT = "FR7630004000031234567890143"


def _statement(count: int) -> Statement:
    entries = []
    for i in range(count):
        amount = 61250 + i if i % 5 else -(1200 + i)
        tx = Transaction(
            amount_cents=amount,
            counterparty_name=f"Locataire {i} Dupont-Martin",
            counterparty_iban="FR1420041010050500013M02606",
            creditor_account_iban=ACCOUNT if amount > 0 else None,
            end_to_end_id=f"LOYER-{i:08d}-2024-03",
            remittance=f"LOYER MARS 2024 LOGEMENT {i} RESIDENCE LES TILLEULS BAT C",
            structured_reference="RF18539007547034" if amount > 0 else None,
        )
        entries.append(
            Entry(
                amount_cents=amount,
                currency="EUR",
                booking_date=date(2024, 3, 5),
                value_date=date(2024, 3, 5),
                bank_reference=f"BQ{i:014d}",
                bank_transaction_code="PMNT-RCDT-ESCT" if amount > 0 else "PMNT-IDDT-ESDD",
                transactions=(tx,),
            )
        )
    return Statement(
        "BENCH-1",
        ACCOUNT,
        None,
        "EUR",
        Balance(0, date(2024, 3, 4)),
        Balance(sum(e.amount_cents for e in entries), date(2024, 3, 5)),
        tuple(entries),
    )


def generate(folder: Path, count: int) -> dict[str, Path]:
    statement = _statement(count)
    files = {
        "camt": folder / "bench.camt053.xml",
        "mt940": folder / "bench.sta",
        "cfonb120": folder / "bench.cfonb120.txt",
    }
    files["camt"].write_bytes(render.render_camt([statement], "053"))
    mt940 = _statement(count)
    files["mt940"].write_bytes(render.render_mt940([mt940]))
    # CFONB statements are daily: split into blocks of 1,000 operations.
    blocks = [
        Statement(
            None,
            ACCOUNT,
            None,
            "EUR",
            Balance(0, date(2024, 3, 4)),
            Balance(0, date(2024, 3, 5)),
            statement.entries[i : i + 1000],
        )
        for i in range(0, count, 1000)
    ]
    files["cfonb120"].write_bytes(render.render_cfonb120(blocks))
    return files


# Each measurement runs this code in a fresh interpreter and prints JSON.
_MEASURE = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if kind == "ours":
    from functions.ingest.parsers import parse_file
    parsed = parse_file(path)
    n = sum(len(s.entries) for s in parsed.statements)
elif kind == "raw-iterparse":
    from lxml import etree
    n = 0
    for _, el in etree.iterparse(path, tag="{*}Ntry"):
        n += 1
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
elif kind == "mt-940":
    import mt940
    n = sum(1 for _ in mt940.parse(path))
elif kind == "python-cfonb":
    from cfonb import StatementReader
    with open(path) as f:
        n = sum(len(s.lines) for s in StatementReader().parse(f))
elif kind == "camt053":
    import camt053
    doc = camt053.parse(path)
    n = sum(len(s.entries) for s in doc.statements)
seconds = time.perf_counter() - start
# VmHWM belongs to this process image; ru_maxrss would carry the parent's
# peak across fork and exec.
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
peak_mb = (int(peak[0].split()[1]) if peak else
           resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
print(json.dumps({"entries": n, "seconds": seconds, "peak_mb": peak_mb}))
"""


def measure(kind: str, path: Path) -> dict[str, float] | str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _MEASURE, kind, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["failed"])[-1]
        return "not installed" if "ModuleNotFoundError" in last else f"failed: {last[:80]}"
    data: dict[str, float] = json.loads(result.stdout)
    return data


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="replace the 'Statement parsers' section of docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp), args.entries)
        plan = [
            ("camt.053", "ours", files["camt"]),
            ("camt.053", "raw-iterparse", files["camt"]),
            ("camt.053", "camt053", files["camt"]),
            ("MT940", "ours", files["mt940"]),
            ("MT940", "mt-940", files["mt940"]),
            ("CFONB 120", "ours", files["cfonb120"]),
            ("CFONB 120", "python-cfonb", files["cfonb120"]),
        ]
        for fmt, kind, path in plan:
            size_mb = path.stat().st_size / 1e6
            outcome = measure(kind, path)
            if isinstance(outcome, str):
                rows.append(f"| {fmt} | {kind} | {size_mb:.0f} MB | {outcome} | | |")
            else:
                rate = outcome["entries"] / outcome["seconds"]
                rows.append(
                    f"| {fmt} | {kind} | {size_mb:.0f} MB | {outcome['entries']:.0f} | "
                    f"{rate:,.0f} | {outcome['peak_mb']:.0f} MB |"
                )
            print(rows[-1], flush=True)
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")),
        platform.processor() or "cpu",
    )
    python = platform.python_version()
    machine = f"{platform.machine()} {cpu}, {os.cpu_count()} cores, Python {python}"
    table = "\n".join(
        [
            "## Statement parsers",
            "",
            f"`python -m bench.parsers.bench_parsers --entries {args.entries}` on {machine}.",
            "Each row is a fresh process; peak is its `VmHWM` (interpreter included).",
            "",
            "| format | parser | file | entries | entries/s | peak |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    if args.write_docs:
        docs = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
        text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n\n"
        head, sep, rest = text.partition("## Statement parsers")
        tail = rest[rest.find("\n## ") :] if sep and "\n## " in rest else ""
        docs.write_text(head.rstrip() + "\n\n" + table + tail, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
