"""Start-up: a bad configuration stops the server with one sentence and a non-zero exit."""

from __future__ import annotations

import sys

import pytest

from homemovies_core import services


@pytest.fixture(autouse=True)
def fresh_services():
    services.install(None)
    yield
    services.install(None)


@pytest.mark.parametrize("argv, message", [
    (["--media_dir", "/no/such/folder"], "The media folder /no/such/folder does not exist."),
    (["--demo_dir", "/proc/forbidden/demo"], "The demo library could not be made in "
                                             "/proc/forbidden/demo"),
    (["--par_ttl_hours", "-1"], "--par_ttl_hours must be more than 0."),
])
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
    first = services.build(services.settings_mod.load(["--media_dir", str(tmp_path)], {}, []),
                           announce=said.append)
    services.build(services.settings_mod.load(["--media_dir", str(tmp_path)], {}, []),
                   announce=said.append)
    assert first.credentials.username == "demo"
    assert len(said) == 2 and said[0] != said[1]  # a new random password each start
    assert first.warnings and "cookie key" in first.warnings[0]
