"""``encaisse secrets …``: the organisations' secrets in Secrets Manager, as the operator.

encaisse secrets migrate                       move secrets still stored in clear in the
                                               organisations table into Secrets Manager
encaisse secrets rotate ORG [--kind portal|erp-webhook] [--grace-days 7]
                                               a new value; the old one stays valid for the
                                               grace period (printed: the ERP needs it)
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from functions.core.errors import EncaisseError
from functions.organisations.secrets import (
    DEFAULT_GRACE,
    OrganisationSecrets,
    SecretKind,
    migrate_plain_secrets,
)
from infra.local.cli_erp import _keys

if TYPE_CHECKING:
    from functions.adapters.dynamo import DynamoOrganisationRepository


def _services(
    args: argparse.Namespace,
) -> tuple[DynamoOrganisationRepository, OrganisationSecrets]:
    from functions.adapters.dynamo import DynamoOrganisationRepository
    from functions.adapters.secrets import SecretsManagerStore

    _, endpoints = _keys(args)  # points the adapters at the platform
    orgs = DynamoOrganisationRepository(endpoints["tables"]["organisations"])
    grace = timedelta(days=max(0, getattr(args, "grace_days", DEFAULT_GRACE.days)))
    prefix = endpoints.get("secrets_prefix") or "encaisse"
    return orgs, OrganisationSecrets(SecretsManagerStore(ttl=0), prefix, grace)


def cmd_migrate(args: argparse.Namespace) -> int:
    orgs, secrets = _services(args)
    moved = migrate_plain_secrets(orgs, secrets)
    for org_id in moved:
        print(org_id)
    print(f"{len(moved)} organisation(s) migrated", file=sys.stderr)
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    orgs, secrets = _services(args)
    try:
        org = orgs.get(args.org_id)
        value = secrets.rotate(org, SecretKind(args.kind))
    except EncaisseError as e:
        print(f"encaisse secrets rotate: {e}", file=sys.stderr)
        return 1
    if args.kind == SecretKind.ERP_WEBHOOK.value:
        print(value)
    print(
        f"{args.kind} secret of {args.org_id} rotated; the previous one stays valid "
        f"{args.grace_days} day(s)",
        file=sys.stderr,
    )
    return 0


def add_parsers(sub: Any) -> None:
    group = sub.add_parser("secrets", help="organisations' secrets").add_subparsers(
        dest="action", required=True
    )
    migrate = group.add_parser("migrate", help="move plain-text secrets to Secrets Manager")
    migrate.set_defaults(func=cmd_migrate)
    rotate = group.add_parser("rotate", help="rotate a secret with a grace period")
    rotate.add_argument("org_id")
    rotate.add_argument(
        "--kind", choices=[k.value for k in SecretKind], default=SecretKind.PORTAL.value
    )
    rotate.add_argument("--grace-days", type=int, default=DEFAULT_GRACE.days)
    rotate.set_defaults(func=cmd_rotate)
