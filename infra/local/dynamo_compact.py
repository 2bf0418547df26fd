"""Stored DynamoDB items kept as one JSON string; moto's attribute objects built on use.

moto keeps each item as an ``Item`` holding a ``LimitedSizeDict`` of ``DynamoType``
objects: one object (and its ``__dict__``) per attribute, more for each map and list
element. A stored ledger line or accounting entry weighed ~4.2 KB in the emulator,
most of the platform's memory at 50,000 leases.

Here an ``Item`` built from DynamoDB JSON (a Put, a batch write, a restored snapshot)
keeps that JSON encoded once, as a compact ASCII string deflated against a preset
dictionary of earlier items (``_raw``, :class:`_Packer`: 527 bytes a stored 18-attribute
item in all, 1,143 with the plain string), and its size in moto's accounting
(``_size``). Its ``attrs`` (moto's ``LimitedSizeDict`` of ``DynamoType``) is a
property: built from the string the first time moto's code asks for it, then kept until
the end of the request that built it (:func:`holding`), when:

* after a read (GetItem, Query, Scan …), it is dropped: a read never changes an item;
* after a write, or outside any request, it is encoded again (an update may have
  changed it in place) and dropped; an item moto changed into something that is not
  plain DynamoDB JSON (a value moto holds as bytes, a number object) keeps its attrs.

What reads an item whole without changing it reads the string directly: ``to_json``
(stream images, snapshots, ``ReturnValues``), ``describe_attrs`` (GetItem, BatchGetItem,
TransactGetItems), ``size`` (query pages), deep copies (undo images), and the fast paths:
a Query page hands moto's handler the decoded JSON (:class:`Answer`), index maps and
range comparisons read the attributes they need (:func:`attribute`), a transaction's
condition is evaluated on a detached copy (:func:`detached`), and a plain update
(``dynamo_updates``) rewrites the JSON and encodes it once. Items holding a binary
value anywhere are kept as moto keeps them (moto's ``to_json`` decodes nested binaries
to bytes, which the string could not say). All table access happens under
``TABLES_LOCK`` (``dynamo_tx``), which :func:`holding` is entered with; an item built
from its string between two requests (a snapshot, a test reading the backend) keeps its
attrs until the next request ends.

``tests/integration/test_emulator_compact_items.py`` sends random requests to tables of
moto's own items and of these, and compares every answer, the stored items, their sizes
and the stream images.
"""

from __future__ import annotations

import contextlib
import json
import threading
import zlib
from collections.abc import Iterable, Iterator
from sys import intern
from typing import Any, cast

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

from infra.local.dynamo_items import MAX_ITEM_BYTES, build_item

_ENCODE = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
_DECODE = json.JSONDecoder().decode
_SCALARS = frozenset({"S", "N", "BOOL", "NULL"})
_SETS = frozenset({"SS", "NS"})


class _Packer:
    """Items' JSON strings deflated against a preset dictionary of earlier items.

    Stored items of one table repeat the same attribute names, type tags and many values
    (organisation, dates, kinds, labels): against a dictionary holding a few items of the
    same shapes, a 380-1,040-byte ledger line, entry or transaction deflates to 70-250
    bytes. The dictionary only grows, by appending an item that deflated poorly (a shape
    it did not know), up to :attr:`LIMIT` bytes; a packed item starts with the length of
    the dictionary it was packed against (two bytes), which names that prefix for ever.
    Deflating costs ~13-18 us an item written, inflating ~2 us an item read (a raw
    deflate stream, level 1, a dictionary of a few KB: measured on the month's items).
    """

    LIMIT = 4096
    SAMPLE = 1536  # a longer item is never taken as a sample
    POOR = 3  # taken as a sample when it deflated to more than a third of its length

    def __init__(self) -> None:
        self.dictionary = b""
        self.prefixes: dict[int, bytes] = {0: b""}
        self._lock = threading.Lock()

    def pack(self, text: str) -> bytes:
        data = text.encode("ascii")  # _ENCODE escapes everything else
        zdict = self.dictionary
        packed = self._deflate(data, zdict)
        if len(packed) * self.POOR > len(data) and len(data) <= self.SAMPLE:
            with self._lock:
                if len(self.dictionary) + len(data) <= self.LIMIT:
                    zdict = self.dictionary = self.dictionary + data
                    self.prefixes[len(zdict)] = zdict
                    packed = self._deflate(data, zdict)
        return len(zdict).to_bytes(2, "little") + packed

    # A raw deflate stream (no header) with a 4 KB window, which holds the whole
    # dictionary, and a small hash table: cheaper to set up for a few hundred bytes.
    WBITS = -12
    MEMLEVEL = 4

    @classmethod
    def _deflate(cls, data: bytes, zdict: bytes) -> bytes:
        level, method, strategy = 1, zlib.DEFLATED, zlib.Z_DEFAULT_STRATEGY
        if zdict:
            deflater = zlib.compressobj(level, method, cls.WBITS, cls.MEMLEVEL, strategy, zdict)
        else:
            deflater = zlib.compressobj(level, method, cls.WBITS, cls.MEMLEVEL, strategy)
        return deflater.compress(data) + deflater.flush()

    def unpack(self, packed: bytes) -> str:
        zdict = self.prefixes[int.from_bytes(packed[:2], "little")]
        wbits = self.WBITS
        inflater = zlib.decompressobj(wbits, zdict) if zdict else zlib.decompressobj(wbits)
        return (inflater.decompress(packed[2:]) + inflater.flush()).decode("ascii")


