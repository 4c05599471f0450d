"""OCI Object Storage: one-level listings, small reads, and PARs as playback grants.

- A folder is listed with `delimiter="/"`, one call per 1,000 entries: never every
  segment of every HLS movie.
- A file gets an object PAR (`ObjectRead`); an `.hls/` folder a prefix PAR
  (`AnyObjectRead`, listing denied). The URL is the endpoint + `accessUri`.
- PAR names start with `hm:` so the sweep of expired PARs only ever deletes ours.
- Every call carries a bounded retry policy (oci_retry.py); failures become one
  `StorageError` sentence with no URL in it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import oci

from ..cache import Cache
from ..oci_auth import OciAuth, load_auth
from ..oci_retry import (
    BACKGROUND,
    INTERACTIVE,
    OCI_ERRORS,
    CallPolicy,
    describe_error,
    list_all,
)
from ..settings import Settings, SettingsError
from .base import Grant, Listing, ObjectInfo, StorageError, quote_name

log = logging.getLogger(__name__)

PAR_PREFIX = "hm:"
LIST_FIELDS = "name,size,timeCreated,timeModified"
SWEEP_SECONDS = 3600  # at most one sweep per bucket per hour, across all replicas
SWEEP_CHECK_SECONDS = 300  # how often a replica asks whether a sweep is due


class OciStorage:
    kind = "oci"

    def __init__(self, client, *, namespace: str, bucket: str, endpoint: str,
                 background_client=None, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._background = background_client or client
        self.namespace = namespace
        self.bucket = bucket
        self.endpoint = endpoint.rstrip("/")
        self.scope = f"{namespace}/{bucket}"
        self._clock = clock
        self._sweeper: threading.Thread | None = None
        self._stop = threading.Event()

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: Settings, *, policy: CallPolicy = INTERACTIVE,
                      background: CallPolicy = BACKGROUND) -> OciStorage:
        """Sign in, read the namespace once and make sure the bucket is there; any failure
        is one SettingsError sentence (start-up stops with it)."""
        if not settings.bucket:
            raise SettingsError("No bucket is configured: give --bucket.")
        auth = load_auth(settings)
        client = object_storage_client(auth, settings.os_endpoint, policy)
        endpoint = settings.os_endpoint or client.base_client.endpoint
        namespace = read_namespace(client, endpoint)
        check_bucket(client, namespace, settings.bucket)
        return cls(client, namespace=namespace, bucket=settings.bucket, endpoint=endpoint,
                   background_client=object_storage_client(auth, settings.os_endpoint,
                                                           background))

    # -- listing ----------------------------------------------------------------------------
    def list_level(self, prefix: str) -> Listing:
        objects: list[ObjectInfo] = []
        prefixes: list[ObjectInfo] = []
        start: str | None = None
        while True:
            try:
                page = self._client.list_objects(
                    self.namespace, self.bucket, prefix=prefix or None, delimiter="/",
                    fields=LIST_FIELDS, start=start).data
            except OCI_ERRORS as exc:
                where = f"the folder '{prefix}'" if prefix else "the top of the bucket"
                raise StorageError(f"Listing {where} failed: {describe_error(exc)}.") from None
            for obj in page.objects or ():
                leaf = obj.name[len(prefix):]
                # "Folder/" markers made by the console, and hidden files, are not content.
                if not leaf or leaf.endswith("/") or leaf.startswith("."):
                    continue
                objects.append(ObjectInfo(obj.name, obj.size, obj.time_modified or obj.time_created))
            prefixes.extend(ObjectInfo(p) for p in page.prefixes or ()
                            if not p[len(prefix):].startswith("."))
            following = page.next_start_with
            if not following or following == start:
                break
            start = following
        objects.sort(key=lambda o: o.name)
        prefixes.sort(key=lambda o: o.name)
        return Listing(tuple(objects), tuple(prefixes))

    def read_small(self, name: str, limit: int) -> bytes | None:
        try:
            response = self._client.get_object(self.namespace, self.bucket, name,
                                               range=f"bytes=0-{limit}")
            data = response.data.content
        except oci.exceptions.ServiceError as exc:
            if exc.status == 404:
                return None
            if exc.status == 416:  # an empty object has no byte 0
                return b""
            raise StorageError(f"Reading '{name}' failed: {describe_error(exc)}.") from None
        except OCI_ERRORS as exc:
            raise StorageError(f"Reading '{name}' failed: {describe_error(exc)}.") from None
        total = _total_size(response.headers.get("content-range"))
        if len(data) > limit or (total is not None and total > limit):
            return None
        return data

    def ping(self) -> bool:
        try:
            self._client.head_bucket(self.namespace, self.bucket)
        except OCI_ERRORS:
            return False
        return True

    # -- playback ---------------------------------------------------------------------------
    def grant(self, target: str, *, prefix: bool, expires_at: float) -> Grant:
        expires = datetime.fromtimestamp(int(expires_at), UTC)
        digest = hashlib.sha256(f"{self.scope}\0{target}".encode()).hexdigest()[:16]
        details = oci.object_storage.models.CreatePreauthenticatedRequestDetails(
            name=f"{PAR_PREFIX}{digest}:{int(expires_at)}",
            access_type="AnyObjectRead" if prefix else "ObjectRead",
            object_name=target,
            bucket_listing_action="Deny" if prefix else None,
            time_expires=expires)
        try:
            par = self._client.create_preauthenticated_request(
                self.namespace, self.bucket, details).data
        except OCI_ERRORS as exc:
            raise StorageError(f"A playback link could not be made: {describe_error(exc)}.") \
                from None
        log.info("Created PAR %s (%s).", par.id, details.access_type)
        url = self.endpoint + _base_uri(par.access_uri)
        if not prefix:
            url += quote_name(target)
        issued = par.time_expires.timestamp() if par.time_expires else int(expires_at)
        return Grant(url=url, expires_at=issued, id=par.id)

    def delete_grant(self, par_id: str) -> None:
        try:
            self._client.delete_preauthenticated_request(self.namespace, self.bucket, par_id)
        except OCI_ERRORS as exc:
            raise StorageError(f"The PAR could not be deleted: {describe_error(exc)}.") from None

    # -- sweeping expired PARs --------------------------------------------------------------
    def sweep_expired(self) -> int:
        """Delete our (`hm:`) PARs that have expired; returns how many. Others are left alone."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        try:
            pars = list_all(self._background.list_preauthenticated_requests, self.namespace,
                            self.bucket)
        except OCI_ERRORS as exc:
            raise StorageError(f"Listing PARs failed: {describe_error(exc)}.") from None
        deleted = 0
        for par in pars:
            if not (par.name or "").startswith(PAR_PREFIX) or par.time_expires is None:
                continue
            if par.time_expires > now:
                continue
            try:
                self._background.delete_preauthenticated_request(
                    self.namespace, self.bucket, par.id)
            except oci.exceptions.ServiceError as exc:
                if exc.status != 404:  # gone already: another sweeper got there first
                    log.warning("Could not delete expired PAR %s: %s.", par.id,
                                describe_error(exc))
                continue
            except OCI_ERRORS as exc:
                log.warning("Could not delete expired PAR %s: %s.", par.id, describe_error(exc))
                continue
            deleted += 1
        if deleted:
            log.info("Deleted %d expired PAR(s) in %s.", deleted, self.scope)
        return deleted

    def sweep_if_due(self, cache: Cache) -> bool:
        """Sweep if no replica has swept this bucket within the hour (a lock in the Cache)."""
        if not cache.add(f"sweep:{self.scope}", secrets.token_hex(8), SWEEP_SECONDS):
            return False
        try:
            self.sweep_expired()
        except StorageError as exc:
            log.warning("%s", exc)
        return True

    def start_background_sweep(self, cache: Cache,
                               check_every: float = SWEEP_CHECK_SECONDS) -> None:
        """A daemon thread that sweeps at most hourly per bucket; idempotent."""
        if self._sweeper is not None and self._sweeper.is_alive():
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.sweep_if_due(cache)
                except Exception as exc:
                    log.warning("PAR sweep failed: %s", type(exc).__name__)
                self._stop.wait(check_every)

        self._sweeper = threading.Thread(target=run, name="par-sweep", daemon=True)
        self._sweeper.start()

    def stop_background_sweep(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)


