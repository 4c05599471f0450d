"""The family login every test uses, a cookie key the app accepts, and the flags that say so."""

from __future__ import annotations

from pathlib import Path

USER = "mum"
PASSWORD = "correct horse battery"
# 32 random bytes, hex: what `openssl rand -hex 32` prints (the app refuses weak keys).
COOKIE_KEY = "5f0c3e9a1b7d4c2e8f6a0b3d5c7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"


def family_login(*extra: str, username: str = USER) -> list[str]:
    """The flags for the family login and cookie key, then `extra`."""
    return ["--username", username, "--password", PASSWORD, "--cookie_key", COOKIE_KEY, *extra]


def local_app(library: Path, *extra: str, username: str = USER) -> list[str]:
    """The flags for the app over a local library with the family login, then `extra`."""
    return ["--media_dir", str(library), *family_login(*extra, username=username)]


def built_services(library: Path, *extra: str, username: str = USER):
    """The app's Services over a local library, built the way start-up builds them."""
    from homemovies_core import services, settings

    loaded = settings.load(local_app(library, *extra, username=username), {}, [])
    return services.build(loaded, announce=lambda _m: None)


def users_file(path: Path, *names: str) -> Path:
    """A users file (bcrypt hashes only) in which each of `names` has the password PASSWORD."""
    from homemovies_core.users import hash_password

    entries = "".join(
        f"    {name}:\n      name: {name.title()}\n      password: '{hash_password(PASSWORD)}'\n"
        for name in names
    )
    path.write_text(f"credentials:\n  usernames:\n{entries}", encoding="utf-8")
    return path
