"""Log lines: text for a person at a terminal (the default), or with `--log_format json` one
JSON object per line for a collector (the OCI Logging agent, Loki, ...), written by
python-json-logger from the standard `logging` records every module already makes.

Every line carries `time` (UTC, ISO 8601), `level`, `event` (the message), `logger`,
`replica` and `request_id` (null outside a request), and where they apply `route`,
`method`, `status`, `duration_ms`, `page` and `user`. `user` is a keyed hash of the user
name (`user_ref`): the same person gets the same value on every replica and across restarts
when the cookie key is shared, and nobody can read the name back from it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import socket
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from . import context

# The fields a line may carry besides the message, in the order a text line shows them.
FIELDS = ("page", "route", "method", "status", "duration_ms", "user")
# `logging.getLogger(__name__)` in our modules, and the named loggers (homemovies.http, ...).
OUR_LOGGERS = ("homemovies_core", "homemovies")
_USER_REF_CHARS = 16  # 64 bits: no two family members collide, and short enough to read

_user_key = secrets.token_bytes(32)  # until configure() is given the shared one


def user_ref(username: str) -> str:
    """The user name as logs show it: a keyed hash, never the name."""
    return name_ref(username.strip().lower())


def name_ref(name: str) -> str:
    """A folder's or a video's name as logs show it: the same keyed hash on every line and
    every replica (so lines about one folder can be found together), never the name."""
    return hmac.new(_user_key, name.encode(), hashlib.sha256).hexdigest()[:_USER_REF_CHARS]


class _RequestFields(logging.Filter):
    """Puts the request's fields (context.py) and the replica on every record."""

    def __init__(self, replica: str) -> None:
        super().__init__()
        self.replica = replica

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context.current().items():
            if not hasattr(record, name):  # what a call site passed in `extra` wins
                setattr(record, name, value)
        if not hasattr(record, "request_id"):
            record.request_id = None
        record.replica = self.replica
        return True


class _TextFormatter(logging.Formatter):
    """`time level logger [request id] message key=value ...`"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.request_id = getattr(record, "request_id", None) or "-"
        line = super().formatMessage(record)
        extras = [
            f"{name}={getattr(record, name)}"
            for name in FIELDS
            if getattr(record, name, None) is not None
        ]
        return " ".join([line, *extras])


def _json_formatter() -> logging.Formatter:
    return JsonFormatter(
        ["levelname", "message", "name"],
        rename_fields={"levelname": "level", "message": "event", "name": "logger"},
        timestamp="time",
    )


# Marks the one handler configure() installed, so calling it again replaces it.
_OURS = "_home_movies_handler"


def configure(
    log_format: str,
    *,
    user_key: bytes | None = None,
    replica: str | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record of the process (ours, and any library's that propagates to the
    root logger) to `stream` (stderr) in `log_format`, "text" or "json"."""
    global _user_key
    if user_key is not None:
        _user_key = user_key
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_RequestFields(replica or socket.gethostname()))
    handler.setFormatter(_json_formatter() if log_format == "json" else _TextFormatter())
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    # Our lines from INFO; other libraries' from WARNING only: their INFO lines are chatter at
    # best, and some (an HTTP client's "HTTP Request: GET <url>") would carry a PAR URL.
    root.setLevel(logging.WARNING)
    for ours in OUR_LOGGERS:
        logging.getLogger(ours).setLevel(logging.INFO)
    return handler
