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
encaisse org create|show|update  organisations (landlords), as the platform's operator
encaisse sweep|redrive|check     self-healing and the books' invariants (infra/local/cli_ops.py)

Every command takes --state-dir, --org and --api-key, before or after its name
(or ENCAISSE_STATE_DIR, ENCAISSE_ORG, ENCAISSE_API_KEY); without them the demo
landlord's are used, when the platform was started with it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from functions.core.errors import EncaisseError

# The command modules (cli_erp, cli_documents …) and the HTTP client are imported
# by the commands that use them: `statement parse` needs none of them, and they
# were a tenth of a 100,000-entry parse (urllib, http.client, email, the FEC).
if TYPE_CHECKING:
    from infra.local.client import ApiClient

GLOBAL_OPTIONS = {
    "--state-dir": "ENCAISSE_STATE_DIR",
    "--org": "ENCAISSE_ORG",
    "--api-key": "ENCAISSE_API_KEY",
}


class UsageError(EncaisseError):
    """A command line that cannot be read."""


def hoist_global_options(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Take ``--state-dir``, ``--org`` and ``--api-key`` out of ``argv`` wherever they
    stand (before or after the sub-command), as ``{option: value}`` and the rest."""
    found: dict[str, str] = {}
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if name not in GLOBAL_OPTIONS:
            rest.append(arg)
            continue
        if not eq:
            value = next(args, "")
            if not value or value.startswith("--"):
                raise UsageError(f"{name} needs a value")
        found[name] = value
    return found, rest


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


def _api(args: argparse.Namespace) -> ApiClient:
    """The platform's API client for ``args``' state folder."""
    from infra.local.client import api_client, load_endpoints, state_dir

    return api_client(load_endpoints(state_dir(args.state_dir)))


def cmd_upload(args: argparse.Namespace) -> int:
    from infra.local.client import load_endpoints, org_for, state_dir

    endpoints = load_endpoints(state_dir(args.state_dir))
    path = Path(args.file)
    if not path.is_file():
        print(f"encaisse upload: {path}: no such file", file=sys.stderr)
        return 2
    org_id = org_for(endpoints, getattr(args, "org", None))
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
    """Wait until the file is read and each of its payments decided (allocated, sent
    to review, set aside …), then say what became of them."""
    from infra.local.client import api_client

    client = api_client(endpoints)
    deadline = time.monotonic() + timeout
    file: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        if file is None:
            file = next(
                (
                    f
                    for f in client.iterate("/v1/files")
                    if f["name"] == name and f.get("status") in {"ingested", "quarantined"}
                ),
                None,
            )
            if file is not None and file["status"] == "quarantined":
                print(f"quarantined: {(file.get('error') or {}).get('reason')}")
                return 1
        if file is not None:
            waiting = [
                t
                for t in client.iterate("/v1/transactions", status="new", limit=500)
                if t.get("file_id") == file["file_id"]
            ]
            if not waiting:
                _print_file_outcome(client.iterate("/v1/transactions", limit=500), file)
                return 0
        time.sleep(0.5)
    state = "not read" if file is None else "read, but not all its payments decided"
    print(f"{name} {state} after {timeout:.0f} s", file=sys.stderr)
    return 1


def _print_file_outcome(transactions: list[dict[str, Any]], file: dict[str, Any]) -> None:
    counts: dict[str, int] = {}
    for t in transactions:
        if t.get("file_id") == file["file_id"]:
            counts[t["status"]] = counts.get(t["status"], 0) + 1
    outcome = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing new"
    print(
        f"ingested as {file['format']}: {file['transactions']} transactions, "
        f"{file['new_transactions']} new; decided: {outcome}"
    )


def cmd_leases_list(args: argparse.Namespace) -> int:
    client = _api(args)
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
    client = _api(args)
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
    client = _api(args)
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
    client = _api(args)
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
    client = _api(args)
    link = client.post(f"/v1/leases/{args.lease_id}/tenant-link", {})
    print(link["url"])
    print(f"(valid until {link['expires_at']})", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from infra.local import cli_documents, cli_erp, cli_ops, cli_org, cli_review, cli_secrets

    parser = argparse.ArgumentParser(prog="encaisse", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", help="the platform's state folder (default .encaisse)")
    parser.add_argument("--org", help="organisation id (default: ENCAISSE_ORG, or the demo's)")
    parser.add_argument("--api-key", help="API key (default: ENCAISSE_API_KEY, or the demo's)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("up", help="start the local platform", add_help=False)

    up = sub.add_parser("upload", help="drop a bank file into the inbox")
    up.add_argument("file")
    up.add_argument("--via", choices=("s3", "sftp"), default="s3")
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
    cli_org.add_parsers(sub)
    cli_secrets.add_parsers(sub)
    cli_documents.add_parsers(sub)
    cli_ops.add_parsers(sub)

    statement = sub.add_parser("statement", help="bank files").add_subparsers(
        dest="action", required=True
    )
    statement.add_parser("parse", help="read a bank file and print it", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `statement parse` owns its arguments.
    if argv[:2] == ["statement", "parse"]:
        from functions.ingest.cli_statement import main as parse_main

        return parse_main(argv[2:])
    try:
        options, argv = hoist_global_options(argv)
    except UsageError as e:
        print(f"encaisse: {e}", file=sys.stderr)
        return 2
    # The commands (and `up`) read them from the environment of this process; a caller
    # running `main` in-process gets its environment back as it was.
    saved = dict(os.environ)
    try:
        for option, value in options.items():
            os.environ[GLOBAL_OPTIONS[option]] = value
        if argv[:1] == ["up"]:
            from infra.local.runtime import exit_now
            from infra.local.runtime import main as run_platform

            exit_now(run_platform(argv[1:]))  # does not wait for lingering threads
        args = build_parser().parse_args(argv)
        args.state_dir = options.get("--state-dir")
        args.org = options.get("--org")
        args.api_key = options.get("--api-key")
        try:
            return int(args.func(args))
        except EncaisseError as e:
            print(f"encaisse: {e}", file=sys.stderr)
            return 1
    finally:
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    sys.exit(main())
