"""Items built in time linear in their attributes.

moto keeps an item's attributes in a ``LimitedSizeDict`` whose ``__setitem__`` re-adds
the size of every attribute already there before it accepts one more, to refuse an item
over DynamoDB's 400 KB. ``Item.__init__`` inserts the attributes one by one, so building
an item of *n* attributes sizes O(n²) attribute values: a ledger line or an accounting
entry of ~20 attributes costs ~200 ``size()`` walks, on every Put of every transaction.

The attributes already inserted do not change while the item is built, so moto's check
at each insertion is a running total: here it is kept as one, and the same error
(``ItemSizeTooLarge``) is raised at the same attribute. The attributes are the same
``DynamoType`` values, in the same order, in the same ``LimitedSizeDict`` (later
``SET``s keep moto's check). ``tests/unit/test_local_dynamo_items.py`` compares items
built both ways, at and over the limit.
"""

from __future__ import annotations

from sys import intern
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

MOTO_ITEM_INIT = Item.__init__
"""moto's own constructor (this module is imported before it installs its own)."""

MAX_ITEM_BYTES = 405_000
"""moto's limit (``LimitedSizeDict.__setitem__``): DynamoDB's 400 KB, measured."""


def build_item(self: Item, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """``Item.__init__``, sizing the attributes once."""
    self.hash_key = hash_key
    self.range_key = range_key
    values = LimitedSizeDict()
    total = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        total += bytesize(key) + typed.size()
        if total > MAX_ITEM_BYTES:
            raise ItemSizeTooLarge
        dict.__setitem__(values, intern(key), typed)
    self.attrs = values


def install() -> None:
    import inspect

    from infra.local.patches import PatchError, _require

    source = inspect.getsource(_require(LimitedSizeDict, "__setitem__"))
    if "405000" not in source:
        raise PatchError("moto changed: LimitedSizeDict's limit is no longer 405000 bytes")
    if _require(Item, "__init__") is not MOTO_ITEM_INIT:
        raise PatchError("Item.__init__ was replaced before infra.local.dynamo_items")
    Item.__init__ = build_item  # type: ignore[method-assign]
