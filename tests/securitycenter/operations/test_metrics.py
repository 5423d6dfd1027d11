"""`/metrics`: refused without the operator token; the names and labels a platform team alerts on."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from locks.models import Case, Hold
from securitycenter.operations.heartbeats import heartbeat_record
from tests.factories import AuthorizationFactory, BankAccountFactory, CustomerFactory, ServiceClientFactory
from tests.locks.authorizations.support import authorize, locks, payment

REPO = Path(__file__).resolve().parents[3]
OPERATOR = "operator-token-for-the-metrics-tests-0123456789"


@pytest.fixture(autouse=True)
def _operator(settings):
    settings.OPERATOR_TOKENS = ["an-older-token-still-accepted-0123456789", OPERATOR]
    settings.METRICS_DIR = ""


def scrape(client) -> dict[str, list]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {OPERATOR}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(response.content.decode())}


def value(samples, name, **labels) -> float:
    matching = [s.value for s in samples if s.name == name and s.labels == labels]
    return matching[0] if matching else 0.0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [None, "Bearer not-the-operator-token-0123456789", f"ApiKey {OPERATOR}", f"Basic {OPERATOR}", "Bearer "],
)
def test_metrics_are_refused_without_the_operator_token(client, header):
    response = client.get("/metrics", **({"HTTP_AUTHORIZATION": header} if header else {}))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="operations"'
    assert b"securitycenter_" not in response.content


@pytest.mark.django_db
def test_no_configured_token_means_nobody_is_an_operator(client, settings):
    settings.OPERATOR_TOKENS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.django_db
def test_the_older_token_of_a_rotation_is_accepted(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer an-older-token-still-accepted-0123456789")
    assert response.status_code == 200


@pytest.mark.django_db
def test_decisions_are_counted_by_outcome_and_reason_with_the_latency(client, service, account):
    before = scrape(client)
    locks(account, channels_off=["pos"])
    assert authorize(payment(account, 1)).json()["decision"] == "decline"
    assert authorize(payment(account, 2, channel="atm")).json()["decision"] == "approve"
    assert authorize(payment(account, 2, channel="atm")).status_code == 200  # a replay is not a new decision
    after = scrape(client)

    def delta(family, name, **labels):
        return value(after[family], name, **labels) - value(before.get(family, []), name, **labels)

    decisions = "securitycenter_decisions"
    assert delta(decisions, "securitycenter_decisions_total", outcome="decline", reason="channel_off") == 1
    assert delta(decisions, "securitycenter_decisions_total", outcome="approve", reason="") == 1
    assert {tuple(sorted(s.labels)) for s in after[decisions] if s.name.endswith("_total")} == {("outcome", "reason")}
    latency = "securitycenter_authorization_seconds"
    assert delta(latency, "securitycenter_authorization_seconds_count", endpoint="single") == 3
    assert {s.labels["le"] for s in after[latency] if s.name.endswith("_bucket")} >= {"0.005", "0.05", "+Inf"}


@pytest.mark.django_db
def test_degraded_decisions_are_counted(client, service, account, settings):
    before = value(
        scrape(client).get("securitycenter_degraded_decisions", []),
        "securitycenter_degraded_decisions_total",
        outcome="approve",
    )
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert authorize(payment(account, 1)).json()["degraded"] is True
    after = scrape(client)["securitycenter_degraded_decisions"]
    assert value(after, "securitycenter_degraded_decisions_total", outcome="approve") == before + 1


@pytest.mark.django_db(transaction=True)
def test_holds_placed_due_overdue_released_and_the_oldest_callback_case(client, settings):
    from locks.holds.services import hold_place, hold_release

    before = scrape(client)
    now = timezone.now()
    account = BankAccountFactory(customer=CustomerFactory())
    client_row = ServiceClientFactory()

    def hold(n, release_at):
        auth = AuthorizationFactory(account=account, client=client_row, outcome="hold", transaction_id=f"h-{n}")
        return hold_place(authorization_id=auth.pk, release_at=release_at)

    hold(1, now + timedelta(hours=1))  # held, not due
    due = hold(2, now - timedelta(seconds=5))
    hold(3, now - settings.HOLD_OVERDUE_AFTER - timedelta(seconds=5))  # due and overdue
    Case.objects.create(
        kind=Case.Kind.HOLD_CALLBACK,
        customer=account.customer,
        source="hold",
        opened_at=now - timedelta(minutes=7),
        opened_by="system:test",
    )
    Case.objects.create(
        kind=Case.Kind.INCIDENT,
        customer=account.customer,
        source="not_me",
        opened_at=now - timedelta(hours=5),
        opened_by="system:test",
    )
    metrics = scrape(client)
    assert value(metrics["securitycenter_holds_due"], "securitycenter_holds_due") == 2
    assert value(metrics["securitycenter_holds_overdue"], "securitycenter_holds_overdue") == 1
    assert value(metrics["securitycenter_holds_held"], "securitycenter_holds_held") == 3
    placed = value(metrics["securitycenter_holds_placed"], "securitycenter_holds_placed_total") - value(
        before.get("securitycenter_holds_placed", []), "securitycenter_holds_placed_total"
    )
    assert placed == 3
    age = value(
        metrics["securitycenter_callback_case_oldest_age_seconds"], "securitycenter_callback_case_oldest_age_seconds"
    )
    assert 7 * 60 <= age < 8 * 60  # the call-back case, not the older incident

    assert hold_release(hold_id=due.pk)
    metrics = scrape(client)
    assert value(metrics["securitycenter_holds_due"], "securitycenter_holds_due") == 1
    released = "securitycenter_holds_resolved_total"
    assert (
        value(metrics["securitycenter_holds_resolved"], released, status="released")
        - value(before.get("securitycenter_holds_resolved", []), released, status="released")
        == 1
    )
    assert Hold.objects.filter(status="released").count() == 1


@pytest.mark.django_db
def test_queue_depths_and_beats_last_run_per_task(client, settings, redis_client):
    # The tests' broker is their Redis database: a message waiting on the holds queue is a list entry.
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    redis_client.lpush("holds", b"{}", b"{}")
    ran = timezone.now() - timedelta(seconds=30)
    heartbeat_record("beat", "beat:holds-release-due", "worker:holds", at=ran)
    metrics = scrape(client)
    depths = {s.labels["queue"]: s.value for s in metrics["securitycenter_queue_depth"]}
    assert depths == {"celery": 0, "holds": 2, "webhooks": 0}
    assert value(metrics["securitycenter_broker_up"], "securitycenter_broker_up") == 1
    beat = {s.labels["task"]: s.value for s in metrics["securitycenter_beat_last_run_timestamp_seconds"]}
    assert beat == {"holds-release-due": pytest.approx(ran.timestamp())}
    worker = {s.labels["queue"]: s.value for s in metrics["securitycenter_worker_last_seen_timestamp_seconds"]}
    assert worker == {"holds": pytest.approx(ran.timestamp())}

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    metrics = scrape(client)
    assert value(metrics["securitycenter_broker_up"], "securitycenter_broker_up") == 0


WRITER = """
import sys
from securitycenter.metrics import NOTIFICATION_FAILURES, decision_count, webhook_attempt_count
for _ in range(int(sys.argv[1])):
    decision_count("decline", ["channel_off"], degraded=False)
webhook_attempt_count(503)
NOTIFICATION_FAILURES.labels("sms").inc()
"""


@pytest.mark.django_db
def test_the_counters_of_every_web_and_worker_process_are_added_up(client, settings, tmp_path):
    # What gunicorn's and Celery's processes do: each writes its own files in its kind's folder.
    for kind, count in (("web", 2), ("web", 3), ("worker", 4)):
        (tmp_path / kind).mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-c", WRITER, str(count)],
            cwd=REPO,
            env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / kind), "PATH": "/usr/bin:/bin"},
            check=True,
            timeout=60,
        )
    settings.METRICS_DIR = str(tmp_path)
    metrics = scrape(client)
    assert (
        value(
            metrics["securitycenter_decisions"],
            "securitycenter_decisions_total",
            outcome="decline",
            reason="channel_off",
        )
        == 9
    )
    assert (
        value(metrics["securitycenter_webhook_attempts"], "securitycenter_webhook_attempts_total", result="refused")
        == 3
    )
    assert (
        value(
            metrics["securitycenter_notification_failures"], "securitycenter_notification_failures_total", channel="sms"
        )
        == 3
    )
    assert "securitycenter_holds_due" in metrics  # the database's figures are there too
