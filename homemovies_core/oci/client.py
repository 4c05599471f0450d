"""The one way to reach Object Storage from Settings: sign in, build a client with a call
policy, read the namespace, check the bucket; and the one pagination loop.

`open_bucket` is what the app's storage and the ingest command use; `check` runs the same
steps one at a time to report each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import oci

from ..settings import Settings
from ..storage.base import StorageError
from .auth import OciAuth, load_auth
from .errors import call
from .policy import BACKGROUND, INTERACTIVE, CallPolicy


@dataclass(frozen=True)
class SignedIn:
    """An identity and an Object Storage client signed with it."""

    auth: OciAuth
    client: Any  # oci.object_storage.ObjectStorageClient
    endpoint: str  # the given --os_endpoint, else the region's
    os_endpoint: str | None  # what Settings said, for more clients like this one

    def client_with(self, policy: CallPolicy):
        """Another client for the same identity and endpoint, with another call policy."""
        return _object_storage(self.auth, self.os_endpoint, policy)


@dataclass(frozen=True)
class Bucket:
    """A bucket that answered: clients for people waiting and for background work."""

    client: Any
    background: Any
    namespace: str
    name: str
    endpoint: str

    @property
    def where(self) -> str:
        return f"the bucket '{self.name}' (namespace '{self.namespace}')"


def sign_in(settings: Settings, policy: CallPolicy = INTERACTIVE) -> SignedIn:
    """Sign in as Settings say and build an Object Storage client with `policy`."""
    auth = load_auth(settings)
    client = _object_storage(auth, settings.os_endpoint, policy)
    endpoint = settings.os_endpoint or client.base_client.endpoint
    return SignedIn(auth, client, endpoint, settings.os_endpoint)


def open_bucket(
    settings: Settings, policy: CallPolicy = INTERACTIVE, background: CallPolicy = BACKGROUND
) -> Bucket:
    """Sign in, read the namespace and make sure the bucket is there, all with `policy`
    (so that a wrong setting fails in seconds); any failure is one StorageError sentence."""
    if not settings.bucket:
        raise StorageError("No bucket is configured: give --bucket.")
    signed = sign_in(settings, policy)
    namespace = read_namespace(signed.client, signed.endpoint)
    check_bucket(signed.client, namespace, settings.bucket)
    return Bucket(
        signed.client, signed.client_with(background), namespace, settings.bucket, signed.endpoint
    )


def _object_storage(auth: OciAuth, endpoint: str | None, policy: CallPolicy):
    return auth.client(
        oci.object_storage.ObjectStorageClient,
        policy,
        endpoint,
        service="Object Storage",
        flag="os_endpoint",
    )


def read_namespace(client, endpoint: str) -> str:
    return call(
        f"Reading the Object Storage namespace at {endpoint_host(endpoint)} failed",
        lambda: client.get_namespace().data,
    )


def check_bucket(client, namespace: str, bucket: str) -> None:
    found = call(
        f"Checking the bucket '{bucket}' failed",
        lambda: client.head_bucket(namespace, bucket),
        answers={404: None},
    )
    if found is None:
        raise StorageError(
            f"The bucket '{bucket}' does not exist in namespace '{namespace}', or this "
            "identity may not read it."
        )


def endpoint_host(endpoint: str) -> str:
    return endpoint.split("://", 1)[-1].split("/", 1)[0]


def pages(list_call: Callable[..., Any], *args, **kwargs) -> Iterator[Any]:
    """The `data` of every page of a paginated list call, in order.

    Two kinds of paging: most list calls return an `opc-next-page` token to pass as
    `page`; ListObjects returns `nextStartWith` in its body, to pass as `start`. Not
    `oci.pagination`: it wraps each call in the SDK's DEFAULT_RETRY_STRATEGY *around* the
    client's own, which undoes any bound we set.
    """
    key, token = None, None
    while True:
        response = list_call(*args, **kwargs, **({key: token} if key else {}))
        yield response.data
        if response.next_page:
            following = ("page", response.next_page)
        elif getattr(response.data, "next_start_with", None):
            following = ("start", response.data.next_start_with)
        else:
            return
        if following == (key, token):  # a server that repeats itself must not loop us
            return
        key, token = following


def list_all(list_call: Callable[..., Any], *args, **kwargs) -> list:
    """Every item of a list call whose pages are lists (PARs, Vault secrets)."""
    return [item for page in pages(list_call, *args, **kwargs) for item in page or ()]
