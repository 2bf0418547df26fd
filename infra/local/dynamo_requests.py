"""DynamoDB requests parsed with ``json.loads`` and a plan compiled once from botocore's
model, not by moto's shape-driven parser.

moto 5 parses every request body by walking it against the operation's input shape
(``moto.core.parse.JSONParser``): for each attribute value of each item it looks up a
handler by name and tries every one of the ten members of ``AttributeValue``. In the
month of bench-platform that walk was ~11-15 % of the emulator's CPU, mostly on the
100-item TransactWriteItems of grouped bookings. Yet for the JSON protocol the walk
changes almost nothing: ``json.loads`` already gives the parsed values, except where
the walk converts or drops one. For moto 5.2.5's ``JSONParser`` (``dict`` maps, default
blob and timestamp parsers) those places are, exactly:

- a structure keeps only the members of its shape, in the shape's order, and drops a
  member whose value is ``null`` (a ``null`` structure stays ``None``); a document
  structure is kept as it is;
- a blob (``B``, each of ``BS``) is base64-decoded to ``bytes``; a timestamp becomes a
  naive UTC ``datetime``;
- an integer or long goes through ``int()``, a float or double through ``float()``;
- strings, booleans and anything else are kept as they are, whatever their JSON type;
- an empty body gives ``{}``, an invalid one ``{"message": body}`` (then parsed).

So :func:`direct_params` runs ``json.loads`` and then a converter compiled per shape
(cached, shared between operations) that leaves a value in place when the walk would
give an equal value of the same type and order, reorders or filters a structure when
needed, and decodes blobs and timestamps. It never guesses: a value of an unexpected
JSON type (a list where a structure is expected, a string for an integer...), an
empty, invalid or non-UTF-8 body, a blob that does not decode, nesting deeper than
:data:`MAX_DEPTH`, a protocol other than ``json`` or an unknown action make it give
up, and moto's own parser parses the request from its body as before (with its own
result or error). ``tests/integration/test_emulator_requests.py`` compares the two
parses on a corpus of real requests and the emulator's answers with it off and on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from moto.core import parse
from moto.core.model import ServiceModel
from moto.core.request import determine_request_protocol
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler

Convert = Callable[[Any, int], Any]

# Structure levels (the request itself is level 0; each attribute value of a map or
# list is two levels below its parent). moto's recursive walk uses four frames per
# level of nested maps and fails past ~230; DynamoDB itself allows 32.
MAX_DEPTH = 100

# JSONParser's ``int()`` and ``float()`` conversions, by shape type.
_INTEGERS = frozenset({"integer", "long", "short", "byte"})
_FLOATS = frozenset({"float", "double"})

_ORIGINAL: dict[str, Callable[..., Any]] = {}


class Switch:
    """On by default; the equivalence test turns it off to get moto's own parse."""

    enabled = True


class _GiveUp(Exception):
    """This request is left to moto's parser."""


class UnsupportedShapeError(Exception):
    """A shape whose parse this module does not reproduce (its operation is left to moto)."""


class SlowPath:
    """What :func:`direct_params` returns when moto's parser must parse the request."""


SLOW = SlowPath()


# ------------------------------------------------------------------ converters


def _integer(value: Any, depth: int) -> Any:
    if type(value) is int:  # int(value) would be value itself; bool, float, str differ
        return value
    raise _GiveUp


def _float(value: Any, depth: int) -> Any:
    if type(value) is float:
        return value
    raise _GiveUp


def _blob(value: Any, depth: int) -> Any:
    if type(value) is str:
        try:
            return parse.default_blob_parser(value)  # type: ignore[no-untyped-call]
        except ValueError:  # binascii.Error, non-ASCII text
            raise _GiveUp from None
    raise _GiveUp


def _timestamp(value: Any, depth: int) -> Any:
    if type(value) in (str, int, float):  # what botocore's parse_timestamp reads
        try:
            return parse.default_timestamp_parser(value)
        except Exception:  # whatever it is, moto's parse reports it
            raise _GiveUp from None
    raise _GiveUp


