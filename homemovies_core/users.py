"""The family's logins: a credentials file in streamlit-authenticator's format, bcrypt only.

The file (`--users_file`, or its text as the Vault secret `users`) is the `credentials:`
part of streamlit-authenticator's config.yaml; anything else in it (`cookie:`, `roles`,
`failed_login_attempts` …) is kept when the file is rewritten and otherwise ignored:

    credentials:
      usernames:
        mum:
          name: Mum                 # or first_name / last_name, as its 0.4 register form writes
          email: mum@example.org    # optional
          password: $2b$12$…        # a bcrypt hash, never the password itself

streamlit-authenticator would hash a plain password on the fly; we refuse it instead, so a
password never lies on disk in the clear. User names are lower-cased, as the library does
with what is typed. This module never imports Streamlit: the settings, the app and the
`users` command all read the file through it.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import bcrypt
import yaml

from .files import read_head, write_atomically

__all__ = [
    "MAX_BYTES",
    "Credentials",
    "Users",
    "UsersError",
    "hash_password",
    "parse",
    "read_text",
    "write_text",
]

# A family's file is a few hundred bytes a person; this is room for hundreds of them, and
# keeps a wrong path (a video, /dev/zero) from being read whole.
MAX_BYTES = 64 * 1024
NAME_MAX_CHARS = 64  # the login form takes 128; a user name is one short word
BCRYPT_ROUNDS = 12
# bcrypt's modular crypt format with a cost bcrypt accepts (4–31); streamlit-authenticator's
# own `Hasher.is_hash` is looser, and lives in a module that imports Streamlit.
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")


class UsersError(ValueError):
    """A problem with a users file, as one sentence for whoever wrote it."""


@dataclass(frozen=True)
class Credentials:
    username: str  # lower case: streamlit-authenticator lower-cases what is typed
    display_name: str  # what the app shows for this person ("Made … by Mum")
    password_hash: str = field(repr=False)  # bcrypt; kept out of logs all the same
    email: str = ""
    # For a login whose bcrypt hash is made anew at each start (--password: a new salt each
    # time, on each replica), something that names its password as steadily: see services.
    password_id: str = field(default="", repr=False)

    @property
    def generation(self) -> str:
        """Changes whenever the password does (`users add` again, a removal and re-adding):
        sessions and tokens carry it and are worth nothing once it differs. A digest of the
        bcrypt hash, which tells nothing about the password without the hash's salt."""
        source = self.password_id or self.password_hash
        return hashlib.sha256(source.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Users(Mapping[str, Credentials]):
    """Everyone who may log in, by user name, in the order they were given."""

    people: tuple[Credentials, ...] = ()
    _by_name: Mapping[str, Credentials] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {}
        for person in self.people:
            if person.username in by_name:
                raise UsersError(f"The user name '{person.username}' is given twice.")
            by_name[person.username] = person
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))

    def __getitem__(self, username: str) -> Credentials:
        return self._by_name[username]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __hash__(self) -> int:
        return hash(self.people)

    def plus(self, person: Credentials) -> Users:
        return Users((*self.people, person))

    def generation(self, username: str) -> str | None:
        """The credential generation of `username` (see Credentials); None if not listed."""
        person = self._by_name.get(username)
        return person.generation if person is not None else None

    def display_name(self, username: str) -> str:
        """Who `username` is, for the page; a name no longer listed (someone removed who
        made a share link) is shown as it is."""
        person = self._by_name.get(username)
        return person.display_name if person is not None else username


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode()


# -- reading ---------------------------------------------------------------------------------
def read_text(path: Path) -> str:
    """The whole file as text, refusing anything larger than `MAX_BYTES` before reading it."""
    data = read_head(path, MAX_BYTES + 1, called=f"The users file {path}", error=UsersError)
    if len(data) > MAX_BYTES:
        raise UsersError(
            f"The users file {path} is larger than {MAX_BYTES // 1024} KiB; it "
            f"should hold only the family's logins."
        )
    try:
        return data.decode("utf-8-sig")  # an editor's byte-order mark is not content
    except UnicodeDecodeError:
        raise UsersError(f"The users file {path} is not UTF-8 text.") from None


