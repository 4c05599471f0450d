"""A login per family member: the users file (streamlit-authenticator's format, bcrypt only),
the `users` command that writes it, and the app's logins built from it."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest

from homemovies_core import services, settings, users
from homemovies_core.ui import auth, login_page
from homemovies_core.users import UsersError
from tests.support.accounts import COOKIE_KEY
from tests.support.browser import REPO_ROOT

# Cheap hashes for reading tests (cost 4); the `users` command makes real ones (cost 12).
MUM_HASH = bcrypt.hashpw(b"mum's password", bcrypt.gensalt(rounds=4)).decode()
DAD_HASH = bcrypt.hashpw(b"dad's password", bcrypt.gensalt(rounds=4)).decode()
FAMILY = f"""\
cookie:              # the rest of a streamlit-authenticator config is allowed, and ignored
  name: some_cookie
credentials:
  usernames:
    Mum:
      name: Mum
      email: mum@example.org
      password: {MUM_HASH}
      roles: [viewer]
    dad:
      first_name: Dad
      last_name: Smith
      password: '{DAD_HASH}'
      failed_login_attempts: 0
"""


def family_text(**entries: str) -> str:
    """A users file with the given `name: entry` lines (an entry in YAML flow style)."""
    lines = "".join(f"    {name}: {entry}\n" for name, entry in entries.items())
    return f"credentials:\n  usernames:\n{lines}"


# ---- reading the file ------------------------------------------------------------------------


def test_a_valid_file_gives_each_person_lower_cased_with_a_display_name():
    family = users.parse(FAMILY)
    assert list(family) == ["mum", "dad"]  # the order of the file, as typed at login
    assert family["mum"].display_name == "Mum" and family["mum"].email == "mum@example.org"
    assert family["dad"].display_name == "Dad Smith"  # streamlit-authenticator 0.4's form
    assert bcrypt.checkpw(b"dad's password", family["dad"].password_hash.encode())
    assert "Mum" not in family and len(family) == 2
    # A user name with nothing else to show is shown as itself; so is someone removed since.
    assert (
        users.parse(family_text(gran=f"{{password: '{MUM_HASH}'}}"))["gran"].display_name == "gran"
    )
    assert family.display_name("mum") == "Mum" and family.display_name("grandpa") == "grandpa"
    assert MUM_HASH not in repr(family)  # no hash reaches a log through repr()


def test_a_plain_password_is_refused_naming_the_person_but_never_the_password():
    with pytest.raises(UsersError) as refused:
        users.parse(
            family_text(mum=f"{{password: '{MUM_HASH}'}}", dad="{name: Dad, password: hunter2}")
        )
    assert str(refused.value) == (
        "gives 'dad' a password that is not a bcrypt hash; a users file must never hold a "
        "password itself: set it with `python -m homemovies_core users add dad`."
    )
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    "text, sentence",
    [
        ("credentials:\n  usernames:\n    mum: {name: [\n", "is not valid YAML (line 4)."),
        (
            "- mum\n- dad\n",
            "is not in streamlit-authenticator's format: it needs 'credentials:', then "
            "'usernames:', then one entry per user name with 'name' and 'password'.",
        ),
        (
            "credentials:\n  usernames:\n    - mum\n",
            "is not in streamlit-authenticator's format: it "
            "needs 'credentials:', then 'usernames:', then one entry per user name with 'name' and "
            "'password'.",
        ),
        (
            family_text(mum="just a string"),
            "gives 'mum' an entry that is not a mapping with 'name' and 'password'.",
        ),
        (
            family_text(mum="{name: Mum}"),
            "gives 'mum' no password: set one with `python -m homemovies_core users add mum`.",
        ),
        (
            family_text(mum="{password: 12345}"),
            "gives 'mum' a password that is not a bcrypt hash; a "
            "users file must never hold a password itself: set it with `python -m homemovies_core users "
            "add mum`.",
        ),
        (
            family_text(mum=f"{{name: 42, password: '{MUM_HASH}'}}"),
            "gives 'mum' a name that is not text on one line.",
        ),
        (
            family_text(mum=f"{{name: Mum, email: [a], password: '{MUM_HASH}'}}"),
            "gives 'mum' a email that is not text on one line.",
        ),
        (
            family_text(**{"1234": f"{{password: '{MUM_HASH}'}}"}),
            "has a user name, 1234, that is not text (put it in quotes).",
        ),
        (
            family_text(**{"' mum'": f"{{password: '{MUM_HASH}'}}"}),
            "has a user name, ' mum', that is empty or starts or ends with a space.",
        ),
        (
            family_text(**{'"m\\tum"': f"{{password: '{MUM_HASH}'}}"}),
            "has a user name, 'm\\tum', that holds control characters.",
        ),
        (
            family_text(Mum=f"{{password: '{MUM_HASH}'}}", mum=f"{{password: '{DAD_HASH}'}}"),
            "lists 'mum' twice (user names are not case-sensitive).",
        ),
    ],
)
def test_a_broken_file_is_one_sentence(text, sentence):
    with pytest.raises(UsersError) as refused:
        users.parse(text)
    assert str(refused.value) == sentence


def test_an_oversized_or_unreadable_file_is_one_sentence_read_only_to_its_bound(tmp_path):
    big = tmp_path / "users.yaml"
    big.write_text(FAMILY + "#" * users.MAX_BYTES)
    for path, sentence in [
        (
            big,
            f"The users file {big} is larger than 64 KiB; it should hold only the family's logins.",
        ),
        # /dev/zero never ends: reading it whole would never return.
        (
            Path("/dev/zero"),
            "The users file /dev/zero is larger than 64 KiB; it should hold only the "
            "family's logins.",
        ),
        (tmp_path / "nope", f"The users file {tmp_path / 'nope'} does not exist."),
        (tmp_path, f"The users file {tmp_path} is a folder, not a file."),
    ]:
        with pytest.raises(UsersError) as refused:
            users.read_text(path)
        assert str(refused.value) == sentence


# ---- the `users` command -------------------------------------------------------------------


def run_users(
    *args: str, stdin: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`python -m homemovies_core users ARGS` in a process of its own, as a person runs it."""
    return subprocess.run(
        [sys.executable, "-m", "homemovies_core", "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
    )


def in_a_terminal(args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the command on a pseudo-terminal, typing each answer after the next prompt (a
    prompt ends in ': '); returns the exit status and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its controlling terminal, as in a shell
        try:
            os.chdir(REPO_ROOT)
            os.execv(sys.executable, [sys.executable, "-m", "homemovies_core", "users", *args])
        finally:
            os._exit(127)  # never go on running the tests in the child
    shown = b""
    pending = list(answers)
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # EIO: the child has exited and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if pending and shown.rstrip(b" ").endswith(b":"):
            os.write(fd, pending.pop(0).encode() + b"\n")
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode()


def test_add_asks_twice_on_a_terminal_without_echoing_and_writes_only_a_hash(tmp_path):
    path = tmp_path / "users.yaml"
    code, shown = in_a_terminal(
        ["add", "Mum", "--users_file", str(path)], ["apple pie on sunday", "apple pie on sunday"]
    )
    assert code == 0, shown
    assert "Password for mum:" in shown and "The same password again:" in shown
    assert "apple pie" not in shown  # typed twice, shown never
    assert "Added mum (Mum) to" in shown
    text = path.read_text()
    assert "apple pie" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    family = users.parse(text)
    assert bcrypt.checkpw(b"apple pie on sunday", family["mum"].password_hash.encode())

    code, shown = in_a_terminal(
        ["add", "dad", "--users_file", str(path)], ["first try", "second try"]
    )
    assert code == 1
    assert "The two passwords differ; nothing was changed." in shown
    assert list(users.parse(path.read_text())) == ["mum"]


def test_add_reads_one_line_from_standard_input_and_keeps_the_rest_of_the_file(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(FAMILY)
    path.chmod(0o644)
    added = run_users(
        "add",
        "Gran",
        "--name",
        "Granny Smith",
        "--users_file",
        str(path),
        stdin="knitting needles\nnot read\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(f"Added gran (Granny Smith) to {path}.")
    assert "Restart Home Movies" in added.stdout
    text = path.read_text()
    assert "knitting" not in text and "not read" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # tightened when rewritten
    family = users.parse(text)
    assert list(family) == ["mum", "dad", "gran"]
    assert bcrypt.checkpw(b"knitting needles", family["gran"].password_hash.encode())
    assert "name: some_cookie" in text and "- viewer" in text  # what else it held is kept

    # Adding someone who is there already gives them a new password, in their place.
    again = run_users("add", "MUM", stdin="a new one for mum\n", env={"HM_USERS_FILE": str(path)})
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"Set a new password for mum (Mum) in {path}.")
    family = users.parse(path.read_text())
    assert list(family) == ["mum", "dad", "gran"] and family["mum"].email == "mum@example.org"
    assert bcrypt.checkpw(b"a new one for mum", family["mum"].password_hash.encode())
    assert not [p for p in tmp_path.iterdir() if p.name != "users.yaml"]  # no leftovers


@pytest.mark.parametrize(
    "typed, sentence",
    [
        (
            "ö" * 37,
            "The password is longer than 72 bytes (UTF-8); bcrypt, which checks it, ignores "
            "the rest: use a shorter one.",
        ),
        ("", "The password is empty; nothing was changed."),
        (
            " padded ",
            "The password starts or ends with a space, which the login form drops; choose "
            "one without.",
        ),
    ],
)
def test_a_password_the_login_could_not_check_is_refused_in_one_sentence(tmp_path, typed, sentence):
    path = tmp_path / "users.yaml"
    refused = run_users("add", "mum", "--users_file", str(path), stdin=typed + "\n")
    assert refused.returncode == 1
    assert refused.stderr == f"home-movies: error: {sentence}\n"
    assert not path.exists()


def test_remove_and_list(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(FAMILY)
    listed = run_users("list", "--users_file", str(path))
    assert listed.returncode == 0
    assert listed.stdout == "mum  Mum\ndad  Dad Smith\n"  # names only: no hash, no e-mail

    removed = run_users("remove", "Dad", "--users_file", str(path))
    assert removed.returncode == 0 and removed.stdout.startswith(f"Removed dad from {path}.")
    assert list(users.parse(path.read_text())) == ["mum"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    nobody = run_users("remove", "dad", "--users_file", str(path))
    assert (nobody.returncode, nobody.stderr) == (
        1,
        f"home-movies: error: There is no user 'dad' in {path}.\n",
    )
    assert run_users("remove", "mum", "--users_file", str(path)).returncode == 0
    assert run_users("list", "--users_file", str(path)).stdout == (
        f"Nobody is in {path} yet: add someone with `python -m homemovies_core users add NAME`.\n"
    )


def test_the_command_names_a_broken_or_missing_file_in_one_sentence(tmp_path):
    broken = tmp_path / "users.yaml"
    broken.write_text(family_text(mum="{name: Mum, password: hunter2}"))
    listed = run_users("list", "--users_file", str(broken))
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert listed.stderr.startswith(
        f"home-movies: error: The users file {broken} gives 'mum' a "
        f"password that is not a bcrypt hash"
    )
    assert "hunter2" not in listed.stderr
    # Setting a proper password repairs it.
    assert (
        run_users("add", "mum", "--users_file", str(broken), stdin="now hashed\n").returncode == 0
    )
    assert "hunter2" not in broken.read_text()
    assert list(users.parse(broken.read_text())) == ["mum"]

    missing = run_users("list", "--users_file", str(tmp_path / "nope"))
    assert (
        missing.stderr
        == f"home-movies: error: The users file {tmp_path / 'nope'} does not exist.\n"
    )
    nowhere = run_users("list", env={"HM_USERS_FILE": ""})
    assert nowhere.stderr == (
        "home-movies: error: Say which users file to change: --users_file FILE "
        "(or HM_USERS_FILE).\n"
    )
    bad_name = run_users("add", "mum\tdad", "--users_file", str(broken), stdin="pw\n")
    assert (
        bad_name.stderr
        == "home-movies: error: The user name 'mum\\tdad' holds control characters.\n"
    )


# ---- the app's logins ----------------------------------------------------------------------


def build(tmp_path, *argv: str, said: list | None = None) -> services.Services:
    loaded = settings.load(
        ["--media_dir", str(tmp_path), "--cookie_key", COOKIE_KEY, *argv], {}, []
    )
    return services.build(loaded, announce=(said if said is not None else []).append)


def test_everyone_in_the_file_logs_in_with_their_own_password_and_throttle(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(FAMILY)
    said: list[str] = []
    svc = build(tmp_path, "--users_file", str(path), said=said)
    assert (
        list(auth.users(svc)) == ["mum", "dad"] and said == []
    )  # no demo user, no password printed
    address = "192.0.2.1"
    assert login_page.check_password(svc, "mum", "mum's password", address) is None
    assert login_page.check_password(svc, "dad", "dad's password", address) is None
    assert login_page.check_password(svc, "dad", "mum's password", address).startswith(
        "Wrong user name"
    )
    # Five wrong passwords lock mum out on this device; dad, on the same device, still gets in.
    for _ in range(5):
        assert login_page.check_password(svc, "mum", "guess", address).startswith("Wrong user name")
    assert login_page.check_password(svc, "mum", "mum's password", address).startswith("Too many")
    assert login_page.check_password(svc, "dad", "dad's password", address) is None


def test_username_and_password_add_one_more_person(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(FAMILY)
    svc = build(tmp_path, "--users_file", str(path), "--username", "Gran", "--password", "scones")
    assert list(svc.credentials) == ["mum", "dad", "gran"]
    assert svc.credentials["gran"].display_name == "Gran"
    assert login_page.check_password(svc, "gran", "scones", "192.0.2.1") is None
    said: list[str] = []
    assert list(build(tmp_path, said=said).credentials) == ["demo"]  # neither: the demo user
    assert len(said) == 1 and "Log in as 'demo'" in said[0]


def test_a_bad_users_file_stops_start_up_with_one_sentence(monkeypatch, capsys, tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(family_text(mum="{name: Mum, password: hunter2}"))
    monkeypatch.setattr(
        sys, "argv", ["Home.py", "--media_dir", str(tmp_path), "--users_file", str(path)]
    )
    services.install(None)
    try:
        with pytest.raises(SystemExit) as exc:
            services.boot()
    finally:
        services.install(None)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        f"home-movies: error: The users file {path} (given by --users_file) gives 'mum' a "
        "password that is not a bcrypt hash; a users file must never hold a password "
        "itself: set it with `python -m homemovies_core users add mum`.\n"
    )
