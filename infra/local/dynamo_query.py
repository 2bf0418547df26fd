"""DynamoDB Query (and full-table reads) in time that does not grow with the table.

moto's ``Table.query`` calls ``all_items()``, which lists and *sorts* every item of the
table (comparing ``DynamoType`` objects in Python) on each query, then keeps those of
the partition. Every table of ours is keyed by ``org_id``: one landlord is one
partition, and a query for one lease paid for the whole table.

Here a table's ``items`` is a :class:`_Items` (a ``dict`` like moto's ``defaultdict``):

* each partition of a hash+range table is a :class:`_Partition` that keeps its range
  keys sorted as items are put and deleted (one ``bisect.insort``), so a base-table
  query reads its partition only, in order, and narrows ``=``, ``<``, ``<=``, ``>``,
  ``>=``, ``BETWEEN`` and ``begins_with`` by bisection;
* a query on a secondary index reads a per-index map (index hash value → its items in
  the index's order), built on the first query of that index and then kept up to date
  from the items changed since (every put, delete and in-place update marks its key);
* ``all_items()`` (Scan, snapshots) concatenates the sorted partitions instead of
  sorting the whole table.

The answer is the one moto's own ``query`` gives: same items in the same order, same
``ScannedCount``, same ``LastEvaluatedKey`` (moto sets it when the page is full and
*any* further item of the partition follows, matching or not: so does this), the
filter and projection expressions applied after the page limit as moto does. Anything
this fast path does not cover (legacy ``KeyConditions`` filters, multi-attribute index
keys, a start key of another partition, non-scalar key values …) goes to moto's query.
``tests/unit/test_local_dynamo_query.py`` compares both on random tables.
"""

from __future__ import annotations

import copy
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from infra.local.dynamo_compact import answer, attribute, attributes
from infra.local.sorted_pairs import SortedPairs

_ORIGINAL: dict[str, Callable[..., Any]] = {}
_SCALAR = frozenset({"S", "N", "B"})


class _Unindexable(Exception):
    """An item's index key is not a scalar: the index cannot be kept (use moto's path)."""


def _share_hash_key(item: Any, hash_value: Any) -> None:
    """Let an item stored in a partition hold the partition's hash key object (the same
    type and value as written), not one of its own: one per partition, not per item."""
    state = getattr(item, "__dict__", None)
    own = state.get("hash_key") if state is not None else None
    if (
        own is not None
        and own is not hash_value
        and type(own) is type(hash_value)
        and own.type == hash_value.type
        and own.value == hash_value.value
    ):
        state["hash_key"] = hash_value  # type: ignore[index]


