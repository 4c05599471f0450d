"""The self-host stack in deploy/ and the Dockerfile, checked without a Docker engine.

There is no Docker engine on the test machines, so `docker compose up` is never run. What an
operator would trip over is checked instead: compose.yaml has the services it promises and
names only flags and HM_* variables the app accepts (asked of the app itself, not a list
kept here); haproxy.cfg is accepted by the real HAProxy and, run for real, balances two
servers round-robin and drops one whose GET /health fails; hadolint finds nothing at level
warning or above in the Dockerfile.
"""

from __future__ import annotations

import dataclasses
import datetime
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from homemovies_core import settings
from tests.support.browser import wait_for_http
from tests.support.redis_server import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
HAPROXY_CFG = DEPLOY / "haproxy.cfg"
DOCKERFILE = ROOT / "Dockerfile"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HADOLINT = Path(sys.executable).parent / "hadolint"
SECRETS_DIR = "/run/secrets/"


# -- helpers ----------------------------------------------------------------------------------


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def app_service(compose: dict) -> tuple[str, dict]:
    """The service built from this repository's Dockerfile."""
    built = [(name, s) for name, s in compose["services"].items() if "build" in s]
    assert len(built) == 1, f"expected one service built from the Dockerfile, got {built}"
    return built[0]


def service_using(compose: dict, image: str) -> dict:
    found = [
        s for s in compose["services"].values() if str(s.get("image", "")).startswith(image + ":")
    ]
    assert len(found) == 1, f"expected one {image} service in compose.yaml"
    return found[0]


def accepted_flags() -> set[str]:
    """Every --flag the app's own parser accepts (aliases included)."""
    parser = settings.build_parser()
    return {flag for flag in parser._option_string_actions if flag.startswith("--")} - {"--help"}


def accepted_env_names() -> set[str]:
    """Every HM_* variable the app reads: each option's name and aliases, by the app's rule."""
    names = set()
    for option in settings.OPTIONS:
        for name in (option.name, *option.aliases):
            names.add(dataclasses.replace(option, name=name).env_name)
    return names


def flags_in(command: list[str]) -> list[str]:
    return [arg.split("=", 1)[0] for arg in command if arg.startswith("--")]


def haproxy_check(config: Path) -> subprocess.CompletedProcess:
    if not Path(HAPROXY).exists():
        pytest.fail(
            "HAProxy is not installed: `apt-get install -y haproxy` (scripts/bootstrap.sh --dev)."
        )
    return subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)


def server_template() -> tuple[int, str, int]:
    """(slots, host, port) of the `server-template` line in haproxy.cfg."""
    match = re.search(
        r"^\s*server-template\s+\S+\s+(\d+)\s+([\w.-]+):(\d+)", HAPROXY_CFG.read_text(), re.M
    )
    assert match, "haproxy.cfg has no server-template line"
    return int(match[1]), match[2], int(match[3])


# -- compose.yaml -----------------------------------------------------------------------------


def test_compose_says_it_was_not_run_here():
    head = COMPOSE.read_text(encoding="utf-8").split("\nname:", 1)[0]
    assert "no Docker engine" in head and "NOT RUN" in head


def test_compose_has_two_app_replicas_behind_haproxy_with_one_redis():
    compose = load_compose()
    name, app = app_service(compose)
    assert app["deploy"]["replicas"] == 2
    assert (
        app["build"]["context"] == ".."
        and (DEPLOY / app["build"]["context"] / "Dockerfile").is_file()
    )
    redis = service_using(compose, "redis")
    haproxy = service_using(compose, "haproxy")
    # HAProxy reaches every replica: the template names the app service, on its port, with
    # at least as many slots as there are replicas.
    slots, host, port = server_template()
    assert host == name and slots >= app["deploy"]["replicas"]
    assert str(port) in [str(p) for p in app["expose"]]
    # ... and runs the haproxy.cfg that the tests below check.
    config = [
        v for v in haproxy["volumes"] if v.split(":")[1] == "/usr/local/etc/haproxy/haproxy.cfg"
    ]
    assert config and (DEPLOY / config[0].split(":")[0]).resolve() == HAPROXY_CFG
    # The replicas share the one Redis, which keeps its data across restarts.
    env = app["environment"]
    assert env["HM_REDIS_URL"].startswith(
        f"redis://{next(k for k, s in compose['services'].items() if s is redis)}:"
    )
    assert (
        any(v.endswith(":/data") for v in redis["volumes"]) and "--appendonly" in redis["command"]
    )


