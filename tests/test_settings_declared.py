"""Each setting is declared once (a `Settings` field); these tests hold every way of giving
it (flag and aliases, `HM_*`, secrets.toml, the Vault, flags parsed by another parser) and
the help to that one declaration."""

import argparse
import dataclasses

import bcrypt
import pytest

from homemovies_core import settings
from tests.support.accounts import COOKIE_KEY

WEAK_KEY_SENTENCE = (
    " is too weak: a cookie key must be at least 32 random bytes; make one with "
    "`openssl rand -hex 32`."
)


def load(argv=(), env=None, files=()):
    return settings.load(list(argv), env or {}, files)


# ---- Every setting, from every place --------------------------------------------------------


def _valid_text(option: settings.Option, tmp_path) -> str:
    """A value `option` accepts on its own, as text."""
    secret_file = tmp_path / "secret"
    secret_file.write_text(COOKIE_KEY + "\n")
    hashed = bcrypt.hashpw(b"x", bcrypt.gensalt(4)).decode()
    users = f"{{credentials: {{usernames: {{gran: {{password: '{hashed}'}}}}}}}}"
    (tmp_path / "users.yaml").write_text(users)
    special = {
        "cookie_key": COOKIE_KEY,
        "metrics_token": COOKIE_KEY,
        "log_format": "json",
        "par_min_remaining_hours": "1",
        "media_dir": str(tmp_path),
        "demo_dir": str(tmp_path),
        "users": users,
        "users_file": str(tmp_path / "users.yaml"),
    }
    by_kind = {
        "str": "some-value",
        "bool": "yes",
        "int": "5",
        "float": "7",
        "list": "10.0.0.1",
        "path": str(secret_file),
    }
    return special.get(option.name, by_kind[option.kind])


# Settings that are refused without another one beside them.
_COMPANIONS = {
    "username": {"password": "pw"},
    "password": {"username": "mum"},
    "password_file": {"username": "mum"},
}


@pytest.mark.parametrize("source", ["flag", "env", "secrets"])
def test_every_setting_can_be_given_in_each_place(source, tmp_path):
    kinds = {o.name: o.kind for o in settings.OPTIONS}
    for option in settings.OPTIONS:
        given = {option.name: _valid_text(option, tmp_path), **_COMPANIONS.get(option.name, {})}
        argv, env, files = [], {}, []
        if source == "flag":
            for name, text in given.items():
                argv += [f"--{name}"] if kinds[name] == "bool" else [f"--{name}", text]
        elif source == "env":
            env = {f"HM_{name.upper()}": text for name, text in given.items()}
        else:
            files = [tmp_path / "secrets.toml"]
            files[0].write_text("".join(f'{name} = "{text}"\n' for name, text in given.items()))
        loaded = load(argv, env, files)
        assert loaded.sources[option.name] == source, option.name
        assert getattr(loaded, option.name) != getattr(settings.Settings(), option.name), (
            option.name
        )


def test_nothing_given_is_the_declared_defaults():
    assert load() == settings.Settings()
    assert {f.name for f in dataclasses.fields(settings.Settings)} - {"sources"} == {
        o.name for o in settings.OPTIONS
    }


def test_the_secrets_file_takes_our_keys_and_aliases_typed_and_leaves_the_rest(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'media-dir = "{tmp_path}"\nredis-url = "redis://cache:6379"\nlocal_cache = true\n'
        'trusted_proxies = ["10.0.0.0/8", "192.168.1.1"]\npar_ttl_hours = 2\n'
        'par_min_remaining_hours = 0.5\napi_token = "another app\'s"\n'
        '[connections.db]\nurl = "sqlite://"\n'
    )
    s = load([], {}, [secrets])
    assert (s.media_dir, s.redis_url, s.local_cache) == (tmp_path, "redis://cache:6379", True)
    assert s.trusted_proxies == ("10.0.0.0/8", "192.168.1.1") and s.par_ttl_hours == 2.0
    assert set(s.sources) == {
        "media_dir",
        "redis_url",
        "local_cache",
        "trusted_proxies",
        "par_ttl_hours",
        "par_min_remaining_hours",
    }


# ---- Help and repr ------------------------------------------------------------------------


