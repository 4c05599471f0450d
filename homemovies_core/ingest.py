"""Command line: turn camera files into adaptive HLS movies and put them in the library.

    python -m homemovies_core.ingest INPUT... --folder "Family 2023" [--name "Beach day"]
        [--ladder 2160,1080,720,480] [--preset veryfast] [--segment_seconds 4]
        [--dry_run] [--overwrite] [--ffmpeg PATH] [--workers 16]
        (--media_dir DIR | --bucket NAME [--oci_config ... | --instance_principal | ...])

Each input becomes `<folder>/<name>.hls/` (the layout library.py reads): `output.m3u8`
over one H.264/AAC rendition per ladder rung (never above the source), `poster.jpg`,
and the input's `.vtt` sidecars. The storage flags are the app's own (settings.py), and
so are the HM_* variables, secrets.toml and the Vault.

- Local library: the movie is written into a hidden folder on the same file system and
  renamed into place in one step, so the app never lists a half-written movie; a
  failure removes the hidden folder.
- OCI: the files are uploaded in parallel with their content types. Re-running resumes:
  objects already under the prefix with the same size and MD5 are skipped. OCI has no
  rename, so the master playlist goes last; until it is there the movie cannot start,
  though the app lists the `.hls/` prefix from its first object on. The encoded files
  are kept in the system temp folder until the upload has finished, so a resumed
  upload does not encode again.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import settings as settings_mod
from .encode import (
    Rung,
    copy_subtitles,
    encode_hls,
    make_poster,
    plan_ladder,
    subtitle_files,
)
from .ffmpeg import FfmpegError, Probe, find_ffmpeg, probe
from .library import HLS_PLAYLIST, HLS_POSTER, HLS_SUFFIX, content_type
from .services import load_settings
from .settings import Settings, SettingsError

PROG = "python -m homemovies_core.ingest"
DEFAULT_HEIGHTS = (2160, 1080, 720, 480)
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
           "veryslow")
DEFAULT_WORKERS = 16
# Files above this go up as multipart uploads of this part size (parts retry on their own);
# HLS segments are a few MB, so in practice only a long single-rendition source gets here.
PART_SIZE = 128 * 1024 * 1024
_HASH_BLOCK = 1024 * 1024


class IngestError(Exception):
    """Something the person running the command can fix; one sentence."""


# -- what to do ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    inputs: tuple[Path, ...]
    folder: str
    name: str | None
    heights: tuple[int, ...]
    preset: str
    segment_seconds: int
    dry_run: bool
    overwrite: bool
    ffmpeg: str | None
    workers: int


@dataclass(frozen=True)
class Job:
    """One input and where it goes."""

    source: Path
    folder: str
    name: str
    probe: Probe
    ladder: tuple[Rung, ...]
    subtitles: tuple[Path, ...]

    @property
    def key(self) -> str:
        """The movie's prefix in the library: `Folder/Name.hls/`."""
        return f"{self.folder}/{self.name}{HLS_SUFFIX}/"


def build_parser() -> argparse.ArgumentParser:
    # The storage flags are the app's parser itself, not a copy: one list of flags to keep.
    parser = argparse.ArgumentParser(
        prog=PROG, parents=[settings_mod.build_parser()], conflict_handler="resolve",
        usage="%(prog)s INPUT... --folder FOLDER [--name NAME] [options] "
              "(--media_dir DIR | --bucket NAME [OCI sign-in flags])",
        description="Convert videos into adaptive HLS movies (a ladder of renditions, a poster "
        "and subtitles) and put them into the Home Movies library: a local folder "
        "(--media_dir) or an OCI Object Storage bucket (--bucket). The library flags are the "
        "app's own and can also come from HM_* variables, secrets.toml or the Vault.")
    movie = parser.add_argument_group("converting")
    movie.add_argument("inputs", nargs="+", metavar="INPUT", type=Path, help="video files")
    movie.add_argument("--folder", required=True,
                       help="library folder (a tab in the app), e.g. 'Family 2023'")
    movie.add_argument("--name", help="movie name (only with one INPUT; default: its file name)")
    movie.add_argument("--ladder", default=",".join(map(str, DEFAULT_HEIGHTS)),
                       help="rendition heights, comma-separated; none above the source is made "
                            "(default %(default)s)")
    movie.add_argument("--preset", default="veryfast", choices=PRESETS,
                       help="x264 preset: slower makes smaller files (default %(default)s)")
    movie.add_argument("--segment_seconds", type=int, default=4,
                       help="HLS segment length in seconds (default %(default)s)")
    movie.add_argument("--dry_run", action="store_true",
                       help="print the plan and change nothing")
    movie.add_argument("--overwrite", action="store_true",
                       help="replace a movie of the same name")
    movie.add_argument("--ffmpeg", metavar="PATH",
                       help="ffmpeg to use (default: imageio-ffmpeg's, else the one on PATH)")
    movie.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                       help="parallel uploads to OCI (default %(default)s)")
    return parser