PACKER = _Packer()


MOTO_METHODS: dict[str, Any] = {}
"""moto's own ``Item`` methods replaced here, by name."""


class Switch:
    """On by default; the equivalence test turns it off to build items as moto does."""

    enabled = True


class _Hold:
    """The outermost request holding the tables, and the items built since it began."""

    def __init__(self) -> None:
        self.depth = 0
        self.reading = False
        self.owner = 0  # the thread holding it
        self.built: list[tuple[Any, bool]] = []  # (item, built from its string in a read)


_HOLD = _Hold()
_GUARD = threading.Lock()  # the built list may be appended to outside a request


# -------------------------------------------------------------------- sizes


def utf8(value: str) -> int:
    """``bytesize``: the UTF-8 length of a string."""
    return len(value) if value.isascii() else len(value.encode("utf-8"))


def value_size(value: Any) -> int | None:
    """moto's ``DynamoType(value).size()`` of a DynamoDB JSON value, without building it;
    None for what the compact form does not hold (binaries, shapes moto would refuse)."""
    if type(value) is not dict or len(value) != 1:
        return None
    ((kind, inner),) = value.items()
    if kind == "S":
        return utf8(inner) if type(inner) is str else None
    if kind == "N":
        return len(inner) if type(inner) is str else None
    if kind in ("BOOL", "NULL"):
        return 1 if type(inner) is bool else None
    if kind in _SETS:
        if type(inner) is not list or any(type(v) is not str for v in inner):
            return None
        return sum(utf8(v) for v in inner) if kind == "SS" else sum(len(v) for v in inner)
    if kind == "L":
        if type(inner) is not list:
            return None
        total = 0
        for element in inner:
            size = value_size(element)
            if size is None:
                return None
            total += size
        return total
    if kind == "M":
        if type(inner) is not dict:
            return None
        total = 0
        for key, element in inner.items():
            size = value_size(element)
            if size is None or type(key) is not str:
                return None
            total += utf8(key) + size
        return total
    return None  # binaries and anything unknown


def _wire(value: Any) -> Any:
    """A ``DynamoType`` back as DynamoDB JSON (raises on anything else)."""
    kind = value.type
    if kind in _SCALARS or kind in _SETS:
        return {kind: value.value}
    if kind == "M":
        return {"M": {k: _wire(v) for k, v in value.value.items()}}
    if kind == "L":
        return {"L": [_wire(v) for v in value.value]}
    raise TypeError(kind)


# -------------------------------------------------------------------- the item