def test_compose_pins_every_image_by_version():
    compose = load_compose()
    _, app = app_service(compose)
    for name, service in compose["services"].items():
        if "build" in service or service.get("image") == app["image"]:
            continue  # built here from the Dockerfile (the workers run the app's image)
        image = service["image"]
        repository, _, tag = image.partition(":")
        assert tag and tag != "latest" and re.match(r"\d+\.\d+\.\d+", tag), (
            f"{name}: image {image!r} is not pinned to a version"
        )


def test_compose_mounts_the_library_read_only_where_the_app_looks():
    _, app = app_service(load_compose())
    media_dir = app["environment"]["HM_MEDIA_DIR"]
    mounts = [v.split(":") for v in app["volumes"]]
    assert any(m[-2:] == [media_dir, "ro"] for m in mounts), (
        f"no read-only volume at HM_MEDIA_DIR={media_dir}: {app['volumes']}"
    )


def test_compose_reads_the_password_and_cookie_key_from_secret_files():
    compose = load_compose()
    _, app = app_service(compose)
    declared = compose["secrets"]
    assert all("file" in s for s in declared.values())
    assert set(app["secrets"]) <= set(declared)
    # Nothing secret is written into the file itself, only paths to mounted secrets.
    command, env = app.get("command", []), app["environment"]
    for secret_option in (o.name for o in settings.OPTIONS if o.secret and o.name != "redis_url"):
        assert f"HM_{secret_option.upper()}" not in env and f"--{secret_option}" not in command
    paths = dict(zip(command[::2], command[1::2], strict=False))
    paths |= {k: v for k, v in env.items() if k.endswith("_FILE")}
    for key in ("password_file", "cookie_key_file"):
        path = paths.get(f"--{key}") or paths.get(f"HM_{key.upper()}")
        assert path and path.startswith(SECRETS_DIR), f"{key} is not given as a mounted secret"
        assert path.removeprefix(SECRETS_DIR) in app["secrets"], (
            f"{path} is not mounted into the app"
        )


def test_compose_names_only_flags_and_variables_the_app_accepts():
    """Derived from the app at test time, so a renamed or removed option fails here."""
    _, app = app_service(load_compose())
    unknown_flags = sorted(set(flags_in(app.get("command", []))) - accepted_flags())
    assert not unknown_flags, f"compose.yaml passes flags the app does not accept: {unknown_flags}"
    # Every HM_ name anywhere in the file: environment keys, ${HM_...} substitutions, comments.
    named = set(re.findall(r"\bHM_[A-Z0-9_]+\b", COMPOSE.read_text(encoding="utf-8")))
    assert named, "compose.yaml names no HM_* variable at all"
    unknown_env = sorted(named - accepted_env_names())
    assert not unknown_env, (
        f"compose.yaml names HM_* variables the app does not read: {unknown_env}"
    )