def parse(argv: Sequence[str]) -> tuple[Options, Settings]:
    parsed = build_parser().parse_intermixed_args(list(argv))  # INPUTs anywhere
    options = Options(
        inputs=tuple(parsed.inputs),
        folder=_check_folder(parsed.folder),
        name=None if parsed.name is None else _check_name(parsed.name, "--name"),
        heights=_parse_ladder(parsed.ladder),
        preset=parsed.preset,
        segment_seconds=parsed.segment_seconds,
        dry_run=parsed.dry_run,
        overwrite=parsed.overwrite,
        ffmpeg=parsed.ffmpeg,
        workers=parsed.workers,
    )
    if options.name is not None and len(options.inputs) > 1:
        raise IngestError("--name names one movie: give it with a single INPUT, or leave it out "
                          "to name each movie after its file.")
    if not 1 <= options.segment_seconds <= 60:
        raise IngestError("--segment_seconds must be between 1 and 60.")
    if not 1 <= options.workers <= 64:
        raise IngestError("--workers must be between 1 and 64.")
    # The app's own precedence: flags, HM_* variables, secrets.toml, then the Vault.
    loaded = load_settings(_storage_argv(parsed))
    if loaded.storage_kind == "demo":
        raise IngestError("Say where the movies go: give --media_dir (a local library folder) "
                          "or --bucket (an OCI Object Storage bucket).")
    return options, loaded


def _storage_argv(parsed: argparse.Namespace) -> list[str]:
    """The library flags that were given, as argv for settings.load (`--x=value` so that a
    value starting with '-' survives the second parse)."""
    argv = []
    for option in settings_mod.OPTIONS:
        value = getattr(parsed, option.name, None)
        if value is None:
            continue
        argv.append(f"--{option.name}" if option.kind == "bool" else f"--{option.name}={value}")
    return argv


def _check_folder(raw: str) -> str:
    folder = raw.strip().strip("/")
    if not folder:
        raise IngestError("--folder must name a folder, e.g. --folder 'Family 2023'.")
    if "/" in folder:
        raise IngestError(f"--folder '{raw}' has a '/' in it: the app shows one level of "
                          "folders, so choose a single folder name.")
    if folder.lower().endswith(HLS_SUFFIX):
        raise IngestError(f"--folder '{raw}' ends in {HLS_SUFFIX}, which the app would take for "
                          "a movie; choose another name.")
    return _check_name(folder, "--folder")


def _check_name(raw: str, flag: str) -> str:
    name = raw.strip()
    if not name:
        raise IngestError(f"{flag} must not be empty.")
    if name.startswith("."):
        raise IngestError(f"{flag} '{raw}' starts with '.', and the app hides such names.")
    if any(c in name for c in "/\\\x00"):
        raise IngestError(f"{flag} '{raw}' must not contain '/', '\\' or NUL.")
    return name


def _parse_ladder(raw: str) -> tuple[int, ...]:
    heights = []
    for part in raw.split(","):
        part = part.strip().lower().removesuffix("p")
        if not part:
            continue
        if not part.isdigit() or int(part) < 2 or int(part) % 2 or int(part) > 4320:
            raise IngestError(f"--ladder '{raw}' must list even heights from 2 to 4320 separated "
                              "by commas, e.g. 2160,1080,720,480.")
        heights.append(int(part))
    if not heights:
        raise IngestError("--ladder must list at least one height, e.g. 1080,720,480.")
    return tuple(sorted(set(heights), reverse=True))


