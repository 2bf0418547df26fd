"""``encaisse review …`` and ``encaisse allocations export``: the review queue from a terminal.

encaisse review list [--status review|unmatched] [--json]
encaisse review allocate TRANSACTION_ID LEASE_ID[=AMOUNT] [LEASE_ID=AMOUNT …] [--by] [--note]
encaisse review not-rent TRANSACTION_ID [--by NAME] [--note TEXT]
encaisse review undo TRANSACTION_ID --note WHY [--by NAME]
encaisse allocations export --json       every transaction with its outcome

Each command is a function taking the parsed arguments (``args.state_dir`` names
the platform's state folder) and returning the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.local.client import ApiClient, api_client, load_endpoints, state_dir


def _client(args: argparse.Namespace) -> ApiClient:
    return api_client(load_endpoints(state_dir(getattr(args, "state_dir", None))))


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _mask(iban: str | None) -> str:
    return f"…{iban[-4:]}" if iban else "-"


def _describe(item: dict[str, Any]) -> str:
    allocs = ", ".join(f"{a['lease_id']} {a['amount']}" for a in item.get("allocations", []))
    who = f" by {item['confirmed_by']}" if item.get("confirmed_by") else ""
    return f"{item['transaction_id']}: {item['outcome']} {allocs}{who}".rstrip()


def cmd_review_list(args: argparse.Namespace) -> int:
    items = _client(args).iterate("/v1/review", status=getattr(args, "status", None))
    if getattr(args, "json", False):
        _print_json(items)
        return 0
    if not items:
        print("the review queue is empty")
        return 0
    for t in items:
        payer = t["counterparty"]["name"] or "payeur inconnu"
        print(
            f"{t['transaction_id']}  {t['booking_date'] or '-'}  {t['amount']:>10}  "
            f"{t['outcome']:<9}  {payer[:30]}  ({_mask(t['counterparty']['iban'])})"
        )
        if t.get("remittance"):
            print(f"    « {t['remittance'][:80]} »")
        if t.get("reason"):
            print(f"    {t['reason']}")
        for s in t.get("suggestions", []):
            split = ", ".join(f"{a['lease_id']} {a['amount']}" for a in s["allocations"])
            print(f"    → {s['lease_id']}  score {s['score']:.2f}  [{split}]")
            for reason in s["reasons"]:
                print(f"        {reason}")
    return 0


def _allocations(specs: list[str]) -> dict[str, Any]:
    """``L1`` (the whole amount) or ``L1=255.00 L2=45.00`` (a split)."""
    if len(specs) == 1 and "=" not in specs[0]:
        return {"lease_id": specs[0]}
    out = []
    for spec in specs:
        lease_id, sep, amount = spec.partition("=")
        if not sep or not lease_id or not amount:
            raise SystemExit(f"encaisse review allocate: {spec!r}: write LEASE_ID=AMOUNT")
        out.append({"lease_id": lease_id, "amount": amount.replace(",", ".")})
    return {"allocations": out}


def _who(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if getattr(args, "by", None):
        body["by"] = args.by
    if getattr(args, "note", None):
        body["note"] = args.note
    return body


def cmd_review_allocate(args: argparse.Namespace) -> int:
    body = _allocations(list(args.leases)) | _who(args)
    item = _client(args).post(f"/v1/review/{args.transaction_id}/allocate", body)
    print(_describe(item))
    return 0


def cmd_review_not_rent(args: argparse.Namespace) -> int:
    item = _client(args).post(f"/v1/review/{args.transaction_id}/not-rent", _who(args))
    print(_describe(item))
    return 0


def cmd_review_undo(args: argparse.Namespace) -> int:
    item = _client(args).post(f"/v1/allocations/{args.transaction_id}/undo", _who(args))
    print(_describe(item))
    return 0


def cmd_allocations_export(args: argparse.Namespace) -> int:
    items = _client(args).iterate("/v1/allocations", limit=500)
    if getattr(args, "json", False):
        _print_json(items)
        return 0
    for item in items:
        print(_describe(item))
    return 0


def add_parsers(sub: Any) -> None:
    """Adds ``review`` and ``allocations`` to the ``encaisse`` sub-commands."""
    review = sub.add_parser("review", help="the review queue of matching").add_subparsers(
        dest="action", required=True
    )
    lister = review.add_parser("list", help="transactions waiting for a person")
    lister.add_argument("--status", choices=("review", "unmatched"))
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=cmd_review_list)
    alloc = review.add_parser("allocate", help="allocate to a lease, or split: L1=255.00 L2=45.00")
    alloc.add_argument("transaction_id")
    alloc.add_argument("leases", nargs="+", metavar="LEASE_ID[=AMOUNT]")
    not_rent = review.add_parser("not-rent", help="set aside: not a tenant's payment")
    not_rent.add_argument("transaction_id")
    undo = review.add_parser("undo", help="undo an allocation by reversal (back to review)")
    undo.add_argument("transaction_id")
    for p, func in ((alloc, cmd_review_allocate), (not_rent, cmd_review_not_rent)):
        p.add_argument("--by", help="your name, recorded with the decision")
        p.add_argument("--note")
        p.set_defaults(func=func)
    undo.add_argument("--by", help="your name, recorded with the decision")
    undo.add_argument("--note", required=True, help="why the allocation was wrong")
    undo.set_defaults(func=cmd_review_undo)

    allocations = sub.add_parser(
        "allocations", help="every bank transaction and its outcome"
    ).add_subparsers(dest="action", required=True)
    export = allocations.add_parser("export", help="every transaction with its outcome")
    export.add_argument("--json", action="store_true")
    export.set_defaults(func=cmd_allocations_export)
