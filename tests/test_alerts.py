"""deploy/prometheus.yml and deploy/alerts.yml as Prometheus's own `promtool` reads them: the
config is valid, the rules are valid, and every alert fires on the series it is meant for
(and only after its `for:`) while staying quiet on healthy ones (deploy/alerts_test.yml)."""

from __future__ import annotations

import subprocess

import yaml

from tests.support.prometheus import DEPLOY, PROMTOOL, scrape_config

ALERTS = {
    "HomeMoviesReplicaDown",
    "HomeMoviesStorageErrors",
    "HomeMoviesCacheDegraded",
    "HomeMoviesSlowPages",
    "HomeMoviesJobQueueStuck",
}


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=DEPLOY, capture_output=True, text=True)


def test_the_deployed_config_is_valid_prometheus():
    # The token file lives on the Prometheus host, not here: the syntax, and then the same
    # config with a token file that exists (which also loads alerts.yml).
    done = promtool("check", "config", "--syntax-only", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_config_with_its_token_file_and_rules_is_valid(tmp_path):
    token = tmp_path / "token"
    token.write_text("x" * 64)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config({"home-movies": ["127.0.0.1:8501"]}, token)))
    done = promtool("check", "config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 rules found" in done.stdout


def test_the_alert_rules_are_valid_and_each_alert_is_there():
    done = promtool("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    assert {r["alert"] for g in rules["groups"] for r in g["rules"]} == ALERTS


def test_each_alert_fires_when_it_should_and_only_then():
    done = promtool("test", "rules", "alerts_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    tests = yaml.safe_load((DEPLOY / "alerts_test.yml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"]}
    assert tested == ALERTS
