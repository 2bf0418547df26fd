"""Properties of the API's input guards: any input is accepted exactly or refused with a
ValidationError naming its field, never another exception (issue 9, items 5 and 6)."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.adapters.dynamo import decode_cursor, encode_cursor
from functions.api.http import MAX_JSON_DEPTH, check_body_shape
from functions.core.errors import ValidationError
from functions.core.money import (
    RENT_LINE_MAX_CENTS,
    cents_from_plain_decimal,
    format_cents,
    plain_decimal_pattern,
)

PATTERN = re.compile(plain_decimal_pattern(RENT_LINE_MAX_CENTS))


@given(st.integers(min_value=0, max_value=RENT_LINE_MAX_CENTS))
def test_every_amount_in_bounds_round_trips(cents: int) -> None:
    text = format_cents(cents)
    assert PATTERN.search(text)
    assert cents_from_plain_decimal(text, "rent", RENT_LINE_MAX_CENTS) == cents


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none(), st.booleans()))
def test_any_value_is_parsed_exactly_or_refused_naming_the_field(value: object) -> None:
    try:
        cents = cents_from_plain_decimal(value, "rent", RENT_LINE_MAX_CENTS)
    except ValidationError as e:
        assert e.field == "rent"
        return
    assert 0 <= cents <= RENT_LINE_MAX_CENTS
    assert Decimal(cents) / 100 == Decimal(str(value))
    assert isinstance(value, int) or PATTERN.search(str(value))


@settings(max_examples=200)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(base64.urlsafe_b64encode)))
def test_any_cursor_decodes_to_a_flat_key_or_is_a_400(raw: str | bytes) -> None:
    cursor = raw.decode() if isinstance(raw, bytes) else raw
    try:
        key = decode_cursor(cursor, "scope")
    except ValidationError as e:
        assert e.field == "cursor"
        return
    assert key is None or all(isinstance(v, str | int) for v in key.values())


def test_a_cursor_round_trips_only_in_its_own_scope() -> None:
    key = {"org_id": "o", "lease_id": "L-1"}
    cursor = encode_cursor(key, "scope-a")
    assert decode_cursor(cursor, "scope-a") == key
    try:
        decode_cursor(cursor, "scope-b")
    except ValidationError as e:
        assert "another listing" in e.reason
    else:
        raise AssertionError("a cursor of another listing was accepted")


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=3), c),
        max_leaves=40,
    )
)
def test_the_depth_guard_agrees_with_the_real_depth(value: object) -> None:
    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    raw = json.dumps(value).encode()
    if depth(value) > MAX_JSON_DEPTH:
        try:
            check_body_shape(raw)
        except ValidationError:
            return
        raise AssertionError("too deep a body was let through")
    check_body_shape(raw)


def test_brackets_inside_strings_do_not_count() -> None:
    check_body_shape(json.dumps({"label": "[" * 1000 + '\\"{' * 100}).encode())
    nested: object = "x"
    for _ in range(MAX_JSON_DEPTH + 1):
        nested = [nested]
    try:
        check_body_shape(json.dumps(nested).encode())
    except ValidationError as e:
        assert e.field == "body"
    else:
        raise AssertionError("too deep a body was let through")
