"""An OCI failure as one sentence for a person: no URL, no token, no traceback.

`call` is the one place that turns an SDK exception into our own error type; a status
that is an answer rather than a failure (404 "not there", 416 "empty") can be mapped to a
value instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import oci

# The SDK raises the exceptions of its vendored copy of requests (wrapped in
# `oci.exceptions.RequestException`, the original as args[0]). They have no public alias,
# so they are only read here, to tell a timeout from an unreachable host.
from oci._vendor import requests

from ..storage.base import StorageError, StorageTimeout

T = TypeVar("T")

# What an OCI call may raise that we turn into one sentence.
OCI_ERRORS: tuple[type[BaseException], ...] = (
    oci.exceptions.ServiceError,
    oci.exceptions.ClientError,
    requests.exceptions.RequestException,
)


def timed_out(exc: BaseException) -> bool:
    """Whether OCI did not answer in time (rather than answering with an error)."""
    if isinstance(exc, oci.exceptions.ConnectTimeout):
        return True
    cause = exc.args[0] if isinstance(exc, oci.exceptions.RequestException) and exc.args else exc
    return isinstance(cause, requests.exceptions.Timeout)


def describe_error(exc: BaseException) -> str:
    """Why an OCI call failed, in a few words without URLs, tokens or tracebacks."""
    if isinstance(exc, oci.exceptions.ServiceError):
        return _describe_status(exc.status, exc.code or "error")
    if timed_out(exc):
        return "OCI did not answer in time"
    cause = exc.args[0] if isinstance(exc, oci.exceptions.RequestException) and exc.args else exc
    if isinstance(cause, requests.exceptions.ConnectionError):
        return "OCI could not be reached"
    if isinstance(cause, requests.exceptions.RequestException):
        return f"the request to OCI failed ({type(cause).__name__})"
    if isinstance(exc, oci.exceptions.ClientError):
        return f"the OCI client refused the request ({type(exc).__name__})"
    return f"an unexpected {type(exc).__name__} occurred"


def _describe_status(status: int, code: str) -> str:
    if status == 401:
        return f"OCI refused the credentials (401 {code})"
    if status == 404:
        return f"it does not exist or this identity may not read it (404 {code})"
    if status == 403:
        return f"this identity is not allowed to do that (403 {code})"
    if status == 429:
        return "OCI is throttling requests (429 TooManyRequests); try again shortly"
    if status >= 500:
        return f"OCI had a problem answering ({status} {code})"
    return f"OCI answered {status} {code}"


def call(
    failure: str,
    action: Callable[[], T],
    *,
    error: type[Exception] = StorageError,
    answers: Mapping[int, Any] | None = None,
) -> T:
    """`action()`; if OCI fails, raise `error("<failure>: <why>.")`.

    `failure` is the start of the sentence ("Listing the folder 'A/' failed"). A service
    error whose status is a key of `answers` returns that value instead: for a read, 404
    means "not there", and for a delete it means "already gone".
    """
    try:
        return action()
    except oci.exceptions.ServiceError as exc:
        if answers is not None and exc.status in answers:
            return answers[exc.status]
        raise error(f"{failure}: {describe_error(exc)}.") from None
    except OCI_ERRORS as exc:
        # A storage call that timed out says so in its type: /metrics counts it apart.
        kind = StorageTimeout if error is StorageError and timed_out(exc) else error
        raise kind(f"{failure}: {describe_error(exc)}.") from None
