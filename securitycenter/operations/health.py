"""Health: `/healthz/live` (the process answers) and `/healthz/ready` (it can do its work, and the background
work it depends on is being done). `/healthz` is readiness, as before.

Readiness fails when the database or the broker is unreachable, or when a worker on some queue or beat has not
been seen within `HEALTH_STALE_SECONDS`: a held transfer's 12-hour release is a beat sweep run by a worker,
so a service whose beat is dead must not report itself fine. Redis is reported but does not fail readiness:
while it is lost the hot path answers in its degraded mode, which is better than no instance at all.

The public answer is only `{"status": "up"}` or `"down"`; the operator token (`securitycenter.operations
.access`) gets the checks, their latencies, the heartbeats' ages and the versions.
"""

import platform
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from kombu import Connection

from securitycenter.operations.access import operator_request
from securitycenter.operations.heartbeats import heartbeats_seen, required_heartbeats


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _check_broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=0, timeout=1)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "redis": _check_redis,
    "broker": _check_broker,
}
# Reported, but an instance without it still answers (degraded mode): see the module docstring.
NOT_REQUIRED = {"redis"}


def _versions() -> dict[str, str]:
    return {
        "release": settings.RELEASE,
        "python": platform.python_version(),
        **{name: metadata.version(name) for name in ("django", "celery", "redis", "psycopg")},
    }


def _run_checks() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; the type is reported
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    return results


def _heartbeats() -> dict[str, dict[str, Any]]:
    try:
        seen = heartbeats_seen()
    except Exception:  # noqa: BLE001 - the database check reports why
        seen = {}
    now = timezone.now()
    stale_after = settings.HEALTH_STALE_AFTER.total_seconds()
    out: dict[str, dict[str, Any]] = {}
    for name in required_heartbeats():
        at = seen.get(name)
        age = None if at is None else round((now - at).total_seconds(), 1)
        out[name] = {"ok": age is not None and age <= stale_after, "age_seconds": age}
    return out


def _answer(request: HttpRequest, up: bool, details: dict[str, Any]) -> JsonResponse:
    body: dict[str, Any] = {"status": "up" if up else "down"}
    if operator_request(request):
        body |= details | {"versions": _versions()}
    response = JsonResponse(body, status=200 if up else 503, headers={"Cache-Control": "no-store"})
    # A probe's "down" is its answer (and a metric), not a server error: Django's ERROR line for every 503
    # would repeat it every few seconds for as long as a dependency is down.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@require_GET
def health_live(request: HttpRequest) -> JsonResponse:
    return _answer(request, True, {})


@require_GET
def health_ready(request: HttpRequest) -> JsonResponse:
    checks = _run_checks()
    heartbeats = _heartbeats()
    up = all(r["ok"] for name, r in checks.items() if name not in NOT_REQUIRED) and all(
        h["ok"] for h in heartbeats.values()
    )
    return _answer(request, up, {"checks": checks, "heartbeats": heartbeats})
