"""``encaisse org …``: organisations (landlords), as the platform's operator.

encaisse org create --id ORG --name NAME --bank-code 30004 --branch-code 00821
                    --account-prefix 57 [--bic BIC] --iban GENERIC_IBAN [--ics ICS]
                    [--siren SIREN] [--json FILE]   the organisation and its first API key
encaisse org show ORG                               its settings (no secrets)
encaisse org update ORG [--name …] [--json FILE]    change settings (a JSON merge patch)

These call the admin API (``/v1/organisations``) with an operator key: ``--api-key``,
else ``ENCAISSE_OPERATOR_KEY``, else the one kept in the state folder
(``operator.json``). On a fresh platform there is none yet: the first ``org``
command creates it, as the deployment would, and keeps it there (mode 600).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from functions.core.errors import ValidationError
from infra.local.client import ApiClient, load_endpoints, state_dir

OPERATOR_FILE = "operator.json"


def _operator_key(args: argparse.Namespace, endpoints: dict[str, Any], folder: Path) -> str:
    if args.api_key:
        return str(args.api_key)
    if os.environ.get("ENCAISSE_OPERATOR_KEY"):
        return os.environ["ENCAISSE_OPERATOR_KEY"]
    path = folder / OPERATOR_FILE
    if path.exists():
        return str(json.loads(path.read_text(encoding="utf-8"))["api_key"])
    from functions.api.auth import hash_key, new_key
    from functions.organisations.service import OPERATOR_ORG
    from infra.local.cli_erp import _keys

    keys, _ = _keys(args)
    key = new_key()
    keys.put(hash_key(key), OPERATOR_ORG, ["operator"], "operator (local platform)")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"api_key": key}, out)
    print(f"clé d'opérateur créée et conservée dans {path}", file=sys.stderr)
    return key


def _client(args: argparse.Namespace) -> ApiClient:
    folder = state_dir(args.state_dir)
    endpoints = load_endpoints(folder)
    return ApiClient(endpoints["api_url"], _operator_key(args, endpoints, folder))


def _body(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON file's fields, overridden by the flags given."""
    body: dict[str, Any] = {}
    if args.json:
        raw = sys.stdin.read() if args.json == "-" else Path(args.json).read_text("utf-8")
        try:
            loaded = json.loads(raw)
        except ValueError as e:
            raise ValidationError("--json", f"{args.json}: not valid JSON ({e})") from e
        if not isinstance(loaded, dict):
            raise ValidationError("--json", f"{args.json}: must hold a JSON object")
        body = loaded
    flat = {"name": args.name, "collection_iban": args.iban, "ics": args.ics, "siren": args.siren}
    body |= {k: v for k, v in flat.items() if v is not None}
    bank = {
        "bank_code": args.bank_code,
        "branch_code": args.branch_code,
        "account_prefix": args.account_prefix,
        "bic": args.bic,
    }
    if any(v is not None for v in bank.values()):
        body["viban_range"] = dict(body.get("viban_range") or {}) | {
            k: v for k, v in bank.items() if v is not None
        }
    if args.erp_format:
        body["erp"] = dict(body.get("erp") or {}) | {"format": args.erp_format}
    return body


def _print(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_create(args: argparse.Namespace) -> int:
    body = _body(args)
    if args.id:
        body["org_id"] = args.id
    created = _client(args).post("/v1/organisations", body)
    _print(created)
    print(
        f"organisation {created['org_id']} créée ; sa première clé d'API "
        f"({', '.join(created['api_key']['scopes'])}) est affichée une seule fois : conservez-la.",
        file=sys.stderr,
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    _print(_client(args).get(f"/v1/organisations/{args.org_id}"))
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    body = _body(args)
    if not body:
        raise ValidationError("update", "nothing to change: give flags or --json FILE")
    _print(_client(args).request("PATCH", f"/v1/organisations/{args.org_id}", body))
    return 0


def _settings_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name")
    p.add_argument("--bank-code", help="the bank's code of the vIBAN range (5 digits)")
    p.add_argument("--branch-code", help="the branch code of the vIBAN range (5 digits)")
    p.add_argument("--account-prefix", help="account-number prefix granted for vIBANs")
    p.add_argument("--bic")
    p.add_argument("--iban", help="the landlord's generic (collection) IBAN")
    p.add_argument("--ics", help="SEPA creditor identifier")
    p.add_argument("--siren")
    p.add_argument("--erp-format", choices=("json", "csv", "fec"))
    p.add_argument("--json", help="a JSON file of settings (see docs/onboarding.md), '-' for stdin")


def add_parsers(sub: Any) -> None:
    org = sub.add_parser("org", help="organisations (operator)").add_subparsers(
        dest="action", required=True
    )
    create = org.add_parser("create", help="a new organisation and its first API key")
    create.add_argument("--id", help="the organisation's id (letters, digits, '-', '_', '.')")
    _settings_flags(create)
    create.set_defaults(func=cmd_create)
    show = org.add_parser("show", help="an organisation's settings")
    show.add_argument("org_id")
    show.set_defaults(func=cmd_show)
    update = org.add_parser("update", help="change an organisation's settings")
    update.add_argument("org_id")
    _settings_flags(update)
    update.set_defaults(func=cmd_update)
