import pytest

from homemovies_core import settings
from homemovies_core.settings import SettingsError
from homemovies_core.users import parse
from tests.support.accounts import COOKIE_KEY

# What `openssl rand -base64 32` prints: 32 random bytes in base64.
BASE64_KEY = "x6Y0Xmxq8OaFpTZm/eXk/1HQOVYJOL0fd/A54/ZWrho="
WEAK_KEY_SENTENCE = (
    " is too weak: a cookie key must be at least 32 random bytes; make one with "
    "`openssl rand -hex 32`."
)
TOO_LONG = (
    " is longer than 72 bytes (UTF-8); bcrypt, which checks it, ignores the rest: use a "
    "shorter one."
)


def load(argv=(), env=None, files=()):
    return settings.load(list(argv), env or {}, files)


def test_defaults_mean_demo_library_and_local_cache():
    s = load()
    assert s.storage_kind == "demo"
    assert s.par_ttl_hours == 6 and s.cache_ttl_seconds == 60
    assert not s.use_redis


def test_flags_beat_env_beat_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        'bucket = "from-file"\nusername = "file-user"\npassword = "p"\n'
        'cache_ttl_seconds = 5\nredis-url = "redis://file:1"\n'
    )
    env = {"HM_BUCKET": "from-env", "HM_CACHE_TTL_SECONDS": "7"}
    s = load(["--bucket", "from-flag"], env, [secrets])
    assert s.bucket == "from-flag" and s.sources["bucket"] == "flag"
    assert s.cache_ttl_seconds == 7 and s.sources["cache_ttl_seconds"] == "env"
    assert s.username == "file-user" and s.sources["username"] == "secrets"
    assert s.redis_url == "redis://file:1"


def test_aliases_and_booleans(tmp_path):
    s = load(["--media-dir", str(tmp_path), "--redis-url", "cache.example", "--local_cache"])
    assert s.media_dir == tmp_path and s.storage_kind == "local"
    assert s.redis_url == "cache.example" and not s.use_redis
    assert load([], {"HM_LOCAL_CACHE": "yes"}).local_cache is True


@pytest.mark.parametrize(
    "argv, env, message",
    [
        (["--media_dir", "/no/such/folder"], {}, "does not exist"),
        (["--par_ttl_hours", "soon"], {}, "must be a number"),
        (["--par_ttl_hours", "0"], {}, "more than 0"),
        ([], {"HM_LOCAL_CACHE": "maybe"}, "true or false"),
        (["--trusted_proxies", "10.0.0.1,not-an-ip"], {}, "not an IP address"),
        (["--redis-url", "http://x"], {}, "redis://"),
        (["--username", "mum"], {}, "--password is missing"),
        (["--instance_principal", "--resource_principal"], {}, "Choose one"),
    ],
)
def test_bad_values_are_one_clear_sentence(argv, env, message):
    with pytest.raises(SettingsError, match=message):
        load(argv, env)