def _list_of(member: Convert | None) -> Convert:
    if member is None:

        def same_list(value: Any, depth: int) -> Any:
            if type(value) is list:
                return value
            raise _GiveUp  # moto would iterate a string's characters or a dict's keys

        return same_list

    def convert_list(value: Any, depth: int) -> Any:
        if type(value) is not list:
            raise _GiveUp
        below = depth + 1
        for i, item in enumerate(value):
            value[i] = member(item, below)
        return value

    return convert_list


def _map_of(member: Convert | None) -> Convert:
    if member is None:

        def same_map(value: Any, depth: int) -> Any:
            if type(value) is dict:
                return value
            raise _GiveUp

        return same_map

    def convert_map(value: Any, depth: int) -> Any:
        if type(value) is not dict:
            raise _GiveUp
        below = depth + 1
        for key, item in value.items():
            value[key] = member(item, below)  # same keys: allowed while iterating
        return value

    return convert_map


def _structure(
    members: dict[str, tuple[int, Convert | None]],
    ordered: list[tuple[str, str, Convert | None]],
    renamed: bool,
) -> Convert:
    """A structure's converter. ``members`` (json name -> position in the shape and
    converter, None when kept as is) and ``ordered`` (json name, member name, converter
    in the shape's order) are filled in after it is registered, so that recursive shapes
    (``AttributeValue`` in its own maps and lists) refer to it."""

    def rebuilt(value: dict[str, Any], depth: int) -> dict[str, Any]:
        """What ``BaseJSONParser._parse_structure`` builds: the shape's members, in its
        order, without nulls."""
        out: dict[str, Any] = {}
        below = depth + 1
        for json_name, name, member in ordered:
            item = value.get(json_name)
            if item is not None:
                out[name] = item if member is None else member(item, below)
        return out

    def convert_structure(value: Any, depth: int) -> Any:
        if type(value) is not dict:
            if value is None:
                return None
            raise _GiveUp
        if depth > MAX_DEPTH:
            raise _GiveUp
        if len(value) == 1 and not renamed:  # most of them: attribute values, transact items
            ((key, item),) = value.items()
            entry = members.get(key)
            if entry is None or item is None:
                return rebuilt(value, depth)
            if entry[1] is not None:
                value[key] = entry[1](item, depth + 1)
            return value
        if renamed or not _as_in_shape(value, members):
            return rebuilt(value, depth)
        for key, item in value.items():
            member = members[key][1]
            if member is not None:
                value[key] = member(item, depth + 1)  # same keys: the order stays
        return value

    return convert_structure


def _as_in_shape(value: dict[str, Any], members: dict[str, tuple[int, Convert | None]]) -> bool:
    """Whether ``value`` has only members of the shape, none null, in the shape's order."""
    last = -1
    for key, item in value.items():
        entry = members.get(key)
        if entry is None or item is None or entry[0] < last:
            return False
        last = entry[0]
    return True