def load_document(text: str) -> dict:
    """The YAML document, with `credentials: usernames:` as a mapping (made if absent);
    each entry is checked only by `parse`, so the `users` command can still repair one."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise UsersError(
            f"is larger than {MAX_BYTES // 1024} KiB; it should hold only the family's logins."
        )
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsersError(f"is not valid YAML{at}.") from None
    document = {} if document is None else document
    if not isinstance(document, dict):
        raise UsersError(_FORMAT)
    if document.get("credentials") is None:
        document["credentials"] = {}
    if not isinstance(document["credentials"], dict):
        raise UsersError(_FORMAT)
    if document["credentials"].get("usernames") is None:
        document["credentials"]["usernames"] = {}
    if not isinstance(document["credentials"]["usernames"], dict):
        raise UsersError(_FORMAT)
    return document


_FORMAT = (
    "is not in streamlit-authenticator's format: it needs 'credentials:', then "
    "'usernames:', then one entry per user name with 'name' and 'password'."
)


def entries(document: dict) -> dict:
    """The `credentials: usernames:` mapping of a document from `load_document`."""
    return document["credentials"]["usernames"]


def parse(text: str) -> Users:
    """Everyone in a users file's text. A `UsersError` is the rest of a sentence that begins
    with the file's name ("The users file /etc/hm/users.yaml … is not valid YAML."); it
    shows user names, never a password or a hash."""
    people: dict[str, Credentials] = {}
    for key, entry in entries(load_document(text)).items():
        problem = name_problem(key)
        if problem:
            raise UsersError(f"has a user name, {_shown(key)}, that {problem}.")
        person = _person(key.lower(), entry)
        if person.username in people:
            raise UsersError(
                f"lists '{person.username}' twice (user names are not case-sensitive)."
            )
        people[person.username] = person
    return Users(tuple(people.values()))


def name_problem(name: object) -> str | None:
    """What keeps `name` from being a user name, as the end of a sentence; None if nothing."""
    if not isinstance(name, str):
        return "is not text (put it in quotes)"
    if not name.strip() or name != name.strip():
        return "is empty or starts or ends with a space"
    if len(name) > NAME_MAX_CHARS:
        return f"is longer than {NAME_MAX_CHARS} characters"
    if _has_control(name):
        return "holds control characters"
    return None


def _shown(name: object) -> str:
    text = repr(name)
    return text if len(text) <= 24 else text[:20] + "…"


def _person(username: str, entry: object) -> Credentials:
    if not isinstance(entry, dict):
        raise UsersError(
            f"gives '{username}' an entry that is not a mapping with 'name' and 'password'."
        )
    for text_field in ("name", "first_name", "last_name", "email"):
        value = entry.get(text_field)
        if value is not None and not (isinstance(value, str) and is_one_line(value)):
            raise UsersError(f"gives '{username}' a {text_field} that is not text on one line.")
    password = entry.get("password")
    if password is None:
        raise UsersError(
            f"gives '{username}' no password: set one with `python -m "
            f"homemovies_core users add {username}`."
        )
    if not isinstance(password, str) or not _BCRYPT_HASH.match(password):
        # Never echo it: it may be the very password this rule keeps off the disk.
        raise UsersError(
            f"gives '{username}' a password that is not a bcrypt hash; a users "
            f"file must never hold a password itself: set it with `python -m "
            f"homemovies_core users add {username}`."
        )
    return Credentials(
        username=username,
        display_name=shown_as(username, entry),
        password_hash=password,
        email=(entry.get("email") or "").strip(),
    )


def shown_as(username: str, entry: dict) -> str:
    """streamlit-authenticator's rule for a user's name: first and last name if given, else
    `name`; else, for us, the user name."""
    full = f"{entry.get('first_name') or ''} {entry.get('last_name') or ''}".strip()
    return full or str(entry.get("name") or "").strip() or username


def is_one_line(text: str) -> bool:
    """Text fit for a display name or an e-mail address: no control characters or breaks."""
    return not _has_control(text, invisible=False)


def _has_control(text: str, *, invisible: bool = True) -> bool:
    """Control characters and line breaks; with `invisible`, also format characters (a
    zero-width space would make two user names that look alike). A display name may hold
    those: an emoji family is joined by them."""
    refused = ("Cc", "Cs", "Zl", "Zp", "Cf") if invisible else ("Cc", "Cs", "Zl", "Zp")
    return any(unicodedata.category(c) in refused for c in text)


# -- writing ---------------------------------------------------------------------------------
def dump(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)


def write_text(path: Path, text: str) -> None:
    """Replace `path` in one step with a file only its owner can read (0600): a reader sees
    the old file or the new one, never half of either, and the hashes are nobody else's."""
    # 0600 whatever the umask; synced, so a power cut leaves the old file or the new one.
    write_atomically(path, text.encode("utf-8"), mode=0o600, fsync=True)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut must not bring the old file back)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename happened all the same
    finally:
        os.close(fd)