def plan_jobs(options: Options, ffmpeg: str) -> list[Job]:
    """Probe every input first, so a bad one stops the run before anything is written."""
    jobs = []
    for source in options.inputs:
        if not source.is_file():
            raise IngestError(f"The input {source} does not exist or is not a file.")
        if not os.access(source, os.R_OK):
            raise IngestError(f"The input {source} cannot be read by this user.")
        info = probe(source, ffmpeg)
        name = options.name or _check_name(source.stem, f"The file name of {source}")
        jobs.append(Job(source=source, folder=options.folder, name=name, probe=info,
                        ladder=tuple(plan_ladder(info, options.heights)),
                        subtitles=tuple(subtitle_files(source))))
    seen: dict[str, Path] = {}
    for job in jobs:
        if job.key in seen:
            raise IngestError(f"{seen[job.key]} and {job.source} would both become '{job.key}'; "
                              "ingest them one at a time with different --name values.")
        seen[job.key] = job.source
    return jobs


# -- describing the plan ---------------------------------------------------------------------
def rung_width(job: Job, rung: Rung) -> int:
    """The width ffmpeg's `scale=w=-2` gives: aspect kept, rounded to even."""
    shown = job.probe
    if not shown.display_height:
        return 0
    return max(2, round(shown.display_width * rung.height / shown.display_height / 2) * 2)


def estimate(job: Job, segment_seconds: int) -> tuple[int, int]:
    """(files, bytes) the movie will have, roughly."""
    segments = max(1, math.ceil(job.probe.duration / segment_seconds))
    files = len(job.ladder) * (segments + 1) + 2 + len(job.subtitles)  # + master, poster
    size = sum(r.bandwidth for r in job.ladder) * job.probe.duration / 8
    return files, int(size)


def describe(job: Job, options: Options, destination: str, state: str) -> str:
    info = job.probe
    files, size = estimate(job, options.segment_seconds)
    rungs = "; ".join(f"{rung_width(job, r)}x{r.height} at {r.video_kbps}+{r.audio_kbps} kbit/s"
                      for r in job.ladder)
    lines = [
        f"{job.source}",
        f"  source:      {info.display_width}x{info.display_height}"
        + (f" (stored {info.width}x{info.height}, rotated {info.rotation}°)"
           if info.rotation else "")
        + f", {info.duration:.1f} s, {'with' if info.has_audio else 'no'} audio",
        f"  renditions:  {rungs}",
        f"  encoding:    libx264 {options.preset}, {options.segment_seconds} s segments",
        f"  destination: '{job.key}' in {destination} ({state})",
        f"  files:       about {files} ({_megabytes(size)}), with poster.jpg"
        + (f" and {len(job.subtitles)} subtitle file(s)" if job.subtitles else ""),
    ]
    return "\n".join(lines)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


