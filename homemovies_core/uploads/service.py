"""Adding videos from a browser: start or resume an upload, follow it, finish it, cancel it.

Where the bytes go depends on the library (see `targets.py`): to a local library through the
app's own tus route in chunks; to a bucket straight from the browser through a write PAR.
Either way the app checks the finished upload (its size) and puts a job on the queue
(`jobs`), whose worker turns it into a movie. Every method takes the person asking, and
finds only that person's uploads.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..cache import CacheUnavailable
from ..catalog import Catalog
from ..jobs.model import IngestRequest
from ..settings import Settings
from ..storage.base import StorageError
from . import choice, policy
from .errors import UploadError
from .records import MAX_OPEN_PER_PERSON, UploadRecord, UploadStore, match_digest, new_id
from .targets import Target
from .tokens import UploadTokens
from .views import UploadRow, progress_label, rows

log = logging.getLogger(__name__)

GONE = "This upload is not on the server any more (it may have expired); choose the file again."
LOCK_SECONDS = 60.0


@dataclass(frozen=True)
class Started:
    record: UploadRecord
    token: str  # the upload token the browser sends with every request for this upload
    resumed: bool  # the same file was chosen again: only what is missing is sent


class Uploads:
    def __init__(
        self,
        *,
        settings: Settings,
        store: UploadStore,
        tokens: UploadTokens,
        catalog: Catalog,
        target: Target,
        jobs,  # the job queue (jobs.queue): submit, status, cancel, unavailable_reason
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings, self.store, self.tokens = settings, store, tokens
        self.catalog, self.target, self.jobs, self._clock = catalog, target, jobs, clock

    @property
    def kind(self) -> str:
        return self.target.kind

    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_upload_gb * 1_000_000_000)

    def unavailable(self) -> str | None:
        """Why nobody can add videos on this server now (one sentence), or None."""
        if self.settings.no_uploads:
            return policy.OFF
        if self.jobs is None:
            return policy.NO_QUEUE
        return self.jobs.unavailable_reason() or self.target.problem()

    def refusal(self, user: str | None) -> str | None:
        """Why `user` cannot add videos now (one sentence), or None."""
        return policy.refusal(self.settings, user) or self.unavailable()

    def _allowed(self, user: str) -> None:
        reason = self.refusal(user)
        if reason is not None:
            raise UploadError(reason, 403)

    def own(self, user: str, upload_id: str) -> UploadRecord:
        record = cache_errors(lambda: self.store.get(user, upload_id))
        if record is None:
            raise UploadError(GONE, 404)
        return record

    # -- starting -------------------------------------------------------------------------
    def start(self, user: str, data: object) -> Started:
        """Start an upload of the file `data` describes, or resume the same file's open
        upload (same name, size and last-modified time, within 24 hours)."""
        self._allowed(user)
        try:
            folders = [f.key for f in self.catalog.folders()]
        except StorageError as exc:
            raise UploadError(f"The library cannot be read right now: {exc}", 503) from None
        picked = choice.chosen(data, folders, self.max_bytes)
        match = match_digest(picked.raw_name, picked.size, picked.modified)
        mine = cache_errors(lambda: self.store.all_of(user))
        # The same file chosen again: its open upload goes on; a finished one is not sent
        # twice (a failed or cancelled one is started afresh).
        same = [r for r in mine if r.match == match and r.state in ("uploading", "submitted")]
        if same:
            return self._resume(same[0], picked.folder)
        if sum(r.open for r in mine) >= MAX_OPEN_PER_PERSON:
            raise UploadError(
                f"You have {MAX_OPEN_PER_PERSON} uploads under way; let some finish first.", 429
            )
        if not self.target.has_room_for(picked.size):
            raise UploadError(
                f"The server has no room for {picked.file.display} right now; ask whoever "
                f"runs it to free some space.",
                507,
            )
        upload_id, now = new_id(), self._clock()
        record = UploadRecord(
            id=upload_id, owner=user, name=picked.file.display, title=picked.file.title,
            extension=picked.file.extension, size=picked.size, modified=picked.modified,
            match=match, folder=picked.folder, kind=self.target.kind,
            source=self.target.source(upload_id, picked.file.extension), created=now,
        )  # fmt: skip
        record = cache_errors(lambda: self.store.save(record))
        self.target.begin(record)
        log.info("Upload %s started (%s, %d bytes).", upload_id, record.kind, record.size)
        return Started(record, self.tokens.upload(user, upload_id, record.created), False)

    def _resume(self, record: UploadRecord, folder: str) -> Started:
        if record.open:
            received = self.target.received(record)
            record = dataclasses.replace(record, folder=folder, received=received)
            record = cache_errors(lambda: self.store.save(record))
            if self.target.arrived(record):  # committed before the browser could say so
                record = self.complete(record.owner, record.id)
        token = self.tokens.upload(record.owner, record.id, record.created)
        return Started(record, token, True)

    def write_url(self, user: str, upload_id: str) -> tuple[str, int]:
        """OCI: a fresh write URL for the upload (the browser has no multipart upload of it
        in hand), and the part size to use. An earlier URL stops working."""
        record = self._open(user, upload_id)
        url, par_id = self.target.write_url(record, record.expires)
        old = record.par_id
        fresh = dataclasses.replace(record, par_id=par_id, received=0)
        cache_errors(lambda: self.store.save(fresh))
        if old:
            self.target.forget_par(old)
        return url, self.target.part_size(record.size)

    def _open(self, user: str, upload_id: str) -> UploadRecord:
        record = self.own(user, upload_id)
        if not record.open:
            raise UploadError("This upload has already finished.", 409)
        return record

    # -- following --------------------------------------------------------------------------
    def progress(self, user: str, upload_id: str, received: object) -> None:
        """OCI: how many bytes the browser has put in committed-to-be parts."""
        record = self._open(user, upload_id)
        if type(received) is not int or not 0 <= received <= record.size:
            raise UploadError("Bad request.")
        cache_errors(lambda: self.store.save(dataclasses.replace(record, received=received)))

    def listing(self, user: str) -> list[UploadRow]:
        """`user`'s uploads of the last 24 hours, newest first, as the page lists them."""
        records = cache_errors(lambda: self.store.all_of(user))
        live = [self._now(r) if r.open else r for r in records]
        return rows(live, self._status)

    def _now(self, record: UploadRecord) -> UploadRecord:
        """An open upload as it is this moment: bytes received, last written."""
        received, written = self.target.received(record), self.target.written_at(record)
        return dataclasses.replace(record, received=received, updated=written or record.updated)

    def row_of(self, record: UploadRecord) -> UploadRow:
        """One upload as the page lists it (its job's state once queued)."""
        return rows([record], self._status)[0]

    def being_added(self, folder: str) -> list[tuple[str, str]]:
        """(title, "Processing 63 %") of each video on its way into `folder`: its card."""
        if self.jobs is None:
            return []
        return [(title, progress_label(job)) for title, job in self.jobs.pending_in(folder)]

    def _status(self, job_id: str):
        return self.jobs.status(job_id) if self.jobs is not None else None

    # -- finishing --------------------------------------------------------------------------
    def complete(self, user: str, upload_id: str) -> UploadRecord:
        """Check that every byte arrived, then put the upload on the job queue (once: a
        second call finds it submitted). UploadError(409) while bytes are missing."""
        record = self.own(user, upload_id)
        if not record.open:
            return record
        lock = cache_errors(lambda: self.store.lock(upload_id, LOCK_SECONDS))
        if lock is None:
            raise UploadError("This upload is busy; try again in a moment.", 409)
        try:
            return self._submit(self.own(user, upload_id))
        finally:
            self.store.unlock(upload_id, lock)

    def _submit(self, record: UploadRecord) -> UploadRecord:
        if not record.open:
            return record
        try:
            self.target.finish(record)
        except UploadError as exc:
            if exc.status == 422:  # arrived whole but wrong: nothing more will come
                failed = dataclasses.replace(record, state="failed", message=exc.message)
                self.target.discard(record)
                return cache_errors(lambda: self.store.save(failed))
            raise
        request = IngestRequest(
            upload_id=record.id, owner=record.owner, folder=record.folder,
            title=record.title, source=record.source, size=record.size,
            original_name=record.name, last_modified=record.modified / 1000,
        )  # fmt: skip
        try:
            self.jobs.submit(request)
        except Exception as exc:  # the queue's own failure (Redis down): the browser retries
            log.warning("Queueing upload %s failed: %s", record.id, type(exc).__name__)
            raise UploadError(
                "The video arrived, but could not be queued yet; retrying.", 503
            ) from None
        done = dataclasses.replace(record, state="submitted", received=record.size)
        log.info("Upload %s complete and queued.", record.id)
        return cache_errors(lambda: self.store.save(done))

    def cancel(self, user: str, upload_id: str) -> None:
        """Stop an upload and delete what arrived; a queued one is taken off the queue."""
        record = self.own(user, upload_id)
        if record.open:
            self.target.discard(record)
        elif record.state == "submitted":
            self.jobs.cancel(record.id)
        cache_errors(lambda: self.store.delete(record))
        log.info("Upload %s cancelled.", upload_id)


def cache_errors(action):
    """Run `action`; Redis being down is a 503 sentence (the browser waits and retries)."""
    try:
        return action()
    except CacheUnavailable as exc:
        raise UploadError(str(exc), 503) from None