def test_help_lists_every_flag_with_its_help_and_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping inside a help text
    with pytest.raises(SystemExit) as exc:
        load(["-h"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    # Each flag's entry: its line, and the help text on the next line when the flags are long.
    entries = {entry.split()[0]: " ".join(entry.split()) for entry in text.split("\n  --")[1:]}
    for option in settings.OPTIONS:
        entry = entries[option.name]
        for alias in option.aliases:
            assert f"--{alias}" in entry
        assert option.help in entry
        if option.default not in (None, (), False):
            assert f"(default {option.default})" in entry
    for shown in (
        "(default 6.0)",
        "(default 3.0)",
        "(default 60)",
        "(default DEFAULT)",
        "(default 24)",
    ):
        assert shown in text


def test_repr_and_str_hide_every_secret_even_a_redis_password():
    s = load(
        [
            "--username",
            "mum",
            "--password",
            "hunter2",
            "--cookie_key",
            COOKIE_KEY,
            "--redis-url",
            "redis://:sekrit@cache:6379",
        ]
    )
    for text in (repr(s), str(s), f"{s}"):
        assert "hunter2" not in text and COOKIE_KEY not in text and "sekrit" not in text
        assert "'mum'" in text and "'redis_url': '***'" in text


# ---- The Vault -----------------------------------------------------------------------------


def test_vault_names_are_the_secrets_the_help_of_secret_names():
    assert settings.vault_names() == {
        "username": "username",
        "password": "password",
        "bucket": "bucket",
        "redis-url": "redis_url",
        "cookie-key": "cookie_key",
        "users": "users",
    }
    secret_help = next(o.help for o in settings.OPTIONS if o.name == "secret")
    for name in settings.vault_names():
        assert name in secret_help


def test_a_bad_vault_value_is_named_by_its_vault_secret():
    s = load(["--secret", "ocid1.compartment.oc1..family"])
    with pytest.raises(settings.SettingsError) as refused:
        settings.with_values(s, {"cookie_key": "k" * 32}, "vault")
    assert str(refused.value) == "The Vault secret 'cookie-key'" + WEAK_KEY_SENTENCE
    with pytest.raises(settings.SettingsError) as refused:
        settings.with_values(s, {"redis_url": "cache:99999"}, "vault")
    assert (
        str(refused.value)
        == "The Vault secret 'redis-url' is not a valid URL: check its host name and port."
    )


# ---- Flags parsed by another parser (ingest) -------------------------------------------------


def ingest_like_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(parents=[settings.build_parser()], conflict_handler="resolve")
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--folder", required=True)
    return parser


def test_flags_parsed_elsewhere_load_with_the_same_precedence(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('username = "file-user"\ncache_ttl_seconds = 5\n')
    storage = ["--media-dir", str(tmp_path), "--password=-starts-with-a-dash", "--local_cache"]
    parsed = ingest_like_parser().parse_intermixed_args(
        ["a.mp4", "--folder", "F", *storage, "b.mp4"]
    )
    env = {"HM_USERNAME": "mum", "HM_PAGE_SIZE": "12"}
    s = settings.load_parsed(parsed, env, [secrets])
    assert s.media_dir == tmp_path and s.password == "-starts-with-a-dash" and s.local_cache
    assert (s.username, s.sources["username"]) == ("mum", "env")
    assert (s.page_size, s.cache_ttl_seconds, s.sources["cache_ttl_seconds"]) == (12, 5, "secrets")
    assert s == load(storage, env, [secrets]) and s.sources == load(storage, env, [secrets]).sources


def test_values_parsed_elsewhere_may_already_be_typed_and_bad_ones_name_the_flag():
    s = settings.load_parsed(
        {
            "bucket": "movies",
            "local_cache": True,
            "trusted_proxies": ("10.0.0.0/8",),
            "par_ttl_hours": 7.0,
            "inputs": ["not a setting"],
        },
        {},
    )
    assert (s.bucket, s.local_cache, s.trusted_proxies, s.par_ttl_hours) == (
        "movies",
        True,
        ("10.0.0.0/8",),
        7.0,
    )
    with pytest.raises(settings.SettingsError) as refused:
        settings.load_parsed({"par_ttl_hours": "soon"}, {})
    assert str(refused.value) == "--par_ttl_hours must be a number, not 'soon'."