class _Partition(dict):  # type: ignore[type-arg]
    """range value (DynamoType) → Item, with the range keys kept sorted."""

    def __init__(self, owner: _Items | None, hash_value: Any) -> None:
        super().__init__()
        self.owner = owner
        self.hash_value = hash_value
        self.sorted = SortedPairs()  # cast values of the range keys → the DynamoType keys

    def _changed(self, key: Any) -> None:
        if self.owner is not None:
            self.owner.mark(self.hash_value, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _share_hash_key(value, self.hash_value)
        if key not in self:
            self.sorted.insert(key.cast_value, key)
        dict.__setitem__(self, key, value)
        self._changed(key)

    def _forget(self, key: Any) -> None:
        self.sorted.remove(key.cast_value, key)

    def __delitem__(self, key: Any) -> None:
        dict.__delitem__(self, key)
        self._forget(key)
        self._changed(key)

    _MISSING = object()

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        if key in self:
            value = dict.pop(self, key)
            self._forget(key)
            self._changed(key)
            return value
        if default is _Partition._MISSING:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[Any, Any]:
        key, value = dict.popitem(self)
        self._forget(key)
        self._changed(key)
        return key, value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def ordered(self) -> Iterator[Any]:
        for key in self.sorted.keys:
            yield dict.__getitem__(self, key)

    def __deepcopy__(self, memo: dict[int, Any]) -> _Partition:
        copied = _Partition(None, self.hash_value)
        for key, value in dict.items(self):
            copied[key] = copy.deepcopy(value, memo)
        return copied

    def __reduce__(self) -> Any:  # pickling (moto's backups): a plain dict
        return (dict, (dict(self),))


class _Index:
    """One secondary index: hash value → sorted sort-tuples and their item keys."""

    def __init__(self, signature: tuple[Any, ...]) -> None:
        self.signature = signature
        _, self.hash_attr, self.range_attrs, self.sort_attrs = signature
        self.names = {self.hash_attr, *self.range_attrs, *self.sort_attrs}
        self.buckets: dict[Any, SortedPairs] = {}
        self.entries: dict[tuple[Any, Any], tuple[Any, Any]] = {}
        self.dirty: set[tuple[Any, Any]] = set()

    def entry(self, item: Any) -> tuple[Any, Any] | None:
        """(bucket key, sort tuple) of an item, or None when the index skips it."""
        attrs = attributes(item, self.names)
        hash_value = attrs.get(self.hash_attr)
        if not hash_value:
            return None
        for name in self.range_attrs:
            if not attrs.get(name):
                return None
        if hash_value.type not in _SCALAR:
            raise _Unindexable(self.hash_attr)
        try:
            values = [attrs[name] for name in self.sort_attrs]
        except KeyError:
            raise _Unindexable(self.sort_attrs) from None
        if any(v.type not in _SCALAR for v in values):
            raise _Unindexable(self.sort_attrs)
        return (hash_value.type, hash_value.cast_value), tuple(v.cast_value for v in values)

    def add(self, key: tuple[Any, Any], item: Any) -> None:
        found = self.entry(item)
        if found is None:
            return
        bucket_key, sort = found
        bucket = self.buckets.get(bucket_key)
        if bucket is None:
            bucket = self.buckets[bucket_key] = SortedPairs()
        bucket.insert(sort, key, right=True)
        self.entries[key] = found

    def remove(self, key: tuple[Any, Any]) -> None:
        found = self.entries.pop(key, None)
        if found is None:
            return
        bucket_key, sort = found
        bucket = self.buckets[bucket_key]
        bucket.remove(sort, key)
        if not bucket:
            del self.buckets[bucket_key]

    def refresh(self, items: _Items) -> None:
        while self.dirty:
            key = self.dirty.pop()
            self.remove(key)
            item = items.lookup(*key)
            if item is not None:
                self.add(key, item)


class _Items(dict):  # type: ignore[type-arg]
    """A table's ``items``: hash value → _Partition (hash+range) or Item (hash only)."""

    def __init__(self, has_range: bool) -> None:
        super().__init__()
        self.has_range = has_range
        self.indexes: dict[str, _Index] = {}
        self.broken: set[str] = set()  # indexes that cannot be kept (moto's path)

    # ---------------------------------------------------------------- changes

    def mark(self, hash_value: Any, range_value: Any) -> None:
        for index in self.indexes.values():
            index.dirty.add((hash_value, range_value))

    def mark_partition(self, hash_value: Any, partition: Any) -> None:
        if not self.indexes:
            return
        if self.has_range and isinstance(partition, dict):
            for range_value in partition:
                self.mark(hash_value, range_value)
        else:
            self.mark(hash_value, None)

    def __missing__(self, key: Any) -> Any:
        # moto's defaultdict(dict): a read of a missing partition creates it.
        value: Any = _Partition(self, key) if self.has_range else {}
        dict.__setitem__(self, key, value)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        if self.has_range and not isinstance(value, _Partition):
            partition = _Partition(self, key)
            for range_value, item in dict(value).items():
                partition[range_value] = item
            value = partition
        elif isinstance(value, _Partition):
            value.owner, value.hash_value = self, key
        old = dict.get(self, key)
        if old is not None:
            self.mark_partition(key, old)
        dict.__setitem__(self, key, value)
        self.mark_partition(key, value)

    def __delitem__(self, key: Any) -> None:
        old = dict.__getitem__(self, key)
        dict.__delitem__(self, key)
        self.mark_partition(key, old)

    _MISSING = object()

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        if key in self:
            value = dict.pop(self, key)
            self.mark_partition(key, value)
            return value
        if default is _Items._MISSING:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[Any, Any]:
        key, value = dict.popitem(self)
        self.mark_partition(key, value)
        return key, value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default if default is not None else {}
        return dict.__getitem__(self, key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def __deepcopy__(self, memo: dict[int, Any]) -> _Items:
        copied = _Items(self.has_range)
        for key, value in dict.items(self):
            copied[key] = copy.deepcopy(value, memo)
        return copied

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))

    # ---------------------------------------------------------------- reads

    def lookup(self, hash_value: Any, range_value: Any) -> Any:
        value = dict.get(self, hash_value)
        if value is None:
            return None
        if self.has_range:
            return dict.get(value, range_value)
        return value if not isinstance(value, dict) else None

    def ordered(self) -> list[Any]:
        """Every item in (hash, range) order: what moto's ``all_items`` returns."""
        hashes = sorted(dict.keys(self), key=lambda h: h.cast_value)
        out: list[Any] = []
        for hash_value in hashes:
            value = dict.__getitem__(self, hash_value)
            if not self.has_range:
                out.append(value)
            elif isinstance(value, _Partition):
                out.extend(value.ordered())
            else:  # pragma: no cover - every partition is a _Partition
                out.extend(sorted(value.values(), key=lambda i: i.range_key))
        return out

    def unordered(self) -> Iterator[Any]:
        """Every item, in no particular order: a snapshot's capture, which must not
        pay for the order (sorting, and hashing every key to look it up again) while
        the locks are held."""
        if not self.has_range:
            yield from dict.values(self)
            return
        for partition in dict.values(self):
            yield from dict.values(partition)

    def index(self, signature: tuple[Any, ...]) -> _Index | None:
        name = signature[0]
        if name in self.broken:
            return None
        index = self.indexes.get(name)
        try:
            if index is None or index.signature != signature:
                index = _Index(signature)
                for key, item in self._all_keyed():
                    index.add(key, item)
                self.indexes[name] = index
            else:
                index.refresh(self)
        except _Unindexable:
            self.indexes.pop(name, None)
            self.broken.add(name)
            return None
        return index

    def _all_keyed(self) -> Iterable[tuple[tuple[Any, Any], Any]]:
        for hash_value, value in dict.items(self):
            if self.has_range:
                for range_value, item in dict.items(value):
                    yield (hash_value, range_value), item
            elif not isinstance(value, dict):
                yield (hash_value, None), value