def test_oci_guide_names_only_flags_and_variables_the_app_accepts():
    """docs/deploy-oci.md: the app's flags are the ones with "_" (oci and docker use "-")."""
    text = (ROOT / "docs" / "deploy-oci.md").read_text(encoding="utf-8")
    flags = set(re.findall(r"(?<![\w-])--[a-z]+_[a-z_]+", text))
    env = set(re.findall(r"\bHM_[A-Z0-9_]+\b", text))
    assert flags and env
    assert not sorted(flags - accepted_flags()), "the guide names flags the app does not accept"
    assert not sorted(env - accepted_env_names()), (
        "the guide names HM_* variables the app does not read"
    )


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}, enough for this file."""

    def one(match: re.Match) -> str:
        name, op, rest = match[1], match[2], match[3]
        if variables.get(name):
            return variables[name]
        assert op != ":?", f"compose would stop: {rest}"
        return rest if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def test_the_app_configured_as_in_compose_gets_its_secrets_from_the_files(tmp_path):
    """settings.load() with compose's command and environment, container paths mapped here."""
    from tests.support.accounts import COOKIE_KEY

    _, app = app_service(load_compose())
    secrets_dir, media = tmp_path / "secrets", tmp_path / "media"
    secrets_dir.mkdir()
    media.mkdir()
    password = "the family's password, with spaces"
    (secrets_dir / "hm_password").write_text(password + "\n", encoding="utf-8")
    (secrets_dir / "hm_cookie_key").write_text(COOKIE_KEY + "\n", encoding="utf-8")

    def here(value: str) -> str:
        value = _interpolate(str(value), {"HM_USERNAME": "mum"})
        value = value.replace(SECRETS_DIR, f"{secrets_dir}/")
        return str(media) if value == "/media" else value

    argv = [here(arg) for arg in app.get("command", [])]
    env = {key: here(value) for key, value in app["environment"].items()}
    loaded = settings.load(argv, env=env)
    assert (loaded.username, loaded.password, loaded.cookie_key) == ("mum", password, COOKIE_KEY)
    assert loaded.media_dir == media and loaded.storage_kind == "local"
    assert loaded.use_redis and loaded.redis_url == "redis://redis:6379/0"
    assert loaded.trusted_proxies == ("172.31.250.10",)


def test_compose_trusts_exactly_haproxys_address():
    compose = load_compose()
    _, app = app_service(compose)
    haproxy = service_using(compose, "haproxy")
    addresses = [n["ipv4_address"] for n in haproxy["networks"].values()]
    assert app["environment"]["HM_TRUSTED_PROXIES"].split(",") == addresses


def test_haproxy_believes_forwarded_headers_from_the_compose_gateway_only():
    """The host's TLS proxy reaches HAProxy from the network's gateway; nobody else may, as
    8080 is published on the host's loopback only (tests/attacks/test_proxy_attacks.py runs
    the rest)."""
    compose = load_compose()
    gateways = [c["gateway"] for n in compose["networks"].values() for c in n["ipam"]["config"]]
    trusted = re.findall(r"^\s*acl from_host_proxy src (\S+)$", HAPROXY_CFG.read_text(), re.M)
    assert trusted == gateways
    assert service_using(compose, "haproxy")["ports"] == ["127.0.0.1:8080:8080"]


# -- haproxy.cfg ------------------------------------------------------------------------------


def test_haproxy_accepts_the_config():
    result = haproxy_check(HAPROXY_CFG)
    assert result.returncode == 0, result.stdout + result.stderr


