"""`python -m homemovies_core check [flags]`: verify a configuration without the UI.

Signs in, reads the namespace, lists the bucket's top level, issues and deletes a
test PAR, asks Redis for its version and eviction policy. One line per check, ✓ or ✗
with a short reason, "!" for a risk worth fixing and "–" for what could not be checked; the
exit status is 1 when anything failed (✗).

An eviction policy other than `noeviction` is a "!" and not a ✗: the app works with it, and
Redis evicts only under memory pressure, but then it may drop security state (share links,
login sessions, throttle locks) as readily as a cached listing; the operator should know and
fix it, yet a default managed configuration should not fail a deployment's health check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from . import services
from .redis_cache import RedisCache, RedisFacts, redis_url_from_setting
from .settings import Settings, SettingsError
from .storage.base import StorageError

OK, FAIL, SKIP, WARN = "✓", "✗", "–", "!"
MIN_REDIS_MAJOR = 5
TEST_PAR_SECONDS = 300


class Report:
    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.failed = False

    def line(self, mark: str, what: str, detail: str) -> None:
        if mark == FAIL:
            self.failed = True
        self.out(f"{mark} {what}: {detail}")


def run(argv: Sequence[str], out: Callable[[str], None] = print) -> int:
    report = Report(out)
    try:
        settings = services.load_settings(list(argv))
    except SettingsError as exc:
        report.line(FAIL, "Settings", str(exc))
        return 1
    if settings.secret:
        report.line(OK, "Vault", f"secrets read from compartment {settings.secret}")
    if settings.storage_kind == "oci":
        _check_oci(settings, report)
    elif settings.storage_kind == "local":
        report.line(OK, "Library", f"local folder {settings.media_dir}")
    else:
        report.line(
            SKIP, "Library", "no bucket or media folder given: the app would serve the demo library"
        )
    _check_redis(settings, report)
    return 1 if report.failed else 0


def _check_oci(settings: Settings, report: Report) -> None:
    # The SDK is imported only when a bucket is checked.
    from .oci import client as oci_client
    from .oci.storage import OciStorage

    try:
        signed = oci_client.sign_in(settings)
    except StorageError as exc:
        report.line(FAIL, "Sign-in", str(exc))
        return
    region = f", region {signed.auth.region}" if signed.auth.region else ""
    report.line(OK, "Sign-in", f"{signed.auth.description}{region}")

    try:
        namespace = oci_client.read_namespace(signed.client, signed.endpoint)
    except StorageError as exc:
        report.line(FAIL, "Namespace", str(exc))
        return
    report.line(OK, "Namespace", f"{namespace} at {oci_client.endpoint_host(signed.endpoint)}")

    storage = OciStorage(
        signed.client, namespace=namespace, bucket=settings.bucket, endpoint=signed.endpoint
    )
    try:
        oci_client.check_bucket(signed.client, namespace, settings.bucket)
        top = storage.list_level("")
    except StorageError as exc:
        report.line(FAIL, "Bucket", str(exc))
        return
    report.line(
        OK,
        "Bucket",
        f"'{settings.bucket}' lists {len(top.prefixes)} folder(s) and "
        f"{len(top.objects)} file(s) at the top level",
    )

    try:
        grant = storage.grant(
            "hm-check/test-object", prefix=False, expires_at=time.time() + TEST_PAR_SECONDS
        )
        storage.delete_grant(grant.id)
    except StorageError as exc:
        report.line(FAIL, "Playback links", str(exc))
        return
    report.line(OK, "Playback links", "a test PAR was issued and deleted")


def _check_redis(settings: Settings, report: Report) -> None:
    if not settings.redis_url:
        report.line(SKIP, "Redis", "not configured: the in-process cache is used")
        return
    if settings.local_cache:
        report.line(SKIP, "Redis", "--local_cache given: the in-process cache is used")
        return
    host = redis_url_from_setting(settings.redis_url).split("://", 1)[1].rsplit("@", 1)[-1]
    host = host.split("/", 1)[0]  # never the password, never the database path
    import redis  # as in RedisCache: only when a Redis is configured

    try:
        cache = RedisCache(settings.redis_url, insecure_tls=settings.redis_insecure_tls)
        cache.ping()
        facts = cache.facts()
    except Exception as exc:
        if isinstance(exc, redis.exceptions.AuthenticationError):
            report.line(FAIL, "Redis", f"{host} refused the password")
        else:
            report.line(FAIL, "Redis", f"{host} did not answer ({type(exc).__name__})")
        return
    for mark, detail in judge_redis(host, facts):
        report.line(mark, "Redis", detail)


def judge_redis(host: str, facts: RedisFacts) -> list[tuple[str, str]]:
    """The lines for a Redis server that answered at `host` (host:port only, never secrets)."""
    major = _major(facts.version)
    if major is None:
        lines = [(OK, f"{host} answers (it does not tell its version)")]
    elif major < MIN_REDIS_MAJOR:
        lines = [
            (
                FAIL,
                f"{host} runs Redis {facts.version}; Home Movies needs Redis "
                f"{MIN_REDIS_MAJOR} or newer.",
            )
        ]
    else:
        lines = [(OK, f"{host} answers (Redis {facts.version})")]
    policy = facts.maxmemory_policy
    if policy is None:
        lines.append(
            (
                SKIP,
                "the eviction policy (maxmemory-policy) could not be read; it should be noeviction",
            )
        )
    elif policy.startswith(("allkeys-", "volatile-")):
        lines.append(
            (
                WARN,
                f"maxmemory-policy is {policy}: when memory runs short Redis may "
                "evict share links, login sessions and login locks; set it to "
                "noeviction",
            )
        )
    return lines


def _major(version: str | None) -> int | None:
    head = (version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None
