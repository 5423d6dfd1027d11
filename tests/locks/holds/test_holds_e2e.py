"""Cooling-off holds end to end: a real Celery worker and beat, PostgreSQL, Redis, a short period.

The worker and beat are separate processes on the test database (rows are committed: transaction=True),
with the broker on Redis (TEST_BROKER_REDIS_URL) or on RabbitMQ (a vhost of the run's own: the production broker
option), and the cache on the tests' Redis database. This process places, cancels and stops holds
through the API with eager Celery off, so every task (notification, release, webhook) runs in the worker.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, Notification, SentMessage, ServiceClient
from accounts.tokens import auth_token_issue
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.models import Hold, WebhookAttempt, WebhookDelivery
from securitycenter.celery import app as celery_app
from securitycenter.crypto import token_hash
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import chain_name
from securitycenter.securitylog.verify import security_log_verify
from tests.factories import BankAccountFactory, CustomerFactory, DeviceFactory, StaffUserFactory
from tests.locks.holds.webhook_receiver import Receiver
from tests.support.services import broker_redis_url, broker_url, cache_redis_url

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[3]
CELERY = str(REPO / ".venv" / "bin" / "celery")
PERIOD_SECONDS = 10
RAW_KEY = "sc_e2ehold_payment-core-secret"
SECRET = "whsec-e2e-secret"
PAYEE = "6222020000007777"


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """Worker and beat, each in its own process group so a kill takes the prefork children too."""

    def __init__(self, tmp_path: Path, broker: str | None = None) -> None:
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "securitycenter.settings",
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "REDIS_URL": cache_redis_url(),
            "CELERY_BROKER_URL": broker or broker_redis_url(),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            # What the worker sends is read back from SentMessage (development would print SMS instead).
            "NOTIFICATION_SMS_BACKEND": "accounts.notifications.backends.RecordingBackend",
            "HOLD_SWEEP_SECONDS": "1",
            "COOLING_OFF_PERIOD_SECONDS": str(PERIOD_SECONDS),
            "WEBHOOK_REQUEUE_SECONDS": "5",
        }
        self.procs: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def start(self, name: str, *args: str) -> None:
        with self.log(name).open("wb") as out:
            self.procs[name] = subprocess.Popen(
                [CELERY, "-A", "securitycenter", *args],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in self.log("worker").read_text(errors="replace"):
            assert self.procs["worker"].poll() is None, self.tails()
            assert time.monotonic() < deadline, "worker did not start\n" + self.tails()
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs.values():
            # A warm shutdown: the main process lets running tasks finish, then stops its children.
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            # Whatever is left of the group goes too, whether the main process stopped or not.
            self._signal(proc, signal.SIGKILL)
            proc.wait(timeout=10)

    @staticmethod
    def _signal(proc: subprocess.Popen, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)

    def tails(self) -> str:
        return "\n".join(
            f"--- {name} log (last lines) ---\n"
            + "\n".join(self.log(name).read_text(errors="replace").splitlines()[-30:])
            for name in self.procs
        )


def broker_pools_forget() -> None:
    """Celery pools its broker connections on first use; forget them so sends follow the broker setting."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(params=["redis", "rabbitmq"])
def celery_processes(request, transactional_db, tmp_path, settings):
    with broker_url(request.param) as url:
        yield from _celery_processes(url, tmp_path, settings)


def _celery_processes(url, tmp_path, settings):
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.COOLING_OFF_PERIOD = timedelta(seconds=PERIOD_SECONDS)
    broker_pools_forget()
    processes = Processes(tmp_path, url)
    try:
        processes.start("worker", "worker", "--concurrency", "2", "-l", "INFO", "-n", f"e2e-{os.getpid()}@%h")
        processes.start("beat", "beat", "-s", str(tmp_path / "celerybeat-schedule"), "-l", "INFO")
        processes.wait_ready()
        yield processes
    finally:
        processes.stop()
        broker_pools_forget()


def wait_for(predicate, *, timeout: float, what: str, processes: Processes):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{processes.tails()}")
        time.sleep(0.2)


def place_hold(account, n: int) -> Hold:
    body = {
        "transaction_id": f"e2e-{account.pk}-{n}",
        "account_id": account.pk,
        "amount": 6_000_000,  # ¥60,000: above the ¥50,000 cooling-off threshold
        "currency": "CNY",
        "channel": "online_transfer",
        "country": "CN",
        "counterparty_account": PAYEE,
        "initiated_at": timezone.now().isoformat(),
    }
    response = Client().post(
        "/api/v1/authorizations",
        orjson.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}",
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["decision"] == "hold", answer
    return Hold.objects.get(pk=answer["hold"]["id"])


def sent_templates(customer) -> Counter:
    """(template, channel) of what the worker's recording backend actually sent to this customer."""
    return Counter(
        SentMessage.objects.filter(notification__customer=customer).values_list("notification__template", "channel")
    )


