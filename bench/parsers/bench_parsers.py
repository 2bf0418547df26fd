"""Statement parser benchmark: entries/s and peak memory per format.

    uv run python -m bench.parsers.bench_parsers [--entries 100000] [--no-write-docs]

Generates one file per format with ``functions.ingest.parsers.render``
(camt entries padded with what real French bank files carry and we do not
read: postal addresses, agents' BICs, payment ids, purpose, additional
information, to ~1.2 KB per entry), then times each parser in a fresh
subprocess so that the peak resident size (``VmHWM``) is that measurement's
own. Each measurement runs ``--repeat`` times, in rounds (every parser
once per round, so what else the machine does weighs on all alike); the
table keeps the fastest run (the machine is shared, slower runs measure the neighbours) and the
highest peak. Reference points: raw ``lxml.etree.iterparse`` counting
``Ntry`` elements, and the PyPI libraries ``camt053`` (0.0.20: 0.0.23 pins a
certifi release PyPI does not have), ``mt-940`` and ``python-cfonb`` from the
``bench`` dependency group (``make bench``); without them the table says
"not installed".
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


def _realistic_camt_entry(entry: Entry, i: int) -> str:
    """A rendered ``Ntry`` with the elements a French bank adds that the
    parser skips (same schema order as camt.053.001.02)."""
    xml = render.camt_entry(entry, "053")
    xml = xml.replace(
        "</Cd></Fmly></Domn></BkTxCd>",
        "</Cd></Fmly></Domn><Prtry><Cd>0117</Cd><Issr>CFONB</Issr></Prtry></BkTxCd>",
        1,
    ).replace(
        "</SubFmlyCd></Fmly></Domn></BkTxCd>",
        "</SubFmlyCd></Fmly></Domn><Prtry><Cd>0117</Cd><Issr>CFONB</Issr></Prtry></BkTxCd>",
    )
    xml = xml.replace(
        "<Refs>",
        f"<Refs><AcctSvcrRef>SVC{i:012d}</AcctSvcrRef>"
        f"<PmtInfId>PMT{i:012d}</PmtInfId><InstrId>INS{i:012d}</InstrId>",
        1,
    ).replace("</Refs>", f"<TxId>TX{i:014d}</TxId></Refs>", 1)
    address = (
        "<PstlAdr><StrtNm>RUE DES TILLEULS</StrtNm><PstCd>69003</PstCd>"
        "<TwnNm>LYON</TwnNm><Ctry>FR</Ctry></PstlAdr>"
    )
    xml = xml.replace("</Nm></Dbtr>", f"</Nm>{address}</Dbtr>", 1).replace(
        "</Nm></Cdtr>", f"</Nm>{address}</Cdtr>", 1
    )
    xml = xml.replace(
        "</RltdPties>",
        "</RltdPties><RltdAgts><DbtrAgt><FinInstnId><BIC>CCBPFRPPLYO</BIC></FinInstnId>"
        "</DbtrAgt>"
        "</RltdAgts><Purp><Cd>RENT</Cd></Purp>",
        1,
    )
    xml = xml.replace(
        "</RmtInf>",
        "</RmtInf>",
        1,
    )
    return xml.replace(
        "</NtryDtls></Ntry>",
        "</NtryDtls><AddtlNtryInf>VIR SEPA RECU /DE LOCATAIRE /MOTIF LOYER MARS 2024"
        "</AddtlNtryInf></Ntry>",
        1,
    )


def _write_camt(path: Path, statement: Statement) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(render.camt_header("053"))
        out.write(render.camt_block_start(statement, "053"))
        for i, entry in enumerate(statement.entries):
            out.write(_realistic_camt_entry(entry, i))
        out.write(render.camt_block_end("053"))
        out.write(render.camt_footer("053"))


def generate(folder: Path, count: int) -> dict[str, Path]:
    statement = _statement(count)
    files = {
        "camt": folder / "bench.camt053.xml",
        "mt940": folder / "bench.sta",
        "cfonb120": folder / "bench.cfonb120.txt",
    }
    _write_camt(files["camt"], statement)
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
    # The streaming path the ingest uses: memory of one entry at a time.
    from functions.ingest.parsers import stream_file
    with open(path, "rb") as f:
        n = sum(1 for _ in stream_file(f, path).entries())
elif kind == "ours (whole file)":
    # parse_file keeps every entry: the model of the CLI and the tests.
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
    n = sum(len(s) for s in [mt940.parse(path)])
elif kind == "python-cfonb":
    from cfonb import StatementReader
    with open(path, encoding="iso-8859-1") as f:
        n = sum(len(s.lines) for s in StatementReader().parse(f))
elif kind == "camt053":
    import logging
    logging.disable(logging.INFO)  # it logs a JSON event per statement
    from camt053.parse.statement_parser import iter_statement_entries
    # Its streaming reader (bounded memory); it takes the XML as a str.
    with open(path, encoding="utf-8") as f:
        n = sum(1 for _ in iter_statement_entries(f.read()))
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


def best_of(runs: list[dict[str, float] | str]) -> dict[str, float] | str:
    """The fastest of the runs, with the highest peak of them."""
    failed = [r for r in runs if isinstance(r, str)]
    if failed:
        return failed[0]
    good = [r for r in runs if not isinstance(r, str)]
    best = dict(min(good, key=lambda r: r["seconds"]))
    best["peak_mb"] = max(r["peak_mb"] for r in good)
    return best


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


# (format, parser, file, reference for the ratio, target ratio, target text)
_PLAN = [
    ("camt.053", "ours", "camt", "raw-iterparse", 0.5, "≥ 50 % of raw iterparse"),
    ("camt.053", "ours (whole file)", "camt", "raw-iterparse", None, ""),
    ("camt.053", "raw-iterparse", "camt", None, None, "ceiling"),
    ("camt.053", "camt053", "camt", "raw-iterparse", None, ""),
    ("MT940", "ours", "mt940", "mt-940", 3.0, "≥ 3× mt-940"),
    ("MT940", "mt-940", "mt940", None, None, ""),
    ("CFONB 120", "ours", "cfonb120", "python-cfonb", 15.0, "≥ 15× python-cfonb"),
    ("CFONB 120", "python-cfonb", "cfonb120", None, None, ""),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    # On by default: `make bench` is documented as writing docs/benchmarks.md.
    parser.add_argument(
        "--write-docs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replace the 'Statement parsers' section of docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    results: dict[tuple[str, str], dict[str, float] | str] = {}
    sizes: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp), args.entries)
        # The generated files are written back to disk in the background for a
        # while: wait for that, then take the measurements in rounds (each
        # parser once per round) so that what else the machine does weighs on
        # every parser alike, not on whichever ran first.
        os.sync()
        runs: dict[tuple[str, str], list[dict[str, float] | str]] = {}
        for round_ in range(1, args.repeat + 1):
            for fmt, kind, file_key, *_ in _PLAN:
                path = files[file_key]
                sizes[fmt] = path.stat().st_size / 1e6
                run = measure(kind, path)
                runs.setdefault((fmt, kind), []).append(run)
                print(f"round {round_}", fmt, kind, run, flush=True)
        results = {key: best_of(value) for key, value in runs.items()}
    # How much runs of one parser differ: the machine's noise, said with the table.
    spreads = [
        max(r["seconds"] for r in good) / min(r["seconds"] for r in good) - 1
        for value in runs.values()
        if (good := [r for r in value if not isinstance(r, str)])
    ]
    spread = max(spreads, default=0.0)

    def rate(fmt: str, kind: str) -> float | None:
        r = results.get((fmt, kind))
        return None if r is None or isinstance(r, str) else r["entries"] / r["seconds"]

    rows = []
    verdicts = []
    camt_ours, camt_ref = rate("camt.053", "ours"), rate("camt.053", "camt053")
    for fmt, kind, _, ref, target, text in _PLAN:
        outcome = results[fmt, kind]
        head = f"| {fmt} | {kind} | {sizes[fmt]:.0f} MB |"
        if isinstance(outcome, str):
            rows.append(f"{head} {outcome} | | | |")
            continue
        mine, other = rate(fmt, kind), rate(fmt, ref) if ref else None
        ratio = ""
        if mine and other:
            ratio = f"{mine / other:.0%} of {ref}" if ref == "raw-iterparse" else ""
            ratio = ratio or f"{mine / other:.1f}× {ref}"
        rows.append(
            f"{head} {outcome['entries']:.0f} | {mine:,.0f} | {outcome['peak_mb']:.0f} MB "
            f"| {ratio} |"
        )
        if target and mine and other:
            met = mine / other >= target
            verdicts.append(f"{fmt} speed {text}: {'met' if met else '**not met**'}")
    if camt_ours and camt_ref:
        met = camt_ours / camt_ref >= 3
        verdicts.append(
            f"camt.053 speed ≥ 3× camt053: {camt_ours / camt_ref:.1f}×, "
            f"{'met' if met else '**not met**'}"
        )
    camt = results["camt.053", "ours"]
    if not isinstance(camt, str):
        met = camt["peak_mb"] < 100
        verdicts.append(
            f"camt.053 peak memory < 100 MB on the {sizes['camt.053']:.0f} MB file "
            f"(streaming path): {camt['peak_mb']:.0f} MB, {'met' if met else '**not met**'}"
        )
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
            f"`make bench` (`python -m bench.parsers.bench_parsers --entries {args.entries} "
            f"--repeat {args.repeat}`) on {machine}.",
            f"Generated files of {args.entries:,} entries (camt.053: "
            f"{sizes['camt.053'] * 1e3 / args.entries:.1f} KB per entry; CFONB: daily "
            "blocks of 1,000 operations). Each row is a fresh process, the fastest of "
            f"{args.repeat} runs taken in rounds (every parser once per round, after the "
            "files are synced to disk); peak is its `VmHWM` (interpreter included), the "
            f"highest of the runs (in this run, the slowest run of a parser took up to "
            f"{spread:.0%} longer than its fastest). `ours` is `stream_file` (what the "
            "ingest uses for large files, memory of one entry); "
            "`ours (whole file)` is `parse_file`, which keeps every entry in a `ParsedFile`. "
            "`camt053` is its streaming `iter_statement_entries` (0.0.20: 0.0.23 cannot be "
            "installed from PyPI without `--no-deps`).",
            "",
            "| format | parser | file | entries | entries/s | peak | ratio |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Targets (issue 3):",
            "",
            *[f"- {v}" for v in verdicts],
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
