"""State of the fake OCI services: Object Storage, Vault and Secrets.

No HTTP here (that is ``responses.py``); everything is plain Python so tests can
arrange state directly and assert on it afterwards. One lock guards all state.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import mimetypes
import secrets as _secrets
import threading
import uuid
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

MAX_LIST_LIMIT = 1000
DEFAULT_PAR_PAGE = 100
DEFAULT_SECRET_PAGE = 100
VIRTUAL_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

READ_ACCESS_TYPES = {"ObjectRead", "ObjectReadWrite", "AnyObjectRead", "AnyObjectReadWrite"}
WRITE_ACCESS_TYPES = {"ObjectWrite", "ObjectReadWrite", "AnyObjectWrite", "AnyObjectReadWrite"}
OBJECT_ACCESS_TYPES = {"ObjectRead", "ObjectWrite", "ObjectReadWrite"}
ACCESS_TYPES = OBJECT_ACCESS_TYPES | {"AnyObjectRead", "AnyObjectWrite", "AnyObjectReadWrite"}

_CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".avi": "video/x-msvideo",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".vtt": "text/vtt",
    ".json": "application/json",
    ".txt": "text/plain",
}

# Filler for virtual objects: a fixed 251-byte cycle, so any range is cheap to produce.
_FILLER_PERIOD = 251
_FILLER = bytes((i * 37 + 11) % 256 for i in range(_FILLER_PERIOD))
_CHUNK = 64 * 1024


class OCIError(Exception):
    """An error the HTTP layer renders as OCI's JSON error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def guess_content_type(name: str) -> str:
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot >= 0 else ""
    if ext in _CONTENT_TYPES:
        return _CONTENT_TYPES[ext]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def filler_bytes(start: int, length: int) -> bytes:
    """Deterministic bytes of a virtual object from ``start`` (inclusive), ``length`` long."""
    if length <= 0:
        return b""
    offset = start % _FILLER_PERIOD
    repeats = (offset + length) // _FILLER_PERIOD + 1
    return (_FILLER * repeats)[offset : offset + length]


def _b64_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _new_etag() -> str:
    return str(uuid.uuid4())


