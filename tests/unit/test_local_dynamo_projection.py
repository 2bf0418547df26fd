"""``patches.patch_dynamodb_projections_read_their_attributes``: a projection gives the
item moto's own ``Item.project`` gives, for every kind of path (top-level, nested, list
elements, missing, overlapping, repeated) on items of every attribute type.

One difference, on purpose: moto's own fails (TypeError) on any item holding a binary set,
whatever the paths, because it converts the whole item; now only a path naming that
attribute does (moto's conversion of a binary set, unchanged)."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from infra.local import patches

ITEM: dict[str, Any] = {
    "org_id": {"S": "org-1"},
    "lease_id": {"S": "L-00001"},
    "balance_cents": {"N": "-12345"},
    "version": {"N": "7"},
    "raw": {"B": base64.b64encode(b"\x00\x01binary").decode()},
    "tags": {"SS": ["a", "b", "é"]},
    "amounts": {"NS": ["1", "2.50", "-3"]},
    "done": {"BOOL": True},
    "nothing": {"NULL": True},
    "tenants": {
        "L": [
            {"M": {"name": {"S": "Mme A"}, "ibans": {"L": [{"S": "FR76 1"}, {"S": "FR76 2"}]}}},
            {"M": {"name": {"S": "M. B"}, "share": {"N": "0.5"}, "m": {"M": {}}}},
        ]
    },
    "address": {
        "M": {
            "street": {"S": "1 rue des Érables"},
            "city": {"M": {"name": {"S": "Tours"}, "code": {"S": "37000"}}},
            "lines": {"L": [{"S": "bât. A"}, {"L": [{"N": "1"}, {"S": ""}]}]},
        }
    },
}

PATHS: list[list[str]] = [
    ["lease_id"],
    ["balance_cents"],
    ["version"],
    ["raw"],
    ["tags"],
    ["amounts"],
    ["done"],
    ["nothing"],
    ["tenants"],
    ["tenants[0]"],
    ["tenants[1]", "name"],
    ["tenants[0]", "ibans[1]"],
    ["tenants[5]"],
    ["tenants[1]", "missing"],
    ["address"],
    ["address", "street"],
    ["address", "city", "code"],
    ["address", "city"],
    ["address", "lines[1]"],
    ["address", "lines[0]"],
    ["address", "nope", "deeper"],
    ["missing"],
    ["missing[0]"],
    ["lease_id", "not_a_map"],
    ["version[0]"],
]


@pytest.fixture(scope="module")
def item_class() -> Any:
    patches.apply_all()
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    def build() -> Any:
        attrs = {k: DynamoType(v) for k, v in ITEM.items()}
        return Item(hash_key=attrs["org_id"], range_key=attrs["lease_id"], attrs=ITEM)

    return build


def _both(build: Any, paths: list[list[str]]) -> tuple[Any, Any]:
    item = build()
    before = item.to_json()
    ours = item.project(paths).to_json()
    assert item.to_json() == before  # the item itself is left as it was
    theirs = patches.REPLACED["Item.project"](build(), paths).to_json()
    return ours, theirs


@pytest.mark.parametrize("path", PATHS, ids=".".join)
def test_one_path_projects_as_moto_does(item_class: Any, path: list[str]) -> None:
    ours, theirs = _both(item_class, [path])
    assert ours == theirs


def test_the_rent_calls_read_projects_as_moto_does(item_class: Any) -> None:
    ours, theirs = _both(item_class, [["lease_id"], ["balance_cents"], ["version"]])
    assert (
        ours
        == theirs
        == {
            "Attributes": {
                "lease_id": {"S": "L-00001"},
                "balance_cents": {"N": "-12345"},
                "version": {"N": "7"},
            }
        }
    )


def test_random_sets_of_paths_project_as_moto_does(item_class: Any) -> None:
    rng = random.Random(12)
    for _ in range(300):
        paths = [rng.choice(PATHS) for _ in range(rng.randint(1, 6))]  # repeats, overlaps
        ours, theirs = _both(item_class, paths)
        assert ours == theirs, paths


def test_an_item_holding_a_binary_set_projects_its_other_attributes(item_class: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    attrs = ITEM | {"flags": {"BS": [base64.b64encode(b"x").decode()]}}
    item = Item(hash_key=DynamoType(attrs["org_id"]), range_key=None, attrs=attrs)
    assert item.project([["version"]]).to_json() == {"Attributes": {"version": {"N": "7"}}}
    with pytest.raises(TypeError):
        patches.REPLACED["Item.project"](item, [["version"]])
