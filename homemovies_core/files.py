"""Small files on disk: reading one a person pointed us at (bounded before it is read, and
every way it can go wrong one sentence about that file), and writing one in one step."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def read_head(path: Path, limit: int, *, called: str, error: type[Exception]) -> bytes:
    """At most `limit` bytes from the start of `path`. `called` names the file in a sentence
    ("The users file /x", "The file /x given by --password_file"); failures raise `error`."""
    try:
        with path.open("rb") as f:
            return f.read(limit)
    except FileNotFoundError:
        raise error(f"{called} does not exist.") from None
    except IsADirectoryError:
        raise error(f"{called} is a folder, not a file.") from None
    except OSError as exc:
        raise error(f"{called} cannot be read ({exc.strerror or type(exc).__name__}).") from None


def write_atomically(
    path: Path, data: bytes, *, mode: int | None = None, fsync: bool = False, replace: bool = True
) -> bool:
    """Put `data` at `path` in one step: a reader sees the old file or the new one, never half
    of either. Raises OSError.

    The bytes go to a hidden file beside `path` (`.<name>.partial-<8 characters>`; listings
    skip dot files), which is then renamed over it, or, without `replace`, hard-linked to it:
    that fails if `path` exists, which is then kept and False returned. `mode` is the file's
    permissions; None gives what this umask gives a new file (mkstemp's 0600 would hide it
    from the app's user). `fsync` puts the bytes on disk before the rename."""
    handle, staged = tempfile.mkstemp(prefix=f".{path.name[:60]}.partial-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if fsync:
                out.flush()
                os.fsync(out.fileno())
        if mode is None:
            apply_umask(staged, 0o666)
        else:
            os.chmod(staged, mode)
        if replace:
            os.replace(staged, path)
            return True
        try:
            os.link(staged, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):  # gone already once renamed
            os.unlink(staged)


def apply_umask(path: Path | str, mode: int) -> None:
    """Give `path` `mode` less this process's umask: the permissions open() or mkdir() would
    have given it, where mkstemp / mkdtemp give 0600 / 0700 (the app may run as another user)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, mode & ~mask)