# -------------------------------------------------------------------- query


def _bounds(
    casts: Sequence[Any],
    comparison: str | None,
    values: list[Any],
    key: Callable[[Any], Any] | None = None,
) -> tuple[int, int]:
    """The slice of sorted ``casts`` (compared through ``key``) that can match; a
    superset is fine (each candidate is still compared as moto does)."""
    n = len(casts)
    if comparison is None or not values:
        return 0, n
    op = comparison.upper()
    first = values[0]
    try:
        if op in ("=", "EQ"):
            return bisect_left(casts, first, key=key), bisect_right(casts, first, key=key)
        if op in ("<", "LT"):
            return 0, bisect_left(casts, first, key=key)
        if op in ("<=", "LE"):
            return 0, bisect_right(casts, first, key=key)
        if op in (">", "GT"):
            return bisect_right(casts, first, key=key), n
        if op in (">=", "GE"):
            return bisect_left(casts, first, key=key), n
        if op == "BETWEEN" and len(values) == 2:
            lo = bisect_left(casts, first, key=key)
            return lo, max(lo, bisect_right(casts, values[1], key=key))
        if op == "BEGINS_WITH" and isinstance(first, str):
            lo = bisect_left(casts, first, key=key)
            # From lo on, the keys with the prefix come first (they sort together).
            get = key or (lambda c: c)
            hi = bisect_left(casts, True, lo, n, key=lambda c: not get(c).startswith(first))
            return lo, hi
    except (TypeError, AttributeError):  # values of another type than the keys
        return 0, n
    return 0, n