def build(self: Item, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """``Item.__init__``: the attributes as one string when they are plain DynamoDB JSON,
    moto's objects otherwise; moto's 400 KB check either way."""
    if not Switch.enabled:
        build_item(self, hash_key, range_key, attrs)
        return
    total = 0
    for key, value in attrs.items():
        size = value_size(value) if type(key) is str else None
        if size is None:
            build_item(self, hash_key, range_key, attrs)
            return
        total += utf8(key) + size
        if total > MAX_ITEM_BYTES:
            raise ItemSizeTooLarge
    state = self.__dict__
    state["hash_key"] = hash_key
    state["range_key"] = range_key
    state["_raw"] = PACKER.pack(_ENCODE(attrs))
    state["_size"] = total
    state["_attrs"] = None


def typed(value: dict[str, Any]) -> DynamoType:
    """``DynamoType(value)`` for a value of the compact form (plain DynamoDB JSON without
    binaries): the same type and value, lists and maps converted, without the generic
    constructor's copies."""
    typed_value = DynamoType.__new__(DynamoType)
    for kind, inner in value.items():
        typed_value.type = kind
        if kind == "M":
            typed_value.value = {k: typed(v) for k, v in inner.items()}
        elif kind == "L":
            typed_value.value = [typed(v) for v in inner]
        else:
            typed_value.value = inner
        break
    return typed_value


def _materialise(raw: str) -> LimitedSizeDict:
    values = LimitedSizeDict.__new__(LimitedSizeDict)
    for key, value in _DECODE(raw).items():
        dict.__setitem__(values, intern(key), typed(value))
    return values


def _get_attrs(self: Item) -> Any:
    state = self.__dict__
    attrs = state.get("_attrs")
    if attrs is None:
        raw = state.get("_raw")
        if raw is None:
            if "attrs" in state:  # built before this module was installed
                return state["attrs"]
            raise AttributeError("attrs")
        attrs = state["_attrs"] = _materialise(PACKER.unpack(raw))
        hold = _HOLD
        _note(self, hold.reading and hold.depth > 0 and hold.owner == threading.get_ident())
    return attrs


def _set_attrs(self: Item, attrs: Any) -> None:
    state = self.__dict__
    state["_attrs"] = attrs
    state["_raw"] = None
    state["_size"] = None
    _note(self, False)


def _note(item: Item, from_read: bool) -> None:
    with _GUARD:
        _HOLD.built.append((item, from_read))


def compact(item: Item) -> bool:
    """Encode ``item``'s attrs as its string again and drop them; False if it cannot be."""
    state = item.__dict__
    attrs = state.get("_attrs")
    if attrs is None:
        return state.get("_raw") is not None
    if not Switch.enabled:
        return False
    try:
        wire = {k: _wire(v) for k, v in attrs.items()}
    except (AttributeError, TypeError):
        return False
    total = 0
    for key, value in wire.items():
        size = value_size(value)
        if size is None:
            return False
        total += utf8(key) + size
    try:
        raw = PACKER.pack(_ENCODE(wire))
    except (TypeError, ValueError):
        return False
    state["_raw"] = raw
    state["_size"] = total
    state["_attrs"] = None
    return True


def settle() -> None:
    """Drop (after a read) or re-encode (otherwise) the attrs built since the last call."""
    with _GUARD:
        built = _HOLD.built
        _HOLD.built = []
    for item, from_read in built:
        state = item.__dict__
        if from_read and state.get("_raw") is not None:
            state["_attrs"] = None
        else:
            compact(item)


@contextlib.contextmanager
def holding(*, reading: bool) -> Iterator[None]:
    """A request holding ``TABLES_LOCK``: the items it built attrs for are settled when
    the outermost such request ends."""
    hold = _HOLD
    outermost = hold.depth == 0
    if outermost:
        hold.reading = reading
        hold.owner = threading.get_ident()
    hold.depth += 1
    try:
        yield
    finally:
        hold.depth -= 1
        if outermost:
            hold.reading = False
            settle()


def is_compact(item: Item) -> bool:
    """Whether ``item`` is held as its string only (no attrs built)."""
    state = item.__dict__
    return state.get("_attrs") is None and state.get("_raw") is not None


def raw_of(item: Item) -> str | None:
    """The item's DynamoDB JSON string, when that is all it holds."""
    state = item.__dict__
    if state.get("_attrs") is not None:
        return None
    raw = state.get("_raw")
    return None if raw is None else PACKER.unpack(raw)


def packed_or_items(items: Iterable[Item]) -> list[bytes | Item]:
    """Each item's packed string when that is all it holds (immutable: a write gives
    the item a new one, so a snapshot can take it under the locks and unpack it later),
    else the item itself; one tight pass (a snapshot's capture of millions of items,
    under the locks)."""
    out: list[bytes | Item] = []
    append = out.append
    for item in items:
        state = item.__dict__
        raw = state.get("_raw")
        append(raw if raw.__class__ is bytes and state.get("_attrs") is None else item)
    return out


def unpacked(packed: bytes) -> str:
    """The DynamoDB JSON string of a packed item (:func:`packed_or_items`)."""
    return PACKER.unpack(packed)


def decoded(item: Item) -> dict[str, Any] | None:
    """The item's attributes as DynamoDB JSON (a new dict), when it is held compact."""
    raw = raw_of(item)
    return None if raw is None else _DECODE(raw)


def attribute(item: Item, name: str) -> DynamoType | None:
    """``item.attrs.get(name)``, without building the other attributes of a compact item."""
    raw = raw_of(item)
    if raw is None:
        found: DynamoType | None = item.attrs.get(name)
        return found
    value = _DECODE(raw).get(name)
    return None if value is None else typed(value)


def attributes(item: Item, names: Iterable[str]) -> dict[str, DynamoType]:
    """The item's attributes of these names (those it has), as ``DynamoType``."""
    raw = raw_of(item)
    if raw is None:
        attrs = item.attrs
        return {name: attrs[name] for name in names if name in attrs}
    stored = _DECODE(raw)
    return {name: typed(stored[name]) for name in names if name in stored}


def detached(item: Item | None) -> Item | None:
    """An item to evaluate a condition on: a compact item's copy with its attrs built,
    which the stored item does not keep (nothing to drop or encode when the request
    ends); any other item itself."""
    raw = raw_of(item) if item is not None else None
    if raw is None:
        return item
    copied = cast(Item, Item.__new__(Item))
    state = copied.__dict__
    state["hash_key"] = item.__dict__["hash_key"]
    state["range_key"] = item.__dict__["range_key"]
    state["_raw"] = item.__dict__["_raw"]
    state["_size"] = item.__dict__["_size"]
    state["_attrs"] = _materialise(raw)
    return copied


def store(item: Item, attributes: dict[str, Any], total: int) -> None:
    """Hold ``attributes`` (DynamoDB JSON of the compact form, of moto's size ``total``) as
    the item's string."""
    state = item.__dict__
    state["_raw"] = PACKER.pack(_ENCODE(attributes))
    state["_size"] = total
    state["_attrs"] = None


def wire(value: DynamoType) -> dict[str, Any] | None:
    """A ``DynamoType`` as DynamoDB JSON of the compact form, or None (a binary …)."""
    try:
        converted: dict[str, Any] = _wire(value)
    except (AttributeError, TypeError):
        return None
    return converted


class Answer:
    """A stored item as moto's Query handler reads it (``item.attrs``): its attributes as
    DynamoDB JSON, decoded from the string; anything else is the item's."""

    __slots__ = ("attrs", "item")

    def __init__(self, item: Item, raw: str) -> None:
        self.item = item
        self.attrs = _DECODE(raw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.item, name)


def answer(item: Any) -> Any:
    """What a Query page hands moto's handler for ``item``."""
    raw = raw_of(item) if type(item) is Item else None
    return item if raw is None else Answer(item, raw)


def size(self: Item) -> int:
    state = self.__dict__
    if state.get("_attrs") is None and state.get("_size") is not None:
        return int(state["_size"])
    return int(MOTO_METHODS["size"](self))


def to_json(self: Item, root_attr_name: str = "Attributes") -> dict[str, Any]:
    raw = raw_of(self)
    if raw is not None:
        return {root_attr_name: _DECODE(raw)}
    result: dict[str, Any] = MOTO_METHODS["to_json"](self, root_attr_name)
    return result


def describe_attrs(self: Item, attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    """moto's ``describe_attrs`` (GetItem, BatchGetItem), as DynamoDB JSON from the string."""
    raw = raw_of(self)
    if raw is None:
        described: dict[str, Any] = MOTO_METHODS["describe_attrs"](self, attributes)
        return described
    values = _DECODE(raw)
    if attributes:
        values = {k: v for k, v in values.items() if k in attributes}
    return {"Item": values}


def deep_copy(self: Item, memo: dict[int, Any]) -> Item:
    if not is_compact(self):
        copied: Item = MOTO_METHODS["__deepcopy__"](self, memo)
        return copied
    import copy

    result = cast(Item, Item.__new__(Item))
    memo[id(self)] = result
    state = result.__dict__
    state["hash_key"] = copy.deepcopy(self.hash_key, memo)
    state["range_key"] = copy.deepcopy(self.range_key, memo)
    state["_raw"] = self.__dict__["_raw"]  # immutable bytes: shared
    state["_size"] = self.__dict__["_size"]
    state["_attrs"] = None
    return result


def install() -> None:
    """Make ``Item.attrs`` the lazy property (after ``dynamo_items.install``)."""
    import inspect

    from infra.local.patches import PatchError, _require

    if "attrs" in MOTO_METHODS:
        return
    for name in ("size", "to_json", "describe_attrs", "__deepcopy__", "__init__"):
        MOTO_METHODS[name] = _require(Item, name)
    if MOTO_METHODS["__init__"] is not build_item:
        raise PatchError("Item.__init__ is not infra.local.dynamo_items' build_item")
    if isinstance(Item.__dict__.get("attrs"), property):
        raise PatchError("moto changed: Item.attrs is already a property")
    for name in ("size", "to_json", "describe_attrs", "__deepcopy__"):
        # What the string stands in for: each reads the item through ``self.attrs``.
        if "self.attrs" not in inspect.getsource(MOTO_METHODS[name]):
            raise PatchError(f"moto changed: Item.{name} no longer reads self.attrs")
    MOTO_METHODS["attrs"] = None
    Item.__init__ = build  # type: ignore[method-assign]
    Item.attrs = property(_get_attrs, _set_attrs)  # type: ignore[assignment]
    Item.size = size  # type: ignore[method-assign]
    Item.to_json = to_json  # type: ignore[method-assign]
    Item.describe_attrs = describe_attrs  # type: ignore[method-assign]
    Item.__deepcopy__ = deep_copy  # type: ignore[method-assign]