def test_media_dir_that_is_a_file(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(SettingsError, match="is not a folder"):
        load(["--media_dir", str(f)])


def test_broken_secrets_file_is_named(tmp_path):
    bad = tmp_path / "secrets.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(SettingsError, match=str(bad)):
        load([], {}, [bad])


def test_unknown_flag_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        load(["--nope"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err


def test_help_exits_cleanly(capsys):
    with pytest.raises(SystemExit) as exc:
        load(["-h"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--bucket",
        "--media_dir",
        "--redis-url",
        "--cookie_key",
        "--trusted_proxies",
        "--par_ttl_hours",
        "--instance_principal",
    ):
        assert flag in out
    # How to keep secrets out of `ps` and `docker inspect`, and how to make a key.
    for name in (
        "--password_file",
        "--cookie_key_file",
        "HM_PASSWORD",
        "HM_COOKIE_KEY",
        "HM_PASSWORD_FILE",
        "HM_COOKIE_KEY_FILE",
        "openssl rand -hex 32",
    ):
        assert name in " ".join(out.split()), name


def test_repr_hides_secrets():
    s = load(["--username", "mum", "--password", "hunter2", "--cookie_key", COOKIE_KEY])
    assert "hunter2" not in repr(s) and COOKIE_KEY not in repr(s)


def test_with_values_only_fills_gaps():
    s = load(["--bucket", "mine"])
    filled = settings.with_values(
        s, {"bucket": "vault-bucket", "username": "u", "password": "p"}, "vault"
    )
    assert filled.bucket == "mine" and filled.username == "u"
    assert filled.sources["username"] == "vault" and filled.sources["bucket"] == "flag"


def test_path_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "films").mkdir()
    assert load([], {"HM_DEMO_DIR": "~/demo"}).demo_dir == tmp_path / "demo"
    assert load(["--media_dir", "~/films"]).media_dir == tmp_path / "films"
    assert load(["--oci_profile", "X"]).oci_profile == "X"  # not a path: as given


# ---- Cookie key strength ----------------------------------------------------------------


@pytest.mark.parametrize("key", [COOKIE_KEY, BASE64_KEY, COOKIE_KEY.upper() * 3])
def test_random_cookie_keys_are_accepted(key):
    assert load(["--cookie_key", key]).cookie_key == key


@pytest.mark.parametrize(
    "key",
    [
        "k" * 32,
        "k" * 500,
        "password123" * 4,
        "correct horse battery staple and more words",  # words: far less than it seems
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",  # a sequence
        "qwertyuiopasdfghjklzxcvbnm1234567890",  # the keyboard's rows
        COOKIE_KEY[:31],  # random, but too short to carry 32 bytes' worth
        "c",
    ],
)
def test_weak_cookie_keys_are_refused_without_echoing_them(key):
    with pytest.raises(SettingsError) as refused:
        load(["--cookie_key", key])
    assert str(refused.value) == "--cookie_key" + WEAK_KEY_SENTENCE


def test_weak_cookie_key_names_where_it_came_from(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'cookie_key = "{"k" * 32}"\n')
    key_file = tmp_path / "cookie-key"
    key_file.write_text("password123" * 4 + "\n")
    for argv, env, files, where in [
        ([], {"HM_COOKIE_KEY": "k" * 32}, [], "HM_COOKIE_KEY"),
        ([], {}, [secrets], "'cookie_key' in secrets.toml"),
        (
            ["--cookie_key_file", str(key_file)],
            {},
            [],
            f"The cookie key in {key_file} (--cookie_key_file)",
        ),
    ]:
        with pytest.raises(SettingsError) as refused:
            load(argv, env, files)
        assert str(refused.value) == where + WEAK_KEY_SENTENCE


def test_no_cookie_key_at_all_is_still_allowed():
    assert load().cookie_key is None  # services.build makes a random one and warns


# ---- Password length ----------------------------------------------------------------------


def test_a_password_bcrypt_cannot_check_whole_is_refused(tmp_path):
    assert load(["--username", "mum", "--password", "p" * 72]).password == "p" * 72
    password_file = tmp_path / "password"
    password_file.write_text("é" * 37 + "\n")  # 37 characters, 74 bytes
    for argv, env, where in [
        (["--password", "p" * 73], {}, "--password"),
        ([], {"HM_PASSWORD": "ü" * 37}, "HM_PASSWORD"),
        (
            ["--password_file", str(password_file)],
            {},
            f"The password in {password_file} (--password_file)",
        ),
    ]:
        with pytest.raises(SettingsError) as refused:
            load(["--username", "mum", *argv], env)
        assert str(refused.value) == where + TOO_LONG


def test_a_password_that_is_not_text_is_one_sentence():
    # Bytes that are not UTF-8 in the environment reach Python as lone surrogates.
    with pytest.raises(SettingsError) as refused:
        load(["--username", "mum"], {"HM_PASSWORD": "caf\udce9"})
    assert str(refused.value) == "HM_PASSWORD is not valid UTF-8 text."


# ---- Secrets from files and the environment -------------------------------------------


def test_password_and_cookie_key_from_the_environment():
    s = load(["--username", "mum"], {"HM_PASSWORD": "hunter2", "HM_COOKIE_KEY": COOKIE_KEY})
    assert (s.password, s.cookie_key) == ("hunter2", COOKIE_KEY)
    assert s.sources["password"] == "env" and s.sources["cookie_key"] == "env"


def test_secret_files_give_their_first_line_exactly(tmp_path):
    password_file = tmp_path / "password"
    password_file.write_bytes(b"  two spaces each side  \r\nthe second line is ignored\n")
    key_file = tmp_path / "cookie_key"
    key_file.write_text(COOKIE_KEY)  # no newline at all
    s = load(
        [
            "--username",
            "mum",
            "--password_file",
            str(password_file),
            "--cookie_key_file",
            str(key_file),
        ]
    )
    assert s.password == "  two spaces each side  "
    assert s.cookie_key == COOKIE_KEY
    assert s.sources["password"] == "flag" and s.password_file == password_file
    assert str(password_file) in repr(s) and "two spaces" not in repr(s)


def test_secret_files_by_environment_and_secrets_file(tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text("from the file\n")
    key_file = tmp_path / "cookie_key"
    key_file.write_text(BASE64_KEY + "\n")
    s = load(
        ["--username", "mum"],
        {"HM_PASSWORD_FILE": str(password_file), "HM_COOKIE_KEY_FILE": str(key_file)},
    )
    assert (s.password, s.cookie_key) == ("from the file", BASE64_KEY)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'username = "mum"\npassword_file = "{password_file}"\ncookie_key_file = "{key_file}"\n'
    )
    s = load([], {}, [secrets])
    assert (s.password, s.cookie_key) == ("from the file", BASE64_KEY)
    assert s.sources["password"] == "secrets"


def test_the_stronger_source_wins_between_a_secret_and_its_file(tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text("from the file\n")
    assert (
        load(
            ["--username", "u", "--password_file", str(password_file)], {"HM_PASSWORD": "from env"}
        ).password
        == "from the file"
    )
    assert (
        load(
            ["--username", "u", "--password", "from flag"],
            {"HM_PASSWORD_FILE": str(tmp_path / "never read")},
        ).password
        == "from flag"
    )


@pytest.mark.parametrize(
    "argv, env, message",
    [
        (
            ["--password", "pw", "--password_file", "/etc/hostname"],
            {},
            "Give either --password or --password_file, not both.",
        ),
        (
            [],
            {"HM_COOKIE_KEY": COOKIE_KEY, "HM_COOKIE_KEY_FILE": "/etc/hostname"},
            "Give either HM_COOKIE_KEY or HM_COOKIE_KEY_FILE, not both.",
        ),
    ],
)
def test_a_secret_and_its_file_at_once_is_an_error(argv, env, message):
    with pytest.raises(SettingsError) as refused:
        load(argv, env)
    assert str(refused.value) == message


def test_bad_secret_files_are_one_sentence(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    blank_first = tmp_path / "blank-first-line"
    blank_first.write_text("\nthe secret on the second line\n")
    latin1 = tmp_path / "latin1"
    latin1.write_bytes("pässword\n".encode("latin-1"))
    missing = tmp_path / "missing"
    for path, sentence in [
        (missing, f"The file {missing} given by --password_file does not exist."),
        (tmp_path, f"The file {tmp_path} given by --password_file is a folder, not a file."),
        (
            empty,
            f"The first line of {empty} (given by --password_file) is empty: put the secret there.",
        ),
        (
            blank_first,
            f"The first line of {blank_first} (given by --password_file) is empty: "
            "put the secret there.",
        ),
        (latin1, f"The first line of {latin1} (given by --password_file) is not UTF-8 text."),
    ]:
        with pytest.raises(SettingsError) as refused:
            load(["--username", "mum", "--password_file", str(path)])
        assert str(refused.value) == sentence


def test_a_secret_file_is_read_only_as_far_as_its_bound():
    # /dev/zero never ends: reading it whole would never return.
    with pytest.raises(SettingsError) as refused:
        load(["--username", "mum", "--cookie_key_file", "/dev/zero"])
    assert str(refused.value) == (
        "The first line of /dev/zero (given by --cookie_key_file) is "
        "longer than 4096 bytes; it should hold just the secret."
    )


def test_a_redis_url_redis_py_cannot_parse_is_one_sentence_without_the_url():
    for url in ("redis://:hunter2@cache:port", "redis://:hunter2@[cache", "cache:99999"):
        with pytest.raises(SettingsError) as refused:
            load(["--redis_url", url])
        assert str(refused.value) == (
            "--redis_url is not a valid URL: check its host name and port."
        )


# ---- A login per family member: --users_file, HM_USERS, the Vault secret `users` ----------------

# Cost-4 bcrypt hashes, quick to check (`users add` makes cost-12 ones).
MUM_HASH = "$2b$04$txtofBXaj7.qdQfjTvJM0uboPIBrz1zWtnHI8h3vhNhPUAQFqa9l."  # of "mum"
DAD_HASH = "$2b$04$G6QZ4.Woc5AiSooBh/t97eai/tvNAspr4GK3LC2xnIawRqgUxh5Km"  # of "dad"


def users_text(*names: str) -> str:
    lines = "".join(
        f"    {n}: {{name: {n.title()}, password: '{h}'}}\n"
        for n, h in zip(names, (MUM_HASH, DAD_HASH), strict=False)
    )
    return f"credentials:\n  usernames:\n{lines}"


def test_the_users_come_from_a_file_from_any_source_and_the_stronger_wins(tmp_path):
    mum_file = tmp_path / "mum.yaml"
    mum_file.write_text(users_text("mum"))
    dad_file = tmp_path / "dad.yaml"
    dad_file.write_text(users_text("dad"))
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'users_file = "{dad_file}"\n')
    for argv, env, files, source, people in [
        (["--users_file", str(mum_file)], {}, [], "flag", ["mum"]),
        ([], {"HM_USERS_FILE": str(mum_file)}, [], "env", ["mum"]),
        ([], {}, [secrets], "secrets", ["dad"]),
        ([], {"HM_USERS": users_text("mum", "dad")}, [], "env", ["mum", "dad"]),
        # The file named by a flag beats the text in the environment, and the other way round.
        (["--users_file", str(dad_file)], {"HM_USERS": users_text("mum")}, [], "flag", ["dad"]),
        ([], {"HM_USERS": users_text("mum")}, [secrets], "env", ["mum"]),
    ]:
        loaded = load(argv, env, files)
        assert (list(parse(loaded.users)), loaded.sources["users"]) == (people, source), (argv, env)
    assert "credentials" not in repr(load(["--users_file", str(mum_file)]))  # a secret in repr too


@pytest.mark.parametrize(
    "given, sentence",
    [
        (
            {"HM_USERS": "credentials: [", "HM_USERS_FILE": "{mum}"},
            "Give either HM_USERS or HM_USERS_FILE, not both.",
        ),
        (
            {"HM_USERS": "credentials:\n  usernames:\n    mum:\n      password: pw"},
            "HM_USERS gives 'mum' a password that is not a bcrypt hash; a users file must never hold a "
            "password itself: set it with `python -m homemovies_core users add mum`.",
        ),
        (
            {"HM_USERS_FILE": "{empty}"},
            "The users file {empty} (given by HM_USERS_FILE) lists nobody: add "
            "someone with `python -m homemovies_core users add NAME`, or give --username and --password.",
        ),
        (
            {"HM_USERS_FILE": "{mum}", "HM_USERNAME": "MUM", "HM_PASSWORD": "x"},
            "HM_USERNAME names 'mum', who is also in the users file {mum} (given by HM_USERS_FILE): give "
            "each person once.",
        ),
        ({"HM_USERS_FILE": "{nope}"}, "The file {nope} given by HM_USERS_FILE does not exist."),
        (
            {"HM_USERS_FILE": "/dev/zero"},
            "The file /dev/zero (given by HM_USERS_FILE) is larger than 64 KiB, "
            "far more than it should hold.",
        ),
    ],
)
def test_users_that_cannot_log_in_stop_start_up_with_one_sentence(tmp_path, given, sentence):
    paths = {
        "mum": tmp_path / "mum.yaml",
        "empty": tmp_path / "empty.yaml",
        "nope": tmp_path / "nope",
    }
    paths["mum"].write_text(users_text("mum"))
    paths["empty"].write_text("credentials:\n  usernames: {}\n")
    with pytest.raises(SettingsError) as refused:
        load([], {k: v.format(**paths) for k, v in given.items()})
    assert str(refused.value) == sentence.format(**paths)


def test_a_users_file_may_stand_alone_or_beside_one_username(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(users_text("mum", "dad"))
    assert load(["--users_file", str(path)]).username is None
    loaded = load(["--users_file", str(path), "--username", "gran", "--password", "scones"])
    assert (loaded.username, loaded.password) == ("gran", "scones")


VAULT = "ocid1.compartment.oc1..family"


def _from_vault(server, config_path, *argv):
    from homemovies_core.oci.vault import fill_from_vault
    from tests.support.oci_env import QUICK, vault_flags

    return fill_from_vault(
        load(
            [
                *vault_flags(server.endpoint, config_path, VAULT),
                *argv,
            ]
        ),
        policy=QUICK,
    )


def test_the_vault_secret_users_fills_in_last(server, config_path, tmp_path):
    for name, value in {
        "username": "gran",
        "password": "scones",
        "bucket": "movies",
        "users": users_text("mum", "dad"),
    }.items():
        server.model.add_secret(VAULT, name, value)
    loaded = _from_vault(server, config_path)
    assert (list(parse(loaded.users)), loaded.sources["users"]) == (["mum", "dad"], "vault")
    assert loaded.username == "gran"  # --username's person comes on top of the family

    # A users file named anywhere else wins, and the Vault's copy is not even read.
    path = tmp_path / "users.yaml"
    path.write_text(users_text("mum"))
    reads = server.model.counts["GetSecretBundle"]
    loaded = _from_vault(server, config_path, "--users_file", str(path))
    assert (list(parse(loaded.users)), loaded.sources["users"]) == (["mum"], "flag")
    assert server.model.counts["GetSecretBundle"] - reads == 3  # username, password, bucket


def test_a_bad_vault_secret_users_is_named(server, config_path):
    for name, value in {
        "username": "gran",
        "password": "scones",
        "bucket": "movies",
        "users": "credentials:\n  usernames:\n    mum: {password: hunter2}",
    }.items():
        server.model.add_secret(VAULT, name, value)
    with pytest.raises(SettingsError) as refused:
        _from_vault(server, config_path)
    assert str(refused.value) == (
        "The Vault secret 'users' gives 'mum' a password that is not a bcrypt hash; a users file "
        "must never hold a password itself: set it with `python -m homemovies_core users add mum`."
    )
