from __future__ import annotations

import argparse

import pytest

from infra.local import cli_review


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_review.add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_commands_parse_to_their_functions() -> None:
    assert _parse("review", "list", "--json").func is cli_review.cmd_review_list
    args = _parse("review", "allocate", "tx_1", "L1=255,00", "L2=45.00", "--by", "Claire")
    assert args.func is cli_review.cmd_review_allocate and args.by == "Claire"
    assert cli_review._allocations(args.leases) == {
        "allocations": [
            {"lease_id": "L1", "amount": "255.00"},
            {"lease_id": "L2", "amount": "45.00"},
        ]
    }
    assert cli_review._allocations(["L1"]) == {"lease_id": "L1"}
    assert _parse("review", "not-rent", "tx_1").func is cli_review.cmd_review_not_rent
    assert _parse("review", "undo", "tx_1", "--note", "wrong").func is cli_review.cmd_review_undo
    assert _parse("allocations", "export", "--json").func is cli_review.cmd_allocations_export
    with pytest.raises(SystemExit):
        _parse("review", "undo", "tx_1")  # an undo says why
    with pytest.raises(SystemExit):
        cli_review._allocations(["L1=", "L2=3"])
