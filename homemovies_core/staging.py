"""Make a folder appear complete or not at all: write it into a hidden folder beside its
final place, then rename it there in one step.

A reader (the app listing the library, a resumed upload looking for an earlier encode)
never sees a half-written folder, and a failure removes the hidden one. A process that is
killed cannot clean up after itself, so `sweep_stale` removes hidden staging folders that
nothing has written to for a while.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .files import apply_umask

__all__ = ["is_staging", "publish", "staged_dir", "sweep_stale"]

# `.<name>.partial-<mkdtemp's 8 random characters>`
_STAGING = re.compile(r"^\..+\.partial-[a-z0-9_]{8}$")
_NAME_CHARS = 60  # of the final name, in the hidden one: enough to recognise it by


@contextmanager
def staged_dir(final: Path, *, parent: Path | None = None, replace: bool = False) -> Iterator[Path]:
    """Yield a new hidden folder to fill; when the block ends it becomes `final`.

    The folder is made in `parent` (default: `final`'s parent), which must be on the same
    file system as `final`. It gets the usual permissions for this umask, not mkdtemp's
    0700 (the app may run as another user). If the block raises, or `final` exists and
    `replace` is false (FileExistsError), the hidden folder is removed.
    """
    staging = Path(
        tempfile.mkdtemp(prefix=f".{final.name[:_NAME_CHARS]}.partial-", dir=parent or final.parent)
    )
    try:
        apply_umask(staging, 0o777)
        yield staging
        publish(staging, final, replace=replace)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # already gone once published


def publish(staging: Path, final: Path, *, replace: bool) -> None:
    """Rename `staging` to `final`. An existing `final` is refused (FileExistsError) unless
    `replace`; then it is moved aside first, put back if the rename fails, and removed."""
    if not os.path.lexists(final):
        os.rename(staging, final)
        return
    if not replace:
        raise FileExistsError(f"{final} exists")
    old = final.with_name(f".{final.name[:_NAME_CHARS]}.old-{secrets.token_hex(4)}")
    os.rename(final, old)
    try:
        os.rename(staging, final)
    except OSError:
        os.rename(old, final)  # put the old one back
        raise
    shutil.rmtree(old, ignore_errors=True)


def is_staging(name: str) -> bool:
    """Whether `name` is one of our hidden staging folders."""
    return bool(_STAGING.match(name))


def sweep_stale(folder: Path, max_age: float, now: float) -> list[Path]:
    """Remove the staging folders directly in `folder` that nothing has written to for
    `max_age` seconds (their writer was killed); returns the ones removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not (is_staging(entry.name) and entry.is_dir(follow_symlinks=False)):
            continue
        path = Path(entry.path)
        if now - last_written(path) > max_age:
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.lexists(path):
                removed.append(path)
    return removed


def last_written(path: Path) -> float:
    """When anything was last added to `path` or a folder below it (a folder's mtime
    changes when an entry is created in it, e.g. each new segment of an encode)."""
    newest = path.lstat().st_mtime
    for dirpath, _dirs, _files in os.walk(path):
        try:
            newest = max(newest, os.lstat(dirpath).st_mtime)
        except OSError:
            continue
    return newest
