"""`safe_json.loads`: hostile JSON (request bodies, index files, info.json from a bucket)
is measured before the recursive parser sees it, so nesting can never exhaust the stack."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homemovies_core import safe_json


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def test_our_own_documents_parse_as_json_does():
    text = '{"videos": {"Beach [1] {old}.mp4": {"title": "say \\"[[[\\" \\\\", "n": [1, {}]}}}'
    assert safe_json.loads(text.encode()) == {
        "videos": {"Beach [1] {old}.mp4": {"title": 'say "[[[" \\', "n": [1, {}]}}
    }


def test_depth_up_to_the_limit_parses_and_one_more_is_refused():
    assert safe_json.loads(nested(safe_json.MAX_DEPTH)) == json.loads(nested(safe_json.MAX_DEPTH))
    with pytest.raises(ValueError, match="levels deep"):
        safe_json.loads(nested(safe_json.MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # json.loads raised RecursionError here
        b"{" * 100_000,
        (nested(2_000)).encode(),
        b'{"a":' * 50_000,
        b"[" * 50_000 + b'"]' * 10,  # an unclosed string must not hide the brackets before it
        b'"\\' + b"[" * 50_000,  # a backslash ahead of the brackets
    ],
)
def test_deep_or_broken_nesting_is_refused_without_reaching_the_recursion_limit(body):
    # With the stack nearly full a RecursionError would come even for modest nesting;
    # the refusal must come from counting, not from the parser falling over.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        with pytest.raises(ValueError):
            safe_json.loads(body)
    finally:
        sys.setrecursionlimit(limit)


def test_brackets_inside_strings_do_not_count():
    deep_text = '"' + "[" * 10_000 + '\\"' + "{" * 10_000 + '"'
    assert safe_json.loads(f"[{deep_text}]".encode()) == ["[" * 10_000 + '"' + "{" * 10_000]


def test_not_utf8_is_refused_as_a_value_error():
    with pytest.raises(ValueError):
        safe_json.loads(b'{"a": "\xff"}')


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=60,
)


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(JSON_VALUES)
def test_whatever_json_writes_reads_back_unless_it_nests_too_deep(value):
    text = json.dumps(value).encode()
    if depth(value) <= safe_json.MAX_DEPTH:
        assert safe_json.loads(text) == value
    else:
        with pytest.raises(ValueError, match="levels deep"):
            safe_json.loads(text)