def _prefix_successor(prefix: str) -> str:
    """Smallest string greater than every string that starts with ``prefix``."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return chr(0x10FFFF) * 2  # unreachable in practice: no prefix made only of U+10FFFF


@dataclass(frozen=True)
class ObjectInfo:
    """Metadata of one object, as ListObjects/HeadObject report it."""

    name: str
    size: int
    md5: str
    etag: str
    time_created: datetime
    time_modified: datetime
    content_type: str
    storage_tier: str = "Standard"
    multipart_md5: str | None = None  # set for objects assembled from a multipart upload
    virtual: bool = False


@dataclass
class _StoredObject:
    info: ObjectInfo
    data: bytes


@dataclass
class Bucket:
    name: str
    compartment_id: str
    time_created: datetime
    etag: str = field(default_factory=_new_etag)
    # All names, sorted; ``sizes`` is parallel (virtual entries read their size from it).
    names: list[str] = field(default_factory=list)
    sizes: array = field(default_factory=lambda: array("q"))
    stored: dict[str, _StoredObject] = field(default_factory=dict)
    virtual_time: datetime = VIRTUAL_EPOCH

    def index_of(self, name: str) -> int:
        i = bisect_left(self.names, name)
        return i if i < len(self.names) and self.names[i] == name else -1


@dataclass(frozen=True)
class Par:
    id: str
    name: str
    namespace: str
    bucket: str
    access_type: str
    object_name: str | None
    bucket_listing_action: str | None
    time_created: datetime
    time_expires: datetime
    token: str
    # Its creator was deleted or lost the permission (revoke_par): it is still listed, and
    # reads through it answer like an expired one. What OCI answers then is not documented.
    revoked: bool = False

    @property
    def access_uri(self) -> str:
        base = f"/p/{self.token}/n/{self.namespace}/b/{quote(self.bucket, safe='')}/o/"
        if self.access_type in OBJECT_ACCESS_TYPES and self.object_name:
            return base + quote(self.object_name, safe="/")
        return base

    def allows_read(self, name: str) -> bool:
        if self.access_type not in READ_ACCESS_TYPES:
            return False
        if self.access_type in OBJECT_ACCESS_TYPES:
            return name == self.object_name
        return name.startswith(self.object_name or "")

    def allows_write(self, name: str) -> bool:
        if self.access_type not in WRITE_ACCESS_TYPES:
            return False
        if self.access_type in OBJECT_ACCESS_TYPES:
            return name == self.object_name
        return name.startswith(self.object_name or "")


@dataclass(frozen=True)
class ListPage:
    objects: list[ObjectInfo]
    prefixes: list[str]
    next_start_with: str | None


@dataclass
class MultipartUpload:
    upload_id: str
    namespace: str
    bucket: str
    object: str
    time_created: datetime
    content_type: str | None
    storage_tier: str = "Standard"
    parts: dict[int, tuple[bytes, str, str]] = field(
        default_factory=dict
    )  # num -> (data, etag, md5)


@dataclass
class Secret:
    id: str
    name: str
    compartment_id: str
    vault_id: str
    key_id: str
    time_created: datetime
    lifecycle_state: str
    versions: list[str]  # base64 contents, version 1 first


@dataclass
class _Fault:
    status: int | None
    code: str | None
    message: str | None
    hang_seconds: float
    remaining: int | None


@dataclass(frozen=True)
class RequestRecord:
    """One answered request, for tests that assert on traffic (PAR URLs are not secret here)."""

    operation: str
    method: str
    path: str
    status: int
    key_id: str | None  # the signature's keyId; "ST$<token>" for session/resource-principal signers
    size: int = 0  # bytes in the request's body (tests count what a resumed upload sent)
    started: float = 0.0  # time.monotonic() when its headers arrived, and when it was answered:
    finished: float = 0.0  # benchmarks time a client's work by the server's own clock


@dataclass(frozen=True)
class FaultAction:
    """What the HTTP layer must do for one faulted call: hang, then maybe fail."""

    hang_seconds: float
    error: OCIError | None


_DEFAULT_ERROR_CODES = {
    400: "InvalidParameter",
    401: "NotAuthenticated",
    404: "NotAuthorizedOrNotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _ocid(kind: str, region: str = "iad") -> str:
    return f"ocid1.{kind}.oc1.{region}.{_secrets.token_hex(20)}"


class FakeOCIModel:
    """Buckets, objects, PARs, multipart uploads and Vault secrets of one fake tenancy."""

    def __init__(self, namespace: str = "fakens", compartment_id: str | None = None) -> None:
        self.namespace = namespace
        self.compartment_id = compartment_id or "ocid1.compartment.oc1..fakecompartment"
        self.latency_seconds = 0.0
        # Called as (operation, path) on the server's thread before a request is answered, so
        # a test can look at the bucket between two requests of a client (the request waits).
        self.before_request: Callable[[str, str], None] | None = None
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._lock = threading.RLock()
        self._buckets: dict[str, Bucket] = {}
        self._pars: dict[str, Par] = {}  # id -> Par, in creation order
        self._par_by_token: dict[str, str] = {}
        self._uploads: dict[str, MultipartUpload] = {}
        self._par_uploads: dict[str, tuple[str, str]] = {}  # access token -> (PAR id, upload id)
        self._secrets: dict[str, Secret] = {}
        self._compartments: set[str] = set()
        self._counts: Counter[str] = Counter()
        self._faults: dict[str, _Fault] = {}
        self._log: deque[RequestRecord] = deque(maxlen=5000)
        self._vault_id = _ocid("vault")
        self._key_id = _ocid("key")

    # ---- time, counters, faults -------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    @property
    def counts(self) -> Counter[str]:
        """A snapshot of requests per operation name (missing names count 0)."""
        with self._lock:
            return Counter(self._counts)

    def reset_counts(self) -> None:
        """Zero the counters and the request log."""
        with self._lock:
            self._counts.clear()
            self._log.clear()

    def log_request(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def requests(self, operation: str | None = None) -> list[RequestRecord]:
        """The most recent requests (up to 5,000), optionally of one operation."""
        with self._lock:
            return [r for r in self._log if operation is None or r.operation == operation]

    def record_call(self, operation: str) -> FaultAction | None:
        """Count one call of ``operation`` and consume a matching fault, if any."""
        with self._lock:
            self._counts[operation] += 1
            fault = self._faults.get(operation)
            if fault is None:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[operation]
        error = None
        if fault.status is not None:
            code = fault.code or _DEFAULT_ERROR_CODES.get(fault.status, "InternalServerError")
            error = OCIError(fault.status, code, fault.message or f"Injected fault for {operation}")
        return FaultAction(fault.hang_seconds, error)

    def inject_fault(
        self,
        operation: str,
        status: int | None = None,
        *,
        count: int | None = 1,
        hang_seconds: float = 0.0,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``operation`` fail (``count=None``: all of them).

        With ``hang_seconds`` the call first sleeps that long; it then answers normally
        unless ``status`` is also given. Without either, the status is 503.
        """
        if status is None and not hang_seconds:
            status = 503
        with self._lock:
            self._faults[operation] = _Fault(status, code, message, hang_seconds, count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ---- buckets and objects ---------------------------------------------------

    def create_bucket(self, name: str, compartment_id: str | None = None) -> Bucket:
        with self._lock:
            if name in self._buckets:
                raise OCIError(409, "BucketAlreadyExists", f"Bucket '{name}' already exists")
            bucket = Bucket(name, compartment_id or self.compartment_id, self.now())
            self._buckets[name] = bucket
            return bucket

    def bucket(self, name: str) -> Bucket:
        with self._lock:
            bucket = self._buckets.get(name)
        if bucket is None:
            raise OCIError(
                404,
                "BucketNotFound",
                f"Either the bucket named '{name}' does not exist "
                f"in the namespace '{self.namespace}' or you are not authorized to access it",
            )
        return bucket

    def bucket_names(self) -> list[str]:
        with self._lock:
            return sorted(self._buckets)

    def add_virtual_bucket(
        self,
        name: str,
        entries: Iterable[tuple[str, int]],
        time_created: datetime = VIRTUAL_EPOCH,
    ) -> Bucket:
        """A bucket whose objects exist only as (name, size); reads return filler bytes."""
        pairs = sorted(entries)
        bucket = Bucket(name, self.compartment_id, self.now(), virtual_time=time_created)
        bucket.names = [n for n, _ in pairs]
        bucket.sizes = array("q", (s for _, s in pairs))
        if len(set(bucket.names)) != len(bucket.names):
            raise ValueError("virtual bucket entries must have unique names")
        with self._lock:
            if name in self._buckets:
                raise OCIError(409, "BucketAlreadyExists", f"Bucket '{name}' already exists")
            self._buckets[name] = bucket
        return bucket

    def put_object(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str | None = None,
        time_modified: datetime | None = None,
        *,
        multipart_md5: str | None = None,
        storage_tier: str = "Standard",
    ) -> ObjectInfo:
        """Store ``data``; a missing content type is inferred from the name's extension."""
        if not name:
            raise OCIError(400, "InvalidParameter", "Object name must not be empty")
        data = bytes(data)
        with self._lock:
            b = self.bucket(bucket)
            when = time_modified or self.now()
            old = b.stored.get(name)
            info = ObjectInfo(
                name=name,
                size=len(data),
                md5=_b64_md5(data),
                etag=_new_etag(),
                time_created=old.info.time_created if old and not time_modified else when,
                time_modified=when,
                content_type=content_type or guess_content_type(name),
                storage_tier=storage_tier,
                multipart_md5=multipart_md5,
            )
            b.stored[name] = _StoredObject(info, data)
            i = b.index_of(name)
            if i >= 0:
                b.sizes[i] = len(data)
            else:
                i = bisect_left(b.names, name)
                b.names.insert(i, name)
                b.sizes.insert(i, len(data))
            return info

    def delete_object(self, bucket: str, name: str) -> None:
        with self._lock:
            b = self.bucket(bucket)
            i = b.index_of(name)
            if i < 0:
                raise _object_not_found(bucket, name)
            del b.names[i]
            del b.sizes[i]
            b.stored.pop(name, None)

    def _info_at(self, b: Bucket, i: int) -> ObjectInfo:
        name = b.names[i]
        stored = b.stored.get(name)
        if stored is not None:
            return stored.info
        return _virtual_info(b, name, b.sizes[i])

    def head_object(self, bucket: str, name: str) -> ObjectInfo:
        with self._lock:
            b = self.bucket(bucket)
            i = b.index_of(name)
            if i < 0:
                raise _object_not_found(bucket, name)
            return self._info_at(b, i)

    def read_object(
        self, bucket: str, name: str, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Chunks of the object's bytes ``start``..``end`` (inclusive; ``None`` = to the end)."""
        with self._lock:
            b = self.bucket(bucket)
            i = b.index_of(name)
            if i < 0:
                raise _object_not_found(bucket, name)
            stored = b.stored.get(name)
            size = b.sizes[i]
        last = size - 1 if end is None else min(end, size - 1)
        if stored is not None:
            view = memoryview(stored.data)
            return (
                bytes(view[p : min(p + _CHUNK, last + 1)]) for p in range(start, last + 1, _CHUNK)
            )
        return (filler_bytes(p, min(_CHUNK, last + 1 - p)) for p in range(start, last + 1, _CHUNK))

    def get_object_bytes(self, bucket: str, name: str) -> bytes:
        return b"".join(self.read_object(bucket, name))

    def objects(self, bucket: str) -> list[ObjectInfo]:
        with self._lock:
            b = self.bucket(bucket)
            return [self._info_at(b, i) for i in range(len(b.names))]

    def object_names(self, bucket: str) -> list[str]:
        with self._lock:
            return list(self.bucket(bucket).names)

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        start: str | None = None,
        end: str | None = None,
        start_after: str | None = None,
        limit: int | None = None,
        delimiter: str | None = None,
    ) -> ListPage:
        """One ListObjects page. Rolled-up prefixes count toward ``limit`` like OCI's."""
        limit = MAX_LIST_LIMIT if not limit else max(1, min(int(limit), MAX_LIST_LIMIT))
        with self._lock:
            b = self.bucket(bucket)
            names = b.names
            i = bisect_left(names, max(prefix, start or ""))
            if start_after is not None:
                i = max(i, bisect_right(names, start_after))
            objects: list[ObjectInfo] = []
            prefixes: list[str] = []

            def in_range(n: str) -> bool:
                return n.startswith(prefix) and (not end or n < end)

            while i < len(names) and in_range(names[i]):
                if len(objects) + len(prefixes) >= limit:
                    return ListPage(objects, prefixes, names[i])
                name = names[i]
                cut = name.find(delimiter, len(prefix)) if delimiter else -1
                if cut >= 0:
                    rolled = name[: cut + len(delimiter)]
                    prefixes.append(rolled)
                    # Jump past every name under this prefix instead of walking them.
                    i = bisect_left(names, _prefix_successor(rolled), i + 1)
                else:
                    objects.append(self._info_at(b, i))
                    i += 1
            return ListPage(objects, prefixes, None)

    # ---- multipart uploads ------------------------------------------------------

    def create_multipart_upload(
        self,
        bucket: str,
        name: str,
        content_type: str | None = None,
        storage_tier: str = "Standard",
    ) -> MultipartUpload:
        with self._lock:
            self.bucket(bucket)
            upload = MultipartUpload(
                upload_id=str(uuid.uuid4()),
                namespace=self.namespace,
                bucket=bucket,
                object=name,
                time_created=self.now(),
                content_type=content_type,
                storage_tier=storage_tier,
            )
            self._uploads[upload.upload_id] = upload
            return upload

    def _upload(self, bucket: str, name: str, upload_id: str) -> MultipartUpload:
        upload = self._uploads.get(upload_id)
        if upload is None or upload.bucket != bucket or upload.object != name:
            raise OCIError(404, "NoSuchUpload", f"The upload ID '{upload_id}' does not exist")
        return upload

    def upload_part(
        self, bucket: str, name: str, upload_id: str, part_num: int, data: bytes
    ) -> tuple[str, str]:
        """Store one part; returns (etag, base64 md5)."""
        if not 1 <= part_num <= 10000:
            raise OCIError(400, "InvalidParameter", "uploadPartNum must be between 1 and 10000")
        md5 = _b64_md5(data)
        etag = _new_etag()
        with self._lock:
            self._upload(bucket, name, upload_id).parts[part_num] = (bytes(data), etag, md5)
        return etag, md5

    def list_parts(self, bucket: str, name: str, upload_id: str) -> list[tuple[int, str, str, int]]:
        """(part number, etag, md5, size) of every uploaded part, in order."""
        with self._lock:
            upload = self._upload(bucket, name, upload_id)
            return [(n, e, m, len(d)) for n, (d, e, m) in sorted(upload.parts.items())]

    def list_uploads(self, bucket: str) -> list[MultipartUpload]:
        with self._lock:
            self.bucket(bucket)
            return [u for u in self._uploads.values() if u.bucket == bucket]

    def commit_multipart_upload(
        self, bucket: str, name: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        """Assemble the listed (part number, etag) parts, in part-number order."""
        with self._lock:
            upload = self._upload(bucket, name, upload_id)
            chosen = []
            for num, etag in sorted(parts):
                part = upload.parts.get(num)
                if part is None or (etag and part[1] != etag):
                    raise OCIError(
                        400,
                        "InvalidPart",
                        f"Part {num} was not uploaded or its etag does not match",
                    )
                chosen.append(part)
            if not chosen:
                raise OCIError(400, "InvalidParameter", "partsToCommit must not be empty")
            digest = hashlib.md5(b"".join(base64.b64decode(m) for _, _, m in chosen)).digest()
            multipart_md5 = f"{base64.b64encode(digest).decode()}-{len(chosen)}"
            info = self.put_object(
                bucket,
                name,
                b"".join(d for d, _, _ in chosen),
                upload.content_type,
                multipart_md5=multipart_md5,
                storage_tier=upload.storage_tier,
            )
            del self._uploads[upload_id]
            return info

    def abort_multipart_upload(self, bucket: str, name: str, upload_id: str) -> None:
        with self._lock:
            self._upload(bucket, name, upload_id)
            del self._uploads[upload_id]

    # ---- pre-authenticated requests ---------------------------------------------

    def create_par(
        self,
        bucket: str,
        name: str,
        access_type: str,
        time_expires: datetime,
        object_name: str | None = None,
        bucket_listing_action: str | None = None,
    ) -> Par:
        """Create a PAR; an expiry in the past is accepted (for sweep tests)."""
        if access_type not in ACCESS_TYPES:
            raise OCIError(400, "InvalidParameter", f"Invalid accessType '{access_type}'")
        if access_type in OBJECT_ACCESS_TYPES and not object_name:
            raise OCIError(
                400, "InvalidParameter", f"objectName is required for accessType {access_type}"
            )
        if time_expires.tzinfo is None:
            time_expires = time_expires.replace(tzinfo=UTC)
        token = _secrets.token_urlsafe(48)
        # Real PAR ids are base64 with '/', '+' and ':' in them; make sure ours have all three.
        raw = base64.b64encode(_secrets.token_bytes(33)).decode()
        par_id = f"{raw[:7]}+{raw[8:20]}/{raw[21:]}:{object_name or ''}"
        with self._lock:
            self.bucket(bucket)
            par = Par(
                id=par_id,
                name=name,
                namespace=self.namespace,
                bucket=bucket,
                access_type=access_type,
                object_name=object_name or None,
                bucket_listing_action=bucket_listing_action or "Deny",
                time_created=self.now(),
                time_expires=time_expires,
                token=token,
            )
            self._pars[par_id] = par
            self._par_by_token[token] = par_id
            return par

    def pars(self, bucket: str | None = None) -> list[Par]:
        with self._lock:
            return [p for p in self._pars.values() if bucket is None or p.bucket == bucket]

    def get_par(self, bucket: str, par_id: str) -> Par:
        with self._lock:
            par = self._pars.get(par_id)
        if par is None or par.bucket != bucket:
            raise OCIError(404, "NotAuthorizedOrNotFound", f"PAR '{par_id}' was not found")
        return par

    def delete_par(self, bucket: str, par_id: str) -> None:
        with self._lock:
            par = self.get_par(bucket, par_id)
            del self._pars[par.id]
            del self._par_by_token[par.token]

    def expire_par(self, par_id: str) -> Par:
        """Move a PAR's expiry into the past (as if time had passed)."""
        with self._lock:
            par = replace(self._pars[par_id], time_expires=self.now() - timedelta(seconds=1))
            self._pars[par_id] = par
            return par

    def revoke_par(self, par_id: str) -> Par:
        """Make a PAR stop working as if its creator had been deleted (e.g. the container
        instance whose resource principal made it, replaced by a redeploy)."""
        with self._lock:
            par = replace(self._pars[par_id], revoked=True)
            self._pars[par_id] = par
            return par

    # ---- multipart uploads through a PAR --------------------------------------------
    # Oracle's "Putting a Large Object" through a PAR: a PUT with `opc-multipart: true` to
    # the PAR's object URL starts an upload and answers an upload-specific accessUri
    # (`/p/<token>/n/<ns>/b/<bucket>/u/<object>/id/<uploadId>/`), valid while its PAR is.

    def create_par_multipart(self, par: Par, name: str) -> tuple[MultipartUpload, str]:
        """Start a multipart upload of `name` through `par`: (upload, its access token)."""
        if not par.allows_write(name):
            raise par_not_found()
        upload = self.create_multipart_upload(par.bucket, name)
        token = _secrets.token_urlsafe(48)
        with self._lock:
            self._par_uploads[token] = (par.id, upload.upload_id)
        return upload, token

    def par_upload(self, token: str, namespace: str, bucket: str, name: str, upload_id: str):
        """The multipart upload an upload-specific access token opens, or 404 'PAR does not
        exist' (unknown token, its PAR deleted or expired, or another upload's URL)."""
        with self._lock:
            par_id, known_id = self._par_uploads.get(token, ("", ""))
            par = self._pars.get(par_id)
            upload = self._uploads.get(upload_id)
        if (
            par is None
            or known_id != upload_id
            or par.namespace != namespace
            or par.bucket != bucket
            or par.time_expires <= self.now()
            or par.revoked
            or upload is None
            or upload.object != name
        ):
            raise par_not_found()
        return upload

    def par_for_token(self, token: str, namespace: str, bucket: str) -> Par:
        """The live PAR behind ``token`` for this bucket, or OCI's 404 'PAR does not exist'."""
        with self._lock:
            par = self._pars.get(self._par_by_token.get(token, ""))
        if (
            par is None
            or par.namespace != namespace
            or par.bucket != bucket
            or par.time_expires <= self.now()
            or par.revoked
        ):
            raise par_not_found()
        return par

    # ---- Vault and Secrets ------------------------------------------------------

    def add_compartment(self, compartment_id: str) -> None:
        with self._lock:
            self._compartments.add(compartment_id)

    def add_secret(
        self, compartment_id: str, name: str, value: str | bytes, lifecycle_state: str = "ACTIVE"
    ) -> Secret:
        """Add a secret, or a new current version if the name exists in the compartment."""
        raw = value.encode() if isinstance(value, str) else bytes(value)
        content = base64.b64encode(raw).decode()
        with self._lock:
            self._compartments.add(compartment_id)
            for secret in self._secrets.values():
                if secret.compartment_id == compartment_id and secret.name == name:
                    secret.versions.append(content)
                    secret.lifecycle_state = lifecycle_state
                    return secret
            secret = Secret(
                id=_ocid("vaultsecret"),
                name=name,
                compartment_id=compartment_id,
                vault_id=self._vault_id,
                key_id=self._key_id,
                time_created=self.now(),
                lifecycle_state=lifecycle_state,
                versions=[content],
            )
            self._secrets[secret.id] = secret
            return secret

    def list_secrets(
        self, compartment_id: str, name: str | None = None, lifecycle_state: str | None = None
    ) -> list[Secret]:
        with self._lock:
            if compartment_id not in self._compartments:
                raise OCIError(
                    404,
                    "NotAuthorizedOrNotFound",
                    f"Authorization failed or requested resource not found: {compartment_id}",
                )
            return [
                s
                for s in self._secrets.values()
                if s.compartment_id == compartment_id
                and (name is None or s.name == name)
                and (lifecycle_state is None or s.lifecycle_state == lifecycle_state)
            ]

    def get_secret(self, secret_id: str) -> Secret:
        with self._lock:
            secret = self._secrets.get(secret_id)
        if secret is None:
            raise OCIError(
                404,
                "NotAuthorizedOrNotFound",
                f"Authorization failed or requested resource not found: {secret_id}",
            )
        return secret

    def get_secret_by_name(self, name: str, vault_id: str) -> Secret:
        with self._lock:
            for secret in self._secrets.values():
                if secret.name == name and secret.vault_id == vault_id:
                    return secret
        raise OCIError(
            404, "NotAuthorizedOrNotFound", f"Secret '{name}' not found in vault {vault_id}"
        )

    @property
    def vault_id(self) -> str:
        return self._vault_id


def _virtual_info(b: Bucket, name: str, size: int) -> ObjectInfo:
    # md5 and etag are stable fakes derived from the name: hashing filler would cost
    # time proportional to size for no benefit to any test.
    seed = hashlib.md5(f"{b.name}\0{name}\0{size}".encode()).digest()
    return ObjectInfo(
        name=name,
        size=size,
        md5=base64.b64encode(seed).decode(),
        etag=str(uuid.UUID(bytes=seed)),
        time_created=b.virtual_time,
        time_modified=b.virtual_time,
        content_type=guess_content_type(name),
        virtual=True,
    )


def _object_not_found(bucket: str, name: str) -> OCIError:
    return OCIError(
        404, "ObjectNotFound", f"The object '{name}' was not found in the bucket '{bucket}'"
    )


def par_not_found() -> OCIError:
    return OCIError(404, "NotAuthenticated", "PAR does not exist")


def numbered_entries(pattern: str, count: int, size: int = 1024) -> Iterator[tuple[str, int]]:
    """``(pattern.format(i), size)`` for i in 0..count-1 — a compact virtual-bucket description."""
    return ((pattern.format(i), size) for i in itertools.islice(itertools.count(), count))


__all__ = [
    "Bucket",
    "FakeOCIModel",
    "FaultAction",
    "ListPage",
    "MultipartUpload",
    "OCIError",
    "ObjectInfo",
    "Par",
    "RequestRecord",
    "Secret",
    "filler_bytes",
    "guess_content_type",
    "numbered_entries",
    "par_not_found",
]
