"""The HTTP layer of the fake: route a request, call the model, render OCI's wire format.

Paths and JSON shapes follow the oci 2.189 SDK (``oci/object_storage``, ``oci/vault``,
``oci/secrets``): camelCase fields, ``opc-request-id`` on every answer,
``opc-next-page`` for array pagination, OCI's ``{"code", "message"}`` error bodies.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from .models import (
    FakeOCIModel,
    ListPage,
    ObjectInfo,
    OCIError,
    Par,
    RequestRecord,
    Secret,
    par_not_found,
)

VAULT_BASE = "20180608"
SECRETS_BASE = "20190301"

# What OCI answers on every request through a PAR (Oracle's "Pre-Authenticated Request
# Object URLs", Getting Metadata from an Object), plus content-range for ranged reads.
_CORS_METHODS = "POST,PUT,GET,HEAD,DELETE,OPTIONS"
_CORS_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", _CORS_METHODS),
    ("Access-Control-Allow-Credentials", "true"),
    (
        "Access-Control-Expose-Headers",
        "accept-ranges,access-control-allow-credentials,access-control-allow-methods,"
        "access-control-allow-origin,content-length,content-range,content-type,date,etag,"
        "last-modified,opc-client-info,opc-multipart-md5,opc-content-md5,opc-request-id,"
        "storage-tier,version-id,x-api-id",
    ),
]
_OBJECT_FIELDS = (
    "name",
    "size",
    "etag",
    "md5",
    "timeCreated",
    "timeModified",
    "storageTier",
    "archivalState",
)


@dataclass
class Request:
    method: str
    target: str  # raw request target: percent-encoded path plus query
    headers: Mapping[str, str]  # case-insensitive mapping (http.server's Message)
    body: bytes = b""
    arrived: float = 0.0  # time.monotonic() when its headers were read (before the body)

    def __post_init__(self) -> None:
        path, _, query = self.target.partition("?")
        self.path = path
        self.query = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError as exc:
            raise OCIError(
                400, "InvalidParameter", f"Request body is not valid JSON: {exc}"
            ) from exc
        if not isinstance(value, dict):
            raise OCIError(400, "InvalidParameter", "Request body must be a JSON object")
        return value


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None  # Content-Length when ``body`` is an iterable

    def content_length(self) -> int:
        if isinstance(self.body, bytes):
            return len(self.body)
        return self.length or 0

    def chunks(self) -> Iterable[bytes]:
        return [self.body] if isinstance(self.body, bytes) else self.body


@dataclass(frozen=True)
class _Route:
    operation: str
    handler: Callable[[], Response]
    signed: bool = True  # needs an OCI Authorization header
    cors: bool = False


class _NoRouteError(Exception):
    pass


def format_time(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _http_date(value: datetime) -> str:
    return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)


def _parse_time(value: Any, field_name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise OCIError(400, "InvalidParameter", f"{field_name} is not an RFC 3339 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, [("Content-Type", "application/json"), *(headers or [])], body)


def error_response(error: OCIError) -> Response:
    return json_response(error.status, {"code": error.code, "message": error.message})


def _int_param(query: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise OCIError(400, "InvalidParameter", f"{name} must be an integer") from exc


def _page(
    items: list[Any], query: Mapping[str, str], default_limit: int
) -> tuple[list[Any], list[tuple[str, str]]]:
    """Slice ``items`` by ``page``/``limit``; the header list carries ``opc-next-page``."""
    start = _int_param(query, "page", 0) or 0
    limit = _int_param(query, "limit", default_limit) or default_limit
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, ([("opc-next-page", str(start + limit))] if more else [])


def _parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) for a single ``bytes=`` range; None to serve the whole object."""
    if not value or size == 0:
        return None
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_s, dash, last_s = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first_s == "":
            suffix = int(last_s)
            if suffix <= 0:
                raise _UnsatisfiableRangeError
            return max(0, size - suffix), size - 1
        first = int(first_s)
        last = int(last_s) if last_s else size - 1
    except ValueError:
        return None
    if first >= size or last < first:
        raise _UnsatisfiableRangeError
    return first, min(last, size - 1)


