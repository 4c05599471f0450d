"""`python -m homemovies_core users add|remove|list`: the family's logins in a users file.

`add NAME` asks for the password twice without echoing it (or, when standard input is not
a terminal, reads one line from it: `… users add mum < file`, a pipe from a password
manager) and writes only its bcrypt hash. Adding someone who is already there sets a new
password. The file is replaced in one step and readable by its owner only (0600); whatever
else it holds (streamlit-authenticator's `cookie:` section, `roles`) is kept. The app
reads the file when it starts: restart it after a change. A new password, or a removal,
then ends every session of the old one, everywhere (sessions.py).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from . import users
from .services import APP_DIR  # where the app's .streamlit/ lives
from .settings import BCRYPT_MAX_BYTES, SettingsError, default_secrets_files
from .settings.model import BY_NAME
from .settings.sources import convert, first_given, read_secrets_files
from .users import UsersError

PROG = "python -m homemovies_core users"
PASSWORD_MAX_READ = 1024  # bytes of standard input read for a password; 72 are ever used
RESTART = "Restart Home Movies for the change to take effect."


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--users_file",
        metavar="FILE",
        type=Path,
        help="the users file (default: HM_USERS_FILE, or users_file in .streamlit/secrets.toml)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A login per family member, in the users file the app reads "
        "with --users_file (streamlit-authenticator's format, bcrypt "
        "hashes only).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{add,remove,list}")
    add = commands.add_parser(
        "add",
        parents=[common],
        help="add someone, or give them a new password",
        description="Asks for the password twice (or reads one line from standard input when "
        "it is not a terminal) and stores only its bcrypt hash.",
    )
    add.add_argument("name", help="the user name to log in with (not case-sensitive)")
    add.add_argument(
        "--name",
        dest="display_name",
        metavar="TEXT",
        help="how the app shows them, e.g. on the Shared links page (default: "
        "NAME as typed, or what the file already says)",
    )
    add.add_argument("--email", help="their e-mail address (optional)")
    remove = commands.add_parser("remove", parents=[common], help="remove someone's login")
    remove.add_argument("name")
    commands.add_parser(
        "list", parents=[common], help="user names and how the app shows them (never a password)"
    )
    return parser


def main(argv: list[str], *, stdin: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        path = users_file(args.users_file)
        if args.command == "add":
            said = add(
                path,
                args.name,
                args.display_name,
                args.email,
                sys.stdin if stdin is None else stdin,
            )
        elif args.command == "remove":
            said = remove(path, args.name)
        else:
            said = listing(path)
    except (UsersError, SettingsError) as exc:
        print(f"home-movies: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nhome-movies: nothing was changed.", file=sys.stderr)
        return 1
    print(said)
    return 0


def users_file(given: Path | None) -> Path:
    """--users_file, else HM_USERS_FILE, else `users_file` in secrets.toml: where the app
    itself would look."""
    if given is not None:
        return given.expanduser()
    option = BY_NAME["users_file"]
    raw, source = first_given(
        option, {}, os.environ, read_secrets_files(default_secrets_files(APP_DIR))
    )
    if raw is None:
        raise UsersError("Say which users file to change: --users_file FILE (or HM_USERS_FILE).")
    return convert(option, raw, source)


# -- the commands ----------------------------------------------------------------------------
def add(path: Path, name: str, display_name: str | None, email: str | None, stdin: TextIO) -> str:
    problem = users.name_problem(name)
    if problem:
        raise UsersError(f"The user name {name!r} {problem}.")
    for label, text in (("name", display_name), ("e-mail address", email)):
        if text is not None and not (text.strip() and users.is_one_line(text)):
            raise UsersError(f"The {label} must be text on one line.")
    document = _read(path, missing_ok=True)  # a broken file fails before the password is asked
    username = name.lower()
    password = read_password(username, stdin)
    table = users.entries(document)
    old_key = next((k for k in table if isinstance(k, str) and k.lower() == username), None)
    old = table.get(old_key) if old_key is not None else None
    entry = dict(old) if isinstance(old, dict) else {}
    if display_name is not None:
        entry.pop("first_name", None)  # they would win over `name` in streamlit-authenticator
        entry.pop("last_name", None)
    if display_name is not None or not (entry.get("name") or entry.get("first_name")):
        entry["name"] = (display_name or name).strip()
    if email is not None:
        entry["email"] = email.strip()
    entry["password"] = users.hash_password(password)
    if old_key is None:
        table[username] = entry
    else:  # in its place, under its lower-case name
        document["credentials"]["usernames"] = {
            (username if k == old_key else k): (entry if k == old_key else v)
            for k, v in table.items()
        }
    who = f"{username} ({users.shown_as(username, entry)})"
    said = (
        f"Set a new password for {who} in {path}."
        if old_key is not None
        else f"Added {who} to {path}."
    )
    return _write(path, document, f"{said} {RESTART}")


def remove(path: Path, name: str) -> str:
    document = _read(path, missing_ok=False)
    username = name.lower()
    table = users.entries(document)
    found = [k for k in table if isinstance(k, str) and k.lower() == username]
    if not found:
        raise UsersError(f"There is no user '{username}' in {path}.")
    for key in found:
        del table[key]
    return _write(path, document, f"Removed {username} from {path}. {RESTART}")


def listing(path: Path) -> str:
    try:
        family = users.parse(users.read_text(path))
    except UsersError as exc:
        raise _in(path, exc) from None
    if not family:
        return f"Nobody is in {path} yet: add someone with `{PROG} add NAME`."
    width = max(len(name) for name in family)
    return "\n".join(f"{name:<{width}}  {person.display_name}" for name, person in family.items())


# -- reading the password --------------------------------------------------------------------
def read_password(username: str, stdin: TextIO | None) -> str:
    """Twice from the terminal, never echoed; else one line of standard input."""
    if stdin is None:
        raise UsersError("There is no standard input to read the password from.")
    if stdin.isatty():
        try:
            first = getpass.getpass(f"Password for {username}: ")
            again = getpass.getpass("The same password again: ")
        except EOFError:
            raise UsersError("No password was given; nothing was changed.") from None
        if first != again:
            raise UsersError("The two passwords differ; nothing was changed.")
        password = first
    else:
        password = _one_line(getattr(stdin, "buffer", None))
    problem = password_problem(password)
    if problem:
        raise UsersError(problem)
    return password


def _one_line(stream: BinaryIO | None) -> str:
    if stream is None:
        raise UsersError("Standard input cannot be read for a password.")
    line = stream.readline(PASSWORD_MAX_READ)
    try:
        return line.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        raise UsersError("The password on standard input is not UTF-8 text.") from None


def password_problem(password: str) -> str | None:
    """Why `password` cannot be a login password, in one sentence; None if it can."""
    if not password:
        return "The password is empty; nothing was changed."
    if len(password.encode("utf-8", "surrogatepass")) > BCRYPT_MAX_BYTES:
        return (
            f"The password is longer than {BCRYPT_MAX_BYTES} bytes (UTF-8); bcrypt, which "
            f"checks it, ignores the rest: use a shorter one."
        )
    if password != password.strip():
        # streamlit-authenticator strips what is typed at login: it could never match.
        return "The password starts or ends with a space, which the login form drops; choose one without."
    return None


# -- the file --------------------------------------------------------------------------------
def _read(path: Path, *, missing_ok: bool) -> dict:
    if missing_ok and not os.path.lexists(path):
        return users.load_document("")
    try:
        return users.load_document(users.read_text(path))
    except UsersError as exc:
        raise _in(path, exc) from None


def _write(path: Path, document: dict, said: str) -> str:
    text = users.dump(document)
    try:
        users.write_text(path, text)
    except OSError as exc:
        raise UsersError(
            f"The users file {path} cannot be written "
            f"({exc.strerror or type(exc).__name__}); nothing was changed."
        ) from None
    try:
        users.parse(text)
    except UsersError as exc:  # another entry was already wrong: say so, the app would refuse it
        return f"{said}\nBut the app will not start with it yet: {_in(path, exc)}"
    return said


def _in(path: Path, exc: UsersError) -> UsersError:
    """A `load_document`/`parse` complaint as a whole sentence naming the file."""
    text = str(exc)
    return exc if text.startswith("The users file") else UsersError(f"The users file {path} {text}")
