"""Uploads straight from a browser into the bucket: write PARs, and cleaning up after them.

Oracle's documented way ("Pre-Authenticated Request Object URLs", Putting a Large Object):
the app makes a PAR of type ObjectWrite for one object name; the browser PUTs to it with
`opc-multipart: true` and gets back an upload-specific `accessUri`
(`/p/<token>/n/<ns>/b/<bucket>/u/<object>/id/<uploadId>/`); it PUTs each part to that URI
plus the part number, POSTs to the URI to commit, or DELETEs it to abort. PAR answers carry
`access-control-allow-origin: *`, so a page on another origin may do all of this.

Every upload goes under `.uploads/` of the library's own bucket (listings hide dot
prefixes), one object per upload, so a write PAR can touch nothing else. The app never keeps
a PAR's URL: only its id, to delete it once the upload is committed or abandoned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import oci

from ..storage.base import quote_name
from .client import list_all
from .errors import call
from .storage import PAR_PREFIX, OciStorage, base_uri

log = logging.getLogger(__name__)

UPLOAD_PREFIX = ".uploads/"
# Named like every PAR of ours ("hm:"), so the hourly sweep of expired PARs deletes any that
# outlived their upload too.
WRITE_PAR_PREFIX = PAR_PREFIX + "up:"


@dataclass(frozen=True)
class OpenMultipart:
    object_name: str
    upload_id: str
    created: float  # epoch seconds


@dataclass(frozen=True)
class WritePar:
    id: str
    object_name: str


class OciUploads:
    """Write PARs and multipart clean-up for one bucket (the library's)."""

    def __init__(self, storage: OciStorage) -> None:
        self._client = storage.client
        self._background = storage.background_client
        self.namespace, self.bucket, self.endpoint = (
            storage.namespace,
            storage.bucket,
            storage.endpoint,
        )

    def write_url(self, object_name: str, expires_at: float) -> tuple[str, str]:
        """A URL that lets a browser write `object_name` (and nothing else) until
        `expires_at`, and the PAR's id."""
        if not object_name.startswith(UPLOAD_PREFIX):
            raise ValueError("uploads are written under .uploads/ only")
        details = oci.object_storage.models.CreatePreauthenticatedRequestDetails(
            name=f"{WRITE_PAR_PREFIX}{int(expires_at)}",
            access_type="ObjectWrite",
            object_name=object_name,
            time_expires=datetime.fromtimestamp(int(expires_at), UTC),
        )
        par = call(
            "The upload could not be prepared",
            lambda: (
                self._client.create_preauthenticated_request(
                    self.namespace, self.bucket, details
                ).data
            ),
        )
        # Its name, not its id: a PAR id ends with the object's name.
        log.info("Created write PAR %s.", details.name)
        return self.endpoint + base_uri(par.access_uri) + quote_name(object_name), par.id

    def delete_par(self, par_id: str) -> None:
        """Delete a write PAR; one already gone is fine."""
        call(
            "The upload's link could not be deleted",
            lambda: self._client.delete_preauthenticated_request(
                self.namespace, self.bucket, par_id
            ),
            answers={404: None},
        )
        log.info("Deleted a write PAR.")

    def object_size(self, object_name: str) -> int | None:
        """The committed object's size, or None if there is none (yet)."""
        response = call(
            "The upload could not be checked",
            lambda: self._client.head_object(self.namespace, self.bucket, object_name),
            answers={404: None},
        )
        if response is None:
            return None
        length = response.headers.get("content-length")
        return int(length) if length and length.isdigit() else None

    def delete_object(self, object_name: str) -> None:
        call(
            "The upload could not be deleted",
            lambda: self._client.delete_object(self.namespace, self.bucket, object_name),
            answers={404: None},
        )

    def open_multiparts(self) -> list[OpenMultipart]:
        """Multipart uploads under `.uploads/` that were neither committed nor aborted."""
        found = call(
            "Listing unfinished uploads failed",
            lambda: list_all(self._background.list_multipart_uploads, self.namespace, self.bucket),
        )
        return [
            OpenMultipart(u.object, u.upload_id, u.time_created.timestamp())
            for u in found
            if (u.object or "").startswith(UPLOAD_PREFIX)
        ]

    def abort(self, upload: OpenMultipart) -> None:
        call(
            "An unfinished upload could not be aborted",
            lambda: self._background.abort_multipart_upload(
                self.namespace, self.bucket, upload.object_name, upload.upload_id
            ),
            answers={404: None},
        )
        log.info("Aborted an abandoned multipart upload.")

    def write_pars(self) -> list[WritePar]:
        found = call(
            "Listing upload links failed",
            lambda: list_all(
                self._background.list_preauthenticated_requests,
                self.namespace,
                self.bucket,
                object_name_prefix=UPLOAD_PREFIX,
            ),
        )
        return [
            WritePar(p.id, p.object_name)
            for p in found
            if (p.name or "").startswith(WRITE_PAR_PREFIX) and p.object_name
        ]