def _page(
    table: Any,
    order: list[int],
    item_at: Callable[[int], Any],
    beyond: Any,
    range_attr: str | None,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: Any,
    index_name: str | None,
) -> tuple[list[Any], int, dict[str, Any] | None]:
    """moto's page loop over the candidates, with its limit and 1 MB rules."""
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    results: list[Any] = []
    size = 0
    scanned = 0
    for position in order:
        item = item_at(position)
        item_size = item.size()
        if len(results) == limit or size + item_size > RESULT_SIZE_LIMIT:
            return results, scanned, table._get_last_evaluated_key(results[-1], index_name)
        if range_comparison:
            value = attribute(item, range_attr) if range_attr else item.range_key
            if not value or not value.compare(range_comparison, range_objs):
                continue
        results.append(item)
        size += item_size
        scanned += 1
    # moto also looks at the next item of the partition (matching or not).
    if (
        beyond is not None
        and results
        and (len(results) == limit or size + beyond.size() > RESULT_SIZE_LIMIT)
    ):
        return results, scanned, table._get_last_evaluated_key(results[-1], index_name)
    return results, scanned, None


def _finish(
    table: Any,
    page: tuple[list[Any], int, dict[str, Any] | None],
    index_name: str | None,
    filter_expression: Any,
    projection_expressions: Any,
) -> tuple[list[Any], int, dict[str, Any] | None]:
    results, scanned, last = page
    # moto copies the page before this point; nothing below writes to an item (an index's
    # and a projection's ``project`` build new items, a filter only reads) and the
    # handler turns the page into new JSON values under the DynamoDB lock, so the stored
    # items are read in place.
    if index_name:
        index = table.get_index(index_name)
        results = [index.project(r) for r in results]
    if filter_expression is not None:
        results = [item for item in results if filter_expression.expr(item)]
    if projection_expressions:
        results = [r.project(projection_expressions) for r in results]
    # moto's handler reads each result's ``attrs`` only: compact items answer their string.
    return [answer(r) for r in results], scanned, last


def _base_query(
    table: Any,
    hash_key: Any,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: Any,
    exclusive_start_key: dict[str, Any] | None,
    forward: bool,
    range_attr: str | None,
) -> tuple[list[Any], int, dict[str, Any] | None] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    items: _Items = table.items
    if not table.range_key_attr:
        if range_comparison or exclusive_start_key is not None:
            return None
        found = dict.get(items, hash_key)
        candidates = [found] if found is not None and not isinstance(found, dict) else []
        return _page(table, list(range(len(candidates))), candidates.__getitem__, None,
                     None, None, range_objs, limit, None)  # fmt: skip
    partition = dict.get(items, hash_key)
    if partition is None:
        return [], 0, None
    if not isinstance(partition, _Partition):
        return None
    casts, keys = partition.sorted.casts, partition.sorted.keys
    n = len(casts)
    lo, hi = _bounds(casts, range_comparison, [o.cast_value for o in range_objs])
    if exclusive_start_key is not None:
        try:
            start_hash = DynamoType(exclusive_start_key[table.hash_key_attr])
            start = DynamoType(exclusive_start_key[table.range_key_attr]).cast_value
        except (KeyError, TypeError, IndexError, AttributeError):
            return None
        if start_hash != hash_key:
            return None
        if forward:
            lo = max(lo, bisect_right(casts, start))
        else:
            hi = min(hi, bisect_left(casts, start))
    hi = max(hi, lo)
    if forward:
        order = list(range(lo, hi))
        beyond_position = max(hi, lo)
        beyond = partition[keys[beyond_position]] if beyond_position < n else None
    else:
        order = list(range(hi - 1, lo - 1, -1))
        beyond = partition[keys[lo - 1]] if lo > 0 else None
    return _page(
        table,
        order,
        lambda i: dict.__getitem__(partition, keys[i]),
        beyond,
        range_attr,
        range_comparison,
        range_objs,
        limit,
        None,
    )


