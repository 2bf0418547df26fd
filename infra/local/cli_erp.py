"""``encaisse apikey …`` and ``encaisse entries export``: ERP access from a terminal.

encaisse apikey create --org ORG --scope erp [--scope backoffice] [--label TEXT]
                                         prints the key once (only its hash is kept)
encaisse apikey create --operator        a platform operator's key (organisations admin)
encaisse apikey list --org ORG [--json]  the organisation's keys, revoked ones too
encaisse apikey revoke KEY_ID            refused from now on
encaisse entries export --format fec|csv [--from DAY] [--to DAY] [--output FILE]

API keys are administration: these commands write the ApiKeysTable through the
DynamoDB adapter, at the platform's ``aws_endpoint_url`` (from endpoints.json), like
an operator with AWS credentials would on the deployed stack. The export goes through
the API with the demo landlord's key.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from functions.api.auth import SCOPES, hash_key, new_key
from functions.core.errors import NotFoundError, ValidationError
from functions.core.fec import fec_bytes
from functions.organisations.service import OPERATOR_ORG
from infra.local.client import api_client, load_endpoints, org_for, state_dir

if TYPE_CHECKING:
    from functions.adapters.dynamo import DynamoApiKeyRepository


def _keys(args: argparse.Namespace) -> tuple[DynamoApiKeyRepository, dict[str, Any]]:
    from functions.adapters.dynamo import DynamoApiKeyRepository  # boto3: only when needed

    endpoints = load_endpoints(state_dir(args.state_dir))
    # The adapters' boto3 clients read these on first use.
    os.environ["AWS_ENDPOINT_URL"] = endpoints["aws_endpoint_url"]
    os.environ["AWS_DEFAULT_REGION"] = endpoints["region"]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return DynamoApiKeyRepository(endpoints["tables"]["api_keys"]), endpoints


def key_id(key_hash: str) -> str:
    """The id the API logs and acknowledgements name a key by."""
    return key_hash[:12]


def cmd_create(args: argparse.Namespace) -> int:
    from functions.adapters.dynamo import DynamoOrganisationRepository

    keys, endpoints = _keys(args)
    scopes = sorted(set(args.scope))
    if args.operator or scopes == ["operator"]:
        org = OPERATOR_ORG
        scopes = ["operator"]
    elif "operator" in scopes:
        raise ValidationError("scope", "an operator key has the operator scope only")
    elif not scopes:
        raise ValidationError("scope", "give --scope erp and/or --scope backoffice")
    else:
        org = org_for(endpoints, args.org)
        if not DynamoOrganisationRepository(endpoints["tables"]["organisations"]).exists(org):
            raise NotFoundError("organisation", org)
    key = new_key()
    keys.put(hash_key(key), org, scopes, args.label or "")
    print(key)
    print(
        f"clé {key_id(hash_key(key))} créée pour {org} ({', '.join(scopes)}) :"
        " conservez-la, elle ne sera plus affichée.",
        file=sys.stderr,
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    keys, endpoints = _keys(args)
    rows: list[dict[str, Any]] = [
        {
            "key_id": r.key_id,
            "scopes": list(r.scopes),
            "label": r.label,
            "created_at": r.created_at,
            "revoked_at": r.revoked_at,
        }
        for r in keys.list_for_org(org_for(endpoints, args.org))
    ]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    for r in rows:
        state = f"révoquée le {r['revoked_at'][:10]}" if r["revoked_at"] else "active"
        print(f"{r['key_id']}  {','.join(r['scopes']):<15}  {state:<22}  {r['label']}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    keys, _ = _keys(args)
    record = keys.find_by_id(args.key_id)
    if keys.revoke(record.key_hash, datetime.now(UTC)):
        print(f"clé {record.key_id} de {record.org_id} révoquée")
    else:
        print(f"clé {record.key_id} déjà révoquée")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    client = api_client(load_endpoints(state_dir(args.state_dir)))
    body, headers = client.download(
        "/v1/entries/export", format=args.format, **{"from": args.date_from, "to": args.date_to}
    )
    if args.format == "fec":
        # The API serves UTF-8; the file handed to the tax office is ISO 8859-15.
        body = fec_bytes(body.decode())
    if args.output == "-":
        sys.stdout.buffer.write(body)
        return 0
    match = re.search(r'filename="([^"]+)"', headers.get("content-disposition", ""))
    target = Path(args.output or (match.group(1) if match else f"ecritures.{args.format}"))
    target.write_bytes(body)
    lines = max(body.count(b"\r\n") - 1, 0)
    print(f"{target} ({lines} lignes d'écriture)", file=sys.stderr)
    return 0


def add_parsers(sub: Any) -> None:
    apikey = sub.add_parser("apikey", help="API keys of an organisation").add_subparsers(
        dest="action", required=True
    )
    create = apikey.add_parser("create", help="a new key, printed once")
    create.add_argument("--scope", action="append", choices=SCOPES, default=[])
    create.add_argument(
        "--operator", action="store_true", help="a platform operator's key (organisations admin)"
    )
    create.add_argument("--label")
    create.set_defaults(func=cmd_create)
    lister = apikey.add_parser("list", help="the organisation's keys")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=cmd_list)
    revoke = apikey.add_parser("revoke", help="refuse a key from now on")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=cmd_revoke)


def add_export_parser(entries_group: Any) -> None:
    export = entries_group.add_parser("export", help="entries of a period as FEC or CSV")
    export.add_argument("--format", choices=("fec", "csv"), default="fec")
    export.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD")
    export.add_argument("--output", "-o", help="file to write ('-' for stdout)")
    export.set_defaults(func=cmd_export)