class _UnsatisfiableRangeError(Exception):
    pass


def _object_headers(info: ObjectInfo) -> list[tuple[str, str]]:
    headers = [
        ("Content-Type", info.content_type),
        ("ETag", info.etag),
        ("Last-Modified", _http_date(info.time_modified)),
        ("Accept-Ranges", "bytes"),
        ("storage-tier", info.storage_tier),
    ]
    if info.multipart_md5:
        headers.append(("opc-multipart-md5", info.multipart_md5))
    else:
        headers.append(("opc-content-md5", info.md5))
    return headers


def _object_summary(info: ObjectInfo, fields: set[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {"name": info.name}
    if "size" in fields:
        summary["size"] = info.size
    if "etag" in fields:
        summary["etag"] = info.etag
    if "md5" in fields:
        summary["md5"] = info.multipart_md5 or info.md5
    if "timeCreated" in fields:
        summary["timeCreated"] = format_time(info.time_created)
    if "timeModified" in fields:
        summary["timeModified"] = format_time(info.time_modified)
    if "storageTier" in fields:
        summary["storageTier"] = info.storage_tier
    return summary


def _list_objects_json(page: ListPage, fields_param: str | None) -> dict[str, Any]:
    fields = {f.strip() for f in (fields_param or "name").split(",") if f.strip()}
    unknown = fields - set(_OBJECT_FIELDS)
    if unknown:
        raise OCIError(400, "InvalidParameter", f"Unknown fields: {', '.join(sorted(unknown))}")
    payload: dict[str, Any] = {
        "objects": [_object_summary(o, fields) for o in page.objects],
        "prefixes": page.prefixes,
    }
    if page.next_start_with is not None:
        payload["nextStartWith"] = page.next_start_with
    return payload


def _par_summary(par: Par) -> dict[str, Any]:
    summary = {
        "id": par.id,
        "name": par.name,
        "accessType": par.access_type,
        "timeCreated": format_time(par.time_created),
        "timeExpires": format_time(par.time_expires),
    }
    if par.object_name is not None:
        summary["objectName"] = par.object_name
    if par.bucket_listing_action is not None:
        summary["bucketListingAction"] = par.bucket_listing_action
    return summary


def _secret_summary(secret: Secret) -> dict[str, Any]:
    return {
        "id": secret.id,
        "secretName": secret.name,
        "compartmentId": secret.compartment_id,
        "vaultId": secret.vault_id,
        "keyId": secret.key_id,
        "lifecycleState": secret.lifecycle_state,
        "timeCreated": format_time(secret.time_created),
        "definedTags": {},
        "freeformTags": {},
    }


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _check_signature(request: Request) -> None:
    auth = request.header("Authorization") or ""
    looks_signed = (
        auth.startswith("Signature ")
        and 'keyId="' in auth
        and 'signature="' in auth
        and 'version="1"' in auth
    )
    if not looks_signed:
        raise OCIError(
            401,
            "NotAuthenticated",
            "The required information to complete authentication was not provided or was incorrect.",
        )


def _key_id(request: Request) -> str | None:
    auth = request.header("Authorization") or ""
    start = auth.find('keyId="')
    if start < 0:
        return None
    start += len('keyId="')
    end = auth.find('"', start)
    return auth[start:end] if end > start else None


def _check_md5(request: Request, data: bytes) -> None:
    expected = request.header("Content-MD5")
    if expected:
        actual = base64.b64encode(hashlib.md5(data).digest()).decode()
        if actual != expected.strip():
            raise OCIError(
                400,
                "UnmatchedContentMD5",
                f"The computed MD5 of the request body ({actual}) does not match the "
                f"Content-MD5 header ({expected})",
            )


class FakeOCIResponses:
    """Turns one parsed HTTP request into one response, against a :class:`FakeOCIModel`."""

    def __init__(self, model: FakeOCIModel) -> None:
        self.model = model
        self.stop_event = threading.Event()  # cuts injected hangs short when the server stops

    # ---- entry point ------------------------------------------------------------

    def handle(self, request: Request, base_url: str) -> Response:
        started = request.arrived or time.monotonic()
        request_id = uuid.uuid4().hex.upper()
        cors = request.path.startswith("/p/") or request.method == "OPTIONS"
        route: _Route | None = None
        try:
            try:
                route = self._route(request, base_url)
            except _NoRouteError:
                route = _Route(
                    "Unknown",
                    lambda: error_response(
                        OCIError(404, "NotFound", f"No route for {request.method} {request.path}")
                    ),
                    signed=False,
                )
            cors = cors or route.cors
            fault = self.model.record_call(route.operation)
            if self.model.latency_seconds:
                time.sleep(self.model.latency_seconds)
            if route.signed:
                _check_signature(request)
            if fault is not None:
                if fault.hang_seconds:
                    self.stop_event.wait(fault.hang_seconds)
                if fault.error is not None:
                    raise fault.error
            if self.model.before_request is not None:
                self.model.before_request(route.operation, request.path)
            response = route.handler()
        except OCIError as error:
            response = error_response(error)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake must fail fast; the SDK does not retry 501
            traceback.print_exc()
            response = error_response(
                OCIError(501, "FakeOCIInternalError", f"{type(exc).__name__}: {exc}")
            )
        response.headers.append(("opc-request-id", request_id))
        if cors:
            response.headers.extend(_CORS_HEADERS)
        self.model.log_request(
            RequestRecord(
                route.operation if route else "Unknown",
                request.method,
                request.path,
                response.status,
                _key_id(request),
                len(request.body),
                started,
                time.monotonic(),
            )
        )
        return response

    # ---- routing ----------------------------------------------------------------

    def _route(self, request: Request, base_url: str) -> _Route:
        method = request.method
        segs = request.path.split("/")[1:]
        if method == "OPTIONS":
            return _Route(
                "CorsPreflight", lambda: self._preflight(request), signed=False, cors=True
            )
        if not segs:
            raise _NoRouteError
        head = segs[0]
        if head == "n":
            return self._route_object_storage(request, segs, base_url)
        if (
            head == "p"
            and len(segs) >= 7
            and segs[2] == "n"
            and segs[4] == "b"
            and segs[6] in ("o", "u")
        ):
            return self._route_par_access(request, segs)
        if head == VAULT_BASE and len(segs) >= 2 and segs[1] == "secrets" and method == "GET":
            if len(segs) == 2:
                return _Route("ListSecrets", lambda: self.list_secrets(request))
            if len(segs) == 3:
                return _Route("GetSecret", lambda: self.get_secret(unquote(segs[2])))
        if (
            head == SECRETS_BASE
            and len(segs) >= 3
            and segs[1] == "secretbundles"
            and method == "GET"
        ):
            if segs[2:] == ["actions", "getByName"]:
                return _Route(
                    "GetSecretBundleByName", lambda: self.get_secret_bundle_by_name(request)
                )
            if len(segs) == 3:
                return _Route(
                    "GetSecretBundle", lambda: self.get_secret_bundle(request, unquote(segs[2]))
                )
        raise _NoRouteError

    def _route_object_storage(self, request: Request, segs: list[str], base_url: str) -> _Route:
        method = request.method
        if len(segs) == 1 or (len(segs) == 2 and segs[1] == ""):
            if method == "GET":
                return _Route("GetNamespace", lambda: json_response(200, self.model.namespace))
            raise _NoRouteError
        if len(segs) < 4 or segs[2] != "b":
            raise _NoRouteError
        ns, bucket = unquote(segs[1]), unquote(segs[3])
        if len(segs) == 4:
            if method in ("GET", "HEAD"):
                op = "GetBucket" if method == "GET" else "HeadBucket"
                return _Route(op, lambda: self.get_bucket(ns, bucket))
            raise _NoRouteError
        kind, rest = segs[4], segs[5:]
        name = unquote("/".join(rest))  # object names and PAR ids: decode exactly once

        if kind == "o":
            if not name:
                if method == "GET":
                    return _Route("ListObjects", lambda: self.list_objects(request, ns, bucket))
                raise _NoRouteError
            table = {
                "GET": ("GetObject", lambda: self.get_object(request, ns, bucket, name)),
                "HEAD": ("HeadObject", lambda: self.get_object(request, ns, bucket, name)),
                "PUT": ("PutObject", lambda: self.put_object(request, ns, bucket, name)),
                "DELETE": ("DeleteObject", lambda: self.delete_object(ns, bucket, name)),
            }
        elif kind == "u":
            if not name:
                table = {
                    "POST": (
                        "CreateMultipartUpload",
                        lambda: self.create_multipart_upload(request, ns, bucket),
                    ),
                    "GET": (
                        "ListMultipartUploads",
                        lambda: self.list_multipart_uploads(request, ns, bucket),
                    ),
                }
            else:
                table = {
                    "PUT": ("UploadPart", lambda: self.upload_part(request, ns, bucket, name)),
                    "POST": (
                        "CommitMultipartUpload",
                        lambda: self.commit_multipart_upload(request, ns, bucket, name),
                    ),
                    "DELETE": (
                        "AbortMultipartUpload",
                        lambda: self.abort_multipart_upload(request, ns, bucket, name),
                    ),
                    "GET": (
                        "ListMultipartUploadParts",
                        lambda: self.list_parts(request, ns, bucket, name),
                    ),
                }
        elif kind == "p":
            if not name:
                table = {
                    "POST": (
                        "CreatePreauthenticatedRequest",
                        lambda: self.create_par(request, ns, bucket, base_url),
                    ),
                    "GET": (
                        "ListPreauthenticatedRequests",
                        lambda: self.list_pars(request, ns, bucket),
                    ),
                }
            else:
                table = {
                    "GET": ("GetPreauthenticatedRequest", lambda: self.get_par(ns, bucket, name)),
                    "DELETE": (
                        "DeletePreauthenticatedRequest",
                        lambda: self.delete_par(ns, bucket, name),
                    ),
                }
        else:
            raise _NoRouteError
        if method not in table:
            raise _NoRouteError
        operation, handler = table[method]
        return _Route(operation, handler)

    def _route_par_access(self, request: Request, segs: list[str]) -> _Route:
        token, ns, bucket = segs[1], unquote(segs[3]), unquote(segs[5])
        if segs[6] == "u":
            return self._route_par_multipart(request, token, ns, bucket, segs[7:])
        name = unquote("/".join(segs[7:]))
        method = request.method
        if name and method == "PUT" and _is_true(request.header("opc-multipart")):
            return _Route(
                "ParCreateMultipartUpload",
                lambda: self.par_create_multipart(token, ns, bucket, name),
                signed=False,
                cors=True,
            )
        if not name and method == "GET":
            return _Route(
                "ParList",
                lambda: self.par_list(request, token, ns, bucket),
                signed=False,
                cors=True,
            )
        if name and method in ("GET", "HEAD"):
            return _Route(
                "ParGet",
                lambda: self.par_get(request, token, ns, bucket, name),
                signed=False,
                cors=True,
            )
        if name and method == "PUT":
            return _Route(
                "ParPut",
                lambda: self.par_put(request, token, ns, bucket, name),
                signed=False,
                cors=True,
            )
        raise _NoRouteError

    # ---- Object Storage ---------------------------------------------------------

    def _check_namespace(self, ns: str) -> None:
        if ns != self.model.namespace:
            raise OCIError(
                404,
                "NamespaceNotFound",
                f"You do not have authorization to perform this request, "
                f"or the requested resource could not be found: namespace '{ns}'",
            )

    def get_bucket(self, ns: str, bucket: str) -> Response:
        self._check_namespace(ns)
        b = self.model.bucket(bucket)
        return json_response(
            200,
            {
                "namespace": ns,
                "name": b.name,
                "compartmentId": b.compartment_id,
                "createdBy": "ocid1.user.oc1..fakeuser",
                "timeCreated": format_time(b.time_created),
                "etag": b.etag,
                "publicAccessType": "NoPublicAccess",
                "storageTier": "Standard",
                "objectEventsEnabled": False,
                "versioning": "Disabled",
                "metadata": {},
                "freeformTags": {},
                "definedTags": {},
            },
            [("ETag", b.etag)],
        )

    def list_objects(self, request: Request, ns: str, bucket: str, *, within: str = "") -> Response:
        self._check_namespace(ns)
        q = request.query
        prefix = q.get("prefix") or ""
        if within and not prefix.startswith(within):
            # A prefix PAR lists only its own prefix; a narrower or absent request prefix is clamped.
            if within.startswith(prefix):
                prefix = within
            else:
                return json_response(200, {"objects": [], "prefixes": []})
        delimiter = q.get("delimiter") or None
        if delimiter is not None and delimiter != "/":
            raise OCIError(400, "InvalidParameter", "The only supported delimiter is '/'")
        page = self.model.list_objects(
            bucket,
            prefix=prefix,
            start=q.get("start") or None,
            end=q.get("end") or None,
            start_after=q.get("startAfter") or None,
            limit=_int_param(q, "limit"),
            delimiter=delimiter,
        )
        return json_response(200, _list_objects_json(page, q.get("fields")))

    def get_object(self, request: Request, ns: str, bucket: str, name: str) -> Response:
        self._check_namespace(ns)
        info = self.model.head_object(bucket, name)
        return self._serve_object(request, bucket, info)

    def _serve_object(self, request: Request, bucket: str, info: ObjectInfo) -> Response:
        headers = _object_headers(info)
        if_none_match = request.header("If-None-Match")
        if if_none_match and (if_none_match.strip() == "*" or info.etag in if_none_match):
            return Response(304, [("ETag", info.etag)])
        if_match = request.header("If-Match")
        if if_match and if_match.strip() not in ("*", info.etag):
            raise OCIError(
                412, "IfMatchFailed", "The If-Match header does not match the object's ETag"
            )
        try:
            byte_range = _parse_range(request.header("Range"), info.size)
        except _UnsatisfiableRangeError:
            return Response(
                416,
                [("Content-Range", f"bytes */{info.size}"), ("Content-Type", "application/json")],
                json.dumps(
                    {"code": "InvalidRange", "message": "The requested range is not satisfiable"}
                ).encode(),
            )
        if request.method == "HEAD":
            if byte_range is not None:
                first, last = byte_range
                return Response(
                    206,
                    [*headers, ("Content-Range", f"bytes {first}-{last}/{info.size}")],
                    [],
                    length=last - first + 1,
                )
            return Response(200, headers, [], length=info.size)
        if byte_range is None:
            return Response(
                200, headers, self.model.read_object(bucket, info.name), length=info.size
            )
        first, last = byte_range
        headers.append(("Content-Range", f"bytes {first}-{last}/{info.size}"))
        body = self.model.read_object(bucket, info.name, first, last)
        return Response(206, headers, body, length=last - first + 1)

    def put_object(self, request: Request, ns: str, bucket: str, name: str) -> Response:
        self._check_namespace(ns)
        self.model.bucket(bucket)
        _check_md5(request, request.body)
        if (request.header("If-None-Match") or "").strip() == "*":
            try:
                self.model.head_object(bucket, name)
            except OCIError:
                pass
            else:
                raise OCIError(409, "IfNoneMatchFailed", f"The object '{name}' already exists")
        content_type = request.header("Content-Type") or "application/octet-stream"
        info = self.model.put_object(bucket, name, request.body, content_type)
        return Response(
            200,
            [
                ("opc-content-md5", info.md5),
                ("ETag", info.etag),
                ("Last-Modified", _http_date(info.time_modified)),
            ],
        )

    def delete_object(self, ns: str, bucket: str, name: str) -> Response:
        self._check_namespace(ns)
        self.model.delete_object(bucket, name)
        return Response(204, [("Last-Modified", _http_date(self.model.now()))])

    # ---- multipart uploads ------------------------------------------------------

    def create_multipart_upload(self, request: Request, ns: str, bucket: str) -> Response:
        self._check_namespace(ns)
        details = request.json()
        name = details.get("object")
        if not name:
            raise OCIError(400, "InvalidParameter", "object is required")
        upload = self.model.create_multipart_upload(
            bucket, name, details.get("contentType"), details.get("storageTier") or "Standard"
        )
        return json_response(
            200,
            {
                "namespace": upload.namespace,
                "bucket": upload.bucket,
                "object": upload.object,
                "uploadId": upload.upload_id,
                "timeCreated": format_time(upload.time_created),
                "storageTier": upload.storage_tier,
            },
            [("Location", f"/n/{ns}/b/{bucket}/u/{upload.upload_id}")],
        )

    def list_multipart_uploads(self, request: Request, ns: str, bucket: str) -> Response:
        self._check_namespace(ns)
        items = [
            {
                "namespace": u.namespace,
                "bucket": u.bucket,
                "object": u.object,
                "uploadId": u.upload_id,
                "timeCreated": format_time(u.time_created),
                "storageTier": u.storage_tier,
            }
            for u in self.model.list_uploads(bucket)
        ]
        chunk, headers = _page(items, request.query, 1000)
        return json_response(200, chunk, headers)

    def _upload_id(self, request: Request) -> str:
        upload_id = request.query.get("uploadId")
        if not upload_id:
            raise OCIError(400, "InvalidParameter", "uploadId is required")
        return upload_id

    def upload_part(self, request: Request, ns: str, bucket: str, name: str) -> Response:
        self._check_namespace(ns)
        part_num = _int_param(request.query, "uploadPartNum")
        if part_num is None:
            raise OCIError(400, "InvalidParameter", "uploadPartNum is required")
        _check_md5(request, request.body)
        etag, md5 = self.model.upload_part(
            bucket, name, self._upload_id(request), part_num, request.body
        )
        return Response(200, [("ETag", etag), ("opc-content-md5", md5)])

    def list_parts(self, request: Request, ns: str, bucket: str, name: str) -> Response:
        self._check_namespace(ns)
        items = [
            {"partNumber": n, "etag": e, "md5": m, "size": s}
            for n, e, m, s in self.model.list_parts(bucket, name, self._upload_id(request))
        ]
        chunk, headers = _page(items, request.query, 1000)
        return json_response(200, chunk, headers)

    def commit_multipart_upload(
        self, request: Request, ns: str, bucket: str, name: str
    ) -> Response:
        self._check_namespace(ns)
        details = request.json()
        parts = [
            (int(p["partNum"]), p.get("etag") or "") for p in details.get("partsToCommit") or []
        ]
        info = self.model.commit_multipart_upload(bucket, name, self._upload_id(request), parts)
        return Response(
            200,
            [
                ("opc-multipart-md5", info.multipart_md5 or ""),
                ("ETag", info.etag),
                ("Last-Modified", _http_date(info.time_modified)),
            ],
        )

    def abort_multipart_upload(self, request: Request, ns: str, bucket: str, name: str) -> Response:
        self._check_namespace(ns)
        self.model.abort_multipart_upload(bucket, name, self._upload_id(request))
        return Response(204)

    # ---- PAR management ---------------------------------------------------------

    def create_par(self, request: Request, ns: str, bucket: str, base_url: str) -> Response:
        self._check_namespace(ns)
        details = request.json()
        for required in ("name", "accessType", "timeExpires"):
            if not details.get(required):
                raise OCIError(400, "InvalidParameter", f"{required} is required")
        par = self.model.create_par(
            bucket,
            details["name"],
            details["accessType"],
            _parse_time(details["timeExpires"], "timeExpires"),
            object_name=details.get("objectName"),
            bucket_listing_action=details.get("bucketListingAction"),
        )
        payload = _par_summary(par)
        payload["accessUri"] = par.access_uri
        payload["fullPath"] = base_url + par.access_uri
        return json_response(200, payload)

    def list_pars(self, request: Request, ns: str, bucket: str) -> Response:
        self._check_namespace(ns)
        self.model.bucket(bucket)
        prefix = request.query.get("objectNamePrefix") or ""
        pars = [p for p in self.model.pars(bucket) if (p.object_name or "").startswith(prefix)]
        chunk, headers = _page(pars, request.query, 100)
        return json_response(200, [_par_summary(p) for p in chunk], headers)

    def get_par(self, ns: str, bucket: str, par_id: str) -> Response:
        self._check_namespace(ns)
        return json_response(200, _par_summary(self.model.get_par(bucket, par_id)))

    def delete_par(self, ns: str, bucket: str, par_id: str) -> Response:
        self._check_namespace(ns)
        self.model.delete_par(bucket, par_id)
        return Response(204)

    # ---- access through a PAR ---------------------------------------------------

    def par_get(self, request: Request, token: str, ns: str, bucket: str, name: str) -> Response:
        par = self.model.par_for_token(token, ns, bucket)
        if not par.allows_read(name):
            raise par_not_found()
        response = self._serve_object(request, bucket, self.model.head_object(bucket, name))
        disposition = request.query.get("httpResponseContentDisposition")
        if disposition:  # "Getting an Object with Custom Response Headers"
            response.headers.append(("Content-Disposition", disposition))
        return response

    def par_list(self, request: Request, token: str, ns: str, bucket: str) -> Response:
        par = self.model.par_for_token(token, ns, bucket)
        if par.bucket_listing_action != "ListObjects" or par.access_type in (
            "ObjectRead",
            "ObjectWrite",
            "ObjectReadWrite",
        ):
            raise par_not_found()
        return self.list_objects(request, ns, bucket, within=par.object_name or "")

    def par_put(self, request: Request, token: str, ns: str, bucket: str, name: str) -> Response:
        par = self.model.par_for_token(token, ns, bucket)
        if not par.allows_write(name):
            raise par_not_found()
        return self.put_object(request, ns, bucket, name)

    def _preflight(self, request: Request) -> Response:
        asked = request.header("Access-Control-Request-Headers") or "*"
        return Response(
            200, [("Access-Control-Allow-Headers", asked), ("Access-Control-Max-Age", "3600")]
        )

    # ---- multipart uploads through a PAR ----------------------------------------

    def _route_par_multipart(
        self, request: Request, token: str, ns: str, bucket: str, rest: list[str]
    ) -> _Route:
        """`.../u/<object>/id/<uploadId>/` (POST commits, DELETE aborts) and
        `.../u/<object>/id/<uploadId>/<part number>` (PUT uploads a part)."""
        if len(rest) < 4 or rest[-3] != "id":
            raise _NoRouteError
        name, upload_id, part = unquote("/".join(rest[:-3])), unquote(rest[-2]), rest[-1]
        table = {
            ("PUT", True): ("ParUploadPart", self.par_upload_part),
            ("POST", False): ("ParCommitMultipartUpload", self.par_commit_multipart),
            ("DELETE", False): ("ParAbortMultipartUpload", self.par_abort_multipart),
        }
        found = table.get((request.method, part != ""))
        if found is None:
            raise _NoRouteError
        operation, handler = found
        where = (request, token, ns, bucket, name, upload_id, part)
        return _Route(operation, lambda: handler(*where), signed=False, cors=True)

    def par_create_multipart(self, token: str, ns: str, bucket: str, name: str) -> Response:
        par = self.model.par_for_token(token, ns, bucket)
        upload, access = self.model.create_par_multipart(par, name)
        access_uri = (
            f"/p/{access}/n/{ns}/b/{quote(bucket, safe='')}/u/{quote(name, safe='/')}"
            f"/id/{upload.upload_id}/"
        )
        return json_response(
            200,
            {
                "namespace": upload.namespace,
                "bucket": upload.bucket,
                "object": upload.object,
                "uploadId": upload.upload_id,
                "timeCreated": format_time(upload.time_created),
                "storageTier": upload.storage_tier,
                "accessUri": access_uri,
            },
        )

    def par_upload_part(self, request, token, ns, bucket, name, upload_id, part) -> Response:
        self.model.par_upload(token, ns, bucket, name, upload_id)
        if not part.isdigit():
            raise OCIError(400, "InvalidParameter", "The part number must be a number")
        _check_md5(request, request.body)
        etag, md5 = self.model.upload_part(bucket, name, upload_id, int(part), request.body)
        return Response(200, [("ETag", etag), ("opc-content-md5", md5)])

    def par_commit_multipart(self, request, token, ns, bucket, name, upload_id, _p) -> Response:
        self.model.par_upload(token, ns, bucket, name, upload_id)
        parts = [(n, e) for n, e, _m, _s in self.model.list_parts(bucket, name, upload_id)]
        info = self.model.commit_multipart_upload(bucket, name, upload_id, parts)
        return Response(
            200,
            [
                ("opc-multipart-md5", info.multipart_md5 or ""),
                ("ETag", info.etag),
                ("Last-Modified", _http_date(info.time_modified)),
            ],
        )

    def par_abort_multipart(self, request, token, ns, bucket, name, upload_id, _p) -> Response:
        self.model.par_upload(token, ns, bucket, name, upload_id)
        self.model.abort_multipart_upload(bucket, name, upload_id)
        return Response(204)

    # ---- Vault and Secrets ------------------------------------------------------

    def list_secrets(self, request: Request) -> Response:
        q = request.query
        compartment_id = q.get("compartmentId")
        if not compartment_id:
            raise OCIError(400, "MissingParameter", "compartmentId is required")
        secrets = self.model.list_secrets(
            compartment_id, q.get("name") or None, q.get("lifecycleState") or None
        )
        if (q.get("sortBy") or "TIMECREATED").upper() == "NAME":
            secrets.sort(key=lambda s: s.name)
        else:
            secrets.sort(key=lambda s: s.time_created)
        if (q.get("sortOrder") or "ASC").upper() == "DESC":
            secrets.reverse()
        chunk, headers = _page(secrets, q, 100)
        return json_response(200, [_secret_summary(s) for s in chunk], headers)

    def get_secret(self, secret_id: str) -> Response:
        secret = self.model.get_secret(secret_id)
        payload = _secret_summary(secret)
        payload["currentVersionNumber"] = len(secret.versions)
        return json_response(200, payload, [("ETag", f"{secret.id}-{len(secret.versions)}")])

    def _bundle(self, request: Request, secret: Secret) -> Response:
        version = _int_param(request.query, "versionNumber", len(secret.versions)) or len(
            secret.versions
        )
        if not 1 <= version <= len(secret.versions):
            raise OCIError(404, "NotAuthorizedOrNotFound", f"Secret version {version} not found")
        stages = ["CURRENT", "LATEST"] if version == len(secret.versions) else ["PREVIOUS"]
        return json_response(
            200,
            {
                "secretId": secret.id,
                "versionNumber": version,
                "timeCreated": format_time(secret.time_created),
                "secretBundleContent": {
                    "contentType": "BASE64",
                    "content": secret.versions[version - 1],
                },
                "stages": stages,
            },
            [("ETag", f"{secret.id}-{version}")],
        )

    def get_secret_bundle(self, request: Request, secret_id: str) -> Response:
        return self._bundle(request, self.model.get_secret(secret_id))

    def get_secret_bundle_by_name(self, request: Request) -> Response:
        name, vault_id = request.query.get("secretName"), request.query.get("vaultId")
        if not name or not vault_id:
            raise OCIError(400, "MissingParameter", "secretName and vaultId are required")
        return self._bundle(request, self.model.get_secret_by_name(name, vault_id))
