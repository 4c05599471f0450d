from pathlib import Path

import pytest

from homemovies_core import settings
from homemovies_core.settings import SettingsError


def load(argv=(), env=None, files=()):
    return settings.load(list(argv), env or {}, files)


def test_defaults_mean_demo_library_and_local_cache():
    s = load()
    assert s.storage_kind == "demo"
    assert s.par_ttl_hours == 6 and s.cache_ttl_seconds == 60
    assert not s.use_redis


def test_flags_beat_env_beat_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('bucket = "from-file"\nusername = "file-user"\npassword = "p"\n'
                       'cache_ttl_seconds = 5\nredis-url = "redis://file:1"\n')
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


@pytest.mark.parametrize("argv, env, message", [
    (["--media_dir", "/no/such/folder"], {}, "does not exist"),
    (["--par_ttl_hours", "soon"], {}, "must be a number"),
    (["--par_ttl_hours", "0"], {}, "more than 0"),
    ([], {"HM_LOCAL_CACHE": "maybe"}, "true or false"),
    (["--trusted_proxies", "10.0.0.1,not-an-ip"], {}, "not an IP address"),
    (["--redis-url", "http://x"], {}, "redis://"),
    (["--username", "mum"], {}, "--password is missing"),
    (["--instance_principal", "--resource_principal"], {}, "Choose one"),
])
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
    for flag in ("--bucket", "--media_dir", "--redis-url", "--cookie_key", "--trusted_proxies",
                 "--par_ttl_hours", "--instance_principal"):
        assert flag in out


def test_repr_hides_secrets():
    s = load(["--username", "mum", "--password", "hunter2", "--cookie_key", "k3y-value"])
    assert "hunter2" not in repr(s) and "k3y-value" not in repr(s)


def test_with_values_only_fills_gaps():
    s = load(["--bucket", "mine"])
    filled = settings.with_values(s, {"bucket": "vault-bucket", "username": "u", "password": "p"},
                                  "vault")
    assert filled.bucket == "mine" and filled.username == "u"
    assert filled.sources["username"] == "vault" and filled.sources["bucket"] == "flag"


def test_path_is_expanded():
    s = load(["--oci_profile", "X"])
    assert s.oci_profile == "X"
    assert isinstance(load([], {"HM_DEMO_DIR": "~/demo"}).demo_dir, Path)
