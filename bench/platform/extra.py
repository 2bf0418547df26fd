"""The parts of ``make bench-platform`` beyond the month (issue 12).

- the CLI parse: ``encaisse statement parse FILE --summary`` on a generated 100,000-entry
  camt.053 of ~128 MB against a raw ``lxml.etree.iterparse`` count of the same file, both
  timed as whole processes (wall time and peak RSS from ``/usr/bin/time``);
- the collection day: a second organisation whose leases are all paid by direct debit and
  one camt.054 of their collections (25,000 by default), rendered by the repo's renderer;
- the history: months of rent calls and payments for every lease, written straight into the
  platform's tables with the adapters' own serialisers (the bulk API loads rent calls only,
  and a year of them for 50,000 leases at 500/s would take 20 minutes by itself).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.matching.generate import MONTH, Portfolio, portfolio
from functions.core.lease import Lease, PaymentMethod
from functions.core.organisation import Organisation
from functions.core.statements import Balance, Entry, Statement, Transaction
from functions.core.viban import VirtualIbanRange
from functions.ingest.parsers.render import render_camt

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- the CLI parse

_RAW = """
import sys
from lxml import etree
n = 0
for _, el in etree.iterparse(sys.argv[1], tag="{*}Ntry"):
    n += 1
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
print(n)
"""


@dataclass
class ParseMeasure:
    entries: int
    size_mb: float
    cli_s: float
    cli_peak_mb: float
    raw_s: float
    raw_peak_mb: float
    how: str

    @property
    def ratio(self) -> float:
        """The CLI's speed as a share of raw iterparse's (1.0: as fast)."""
        return self.raw_s / self.cli_s if self.cli_s else 0.0


def _timed(argv: list[str], out: Path) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of one whole process, and what measured them."""
    timer = shutil.which("time") or "/usr/bin/time"
    if Path(timer).exists():
        stats = out.with_suffix(".time")
        cmd = [timer, "-f", "%e %M", "-o", str(stats), *argv]
        with out.open("wb") as sink:
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=sink)  # noqa: S603
        seconds, kb = stats.read_text().split()[-2:]
        return float(seconds), int(kb) / 1024, "/usr/bin/time"
    t0 = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=sink)  # noqa: S603
        _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise RuntimeError(f"{argv}: exit status {status}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, "wait4"


def measure_cli_parse(entries: int = 100_000, runs: int = 2) -> ParseMeasure:
    """Best of ``runs`` (the machine is shared) for each command, the highest peak."""
    from bench.parsers.bench_parsers import _statement, _write_camt

    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        path = Path(tmp) / "statement.camt053.xml"
        _write_camt(path, _statement(entries))
        cli = [sys.executable, "-m", "infra.local.cli", "statement", "parse", str(path)]
        raw = [sys.executable, "-c", _RAW, str(path)]
        best = {"cli": (float("inf"), 0.0), "raw": (float("inf"), 0.0)}
        how = ""
        for _ in range(runs):
            for name, argv in (("cli", [*cli, "--summary"]), ("raw", raw)):
                out = Path(tmp) / f"{name}.out"
                seconds, peak, how = _timed(argv, out)
                best[name] = (min(best[name][0], seconds), max(best[name][1], peak))
            summary = json.loads((Path(tmp) / "cli.out").read_text())
            counted = int((Path(tmp) / "raw.out").read_text())
            read = sum(s["entries"] for s in summary["statements"])
            if read != entries or counted != entries:
                raise RuntimeError(f"parse: the CLI read {read}, iterparse {counted} of {entries}")
        return ParseMeasure(
            entries,
            path.stat().st_size / 1e6,
            best["cli"][0],
            best["cli"][1],
            best["raw"][0],
            best["raw"][1],
            how,
        )


# ---------------------------------------------------------------- the collection day

DD_ORG_ID = "org-bench-dd"


def dd_organisation(p: Portfolio) -> Organisation:
    """A second landlord, its own vIBAN range and collection account."""
    rng = p.org.viban_range
    return replace(
        p.org,
        org_id=DD_ORG_ID,
        name="Bench Prélèvements",
        collection_iban=VirtualIbanRange(rng.bank_code, rng.branch_code, "01").iban_for(4_200_018),
        viban_range=replace(rng, account_prefix="58"),
    )


def dd_leases(count: int) -> tuple[list[Lease], dict[str, tuple[str, str | None]]]:
    """``count`` current direct-debit leases from the portfolio generator (renamed so that
    their ids and mandates are their own), with each lease's payer name and IBAN."""
    size = int(count * 2.6) + 100
    while True:
        p = portfolio(size)
        chosen = [
            (x, p.profiles[x.lease_id])
            for x in p.leases
            if x.payment_method is PaymentMethod.DIRECT_DEBIT and x.end_date is None
        ]
        if len(chosen) >= count:
            break
        size = int(size * 1.3)
    leases: list[Lease] = []
    payers: dict[str, tuple[str, str | None]] = {}
    for lease, prof in chosen[:count]:
        renamed = replace(
            lease, lease_id=f"DD-{lease.lease_id}", mandate_id=f"DD{lease.mandate_id}"
        )
        leases.append(renamed)
        payers[renamed.lease_id] = (f"{prof.surname} {prof.first}".upper(), prof.own_iban)
    return leases, payers


def collection_file(
    org: Organisation, leases: list[Lease], payers: dict[str, tuple[str, str | None]]
) -> bytes:
    """One camt.054 of a collection per lease, booked on the 5th."""
    day = MONTH.replace(day=5)
    entries = []
    for n, lease in enumerate(leases):
        name, iban = payers[lease.lease_id]
        tx = Transaction(
            amount_cents=lease.monthly_due_cents,
            counterparty_name=name,
            counterparty_iban=iban,
            end_to_end_id=f"SDD-DAY-{n:08d}",
            mandate_id=lease.mandate_id,
        )
        entries.append(
            Entry(
                tx.amount_cents,
                "EUR",
                day,
                day,
                bank_reference=f"CD{n:09d}",
                bank_transaction_code="PMNT-RDDT-ESDD",
                transactions=(tx,),
            )
        )
    total = sum(e.amount_cents for e in entries)
    statement = Statement(
        "NTF-DAY", org.collection_iban, None, "EUR", Balance(0, day), Balance(total, day),
        tuple(entries),
    )  # fmt: skip
    return render_camt([statement], "054")


# ---------------------------------------------------------------- the history


@dataclass
class History:
    items: int = 0
    seconds: float = 0.0


def _months_before(count: int) -> list[date]:
    """The first day of each of the ``count`` months before the benchmark's month."""
    out, day = [], MONTH
    for _ in range(count):
        day = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        out.append(day)
    return out


def history_items(
    org: Organisation, leases: list[Lease], months: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table role, item) of ``months`` months per lease: the rent call's ledger line, the
    payment's transaction (decided), its ledger line and accounting entry (acknowledged by
    the ERP), decided and booked by the core as the match function would."""
    from functions.adapters.dynamo.booking import decision_to_item
    from functions.adapters.dynamo.entries import entry_to_item
    from functions.adapters.dynamo.ledger import ledger_line_to_item
    from functions.adapters.dynamo.transactions import transaction_to_item
    from functions.core.booking import plan_booking
    from functions.core.lease_index import LeaseIndex
    from functions.core.matching import decide
    from functions.core.transactions import BankTransaction, TransactionKind
    from functions.leases.service import RentCall, rent_call_line

    index = LeaseIndex(org.org_id, leases)
    now = datetime.now(UTC)
    for first in _months_before(months):
        period, due = first.strftime("%Y-%m"), first.replace(day=5)
        for n, lease in enumerate(leases):
            if lease.end_date is not None and lease.end_date < first:
                continue
            call = RentCall(org.org_id, lease.lease_id, f"rc-{period}-{n}", period, due,
                            lease.rent_cents, lease.charges_cents, lease.apl_cents)  # fmt: skip
            yield "ledger", ledger_line_to_item(rent_call_line(call, now))
            tx = BankTransaction(
                org_id=org.org_id, transaction_id=f"tx_hist_{period}_{n:07d}",
                kind=TransactionKind.CREDIT, amount_cents=call.total_cents, currency="EUR",
                booking_date=due, value_date=due, account_iban=org.collection_iban,
                statement_id=f"HIST-{period}", bank_reference=f"H{n:09d}",
                bank_transaction_code="PMNT-RCDT-ESCT", counterparty_name=None,
                counterparty_iban=None, creditor_account_iban=lease.viban,
                end_to_end_id=f"HIST-{period}-{n}", mandate_id=None, remittance=None,
                structured_reference=None, return_reason=None, original_end_to_end_id=None,
                reversal=False, file_id=f"history-{period}",
            )  # fmt: skip
            decision = decide(tx, index)
            booked = {x: found for x in decision.lease_ids if (found := index.get(x)) is not None}
            booking = plan_booking(org, tx, decision, booked, now)
            status = decision.outcome.value
            yield (
                "transactions",
                transaction_to_item(tx)
                | {
                    "status": status,
                    "org_status": f"{org.org_id}#{status}",
                    "decision": decision_to_item(decision, now),
                    "revision": 1,
                    "recorded_at": now.isoformat(),
                },
            )
            for line in booking.lines:
                yield "ledger", ledger_line_to_item(line)
            for entry in booking.entries:
                item = entry_to_item(entry)
                del item["pending_org"]  # acknowledged long ago
                yield (
                    "entries",
                    item | {"acknowledged_at": now.isoformat(), "acknowledged_by": "bench"},
                )


HISTORY_CLIENTS = 4
"""Clients writing the history at once (one alone left the platform idle between calls)."""


def load_history(
    endpoints: dict[str, Any], org: Organisation, leases: list[Lease], months: int
) -> History:
    """Write the history with BatchWriteItem (25 items a call) to the platform's endpoint,
    from :data:`HISTORY_CLIENTS` clients; the next chunk is made while one is written."""
    import threading
    from concurrent.futures import ThreadPoolExecutor, wait

    import boto3

    from functions.adapters.dynamo.base import batch_write, to_ddb

    env = endpoints["environment"]
    tables = {
        "ledger": env["LEDGER_TABLE"],
        "transactions": env["TRANSACTIONS_TABLE"],
        "entries": env["ENTRIES_TABLE"],
    }
    local = threading.local()

    def write(table: str, requests: list[dict[str, Any]]) -> None:
        if not hasattr(local, "ddb"):
            local.ddb = boto3.client(
                "dynamodb",
                endpoint_url=endpoints["aws_endpoint_url"],
                region_name=endpoints["region"],
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 (the emulator takes any)
            )
        batch_write(local.ddb, table, requests)

    done = History()
    t0 = time.perf_counter()
    items = history_items(org, leases, months)
    with ThreadPoolExecutor(HISTORY_CLIENTS) as pool:
        running: list[Any] = []
        while chunk := list(itertools.islice(items, 2_500)):
            by_table: dict[str, list[dict[str, Any]]] = {}
            for role, item in chunk:
                by_table.setdefault(role, []).append({"PutRequest": {"Item": to_ddb(item)}})
            for f in wait(running).done:
                f.result()  # a failed write stops the load
            running = [
                pool.submit(write, tables[role], requests[i : i + 25])
                for role, requests in by_table.items()
                for i in range(0, len(requests), 25)
            ]
            done.items += len(chunk)
            if done.items % 250_000 < len(chunk):
                print(f"  history: {done.items:,} items made", file=sys.stderr, flush=True)
        for f in wait(running).done:
            f.result()
    done.seconds = time.perf_counter() - t0
    return done
