"""The documents function's memory over many invocations, as its worker lives in a month.

``python -m bench.documents.bench_worker --quittances 1500``: the embedded emulator (in
this process) holds every resource of template.yaml, a landlord and N leases whose
period is paid (a rent call and a payment in the ledger). A child process, started like
the platform's worker for the function (its own environment, its own interpreter),
imports ``functions.documents.handler`` and calls its ``lambda_handler`` with SQS
events of quittance checks, as the match function sends them when it books payments:
every quittance is rendered, stored to S3 and recorded in DynamoDB by the real code.

The child prints its RSS and glibc's heap (``mallinfo2``: bytes in use and free) every
``--every`` quittances, then its peak RSS and CPU per quittance. Not run by any test
(its figures go in docs/benchmarks.md by hand).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

ORG_ID = "bench-docs"
PERIOD = "2026-11"


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


def _memory() -> dict[str, float]:
    with open("/proc/self/status", encoding="ascii") as f:
        status = dict(line.split(":", 1) for line in f)
    out = {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return out
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    out["heap_used"] = info.uordblks / 2**20
    out["heap_free"] = info.fordblks / 2**20
    return out


def _event(lease_ids: list[str]) -> dict[str, Any]:
    body = json.dumps({"org_id": ORG_ID, "quittance_checks": lease_ids})
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:notices",
                "awsRegion": "eu-west-3",
            }
        ]
    }


def child(count: int, per_message: int, every: int) -> int:
    """The worker's side: quittance checks through the real handler, memory sampled."""
    from functions.documents import handler

    lease_ids = [f"BQ-{n:06d}" for n in range(count)]
    print(json.dumps({"quittances": 0, **_memory()}), flush=True)
    cpu0 = time.process_time()
    done = 0
    for start in range(0, count, per_message):
        batch = lease_ids[start : start + per_message]
        answer = handler.lambda_handler(_event(batch), None)
        if answer.get("batchItemFailures"):
            raise SystemExit(f"the handler failed a message: {answer}")
        done += len(batch)
        if done % every < per_message or done == count:
            print(json.dumps({"quittances": done, **_memory()}), flush=True)
    cpu = time.process_time() - cpu0
    print(json.dumps({"done": done, "cpu_per_quittance_s": cpu / done, **_memory()}))
    return 0


def _seed(count: int) -> None:
    from functions.adapters.settings import Settings
    from functions.bootstrap import Composition
    from functions.core.address import PostalAddress
    from functions.core.lease import Lease, Tenant, rf_reference_for_viban
    from functions.core.ledger import LedgerLine, LineKind, payment_line_id
    from functions.core.organisation import Organisation
    from functions.core.viban import VirtualIbanRange
    from functions.leases.service import RentCall, rent_call_line

    root = Composition(Settings.from_env())
    rng = VirtualIbanRange("30004", "00821", "57", bic="BNPAFRPP")
    org = Organisation(
        ORG_ID, "Office Public de l'Habitat du Loiret", "FR7630004008210000000000155", rng,
        address=PostalAddress(("16 avenue de la Mouillère",), "45100", "Orléans"),
    )  # fmt: skip
    root.organisations.put(root.org_secrets.provision(org))
    now = datetime.now(UTC)
    leases, lines = [], []
    for n in range(count):
        viban = rng.iban_for(n)
        lease = Lease(
            ORG_ID, f"BQ-{n:06d}", (Tenant(f"Mme Locataire Numéro {n}"),), "Les Tilleuls",
            "Orléans", f"Bât. {n % 7}, apt {n % 300}", date(2024, 1, 1), 40_000 + n % 5_000,
            6_000 + n % 900, viban, rf_reference_for_viban(viban), apl_cents=(n % 3) * 7_500,
            postal_address=PostalAddress(
                (f"{n % 300} rue des Tilleuls",), f"{45000 + n % 900:05d}", "Orléans"
            ),
        )  # fmt: skip
        call = RentCall(
            ORG_ID, lease.lease_id, f"{lease.lease_id}:{PERIOD}", PERIOD, date(2026, 11, 5),
            lease.rent_cents, lease.charges_cents, lease.apl_cents,
        )  # fmt: skip
        debit = rent_call_line(call, now)
        paid = date(2026, 11, 4)
        lines += [
            debit,
            LedgerLine(
                ORG_ID, lease.lease_id, payment_line_id(paid, f"tx-{n}", lease.lease_id),
                LineKind.PAYMENT, paid, -debit.amount_cents, "Virement", f"tx-{n}", now,
            ),
        ]  # fmt: skip
        leases.append(lease)
    for start in range(0, count, 1_000):
        root.leases.put_many_new(leases[start : start + 1_000])
    for start in range(0, len(lines), 1_000):
        root.ledger.put_many_new(lines[start : start + 1_000])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quittances", type=int, default=1_500)
    ap.add_argument("--per-message", type=int, default=20, help="leases per quittance check")
    ap.add_argument("--every", type=int, default=100, help="quittances between samples")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the worker")
    args = ap.parse_args(argv)
    if args.child:
        return child(args.quittances, args.per_message, args.every)

    from infra.local.resources import in_process

    with in_process() as resources:
        t0 = time.perf_counter()
        _seed(args.quittances)
        print(f"seeded {args.quittances} paid leases in {time.perf_counter() - t0:.1f} s")
        function = resources.functions["DocumentsFunction"]
        env = {**os.environ, **function.environment}
        env.update(dict(x.split("=", 1) for x in args.env))
        return subprocess.call(  # noqa: S603 (this module, fixed arguments)
            [sys.executable, "-m", "bench.documents.bench_worker", "--child",
             "--quittances", str(args.quittances), "--per-message", str(args.per_message),
             "--every", str(args.every)],
            env=env,
        )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
