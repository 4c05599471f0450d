"""Start-up: a bad configuration stops the server with one sentence and a non-zero exit."""

from __future__ import annotations

import logging
import sys

import bcrypt
import pytest

from homemovies_core import services
from tests.support.accounts import COOKIE_KEY


@pytest.fixture(autouse=True)
def fresh_services():
    services.install(None)
    yield
    services.install(None)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--media_dir", "/no/such/folder"], "The media folder /no/such/folder does not exist."),
        (
            ["--demo_dir", "/proc/forbidden/demo"],
            "The demo library could not be made in /proc/forbidden/demo",
        ),
        (["--par_ttl_hours", "-1"], "--par_ttl_hours must be more than 0."),
    ],
)
def test_bad_configuration_is_one_sentence_and_exit_2(monkeypatch, capsys, argv, message):
    monkeypatch.setattr(sys, "argv", ["Home.py", *argv])
    with pytest.raises(SystemExit) as exc:
        services.boot()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("home-movies: error: " + message)
    assert "Traceback" not in err[0]


def test_generated_password_is_printed_once_and_random(monkeypatch, tmp_path):
    said = []
    first = services.build(
        services.settings_mod.load(["--media_dir", str(tmp_path)], {}, []), announce=said.append
    )
    services.build(
        services.settings_mod.load(["--media_dir", str(tmp_path)], {}, []), announce=said.append
    )
    assert list(first.credentials) == ["demo"]
    assert len(said) == 2 and said[0] != said[1]  # a new random password each start
    assert first.warnings and "cookie key" in first.warnings[0]


def _boot_error(monkeypatch, capsys, argv, env=None) -> str:
    """What `services.boot` prints when start-up fails; it must exit 2 with one line."""
    monkeypatch.setattr(sys, "argv", ["Home.py", *argv])
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exc:
        services.boot()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("home-movies: error: "), err
    return err[0].removeprefix("home-movies: error: ")


def test_a_password_longer_than_bcrypt_reads_stops_start_up(monkeypatch, capsys, tmp_path):
    password = "a long family passphrase that goes on and on past what bcrypt reads!!"  # 70
    assert _boot_error(
        monkeypatch,
        capsys,
        ["--media_dir", str(tmp_path), "--username", "mum", "--password", password + "éé"],
    ) == (
        "--password is longer than 72 bytes (UTF-8); bcrypt, which checks it, ignores the rest: "
        "use a shorter one."
    )


@pytest.mark.parametrize("key", ["k" * 32, "password123password123password123", "c"])
def test_a_weak_cookie_key_stops_start_up_without_echoing_it(monkeypatch, capsys, tmp_path, key):
    said = _boot_error(monkeypatch, capsys, ["--media_dir", str(tmp_path)], {"HM_COOKIE_KEY": key})
    assert said == (
        "HM_COOKIE_KEY is too weak: a cookie key must be at least 32 random bytes; "
        "make one with `openssl rand -hex 32`."
    )


def test_a_missing_secret_file_stops_start_up(monkeypatch, capsys, tmp_path):
    assert _boot_error(
        monkeypatch,
        capsys,
        ["--media_dir", str(tmp_path), "--cookie_key_file", str(tmp_path / "nope")],
    ) == (f"The file {tmp_path / 'nope'} given by --cookie_key_file does not exist.")


def test_secrets_from_files_start_the_app(monkeypatch, tmp_path):
    (tmp_path / "password").write_text("grandma's birthday\n")
    (tmp_path / "cookie_key").write_text(COOKIE_KEY + "\n")
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "Home.py",
            "--media_dir",
            str(tmp_path),
            "--username",
            "Mum",
            "--password_file",
            str(tmp_path / "password"),
            "--cookie_key_file",
            str(tmp_path / "cookie_key"),
        ],
    )
    services.boot()
    built = services.get()
    assert built.cookie_key == COOKIE_KEY and not built.warnings
    assert bcrypt.checkpw(b"grandma's birthday", built.credentials["mum"].password_hash.encode())


def test_redis_without_tls_on_another_host_is_a_warning(tmp_path, caplog):
    # 224.0.0.1 is multicast: never loopback, and the kernel refuses a TCP connection to it at
    # once, so the (expected) "cannot be reached" costs no timeout.
    loaded = services.settings_mod.load(
        [
            "--media_dir",
            str(tmp_path),
            "--cookie_key",
            COOKIE_KEY,
            "--redis-url",
            "redis://:hunter2@224.0.0.1:6379/0",
        ],
        {},
        [],
    )
    with caplog.at_level(logging.WARNING):
        built = services.build(loaded, announce=lambda _m: None)
    plain = [w for w in built.warnings if "without TLS" in w]
    assert plain == [
        "Redis at 224.0.0.1 is reached without TLS (redis://): login sessions, "
        "share links and any Redis password cross the network unencrypted; use "
        "rediss:// or a Redis on this machine, or set --redis_plaintext_ok if that "
        "network is private to this app."
    ]
    assert plain[0] in caplog.text
    assert "hunter2" not in caplog.text and "hunter2" not in " ".join(built.warnings)


@pytest.mark.parametrize(
    "url, host",
    [
        ("redis://:pw@10.1.2.3:6379/0", "10.1.2.3"),
        ("REDIS://redis:6379", "redis"),  # a name (a container's, say) may be anywhere
        ("redis://[fd00::5]:6379", "fd00::5"),
        ("redis://127.0.0.1:6379/0", None),
        ("redis://127.8.9.10", None),
        ("redis://localhost:6379", None),
        ("redis://[::1]:6379", None),
        ("redis://[::ffff:127.0.0.1]:6379", None),
        ("redis://", None),  # redis-py's default host is localhost
        ("rediss://10.1.2.3:6379", None),
        ("cache.example.oraclecloud.com", None),  # a bare host means TLS
    ],
)
def test_which_redis_urls_travel_unencrypted(url, host):
    assert (
        services.redis_host_without_tls(services.settings_mod.load(["--redis-url", url], {}, []))
        == host
    )
    local = services.settings_mod.load(["--redis-url", url, "--local_cache"], {}, [])
    assert services.redis_host_without_tls(local) is None  # Redis is not used at all
    # The operator says the network is theirs alone (a Compose network, say).
    private = services.settings_mod.load(["--redis-url", url], {"HM_REDIS_PLAINTEXT_OK": "1"}, [])
    assert services.redis_host_without_tls(private) is None


def test_streamlit_run_with_a_bad_flag_says_one_sentence_and_nothing_else(tmp_path):
    """The real command: our one sentence and exit 2, with no Streamlit warning before it
    ("missing ScriptRunContext" read like an error to a newcomer)."""
    import subprocess

    from tests.support.browser import REPO_ROOT, free_port

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "Home.py",
            "--server.port",
            str(free_port()),
            "--server.headless",
            "true",
            "--",
            "--media_dir",
            str(tmp_path / "missing"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 2
    assert said == [f"home-movies: error: The media folder {tmp_path / 'missing'} does not exist."]