# -- progress --------------------------------------------------------------------------------
class Progress:
    """tqdm bars on stderr when it is a terminal; a line per step otherwise."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    @contextmanager
    def bar(self, label: str, total: float, unit: str, scale: bool = False) -> Iterator[
            Callable[[float], None]]:
        """Yields `advance(amount)`, safe to call from any thread."""
        if not self.tty:
            self.say(f"{label}…")
            yield lambda _amount: None
            return
        from tqdm import tqdm

        lock = threading.Lock()
        # A percentage bar needs no "48.0/100.0 [64.73%/s]" counter after it.
        shape = "{l_bar}{bar}| {elapsed}<{remaining}" if unit == "%" else None
        with tqdm(total=total, desc=label, unit=unit, unit_scale=scale, unit_divisor=1024,
                  file=self.stream, leave=True, dynamic_ncols=True, bar_format=shape) as shown:
            def advance(amount: float) -> None:
                with lock:
                    shown.update(amount)
            yield advance


def build_movie(job: Job, out_dir: Path, options: Options, ffmpeg: str, ui: Progress) -> None:
    """Encode the ladder, then the poster, into `out_dir` (subtitles are the caller's)."""
    scale = 100.0
    with ui.bar(f"Encoding '{job.name}' ({len(job.ladder)} renditions)", scale, "%") as advance:
        done = [0.0]

        def on_progress(fraction: float) -> None:
            advance(round((fraction - done[0]) * scale, 2))
            done[0] = fraction

        try:
            encode_hls(job.source, out_dir, job.ladder, segment_seconds=options.segment_seconds,
                       preset=options.preset, ffmpeg=ffmpeg, on_progress=on_progress)
            make_poster(job.source, out_dir / HLS_POSTER, job.probe, ffmpeg)
        except FfmpegError as exc:
            raise IngestError(f"Converting {job.source} failed, so nothing was added to the "
                              f"library: {exc}") from None


# -- a local library -------------------------------------------------------------------------
class LocalTarget:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.where = f"the local library {self.root}"

    def final(self, job: Job) -> Path:
        return self.root / job.folder / f"{job.name}{HLS_SUFFIX}"

    def state(self, job: Job) -> str:
        """"new" or "complete": a local movie is never half there (it arrives by rename)."""
        return "complete" if os.path.lexists(self.final(job)) else "new"

    def check_writable(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise IngestError(f"The media folder {self.root} cannot be written by this user.")

    def publish(self, job: Job, options: Options, ffmpeg: str, ui: Progress) -> str:
        folder_dir = self.root / job.folder
        final = self.final(job)
        # The hidden staging folder sits on the same file system as the target (inside the
        # folder if it exists, else at the root), so one os.rename publishes the movie.
        parent = folder_dir if folder_dir.is_dir() else self.root
        staging = Path(tempfile.mkdtemp(prefix=f".{job.name[:60]}{HLS_SUFFIX}.partial-",
                                        dir=parent))
        try:
            _apply_umask(staging)
            build_movie(job, staging, options, ffmpeg, ui)
            copy_subtitles(job.source, staging)
            folder_dir.mkdir(exist_ok=True)
            if os.path.lexists(final):
                if not options.overwrite:
                    raise IngestError(_exists_message(job, self.where))
                old = folder_dir / f".{job.name[:60]}{HLS_SUFFIX}.old-{secrets.token_hex(4)}"
                os.rename(final, old)
                try:
                    os.rename(staging, final)
                except OSError:
                    os.rename(old, final)  # put the old movie back
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        files = sum(len(f) for _, _, f in os.walk(final))
        size = _megabytes(_tree_bytes(final))
        return f"Added '{job.key}' to {self.where}: {files} files, {size}."


def _apply_umask(path: Path) -> None:
    """mkdtemp makes a 0700 folder; a movie should get the usual permissions (the app may
    run as another user)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o777 & ~mask)


def _tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _exists_message(job: Job, where: str) -> str:
    return (f"'{job.key}' already exists in {where}; give --overwrite to replace it, or choose "
            "another --name.")


# -- OCI Object Storage ----------------------------------------------------------------------
@dataclass(frozen=True)
class LocalFile:
    relative: str  # "v0/seg00001.ts"
    path: Path
    size: int
    md5: str  # base64 MD5 of the whole file (sent as Content-MD5 for single-part uploads)
    listed_md5: str  # what ListObjects will report for it once uploaded


@dataclass(frozen=True)
class RemoteObject:
    size: int | None
    md5: str | None


@dataclass(frozen=True)
class UploadReport:
    uploaded: int
    skipped: int
    deleted: int
    bytes_uploaded: int


class UploadError(IngestError):
    """OCI failed part-way; what is up stays up and a re-run resumes."""



def hash_file(path: Path, relative: str, part_size: int = PART_SIZE) -> LocalFile:
    """Hash once for both checks: the file's MD5, and the MD5 OCI lists for a multipart
    object (MD5 of the parts' MD5s, then "-<parts>"), which depends on our part size."""
    whole = hashlib.md5()
    parts: list[bytes] = []
    part = hashlib.md5()
    in_part = 0
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(min(_HASH_BLOCK, part_size - in_part)):
            whole.update(block)
            part.update(block)
            in_part += len(block)
            size += len(block)
            if in_part == part_size:
                parts.append(part.digest())
                part, in_part = hashlib.md5(), 0
    if in_part:
        parts.append(part.digest())
    md5 = base64.b64encode(whole.digest()).decode()
    if size > part_size:
        combined = base64.b64encode(hashlib.md5(b"".join(parts)).digest()).decode()
        listed = f"{combined}-{len(parts)}"
    else:
        listed = md5
    return LocalFile(relative, path, size, md5, listed)


def local_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


class OciTarget:
    """A bucket, signed in once; every upload call carries the patient BACKGROUND policy."""

    def __init__(self, client, namespace: str, bucket: str, *, workers: int = DEFAULT_WORKERS,
                 part_size: int = PART_SIZE) -> None:
        self.client = client
        self.namespace = namespace
        self.bucket = bucket
        self.workers = workers
        self.part_size = part_size
        self.where = f"the bucket '{bucket}' (namespace '{namespace}')"
        widen_connection_pool(client, workers)

    @classmethod
    def connect(cls, settings: Settings, workers: int = DEFAULT_WORKERS) -> OciTarget:
        from .oci_auth import load_auth
        from .oci_retry import BACKGROUND, INTERACTIVE
        from .storage.oci import check_bucket, object_storage_client, read_namespace

        auth = load_auth(settings)
        # Fail fast (seconds, not minutes) when OCI is unreachable or the bucket is wrong;
        # the uploads themselves may wait out a bad minute.
        quick = object_storage_client(auth, settings.os_endpoint, INTERACTIVE)
        endpoint = settings.os_endpoint or quick.base_client.endpoint
        namespace = read_namespace(quick, endpoint)
        check_bucket(quick, namespace, settings.bucket)
        client = object_storage_client(auth, settings.os_endpoint, BACKGROUND)
        return cls(client, namespace, settings.bucket, workers=workers)

    # -- what is there ----------------------------------------------------------------------
    def existing(self, prefix: str) -> dict[str, RemoteObject]:
        """Every object under `prefix` with its size and MD5: one paginated listing."""
        from .oci_retry import OCI_ERRORS, describe_error

        found: dict[str, RemoteObject] = {}
        start = None
        while True:
            try:
                page = self.client.list_objects(self.namespace, self.bucket, prefix=prefix,
                                                fields="name,size,md5", start=start).data
            except OCI_ERRORS as exc:
                raise UploadError(f"Listing '{prefix}' in {self.where} failed: "
                                  f"{describe_error(exc)}.") from None
            for obj in page.objects or ():
                found[obj.name] = RemoteObject(obj.size, obj.md5)
            following = page.next_start_with
            if not following or following == start:
                return found
            start = following

    def state(self, job: Job) -> str:
        objects = self.existing(job.key)
        if job.key + HLS_PLAYLIST in objects:
            return "complete"
        return f"an unfinished upload of {len(objects)} objects: resumes" if objects else "new"

    # -- publishing -------------------------------------------------------------------------
    def publish(self, job: Job, options: Options, ffmpeg: str, ui: Progress) -> str:
        work = encoded_copy(job, options, ffmpeg, ui)
        copy_subtitles(job.source, work)  # always fresh: a sidecar may have been added since
        try:
            report = self.upload_folder(work, job.key, overwrite=options.overwrite, ui=ui)
        except UploadError as exc:
            raise IngestError(f"{exc} The encoded files are kept in {work}, so running the "
                              "same command again only uploads what is missing.") from None
        except IngestError:
            shutil.rmtree(work, ignore_errors=True)
            raise
        shutil.rmtree(work, ignore_errors=True)
        text = (f"Uploaded '{job.key}' to {self.where}: {report.uploaded} files "
                f"({_megabytes(report.bytes_uploaded)}) sent, {report.skipped} already there")
        return text + (f", {report.deleted} old objects removed." if report.deleted else ".")

    def upload_folder(self, folder: Path, prefix: str, *, overwrite: bool = False,
                      ui: Progress | None = None) -> UploadReport:
        """Upload every file under `folder` to `prefix`, skipping what is already there, the
        master playlist last; then remove objects under `prefix` this movie no longer has."""
        ui = ui or Progress()
        existing = self.existing(prefix)
        master_name = prefix + HLS_PLAYLIST
        if master_name in existing and not overwrite:
            raise IngestError(f"'{prefix}' already exists in {self.where}; give --overwrite to "
                              "replace it, or choose another --name.")
        paths = local_files(folder)
        if not (folder / HLS_PLAYLIST).is_file():
            raise IngestError(f"{folder} has no {HLS_PLAYLIST} to upload.")
        with ThreadPoolExecutor(self.workers, thread_name_prefix="hash") as pool:
            files = list(pool.map(
                lambda p: hash_file(p, p.relative_to(folder).as_posix(), self.part_size), paths))
        wanted = {prefix + f.relative for f in files}
        todo = [f for f in files if not _same(existing.get(prefix + f.relative), f)]
        skipped = len(files) - len(todo)
        master = [f for f in todo if f.relative == HLS_PLAYLIST]
        rest = [f for f in todo if f.relative != HLS_PLAYLIST]
        total = sum(f.size for f in todo)
        stale = sorted(set(existing) - wanted)
        with ui.bar(f"Uploading '{prefix}' ({len(todo)} files)", total, "B", scale=True) as \
                advance:
            if master and master_name in existing:
                # Replacing a movie: take its playlist away first, so nobody starts a mix of
                # old and new segments while they change.
                self._delete(master_name)
            sent = self._upload_all(prefix, rest, advance)
            sent += self._upload_all(prefix, master, advance)
        for name in stale:  # unreferenced now: left over from an earlier ladder
            self._delete(name)
        return UploadReport(uploaded=len(todo), skipped=skipped, deleted=len(stale),
                            bytes_uploaded=sent)

    def _upload_all(self, prefix: str, files: list[LocalFile],
                    advance: Callable[[float], None]) -> int:
        from .oci_retry import describe_error

        if not files:
            return 0
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="upload")
        try:
            # Largest first: the long tail of a parallel upload is its biggest files.
            ordered = sorted(files, key=lambda f: -f.size)
            futures = {pool.submit(self._put, prefix + f.relative, f, advance): f
                       for f in ordered}
            done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is None:
                return sum(f.size for f in files)
            pool.shutdown(wait=True, cancel_futures=True)
            ok = sum(1 for f in futures if f.done() and not f.cancelled()
                     and f.exception() is None)
            raise UploadError(
                f"Uploading '{prefix}' stopped ({ok} more of its files were sent): "
                f"{describe_error(failed.exception())} (at '{futures[failed].relative}').")
        finally:
            # After a failure or Ctrl-C: drop what has not started, let running uploads end.
            pool.shutdown(wait=True, cancel_futures=True)

    def _put(self, name: str, file: LocalFile, advance: Callable[[float], None]) -> None:
        kind = content_type(name)
        if file.size > self.part_size:
            from oci.object_storage import UploadManager

            manager = UploadManager(self.client, allow_parallel_uploads=True,
                                    parallel_process_count=4)
            manager.upload_file(self.namespace, self.bucket, name, str(file.path),
                                part_size=self.part_size, content_type=kind,
                                metadata={"md5": file.md5}, progress_callback=advance)
            return
        with open(file.path, "rb") as body:
            self.client.put_object(self.namespace, self.bucket, name, body,
                                   content_length=file.size, content_type=kind,
                                   content_md5=file.md5)
        advance(file.size)

    def _delete(self, name: str) -> None:
        import oci

        from .oci_retry import OCI_ERRORS, describe_error

        try:
            self.client.delete_object(self.namespace, self.bucket, name)
        except oci.exceptions.ServiceError as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise UploadError(f"Deleting '{name}' failed: {describe_error(exc)}.") \
                    from None
        except OCI_ERRORS as exc:
            raise UploadError(f"Deleting '{name}' failed: {describe_error(exc)}.") from None


def _same(remote: RemoteObject | None, local: LocalFile) -> bool:
    """Skip an object only when OCI's size and MD5 both match what we would send. For a
    multipart object OCI lists "<md5 of part md5s>-<parts>", which we compute for our own
    part size; an object uploaded with another part size is simply sent again."""
    return remote is not None and remote.size == local.size and remote.md5 == local.listed_md5


def widen_connection_pool(client, size: int) -> None:
    """requests keeps 10 connections per host by default; more parallel uploads than that
    would open and drop a connection per request."""
    from oci._vendor import requests

    session = client.base_client.session
    for scheme in ("https://", "http://"):
        current = session.adapters.get(scheme)
        if getattr(current, "_pool_maxsize", 0) >= size:
            continue
        retries = getattr(current, "max_retries", requests.adapters.DEFAULT_RETRIES)
        if getattr(current, "preserves_oci_https_adapter_behavior", False):
            adapter = current.__class__(pool_connections=10, pool_maxsize=size,
                                        max_retries=retries)
        else:
            adapter = requests.adapters.HTTPAdapter(pool_connections=10, pool_maxsize=size,
                                                    max_retries=retries)
        session.mount(scheme, adapter)


def encoded_copy(job: Job, options: Options, ffmpeg: str, ui: Progress) -> Path:
    """The encoded movie in the system temp folder, made once per (input, settings): a
    resumed upload must not wait for a second encode, and must see the same bytes."""
    stat = job.source.stat()
    key = json.dumps([str(job.source.resolve()), stat.st_size, stat.st_mtime_ns,
                      [(r.height, r.video_kbps, r.audio_kbps) for r in job.ladder],
                      options.preset, options.segment_seconds, ffmpeg])
    base = Path(tempfile.gettempdir()) / f"homemovies-ingest-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    done = base / hashlib.sha256(key.encode()).hexdigest()[:24]
    if done.is_dir():
        ui.say(f"Using the files encoded for '{job.name}' by an earlier run ({done}).")
        return done
    staging = Path(tempfile.mkdtemp(prefix=done.name + ".partial-", dir=base))
    try:
        build_movie(job, staging, options, ffmpeg, ui)
        os.rename(staging, done)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return done


# -- the command -----------------------------------------------------------------------------
def run(argv: Sequence[str], ui: Progress | None = None) -> int:
    ui = ui or Progress()
    options, settings = parse(argv)
    ffmpeg = find_ffmpeg(options.ffmpeg)
    jobs = plan_jobs(options, ffmpeg)
    if settings.storage_kind == "local":
        target: LocalTarget | OciTarget = LocalTarget(settings.media_dir)
    else:
        target = OciTarget.connect(settings, options.workers)
    states = {}
    for job in jobs:
        state = target.state(job)
        if state == "complete" and not options.overwrite:
            raise IngestError(_exists_message(job, target.where))
        states[job.key] = "exists: will be replaced" if state == "complete" else state
    if options.dry_run:
        for job in jobs:
            print(describe(job, options, target.where, states[job.key]))
        print("Dry run: nothing was encoded, written or uploaded.")
        return 0
    if isinstance(target, LocalTarget):
        target.check_writable()
    started = time.monotonic()
    for index, job in enumerate(jobs, 1):
        if len(jobs) > 1:
            ui.say(f"[{index}/{len(jobs)}] {job.source}")
        print(target.publish(job, options, ffmpeg, ui), flush=True)
    if len(jobs) > 1:
        print(f"{len(jobs)} movies done in {time.monotonic() - started:.0f} s.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except (IngestError, SettingsError, FfmpegError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("Interrupted. A local library is left as it was; an upload resumes when "
                     "the same command is run again.", 130)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(f"A file could not be read or written{where}: {exc.strerror or exc}.")
    except Exception as exc:
        detail = " ".join(str(exc).split())[:300]
        return _fail(f"Ingesting stopped on an unexpected {type(exc).__name__}: {detail}")


def _fail(message: str, code: int = 1) -> int:
    print(f"ingest: error: {message}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