def _index_shape(
    table: Any,
    index_name: str,
    hash_key_conditions: list[tuple[str, Any]],
    range_key_conditions: list[tuple[str, str, list[Any]]],
    range_comparison: str | None,
    consistent_read: bool,
) -> tuple[str, tuple[str, ...], tuple[str, ...], str] | None:
    """(hash attribute, range attributes, sort attributes, compared attribute) of an
    index query this path serves, or None (moto's query answers, or raises)."""
    from moto.dynamodb.models.table import GlobalSecondaryIndex

    found = {i.name: i for i in table.all_indexes()}.get(index_name)
    if found is None or (consistent_read and found in table.global_indexes):
        return None
    hash_keys = [k["AttributeName"] for k in found.schema if k["KeyType"] == "HASH"]
    range_keys = [k["AttributeName"] for k in found.schema if k["KeyType"] == "RANGE"]
    if len(hash_keys) != 1 or len(range_keys) > 1 or len(range_key_conditions) > 1:
        return None
    if len(hash_key_conditions) != 1 or hash_key_conditions[0][0] != hash_keys[0]:
        return None
    if range_keys:
        compared = range_keys[0]
    elif range_comparison:
        return None
    elif isinstance(found, GlobalSecondaryIndex) and table.range_key_attr:
        compared = table.range_key_attr
    else:
        compared = table.hash_key_attr
    if range_key_conditions and range_key_conditions[-1][0] != compared:
        return None
    sort_attrs = tuple(
        table._generate_attr_to_sort_by(
            [hash_keys[0], table.hash_key_attr], [compared, table.range_key_attr]
        )
    )
    # A range comparison bisects on the sort tuple's second element.
    if range_comparison and (len(sort_attrs) < 2 or sort_attrs[1] != compared):
        return None
    return hash_keys[0], tuple(range_keys), sort_attrs, compared


def _index_query(
    table: Any,
    index_name: str,
    hash_key_conditions: list[tuple[str, Any]],
    range_key_conditions: list[tuple[str, str, list[Any]]],
    range_comparison: str | None,
    range_objs: list[Any],
    limit: Any,
    exclusive_start_key: dict[str, Any] | None,
    forward: bool,
    consistent_read: bool,
) -> tuple[list[Any], int, dict[str, Any] | None] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    shape = _index_shape(
        table,
        index_name,
        hash_key_conditions,
        range_key_conditions,
        range_comparison,
        consistent_read,
    )
    if shape is None:
        return None
    hash_attr, range_keys, sort_attrs, compared = shape
    items: _Items = table.items
    index = items.index((index_name, hash_attr, range_keys, sort_attrs))
    if index is None:
        return None
    expected = hash_key_conditions[0][1]
    if expected.type not in _SCALAR:
        return None
    bucket = index.buckets.get((expected.type, expected.cast_value)) or SortedPairs()
    casts, keys = bucket.casts, bucket.keys
    n = len(casts)
    if range_comparison:
        lo, hi = _bounds(
            casts, range_comparison, [o.cast_value for o in range_objs], key=lambda c: c[1]
        )
    else:
        lo, hi = 0, n
    if exclusive_start_key is not None:
        try:
            start = tuple(DynamoType(exclusive_start_key[a]).cast_value for a in sort_attrs)
        except (KeyError, TypeError, IndexError, AttributeError):
            return None
        try:
            if forward:
                lo = max(lo, bisect_right(casts, start))
            else:
                hi = min(hi, bisect_left(casts, start))
        except TypeError:
            return None
    hi = max(hi, lo)
    if forward:
        order = list(range(lo, hi))
        beyond = items.lookup(*keys[hi]) if hi < n else None
    else:
        order = list(range(hi - 1, lo - 1, -1))
        beyond = items.lookup(*keys[lo - 1]) if lo > 0 else None
    return _page(
        table,
        order,
        lambda i: items.lookup(*keys[i]),
        beyond,
        compared,
        range_comparison,
        range_objs,
        limit,
        index_name,
    )


