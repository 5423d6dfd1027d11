"""With a real worker and beat (started by scripts/worker.sh and scripts/beat.sh), on Redis and on RabbitMQ as
the broker: a request id is followed from the API into the task it enqueued and that task's notification is
sent by the worker; readiness fails once beat is stopped."""

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from django.test import Client

from accounts.models import SentMessage
from locks.authorizations.outbox import KICK_KEY, outbox_kick
from locks.models import Authorization
from securitycenter.redis import redis_client
from tests.locks.authorizations.support import RAW_KEY, locks, payment
from tests.locks.holds.test_holds_e2e import broker_pools_forget, database_url
from tests.support.services import broker_url, cache_redis_url

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[3]
OPERATOR = "operator-token-for-the-background-tests-0123456789"


class Background:
    def __init__(self, tmp_path: Path, broker: str) -> None:
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "securitycenter.settings",
            "DEBUG": "1",
            "LOG_FORMAT": "json",
            "DATABASE_URL": database_url(),
            "REDIS_URL": cache_redis_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "HEALTH_HEARTBEAT_SECONDS": "1",
            "METRICS_DIR": str(tmp_path / "metrics"),
            "BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule"),
            "WORKER_CONCURRENCY": "1",
            "WORKER_NAME": f"background-{os.getpid()}@%h",
            "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
        }
        self.procs: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def start(self, name: str) -> None:
        with self.log(name).open("wb") as out:
            self.procs[name] = subprocess.Popen(
                [str(REPO / "scripts" / f"{name}.sh")],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def json_lines(self, name: str) -> list[dict]:
        out = []
        for line in self.log(name).read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    out.append(record)
        return out

    def tails(self) -> str:
        return "\n".join(
            f"--- {name} ---\n" + "\n".join(self.log(name).read_text(errors="replace").splitlines()[-30:])
            for name in ("worker", "beat")
            if self.log(name).exists()
        )


def wait_for(predicate, *, timeout: float, what: str, background: Background):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{background.tails()}")
        time.sleep(0.2)


@pytest.fixture(params=["redis", "rabbitmq"])
def background(request, transactional_db, tmp_path, settings):
    with broker_url(request.param) as url:
        yield from _background(url, tmp_path, settings)


def _background(url, tmp_path, settings):
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OPERATOR_TOKENS = [OPERATOR]
    broker_pools_forget()
    processes = Background(tmp_path, url)
    try:
        yield processes
    finally:
        for name in list(processes.procs):
            processes.stop(name)
        broker_pools_forget()


def test_a_decline_answered_with_its_request_id_is_announced_by_the_worker_from_the_outbox(
    background, service, account
):
    """The hot path enqueues nothing (issue 14): the request id comes back on the answer, and the worker,
    kicked as the group committer does, logs and announces the decline from the committed record."""
    background.start("worker")
    wait_for(
        lambda: " ready." in background.log("worker").read_text(errors="replace"),
        timeout=60,
        what="the worker",
        background=background,
    )
    locks(account, channels_off=["pos"])
    request_id = uuid.uuid4().hex
    response = Client().post(
        "/api/v1/authorizations",
        orjson.dumps(payment(account, 1)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}",
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.json()["decision"] == "decline"
    assert response["X-Request-ID"] == request_id
    decline = Authorization.objects.get(transaction_id=f"txn-{account.pk}-1")
    assert decline.logged_at is None  # nothing but the record on the request

    redis_client().delete(KICK_KEY)
    outbox_kick()
    wait_for(
        lambda: Authorization.objects.filter(pk=decline.pk, logged_at__isnull=False).exists(),
        timeout=30,
        what="the outbox run",
        background=background,
    )
    # The decline's notification went through the broker again and was sent by the worker.
    sent = wait_for(
        lambda: list(
            SentMessage.objects.filter(
                notification__customer=account.customer, notification__template="authorization_declined"
            )
        ),
        timeout=30,
        what="the decline's notification",
        background=background,
    )
    assert len(sent) == len({s.notification_id for s in sent}) >= 1


def operator_ready(client) -> dict:
    return client.get("/healthz/ready", HTTP_AUTHORIZATION=f"Bearer {OPERATOR}").json()


def test_readiness_follows_the_worker_and_beat_and_fails_with_beat_stopped(background, client, settings):
    settings.HEALTH_STALE_AFTER = timedelta(seconds=8)
    assert client.get("/healthz/ready").status_code == 503  # nothing seen yet
    background.start("worker")
    background.start("beat")
    wait_for(lambda: client.get("/healthz/ready").status_code == 200, timeout=60, what="ready", background=background)
    detailed = operator_ready(client)
    assert detailed["status"] == "up"
    assert all(h["ok"] for h in detailed["heartbeats"].values()), detailed

    background.stop("beat")
    # Beat is gone: once its heartbeat is older than the limit, readiness says down (on a loaded machine a
    # worker's heartbeat may be late too; what matters is that beat's staleness is seen and fails it).
    heartbeats = wait_for(
        lambda: not (h := operator_ready(client)["heartbeats"])["beat"]["ok"] and h,
        timeout=30,
        what="beat's heartbeat to go stale",
        background=background,
    )
    assert heartbeats["beat"]["age_seconds"] > settings.HEALTH_STALE_AFTER.total_seconds()
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}
    assert client.get("/healthz/live").status_code == 200
