"""Reading a small file a person pointed us at: bounded before it is read, and every way it
can go wrong one sentence about that file."""

from __future__ import annotations

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
