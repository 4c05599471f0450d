"""OCI Object Storage as the app's storage: one-level listings, small reads, PARs as
playback grants, and the sweep of expired PARs in the background.

- A folder is listed with `delimiter="/"`, one call per 1,000 entries: never every
  segment of every HLS movie.
- A file gets an object PAR (`ObjectRead`); an `.hls/` folder a prefix PAR
  (`AnyObjectRead`, listing denied). The URL is the endpoint + `accessUri`.
- PAR names start with `hm:` so the sweep of expired PARs only ever deletes ours.
- Every call carries a bounded retry policy (policy.py); failures become one
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
from urllib.parse import urlsplit

import oci

from ..cache import Cache
from ..settings import Settings
from ..storage.base import Grant, Listing, ObjectInfo, StorageError, quote_name
from .client import list_all, open_bucket, pages
from .errors import OCI_ERRORS, call
from .policy import BACKGROUND, INTERACTIVE, CallPolicy

log = logging.getLogger(__name__)

PAR_PREFIX = "hm:"
LIST_FIELDS = "name,size,timeCreated,timeModified"
SWEEP_SECONDS = 3600  # at most one sweep per bucket per hour, across all replicas
SWEEP_CHECK_SECONDS = 300  # how often a replica asks whether a sweep is due


class OciStorage:
    kind = "oci"

    def __init__(
        self,
        client,
        *,
        namespace: str,
        bucket: str,
        endpoint: str,
        background_client=None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._background = background_client or client
        self.namespace = namespace
        self.bucket = bucket
        self.endpoint = endpoint.rstrip("/")
        self.scope = f"{namespace}/{bucket}"
        self._clock = clock
        self._sweeper: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def media_origin(self) -> str:
        """The origin of PAR URLs (the page's CSP lets the browser load media from it)."""
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        policy: CallPolicy = INTERACTIVE,
        background: CallPolicy = BACKGROUND,
    ) -> OciStorage:
        """Sign in, read the namespace once and make sure the bucket is there; any failure
        is one StorageError sentence (start-up stops with it)."""
        bucket = open_bucket(settings, policy, background)
        return cls(
            bucket.client,
            namespace=bucket.namespace,
            bucket=bucket.name,
            endpoint=bucket.endpoint,
            background_client=bucket.background,
        )

    @property
    def client(self):
        """The SDK client for calls a page waits on (uploads.py makes write PARs with it)."""
        return self._client

    @property
    def background_client(self):
        """The SDK client for background work (sweeps), with its longer retry policy."""
        return self._background

    # -- what the app reads -----------------------------------------------------------------
    def list_level(self, prefix: str) -> Listing:
        where = f"the folder '{prefix}'" if prefix else "the top of the bucket"
        objects: list[ObjectInfo] = []
        prefixes: list[ObjectInfo] = []

        def read_all() -> None:
            listed = pages(
                self._client.list_objects,
                self.namespace,
                self.bucket,
                prefix=prefix or None,
                delimiter="/",
                fields=LIST_FIELDS,
            )
            for page in listed:
                objects.extend(_content(page.objects or (), prefix))
                prefixes.extend(
                    ObjectInfo(p)
                    for p in page.prefixes or ()
                    if not p[len(prefix) :].startswith(".")
                )

        call(f"Listing {where} failed", read_all)
        objects.sort(key=lambda o: o.name)
        prefixes.sort(key=lambda o: o.name)
        return Listing(tuple(objects), tuple(prefixes))

    def read_small(self, name: str, limit: int) -> bytes | None:
        def read() -> tuple[bytes, int | None]:
            response = self._client.get_object(
                self.namespace, self.bucket, name, range=f"bytes=0-{limit}"
            )
            return response.data.content, _total_size(response.headers.get("content-range"))

        # 404: no such object; 416: an empty object has no byte 0.
        found = call(f"Reading '{name}' failed", read, answers={404: None, 416: (b"", 0)})
        if found is None:
            return None
        data, total = found
        if len(data) > limit or (total is not None and total > limit):
            return None
        return data

    def write_small(
        self, name: str, data: bytes, *, content_type: str | None = None, replace: bool = True
    ) -> bool:
        """Put a small object in one PUT (readers see the old object or the new one). With
        `replace` false an existing object is kept (If-None-Match: *) and False returned."""
        exists = object()
        answer = call(
            f"Writing '{name}' failed",
            lambda: self._client.put_object(
                self.namespace,
                self.bucket,
                name,
                data,
                content_length=len(data),
                content_type=content_type or "application/octet-stream",
                **({} if replace else {"if_none_match": "*"}),
            ),
            # Conditional write refused: the object is there (OCI answers 409 or 412).
            answers=None if replace else {409: exists, 412: exists},
        )
        return answer is not exists

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
            time_expires=expires,
        )
        par = call(
            "A playback link could not be made",
            lambda: (
                self._client.create_preauthenticated_request(
                    self.namespace, self.bucket, details
                ).data
            ),
        )
        # Its name, not its id: a PAR id ends with the object's name (a title, a folder).
        log.info("Created PAR %s (%s).", details.name, details.access_type)
        url = self.endpoint + base_uri(par.access_uri)
        if not prefix:
            url += quote_name(target)
        issued = par.time_expires.timestamp() if par.time_expires else int(expires_at)
        return Grant(url=url, expires_at=issued, id=par.id)

    def delete_grant(self, par_id: str) -> None:
        call(
            "The PAR could not be deleted",
            lambda: self._client.delete_preauthenticated_request(
                self.namespace, self.bucket, par_id
            ),
        )

    # -- background work --------------------------------------------------------------------
    def routes(self) -> list:
        """HTTP routes this backend needs in the app: none, browsers read OCI directly."""
        return []

    def start_background(self, cache: Cache, check_every: float = SWEEP_CHECK_SECONDS) -> None:
        """A daemon thread that sweeps expired PARs, at most hourly per bucket; idempotent."""
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

    def stop_background(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)

    def sweep_if_due(self, cache: Cache) -> bool:
        """Sweep if no replica has swept this bucket within the hour (a lock in the Cache)."""
        if not cache.add(f"sweep:{self.scope}", secrets.token_hex(8), SWEEP_SECONDS):
            return False
        try:
            self.sweep_expired()
        except StorageError as exc:
            log.warning("%s", exc)
        return True

    def sweep_expired(self) -> int:
        """Delete our (`hm:`) PARs that have expired; returns how many. Others are left alone."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        pars = call(
            "Listing PARs failed",
            lambda: list_all(
                self._background.list_preauthenticated_requests, self.namespace, self.bucket
            ),
        )
        expired = [
            par
            for par in pars
            if (par.name or "").startswith(PAR_PREFIX)
            and par.time_expires is not None
            and par.time_expires <= now
        ]
        deleted = sum(self._delete_expired(par.id) for par in expired)
        if deleted:
            log.info("Deleted %d expired PAR(s) in %s.", deleted, self.scope)
        return deleted

    def _delete_expired(self, par_id: str) -> bool:
        try:
            response = call(
                f"Deleting the expired PAR {par_id} failed",
                lambda: self._background.delete_preauthenticated_request(
                    self.namespace, self.bucket, par_id
                ),
                answers={404: None},  # gone already: another sweeper got there first
            )
        except StorageError as exc:
            log.warning("%s", exc)
            return False
        return response is not None


def _content(listed, prefix: str) -> list[ObjectInfo]:
    """The files of one listed page: "Folder/" markers made by the console, and hidden
    files, are not content."""
    found = []
    for obj in listed:
        leaf = obj.name[len(prefix) :]
        if leaf and not leaf.endswith("/") and not leaf.startswith("."):
            found.append(ObjectInfo(obj.name, obj.size, obj.time_modified or obj.time_created))
    return found


def base_uri(access_uri: str) -> str:
    """`/p/<token>/n/<ns>/b/<bucket>/o/` of any PAR: we append the encoded name ourselves
    so the URL never depends on how (or whether) OCI encoded it."""
    cut = access_uri.find("/o/", access_uri.find("/b/"))
    return access_uri[: cut + 3] if cut >= 0 else access_uri


def _total_size(content_range: str | None) -> int | None:
    if not content_range or "/" not in content_range:
        return None
    total = content_range.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None