class Plans:
    """Converters compiled from a service model, one per shape name, on first use.

    The emulator's threads parse requests concurrently (outside the DynamoDB lock): an
    operation's plan is compiled under a lock and published whole."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self._shapes: dict[str, Convert | None] = {}
        self._operations: dict[str, Convert | None] = {}
        self._lock = threading.Lock()

    def for_operation(self, action: str) -> Convert | None:
        """The converter of ``action``'s input, or None when moto's parser must run."""
        if action in self._operations:  # published whole, under the lock
            return self._operations[action]
        with self._lock:
            if action not in self._operations:
                self._operations[action] = self._compiled(action)
            return self._operations[action]

    def _compiled(self, action: str) -> Convert | None:
        saved = dict(self._shapes)
        try:
            shape = self.model.operation_model(action).input_shape
            return None if shape is None else self._compile(shape)
        except Exception:  # unknown action, unsupported shape: moto decides
            self._shapes = saved  # no half-built structure stays
            return None

    def _compile(self, shape: Any) -> Convert | None:
        name = shape.name
        if name in self._shapes:
            return self._shapes[name]
        kind = shape.type_name
        converter: Convert | None
        if kind == "structure" and not shape.is_document_type:
            names = [(m.serialization.get("name", n), n) for n, m in shape.members.items()]
            members: dict[str, tuple[int, Convert | None]] = {}
            ordered: list[tuple[str, str, Convert | None]] = []
            structure = _structure(members, ordered, any(j != n for j, n in names))
            self._shapes[name] = structure  # before its members: shapes may recurse
            for position, ((json_name, member_name), member_shape) in enumerate(
                zip(names, shape.members.values(), strict=True)
            ):
                member = self._compile(member_shape)
                members[json_name] = (position, member)
                ordered.append((json_name, member_name, member))
            return structure
        if kind == "structure":
            converter = None  # a document is kept as it is
        elif kind == "list":
            converter = _list_of(self._compile(shape.member))
        elif kind == "map":
            if self._compile(shape.key) is not None:
                raise UnsupportedShapeError(f"{name}: map keys of type {shape.key.type_name}")
            converter = _map_of(self._compile(shape.value))
        elif kind == "blob":
            converter = _blob
        elif kind == "timestamp":
            converter = _timestamp
        elif kind in _INTEGERS:
            converter = _integer
        elif kind in _FLOATS:
            converter = _float
        elif hasattr(parse.JSONParser, f"_parse_{kind}"):
            raise UnsupportedShapeError(f"{name}: moto converts {kind} values")
        else:
            converter = None  # string, boolean, character: kept as they are
        self._shapes[name] = converter
        return converter


_PLANS: list[Plans] = []
_PLANS_LOCK = threading.Lock()


def plans() -> Plans:
    """DynamoDB's plans (made on first use: botocore's model loads in ~50 ms)."""
    if not _PLANS:
        with _PLANS_LOCK:
            if not _PLANS:
                _PLANS.append(Plans(get_service_model("dynamodb")))
    return _PLANS[0]


def direct_params(action: str, body: bytes | str, content_type: str | None) -> Any:
    """``action``'s parameters from its JSON ``body``, exactly as moto's parser gives
    them, or :data:`SLOW` when moto's parser must parse it."""
    dynamodb = plans()
    plan = dynamodb.for_operation(action)
    if plan is None or not body:
        return SLOW
    try:
        if determine_request_protocol(dynamodb.model, content_type) != "json":
            return SLOW
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return plan(json.loads(text), 0)
    except Exception:  # _GiveUp, invalid JSON, too deep...: moto's parse decides
        return SLOW


def parse_parameters(self: Any, request: Any) -> None:
    """``BaseResponse.parse_parameters`` for DynamoDB: direct when it is exact."""
    if Switch.enabled:
        params = direct_params(self._get_action(), request.data, request.content_type)
        if params is not SLOW:
            self.params = params
            return
    _ORIGINAL["parse_parameters"](self, request)


def install() -> None:
    from infra.local.patches import PatchError, _require

    if "parse_parameters" in _ORIGINAL:
        return
    # What the converters reproduce: JSONParser with dict maps and the default parsers.
    for name in ("_parse_structure", "_parse_list", "_parse_map", "_parse_blob", "_parse_integer"):
        _require(parse.JSONParser, name)
    _require(parse, "default_blob_parser")
    _require(parse, "default_timestamp_parser")
    if parse.PROTOCOL_PARSERS.get("json") is not parse.JSONParser:
        raise PatchError("moto changed: the json protocol's parser is not JSONParser")
    if DynamoHandler.PROTOCOL_PARSER_MAP_TYPE is not dict:
        raise PatchError("moto changed: DynamoHandler parses maps into another type than dict")
    _ORIGINAL["parse_parameters"] = _require(DynamoHandler, "parse_parameters")
    DynamoHandler.parse_parameters = parse_parameters  # type: ignore[method-assign]
