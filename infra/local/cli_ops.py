"""``encaisse sweep|redrive|check``: self-healing and the books' invariants, as an operator.

encaisse sweep [--older-than MIN]   re-drive transactions left new and inbox files never
                                    ingested (what the scheduled sweeper does), now
encaisse redrive [--queue NAME]     move dead-lettered messages back to their queue
encaisse check                      every allocation has its ledger lines, every balance
                                    equals its ledger, every entry has its source;
                                    exit 1 with a report when something is broken

With ``--org`` they act on that organisation only (``redrive`` has no organisation:
its queues are the platform's). They run here, against the platform's AWS endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from typing import Any

from functions.adapters.settings import Settings
from infra.local.client import load_endpoints, state_dir

# endpoints.json role → the environment variable the handlers read.
_ENV = {
    ("tables", "organisations"): "ORGANISATIONS_TABLE",
    ("tables", "leases"): "LEASES_TABLE",
    ("tables", "ledger"): "LEDGER_TABLE",
    ("tables", "transactions"): "TRANSACTIONS_TABLE",
    ("tables", "entries"): "ENTRIES_TABLE",
    ("tables", "files"): "FILES_TABLE",
    ("buckets", "inbox"): "INBOX_BUCKET",
    ("queues", "ingest"): "INGEST_QUEUE_URL",
    ("queues", "match"): "MATCH_QUEUE_URL",
}


def platform_settings(args: argparse.Namespace) -> Settings:
    """The settings of the running platform; the adapters' clients point at it."""
    from functions.adapters.aws import client

    endpoints = load_endpoints(state_dir(args.state_dir))
    if os.environ.get("AWS_ENDPOINT_URL") != endpoints["aws_endpoint_url"]:
        client.cache_clear()  # clients built for another platform (tests restart it)
    os.environ["AWS_ENDPOINT_URL"] = endpoints["aws_endpoint_url"]
    os.environ["AWS_DEFAULT_REGION"] = endpoints["region"]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    env = {var: endpoints.get(kind, {}).get(role, "") for (kind, role), var in _ENV.items()}
    return Settings.from_env(env | endpoints.get("environment", {}))


def cmd_sweep(args: argparse.Namespace) -> int:
    from functions.bootstrap import build_sweeper

    report = build_sweeper(platform_settings(args)).sweep(
        timedelta(minutes=args.older_than), args.org or None
    )
    print(
        f"{report.transactions} transaction(s) en attente renvoyée(s) au rapprochement, "
        f"{report.files} fichier(s) de la boîte de dépôt renvoyé(s) à la lecture "
        f"({report.organisations} organisation(s))"
    )
    return 0


def cmd_redrive(args: argparse.Namespace) -> int:
    from functions.bootstrap import build_redriver

    moved = build_redriver(platform_settings(args)).redrive([args.queue] if args.queue else None)
    for name, count in moved.items():
        print(f"{name} : {count} message(s) remis dans la file")
    return 0


def _report_lines(report: Any) -> list[str]:
    head = (
        f"{report.org_id} : {report.leases} bail(s), {report.lines} ligne(s) de compte, "
        f"{report.transactions} transaction(s), {report.entries} écriture(s)"
    )
    if report.ok:
        return [f"{head} — cohérent"]
    return [f"{head} — {len(report.violations)} anomalie(s)"] + [
        f"  {v}" for v in report.violations
    ]


def cmd_check(args: argparse.Namespace) -> int:
    from functions.bootstrap import Composition
    from functions.core.integrity import check_books

    root = Composition(platform_settings(args))
    orgs = [args.org] if args.org else root.organisations.list_ids()
    reader = root.books_reader
    reports = [check_books(reader.snapshot(org_id)) for org_id in orgs]
    if args.json:
        json.dump(
            [
                {"org_id": r.org_id, "ok": r.ok, "violations": [str(v) for v in r.violations]}
                for r in reports
            ],
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        for r in reports:
            print("\n".join(_report_lines(r)))
    return 0 if all(r.ok for r in reports) else 1


def add_parsers(sub: Any) -> None:
    sweep = sub.add_parser("sweep", help="re-drive what was left behind, now")
    sweep.add_argument(
        "--older-than",
        type=int,
        default=30,
        metavar="MIN",
        help="only work waiting for longer than this (minutes, default 30)",
    )
    sweep.set_defaults(func=cmd_sweep)
    redrive = sub.add_parser("redrive", help="dead-lettered messages back to their queue")
    redrive.add_argument("--queue", choices=("ingest", "match"))
    redrive.set_defaults(func=cmd_redrive)
    check = sub.add_parser("check", help="check the books' invariants")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_check)
