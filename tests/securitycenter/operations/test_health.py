"""Health: live and ready apart; ready waits for a worker on every queue and beat; details for operators only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from securitycenter.operations import health
from securitycenter.operations.heartbeats import BEAT, heartbeat_record, required_heartbeats

OPERATOR = "operator-token-for-the-health-tests-0123456789"


@pytest.fixture(autouse=True)
def _operator(settings):
    settings.OPERATOR_TOKENS = [OPERATOR]


def as_operator(client, path):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {OPERATOR}")


@pytest.fixture
def alive(db):
    heartbeat_record(*required_heartbeats())


def test_every_queue_and_beat_must_be_seen():
    assert set(required_heartbeats()) == {"worker:celery", "worker:holds", "worker:webhooks", "beat"}


@pytest.mark.django_db
def test_live_says_only_up(client):
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "up"}


@pytest.mark.django_db
def test_ready_public_answer_is_only_up(client, alive):
    for path in ("/healthz/ready", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "up"}
        assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_the_operator_gets_checks_latencies_heartbeats_and_versions(client, alive):
    body = as_operator(client, "/healthz/ready").json()
    assert body["status"] == "up"
    assert set(body["checks"]) == {"database", "redis", "broker"}
    assert all(check["ok"] and check["latency_ms"] >= 0 for check in body["checks"].values())
    assert set(body["heartbeats"]) == set(required_heartbeats())
    assert all(h["ok"] and h["age_seconds"] < 5 for h in body["heartbeats"].values())
    assert {"release", "python", "django", "celery"} <= set(body["versions"])
    assert set(as_operator(client, "/healthz/live").json()) == {"status", "versions"}


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer wrong-token-wrong-token-wrong-token", f"ApiKey {OPERATOR}", ""])
def test_a_wrong_credential_gets_the_public_answer(client, alive, header):
    response = client.get("/healthz/ready", HTTP_AUTHORIZATION=header)
    assert response.json() == {"status": "up"}


@pytest.mark.django_db
def test_ready_fails_when_beat_has_not_been_seen_lately(client, alive, settings):
    heartbeat_record(BEAT, at=timezone.now() - settings.HEALTH_STALE_AFTER - timedelta(seconds=1))
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}
    assert client.get("/healthz/live").status_code == 200
    heartbeats = as_operator(client, "/healthz/ready").json()["heartbeats"]
    assert heartbeats["beat"]["ok"] is False
    assert heartbeats["worker:holds"]["ok"] is True


@pytest.mark.django_db
def test_ready_fails_when_no_worker_was_ever_seen_on_the_holds_queue(client, settings):
    heartbeat_record("worker:celery", "worker:webhooks", BEAT)
    assert client.get("/healthz/ready").status_code == 503
    assert as_operator(client, "/healthz/ready").json()["heartbeats"]["worker:holds"] == {
        "ok": False,
        "age_seconds": None,
    }


@pytest.mark.django_db
def test_ready_fails_when_the_broker_is_unreachable_but_not_for_redis_alone(client, alive, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    # Redis lost: the hot path answers in degraded mode, so the instance stays in service.
    response = as_operator(client, "/healthz/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"]["ok"] is False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = as_operator(client, "/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_ready_fails_when_the_database_fails(client, alive, monkeypatch):
    def broken():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = as_operator(client, "/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OSError"}
