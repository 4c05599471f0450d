"""The request id and the other fields every log line about one request carries.

They live in a context variable: an HTTP request (an asyncio task, and the thread-pool calls
it makes) and a script run (a thread) each see their own, so a line logged anywhere below
them names the request without anyone passing it along.

A script run's widget callbacks run before Home.py's code, which is where a run is given its
id; for them the Streamlit side installs a `late_binder` that binds one on the first line
logged in a script thread, which the run then adopts (ui/observe.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

# A request id from a proxy is written into every line about the request: short, and only
# characters that cannot break a text log line or forge another (HAProxy's unique-id formats
# use hex, ':', '_', '.' and '-').
_PROXY_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_EMPTY: Mapping[str, object] = MappingProxyType({})

_fields: ContextVar[Mapping[str, object]] = ContextVar("hm_log_fields", default=_EMPTY)
_late_binder: Callable[[], str | None] | None = None


def new_request_id() -> str:
    return uuid.uuid4().hex


def acceptable_request_id(value: str | None) -> str | None:
    """`value` if it can serve as a request id as it is, else None."""
    return value if value is not None and _PROXY_ID.fullmatch(value) else None


def current() -> Mapping[str, object]:
    """The fields bound for this request (empty outside one)."""
    fields = _fields.get()
    if "request_id" not in fields and _late_binder is not None:
        request_id = _late_binder()
        if request_id is not None:
            bind(request_id=request_id)
            fields = _fields.get()
    return fields


def bind(**fields: object) -> None:
    """Add fields for the rest of this request (e.g. the page, once it is known)."""
    _fields.set(MappingProxyType({**_fields.get(), **fields}))


def clear() -> None:
    """Forget every field: the end of a script run, whose thread may run the next one."""
    _fields.set(_EMPTY)


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """`fields` (at least `request_id`) for the lines logged inside the block."""
    token = _fields.set(MappingProxyType({**_fields.get(), **fields}))
    try:
        yield
    finally:
        _fields.reset(token)


def set_late_binder(binder: Callable[[], str | None] | None) -> None:
    """`binder()` is asked for a request id when a line is logged outside any request; it
    answers None where there is no request (a background thread)."""
    global _late_binder
    _late_binder = binder