def test_haproxy_accepts_the_https_variant_given_in_the_comment(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "films.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "site.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    text = HAPROXY_CFG.read_text(encoding="utf-8")
    commented = re.search(r"^(\s*)# (bind \S+ ssl crt )(\S+)$", text, re.M)
    assert commented, "haproxy.cfg no longer shows the HTTPS bind line"
    variant = tmp_path / "haproxy-https.cfg"
    variant.write_text(
        text.replace(commented[0], f"{commented[1]}{commented[2]}{pem}"), encoding="utf-8"
    )
    result = haproxy_check(variant)
    assert result.returncode == 0, result.stdout + result.stderr


class _Replica(http.server.ThreadingHTTPServer):
    """A stand-in replica: answers its own name; /health answers `health_status`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.health_status = 200
        self.health_requests: list[tuple[str, str]] = []
        self.health_seen = threading.Event()
        super().__init__(("127.0.0.1", 0), _ReplicaHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _ReplicaHandler(http.server.BaseHTTPRequestHandler):
    server: _Replica

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, body = 200, self.server.name.encode()
        if self.path.startswith("/health"):
            self.server.health_requests.append((self.command, self.path))
            self.server.health_seen.set()
            status = self.server.health_status
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _running_copy(tmp_path: Path, port: int, replicas: list[_Replica]) -> Path:
    """deploy/haproxy.cfg with only the addresses changed: loopback instead of Docker DNS."""
    text = HAPROXY_CFG.read_text(encoding="utf-8")
    text, binds = re.subn(r"^(\s*)bind :8080$", rf"\g<1>bind 127.0.0.1:{port}", text, flags=re.M)
    servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.server_address[1]}" for r in replicas)
    text, templates = re.subn(r"^\s*server-template .*$", servers, text, flags=re.M)
    assert binds == 1 and templates == 1
    path = tmp_path / "haproxy.cfg"
    path.write_text(text, encoding="utf-8")
    return path


def _served_by(url: str, count: int) -> list[str]:
    return [httpx.get(url, timeout=5).text for _ in range(count)]


def test_haproxy_balances_round_robin_and_drops_a_replica_failing_health(tmp_path):
    if not Path(HAPROXY).exists():
        pytest.fail(
            "HAProxy is not installed: `apt-get install -y haproxy` (scripts/bootstrap.sh --dev)."
        )
    replicas = [_Replica("replica-a"), _Replica("replica-b")]
    port = free_port()
    config = _running_copy(tmp_path, port, replicas)
    proc = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/watch?v=1"
    try:
        wait_for_http(url, proc=proc)
        # No affinity: consecutive requests alternate between the replicas.
        served = _served_by(url, 6)
        assert set(served) == {"replica-a", "replica-b"}
        assert all(a != b for a, b in zip(served, served[1:], strict=False)), served
        # Health checks are GET /health on every replica.
        for replica in replicas:
            assert replica.health_seen.wait(30), f"{replica.name} was never health-checked"
            assert set(replica.health_requests) == {("GET", "/health")}
        # A replica whose /health fails stops getting requests; the other keeps serving.
        replicas[1].health_status = 503
        deadline = time.monotonic() + 60
        while _served_by(url, 4) != ["replica-a"] * 4:
            assert time.monotonic() < deadline, (
                "HAProxy kept sending requests to an unhealthy replica"
            )
            time.sleep(0.5)
    finally:
        stop(proc)
        for replica in replicas:
            replica.shutdown()
            replica.server_close()


# -- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_has_no_hadolint_warning():
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "warning", "-f", "json"]
        + [str(DOCKERFILE)],
        capture_output=True,
        text=True,
    )
    # hadolint's own verdict first: one that could not read or parse the file says so on
    # stderr, prints nothing on stdout and exits 1; an empty answer is no answer.
    assert result.returncode == 0, f"hadolint exited {result.returncode}: {result.stderr}"
    findings = json.loads(result.stdout)
    serious = [
        f"line {f['line']}: {f['code']} {f['level']}: {f['message']}"
        for f in findings
        if f["level"] in ("error", "warning")
    ]
    assert not serious, "hadolint:\n" + "\n".join(serious)


def test_dockerfile_explains_every_hadolint_ignore():
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            above = lines[number - 1].strip() if number else ""
            assert above.startswith("#") and "hadolint" not in above, (
                f"Dockerfile line {number + 1}: say in a comment above why the rule is ignored"
            )


def test_compose_runs_two_workers_on_the_apps_image_sharing_its_queue_and_uploads():
    compose = load_compose()
    _, app = app_service(compose)
    worker = compose["services"]["worker"]
    assert worker["image"] == app["image"] and worker["deploy"]["replicas"] == 2
    assert worker["entrypoint"] == ["python", "-m", "homemovies_core", "worker"]
    env, app_env = worker["environment"], app["environment"]
    for name in ("HM_REDIS_URL", "HM_MEDIA_DIR", "HM_UPLOADS_DIR"):
        assert env[name] == app_env[name], name
    shared = f"uploads:{app_env['HM_UPLOADS_DIR']}"
    assert shared in worker["volumes"] and shared in app["volumes"]
    assert "uploads" in compose["volumes"]
