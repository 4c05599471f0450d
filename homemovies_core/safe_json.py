"""JSON from outside, parsed without letting its nesting reach the parser's recursion.

`json.loads` recurses once per nested `[` or `{`. A 4 KB body of `[` goes past Python's
recursion limit; catching the RecursionError is not enough, because while the stack is that
deep a garbage collection runs finalizers with no stack left, and they fail in turn (CI saw
"Exception ignored ... RecursionError" from unrelated objects). So the nesting is measured
first, without recursion and in linear time, and anything deeper than `max_depth` is refused.
Our own documents nest three or four levels.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "loads"]

MAX_DEPTH = 32

_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')  # once escapes are gone a string cannot hold a quote
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")


def loads(data: bytes | bytearray | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parsed JSON; ValueError if it is not UTF-8, not JSON, or nested deeper than max_depth."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if not _shallow(text, max_depth):
        raise ValueError(f"not JSON nested at most {max_depth} levels deep")
    return json.loads(text)


def _shallow(text: str, max_depth: int) -> bool:
    # Drop escapes, then strings (they may hold brackets), keep only the brackets and peel
    # the innermost pairs once per allowed level. A backslash outside a string would make us
    # see differently from the parser, but the parser stops at that very byte, so it never
    # goes deeper than what is counted here. Leftovers mean too deep or unbalanced; the
    # parser would refuse unbalanced input anyway, so both are refused before it runs.
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    for _ in range(max_depth):
        if not brackets:
            return True
        peeled = _EMPTY_PAIR.sub("", brackets)
        if peeled == brackets:
            return False
        brackets = peeled
    return not brackets