# -- start-up steps (also used one by one by `check`) ---------------------------------------
def object_storage_client(auth: OciAuth, endpoint: str | None, policy: CallPolicy):
    if not endpoint and not auth.region:
        raise SettingsError("No OCI region is known: add region= to the OCI config profile "
                            "or give --os_endpoint.")
    try:
        return auth.client(oci.object_storage.ObjectStorageClient, policy, endpoint)
    except (oci.exceptions.ClientError, ValueError, TypeError) as exc:
        raise SettingsError(f"The Object Storage client could not be set up "
                            f"({type(exc).__name__}).") from None


def read_namespace(client, endpoint: str) -> str:
    try:
        return client.get_namespace().data
    except OCI_ERRORS as exc:
        raise SettingsError(f"Reading the Object Storage namespace at {endpoint_host(endpoint)} "
                            f"failed: {describe_error(exc)}.") from None


def check_bucket(client, namespace: str, bucket: str) -> None:
    try:
        client.head_bucket(namespace, bucket)
    except oci.exceptions.ServiceError as exc:
        if exc.status == 404:
            raise SettingsError(f"The bucket '{bucket}' does not exist in namespace "
                                f"'{namespace}', or this identity may not read it.") from None
        raise SettingsError(f"Checking the bucket '{bucket}' failed: "
                            f"{describe_error(exc)}.") from None
    except OCI_ERRORS as exc:
        raise SettingsError(f"Checking the bucket '{bucket}' failed: "
                            f"{describe_error(exc)}.") from None


def _base_uri(access_uri: str) -> str:
    """`/p/<token>/n/<ns>/b/<bucket>/o/` of any PAR: we append the encoded name ourselves
    so the URL never depends on how (or whether) OCI encoded it."""
    cut = access_uri.find("/o/", access_uri.find("/b/"))
    return access_uri[:cut + 3] if cut >= 0 else access_uri


def _total_size(content_range: str | None) -> int | None:
    if not content_range or "/" not in content_range:
        return None
    total = content_range.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


def endpoint_host(endpoint: str) -> str:
    return endpoint.split("://", 1)[-1].split("/", 1)[0]
