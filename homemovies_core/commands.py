"""How our command lines end: one sentence on standard error and an exit status, never a
traceback, for every failure a person can cause or meet."""

from __future__ import annotations

import sys
from collections.abc import Callable

from .ffmpeg import FfmpegError
from .settings import SettingsError
from .storage.base import StorageError


def run_command(
    run: Callable[[], int], *, name: str, errors: tuple[type[Exception], ...], interrupted: str
) -> int:
    """`run()`'s exit status; a known failure as "NAME: error: <its sentence>" (status 1),
    Ctrl-C as `interrupted` (130), a file problem as one sentence, and anything else as
    one line naming what stopped it."""

    def fail(message: str, code: int = 1) -> int:
        print(f"{name}: error: {message}", file=sys.stderr, flush=True)
        return code

    try:
        return run()
    except (*errors, SettingsError, StorageError, FfmpegError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail(interrupted, 130)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return fail(f"A file could not be read or written{where}: {exc.strerror or exc}.")
    except Exception as exc:
        detail = " ".join(str(exc).split())[:300]
        return fail(f"{name} stopped on an unexpected {type(exc).__name__}: {detail}")