def test_holds_released_cancelled_and_stopped_by_real_worker_and_beat(celery_processes):
    processes = celery_processes
    authorizations.caches_clear()
    hotpath.key_cache_clear()
    assert celery_app.conf.task_always_eager is False  # nothing below runs in this process
    with Receiver(SECRET, fail_first=1) as receiver:
        core = ServiceClient.objects.create(
            name="payment-core-e2e",
            scopes=["authorizations:write", "holds:read"],
            webhook_url=receiver.url,
            webhook_secret=SECRET,
        )
        ApiKey.objects.create(client=core, prefix="e2ehold", key_hash=token_hash(RAW_KEY))
        released_account, cancelled_account, stopped_account = (
            BankAccountFactory(customer=CustomerFactory()) for _ in range(3)
        )

        to_release = place_hold(released_account, 1)
        to_cancel = place_hold(cancelled_account, 1)
        to_stop = place_hold(stopped_account, 1)
        period = (to_release.release_at - to_release.created_at).total_seconds()
        assert abs(period - PERIOD_SECONDS) < 1

        customer = APIClient()
        device = DeviceFactory(customer=cancelled_account.customer)
        token = auth_token_issue(customer=cancelled_account.customer, device=device, ip_address=None).raw
        customer.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_DEVICE_ID=device.device_id)
        assert customer.post(f"/api/v1/holds/{to_cancel.pk}/cancel").json()["status"] == "cancelled"
        agent = APIClient()
        agent_token = auth_token_issue(staff_user=StaffUserFactory(groups=["agent"]), ip_address=None).raw
        agent.credentials(HTTP_AUTHORIZATION=f"Bearer {agent_token}")
        stop = agent.post(
            f"/api/v1/agent/holds/{to_stop.pk}/stop", {"reason": "Customer confirmed a fraud call"}, format="json"
        )
        assert stop.json()["status"] == "stopped"

        # The reminder comes from a sweep while the hold is held and not yet due: never released early.
        reminded = wait_for(
            lambda: Hold.objects.filter(pk=to_release.pk).exclude(reminder_sent_at=None, status="held").first(),
            timeout=PERIOD_SECONDS,
            what="the release-soon reminder",
            processes=processes,
        )
        assert reminded.status == "held", f"released before its time: {reminded.resolved_at} < {reminded.release_at}"
        assert reminded.reminder_sent_at < reminded.release_at

        released = wait_for(
            lambda: Hold.objects.filter(pk=to_release.pk, status="released").first(),
            timeout=PERIOD_SECONDS + 30,
            what="the beat sweep to release the hold",
            processes=processes,
        )
        assert released.resolved_at >= released.release_at
        assert released.resolved_by == "system:cooling_off"

        # Past every hold's release time plus a few sweeps: the cancelled and stopped holds stay put.
        wait_for(
            lambda: timezone.now() > max(to_cancel.release_at, to_stop.release_at) + timedelta(seconds=3),
            timeout=PERIOD_SECONDS + 10,
            what="the other holds' release time",
            processes=processes,
        )
        wait_for(
            lambda: not WebhookDelivery.objects.exclude(status="delivered").exists()
            and WebhookDelivery.objects.count() == 3
            and len(receiver.unique_deliveries()) == 3,
            timeout=30,
            what="every webhook to be acknowledged",
            processes=processes,
        )
        expected = {
            released_account.customer: {"hold_placed", "hold_release_soon", "hold_released"},
            cancelled_account.customer: {"hold_placed", "hold_cancelled"},
            stopped_account.customer: {"hold_placed", "hold_stopped"},
        }
        wait_for(
            lambda: all(
                {(t, c) for t in templates for c in ("push", "sms")} <= set(sent_templates(customer))
                for customer, templates in expected.items()
            )
            and not Notification.objects.filter(status="queued").exists(),
            timeout=30,
            what="the notifications to be sent by the worker",
            processes=processes,
        )
        payment_core_view = Client().get(
            f"/api/v1/service/holds/{to_release.pk}", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}"
        )
        with receiver.lock:
            received = list(receiver.requests)
            bad_signatures = receiver.bad_signatures

    assert Hold.objects.get(pk=to_cancel.pk).status == "cancelled"
    assert Hold.objects.get(pk=to_stop.pk).status == "stopped"
    assert payment_core_view.json()["status"] == "released"

    # Exactly one signed hold.released, for the right hold; one hold.cancelled, one hold.stopped.
    assert bad_signatures == 0
    assert sorted((r["event"], r["hold"]["hold_id"]) for r in received) == sorted(
        [("hold.released", to_release.pk), ("hold.cancelled", to_cancel.pk), ("hold.stopped", to_stop.pk)]
    )
    for body in received:
        assert body["hold"]["status"] == body["event"].removeprefix("hold.")
        assert body["delivery_id"] == int(body["delivery"])
    deliveries = {(d.hold_id, d.event): d for d in WebhookDelivery.objects.all()}
    assert set(deliveries) == {
        (to_release.pk, "hold.released"),
        (to_cancel.pk, "hold.cancelled"),
        (to_stop.pk, "hold.stopped"),
    }
    # The receiver refused the very first attempt: that delivery was retried by the sweep, and each
    # attempt left its own record.
    codes = {}
    for delivery in deliveries.values():
        codes[delivery.pk] = list(
            WebhookAttempt.objects.filter(delivery=delivery).order_by("id").values_list("status_code", flat=True)
        )
        assert delivery.attempts == len(codes[delivery.pk])
    assert sorted(codes.values()) == [[204], [204], [503, 204]]

    # Each transition logged once, none after another; the chains are intact.
    logged = Counter(
        (e.details["hold_id"], e.event_type)
        for e in SecurityEvent.objects.filter(
            event_type__in=[EventType.HOLD_RELEASED, EventType.HOLD_CANCELLED, EventType.HOLD_STOPPED]
        )
    )
    assert logged == Counter(
        {
            (to_release.pk, EventType.HOLD_RELEASED): 1,
            (to_cancel.pk, EventType.HOLD_CANCELLED): 1,
            (to_stop.pk, EventType.HOLD_STOPPED): 1,
        }
    )
    for account in (released_account, cancelled_account, stopped_account):
        assert security_log_verify(chain=chain_name(account.customer.pk)) == []

    # Every notification went out once per channel, from the worker; none is left queued.
    for customer, templates in expected.items():
        sent = sent_templates(customer)
        assert all(sent[(t, c)] == 1 for t in templates for c in ("push", "sms")), sent
        assert not set(sent) - {(t, c) for t in templates | {"hold_release_soon"} for c in ("push", "sms")}
