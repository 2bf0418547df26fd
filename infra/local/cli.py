"""``encaisse``: the command line of the local platform.

encaisse up                      start the whole platform (what `make run` does)
encaisse upload FILE             drop a bank file into the demo landlord's inbox
encaisse leases list [--json]    leases with tenant, residence, vIBAN, RF, balance
encaisse entries list [--json]   accounting entries waiting for the ERP
encaisse entries export          entries of a period as a FEC or CSV file
encaisse apikey create|list|revoke   API keys of an organisation
encaisse transactions list       bank transactions and their outcome
encaisse files list              statement files received and what became of them
encaisse statement parse FILE    read a bank file and print what it holds
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from functions.core.errors import EncaisseError
from infra.local import cli_erp, cli_review
from infra.local.client import api_client, load_endpoints, state_dir


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def cmd_upload(args: argparse.Namespace) -> int:
    endpoints = load_endpoints(state_dir(args.state_dir))
    path = Path(args.file)
    if not path.is_file():
        print(f"encaisse upload: {path}: no such file", file=sys.stderr)
        return 2
    org_id = args.org or endpoints["demo"]["org_id"]
    key = f"{org_id}/{path.name}"
    if args.via == "sftp":
        import paramiko  # local tooling only

        sftp_conf = endpoints["sftp"]
        transport = paramiko.Transport((sftp_conf["host"], int(sftp_conf["port"])))
        try:
            transport.connect(username=sftp_conf["username"], password=sftp_conf["password"])
            sftp = paramiko.SFTPClient.from_transport(transport)
            assert sftp is not None
            sftp.put(str(path), path.name)
        finally:
            transport.close()
    else:
        import boto3  # local tooling only

        s3 = boto3.client(
            "s3",
            endpoint_url=endpoints["aws_endpoint_url"],
            region_name=endpoints["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 (the emulator takes any)
        )
        s3.put_object(Bucket=endpoints["buckets"]["inbox"], Key=key, Body=path.read_bytes())
    print(f"uploaded {path} to the inbox of {org_id} ({args.via})")
    if args.wait:
        return _wait_for_file(endpoints, path.name, args.wait)
    return 0


def _wait_for_file(endpoints: dict[str, Any], name: str, timeout: float) -> int:
    client = api_client(endpoints)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for f in client.iterate("/v1/files"):
            if f["name"] == name and f.get("status") in {"ingested", "quarantined"}:
                if f["status"] == "quarantined":
                    print(f"quarantined: {(f.get('error') or {}).get('reason')}")
                    return 1
                print(
                    f"ingested as {f['format']}: {f['transactions']} transactions, "
                    f"{f['new_transactions']} new"
                )
                return 0
        time.sleep(0.5)
    print(f"{name} not processed after {timeout:.0f} s", file=sys.stderr)
    return 1


def cmd_leases_list(args: argparse.Namespace) -> int:
    client = api_client(load_endpoints(state_dir(args.state_dir)))
    leases = client.iterate("/v1/leases", limit=500)
    if args.json:
        _print_json(
            [
                {
                    "lease_id": lease["lease_id"],
                    "tenant": ", ".join(t["name"] for t in lease["tenants"]),
                    "residence": lease["residence"],
                    "commune": lease["commune"],
                    "viban": lease["viban"],
                    "rf_reference": lease["rf_reference"],
                    "balance": lease["balance"],
                }
                for lease in leases
            ]
        )
        return 0
    rows = [
        [
            lease["lease_id"],
            ", ".join(t["name"] for t in lease["tenants"])[:40],
            lease["residence"][:30],
            lease["viban"],
            lease["rf_reference"],
            lease["balance"],
        ]
        for lease in leases
    ]
    _table(rows, ["LEASE", "TENANT", "RESIDENCE", "VIBAN", "RF REFERENCE", "BALANCE"])
    return 0


def cmd_entries_list(args: argparse.Namespace) -> int:
    client = api_client(load_endpoints(state_dir(args.state_dir)))
    entries = client.iterate("/v1/entries")
    if args.json:
        _print_json(entries)
        return 0
    rows = [
        [
            e["entry_id"],
            e["date"],
            e["source"]["type"],
            e["lease_id"] or "-",
            e["amount"],
            e["label"][:50],
        ]
        for e in entries
    ]
    _table(rows, ["ENTRY", "DATE", "SOURCE", "LEASE", "AMOUNT", "LABEL"])
    return 0


def cmd_transactions_list(args: argparse.Namespace) -> int:
    client = api_client(load_endpoints(state_dir(args.state_dir)))
    items = client.iterate("/v1/transactions", status=args.status)
    if args.json:
        _print_json(items)
        return 0
    rows = []
    for t in items:
        decision = t.get("decision") or {}
        leases = ",".join(a["lease_id"] for a in decision.get("allocations", []))
        rows.append(
            [
                t["transaction_id"][:15],
                t["booking_date"] or "-",
                t["amount"],
                t["status"],
                leases or "-",
                (t.get("counterparty_name") or "")[:30],
            ]
        )
    _table(rows, ["TRANSACTION", "DATE", "AMOUNT", "STATUS", "LEASES", "COUNTERPARTY"])
    return 0


def cmd_files_list(args: argparse.Namespace) -> int:
    client = api_client(load_endpoints(state_dir(args.state_dir)))
    items = client.iterate("/v1/files")
    if args.json:
        _print_json(items)
        return 0
    rows = [
        [
            f["name"][:40],
            f.get("status") or "-",
            f.get("format") or "-",
            str(f.get("transactions") or 0),
            ((f.get("error") or {}).get("reason") or "")[:60],
        ]
        for f in items
    ]
    _table(rows, ["FILE", "STATUS", "FORMAT", "TXS", "REASON"])
    return 0


def cmd_tenant_link(args: argparse.Namespace) -> int:
    client = api_client(load_endpoints(state_dir(args.state_dir)))
    link = client.post(f"/v1/leases/{args.lease_id}/tenant-link", {})
    print(link["url"])
    print(f"(valid until {link['expires_at']})", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="encaisse", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", help="the platform's state folder (default .encaisse)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("up", help="start the local platform", add_help=False)

    up = sub.add_parser("upload", help="drop a bank file into the inbox")
    up.add_argument("file")
    up.add_argument("--via", choices=("s3", "sftp"), default="s3")
    up.add_argument("--org", help="organisation id (default: the demo landlord)")
    up.add_argument(
        "--wait",
        type=float,
        nargs="?",
        const=60.0,
        default=None,
        help="wait (seconds, default 60) until the file is processed",
    )
    up.set_defaults(func=cmd_upload)

    for name, func, helptext in (
        ("leases", cmd_leases_list, "leases with their vIBAN, RF reference and balance"),
        ("entries", cmd_entries_list, "accounting entries waiting for the ERP"),
        ("transactions", cmd_transactions_list, "bank transactions and their outcome"),
        ("files", cmd_files_list, "statement files and what became of them"),
    ):
        group = sub.add_parser(name, help=helptext).add_subparsers(dest="action", required=True)
        lister = group.add_parser("list", help=helptext)
        lister.add_argument("--json", action="store_true")
        if name == "transactions":
            lister.add_argument("--status")
        lister.set_defaults(func=func)
        if name == "entries":
            cli_erp.add_export_parser(group)

    tenant = sub.add_parser("tenant", help="tenant portal").add_subparsers(
        dest="action", required=True
    )
    link = tenant.add_parser("link", help="a signed portal link for a lease's tenants")
    link.add_argument("lease_id")
    link.set_defaults(func=cmd_tenant_link)

    cli_review.add_parsers(sub)
    cli_erp.add_parsers(sub)

    statement = sub.add_parser("statement", help="bank files").add_subparsers(
        dest="action", required=True
    )
    statement.add_parser("parse", help="read a bank file and print it", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `up` and `statement parse` own their arguments.
    if argv[:1] == ["up"]:
        from infra.local.runtime import main as run_platform

        return run_platform(argv[1:])
    if argv[:2] == ["statement", "parse"]:
        from functions.ingest.cli_statement import main as parse_main

        return parse_main(argv[2:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EncaisseError as e:
        print(f"encaisse: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