def query(
    self: Any,
    hash_key: Any,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter_expression: Any = None,
    hash_key_conditions: list[tuple[str, Any]] | None = None,
    range_key_conditions: list[tuple[str, str, list[Any]]] | None = None,
    **filter_kwargs: Any,
) -> tuple[list[Any], int, dict[str, Any] | None]:
    """``Table.query``: the partition (or index bucket) only, in order."""
    page = None
    if isinstance(self.items, _Items) and not filter_kwargs and (limit is None or limit > 0):
        forward = scan_index_forward is not False
        if index_name:
            page = _index_query(
                self,
                index_name,
                list(hash_key_conditions or []),
                list(range_key_conditions or []),
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                forward,
                consistent_read,
            )
        elif hash_key is not None and (
            not range_key_conditions
            or (
                len(range_key_conditions) == 1 and range_key_conditions[0][0] == self.range_key_attr
            )
        ):
            page = _base_query(
                self,
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                forward,
                self.range_key_attr if range_key_conditions else None,
            )
    if page is None:
        answer: tuple[list[Any], int, dict[str, Any] | None] = _ORIGINAL["query"](
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            consistent_read,
            filter_expression,
            hash_key_conditions=hash_key_conditions,
            range_key_conditions=range_key_conditions,
            **filter_kwargs,
        )
        return answer
    return _finish(self, page, index_name, filter_expression, projection_expressions)


def all_items(self: Any) -> list[Any]:
    """``Table.all_items``: sorted partitions concatenated (no whole-table sort)."""
    if isinstance(self.items, _Items):
        return self.items.ordered()
    result: list[Any] = _ORIGINAL["all_items"](self)
    return result


def mark_updated(table: Any, hash_value: Any, range_value: Any) -> None:
    """An item was changed in place (UpdateItem): its index entries are stale."""
    items = getattr(table, "items", None)
    if isinstance(items, _Items):
        items.mark(hash_value, range_value if items.has_range else None)


def adopt(table: Any) -> None:
    """Give a table (new, or created before the patch) sorted partitions."""
    if isinstance(table.items, _Items):
        return
    adopted = _Items(table.range_key_attr is not None)
    for hash_value, value in dict.items(table.items):
        adopted[hash_value] = value
    table.items = adopted


def apply() -> None:
    """Install the fast query (called once by ``patches.apply_all``)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    from infra.local.patches import _require

    _ORIGINAL["query"] = _require(Table, "query")
    _ORIGINAL["all_items"] = _require(Table, "all_items")
    original_init = _require(Table, "__init__")
    original_update = _require(DynamoDBBackend, "update_item")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        adopt(self)

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kw: Any) -> Any:
        try:
            return original_update(self, table_name, key, *args, **kw)
        finally:
            table = self.tables.get(table_name)
            if table is not None and isinstance(key, dict) and table.hash_key_attr in key:
                range_attr = table.range_key_attr
                mark_updated(
                    table,
                    DynamoType(key[table.hash_key_attr]),
                    DynamoType(key[range_attr]) if range_attr and range_attr in key else None,
                )

    Table.__init__ = __init__  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def stored_items(table: Any) -> Iterable[Any]:
    """Every item of a moto table, in no particular order (:meth:`_Items.unordered`;
    moto's ``all_items()`` for a table these patches do not hold)."""
    items = table.items
    return items.unordered() if isinstance(items, _Items) else table.all_items()
