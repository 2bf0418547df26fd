"""What the embedded emulator's memory holds after a month (issue 12's memory target).

Two steps, each in a process of its own:

``run``
    starts the platform as ``bench-platform`` does, loads ``--leases`` leases and their
    rent calls and books one month through it (``bench_platform._month``), samples the
    *platform process's own* VmRSS (the emulator's; the Lambda workers are its children
    and are not counted) every half second, reports its peak and its RSS once the month
    is booked, and stops the platform (its final snapshot stays in ``--state-dir``);
``restore``
    loads that snapshot into an emulator started in this process, one table and one
    bucket at a time, under ``tracemalloc``: the bytes each part holds in the emulator
    (items, index maps, object bodies), counted by the same code paths the platform uses
    (BatchWriteItem, PutObject over HTTP), and the process's VmRSS after each part.

The difference between the platform's RSS after the month and the restored emulator's is
what the requests left behind (per-request garbage, allocator fragmentation, threads),
not data. Usage::

    uv run --frozen --all-extras python -m bench.platform.emulator_memory run \\
        --leases 10000 --state-dir /tmp/emumem/s10k
    uv run --frozen --all-extras python -m bench.platform.emulator_memory restore \\
        --state-dir /tmp/emumem/s10k
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.platform.bench_platform import Options, Result, RssSampler, _month, _rss_kb


def run_month(leases: int, state_dir: Path) -> dict[str, Any]:
    from infra.local.launcher import BARE, start_platform_process

    platform = start_platform_process(state_dir, *BARE, timeout=300)
    pid = platform.process.pid
    sampler = RssSampler(pid, children=False)
    sampler.start()
    result = Result(leases)
    try:
        _month(Options(leases, ("month",)), result, state_dir, platform.endpoints)
        time.sleep(2)  # the last answers and snapshots settle
        after = _rss_kb(pid)
    finally:
        sampler.done.set()
        sampler.join(5)
        hwm = _rss_kb(pid, "VmHWM")
        platform.stop()
    out = {
        "leases": leases,
        "payments": result.payments,
        "booking_rate": round(result.booking_rate, 1),
        "emulator_rss_after_month_mb": round(after / 1024, 1),
        "emulator_peak_rss_mb": round(max(sampler.peak_kb, hwm) / 1024, 1),
        "stages": {s.name: round(s.seconds, 2) for s in result.stages},
    }
    (state_dir / "emulator_memory_run.json").write_text(json.dumps(out, indent=2))
    return out


def _mb(n: float) -> float:
    return round(n / 1e6, 1)


def restore(state_dir: Path) -> dict[str, Any]:
    from infra.local.emulator import Emulator
    from infra.local.resources import create_resources
    from infra.local.state import StateStore

    emulator = Emulator()
    url = emulator.start()
    resources = create_resources(url)
    store = StateStore(state_dir)
    data_dir = store._data_dir()
    gc.collect()
    base_rss = _rss_kb(_self_pid())
    tracemalloc.start(1)
    parts: list[dict[str, Any]] = []

    def measured(kind: str, name: str, load: Any) -> None:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        rss = _rss_kb(_self_pid())
        count = load()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        parts.append({
            "part": f"{kind} {name}",
            "count": count,
            "held_mb": _mb(held),
            "bytes_each": round(held / count) if count else 0,
            "rss_delta_mb": round((_rss_kb(_self_pid()) - rss) / 1024, 1),
        })  # fmt: skip
        print(json.dumps(parts[-1]), file=sys.stderr, flush=True)

    for logical_id, name in resources.tables.items():
        path = data_dir / "tables" / f"{logical_id}.jsonl"
        if path.exists():
            measured(
                "table", logical_id, lambda n=name, p=path: _load_table(store, resources, n, p)
            )
    for logical_id, name in resources.buckets.items():
        path = data_dir / "buckets" / f"{logical_id}.json"
        if path.exists():
            measured(
                "bucket", logical_id, lambda n=name, p=path: store._restore_bucket(resources, n, p)
            )
    tracemalloc.stop()
    emulator.stop()
    return {
        "state_dir": str(state_dir),
        "rss_before_mb": round(base_rss / 1024, 1),
        "rss_after_mb": round(_rss_kb(_self_pid()) / 1024, 1),
        "parts": parts,
    }


def _load_table(store: Any, resources: Any, name: str, path: Path) -> int:
    """Restore a table, then query each of its secondary indexes once: the emulator
    builds an index's map on its first query (``dynamo_query``)."""
    count: int = store._restore_table(resources, name, path)
    dynamodb = resources.client("dynamodb")
    table = dynamodb.describe_table(TableName=name)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    for index in table.get("GlobalSecondaryIndexes", []):
        key = next(k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "HASH")
        value = "0" if types[key] == "N" else "-"
        dynamodb.query(
            TableName=name,
            IndexName=index["IndexName"],
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": key},
            ExpressionAttributeValues={":v": {types[key]: value}},
        )
    return count


def _self_pid() -> int:
    import os

    return os.getpid()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="emulator-memory", description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("run", "restore"))
    ap.add_argument("--leases", type=int, default=10_000)
    ap.add_argument("--state-dir", type=Path, required=True)
    args = ap.parse_args(argv)
    out = run_month(args.leases, args.state_dir) if args.step == "run" else restore(args.state_dir)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
