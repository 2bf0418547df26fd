"""``encaisse documents …``: a lease's notices, quittances and receipts from a terminal.

encaisse documents list LEASE_ID [--json]
encaisse documents get DOCUMENT_ID -o FILE       download the PDF (through the API's link)
encaisse documents quittance LEASE_ID YYYY-MM    issue a quittance (refused if not fully paid)
encaisse documents consent LEASE_ID [--on|--off] [--source paper|staff] [--channel email|sms]
encaisse documents campaign CAMPAIGN_ID [--limit N]  invite tenants without e-delivery to consent
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from functions.core.errors import EncaisseError
from infra.local.client import ApiClient, api_client, load_endpoints, state_dir

KINDS_FR = {
    "avis_echeance": "avis d'échéance",
    "quittance": "quittance",
    "recu": "reçu",
    "rib": "RIB",
    "letter": "courrier",
}


class DownloadError(EncaisseError):
    """The PDF could not be fetched or written."""


def _client(args: argparse.Namespace) -> ApiClient:
    endpoints = load_endpoints(state_dir(getattr(args, "state_dir", None)))
    return api_client(endpoints, getattr(args, "api_key", None))


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def describe(item: dict[str, Any]) -> str:
    kind = KINDS_FR.get(item["kind"], item["kind"])
    return (
        f"{item['document_id']}  {kind:<16} {item.get('period') or '-':<8} "
        f"{item['created_at'][:10]}  {item['delivery']:<5}  {item['status']:<16} "
        f"{item['size']:>7} o"
    )


def cmd_list(args: argparse.Namespace) -> int:
    items = _client(args).get(f"/v1/leases/{_quote(args.lease_id)}/documents")["items"]
    if args.json:
        json.dump(items, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif not items:
        print(f"no document for lease {args.lease_id}")
    for item in [] if args.json else items:
        print(describe(item))
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    link = _client(args).get(f"/v1/documents/{_quote(args.document_id)}")
    try:
        with urllib.request.urlopen(link["url"], timeout=30) as resp:  # noqa: S310
            pdf = resp.read()
    except OSError as e:
        raise DownloadError(f"{args.document_id}: the PDF could not be fetched ({e})") from e
    out = Path(args.output)
    try:
        out.write_bytes(pdf)
    except OSError as e:
        raise DownloadError(f"{out}: {e.strerror or e}") from e
    print(f"{out} ({len(pdf)} octets)")
    return 0


def cmd_quittance(args: argparse.Namespace) -> int:
    doc = _client(args).post(
        f"/v1/leases/{_quote(args.lease_id)}/quittances", {"period": args.period}
    )
    print(describe(doc))
    return 0


def cmd_consent(args: argparse.Namespace) -> int:
    path = f"/v1/leases/{_quote(args.lease_id)}/consent"
    client = _client(args)
    if args.on or args.off:
        body = {"e_delivery": bool(args.on), "source": args.source, "channel": args.channel}
        consent = client.put(path, body)
    else:
        consent = client.get(path)
    state = "dématérialisé (coffre-fort)" if consent["e_delivery"] else "papier (impression)"
    print(f"{args.lease_id}: {state}")
    for h in consent["history"]:
        given = "oui" if h["e_delivery"] else "non"
        print(f"  {h['at'][:19]}  {given}  {h['source']}  {h['channel']}")
    return 0


def cmd_campaign(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"campaign_id": args.campaign_id}
    if args.limit is not None:
        body["limit"] = args.limit
    report = _client(args).post("/v1/documents/consent-campaign", body)
    print(
        f"campagne {report['campaign_id']} : {report['invited']} invitation(s) envoyée(s), "
        f"{report['already_invited']} déjà invité(s), {report['consenting']} déjà en ligne, "
        f"{report['without_contact']} sans e-mail ni téléphone, {report['failed']} en échec"
    )
    if report["remaining"]:
        print(f"{report['remaining']} bail(s) restant(s) : relancez la même commande")
    return 0


def add_parsers(sub: Any) -> None:
    """Adds ``documents`` to the ``encaisse`` sub-commands."""
    docs = sub.add_parser("documents", help="tenant documents (PDF)").add_subparsers(
        dest="action", required=True
    )
    lister = docs.add_parser("list", help="a lease's documents")
    lister.add_argument("lease_id")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=cmd_list)
    get = docs.add_parser("get", help="download a document's PDF")
    get.add_argument("document_id")
    get.add_argument("-o", "--output", required=True, metavar="FILE")
    get.set_defaults(func=cmd_get)
    quittance = docs.add_parser("quittance", help="issue a quittance for a fully paid month")
    quittance.add_argument("lease_id")
    quittance.add_argument("period", metavar="YYYY-MM")
    quittance.set_defaults(func=cmd_quittance)
    consent = docs.add_parser("consent", help="show, give or withdraw e-delivery consent")
    consent.add_argument("lease_id")
    switch = consent.add_mutually_exclusive_group()
    switch.add_argument("--on", action="store_true")
    switch.add_argument("--off", action="store_true")
    consent.add_argument("--source", choices=("paper", "staff"), default="staff")
    consent.add_argument("--channel", choices=("email", "sms", "portal"), default="email")
    consent.set_defaults(func=cmd_consent)
    campaign = docs.add_parser(
        "campaign", help="invite the tenants without e-delivery to consent (once per campaign)"
    )
    campaign.add_argument("campaign_id")
    campaign.add_argument("--limit", type=int, default=None, help="at most N invitations now")
    campaign.set_defaults(func=cmd_campaign)
