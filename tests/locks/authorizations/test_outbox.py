"""Nothing but the record on the hot path: no Celery message is published by an authorization or a batch,
and the outbox sweep logs and announces what the committed records left (holds, customer-lock declines) and
opens review cases."""

from unittest import mock

import orjson
import pytest
from celery.app.task import Task
from celery.canvas import Signature
from django.test import Client
from kombu import Producer

from locks.authorizations.outbox import KICK_KEY, outbox_kick
from locks.authorizations.tasks import authorization_outbox_sweep
from locks.holds.services import hold_place
from locks.models import Authorization, Case, Hold
from securitycenter.redis import redis_client
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import AuthorizationFactory, PayeeRiskEntryFactory
from tests.locks.authorizations.support import RAW_KEY, authorize, locks, payment

PAYEE = "6222020000007777"
MEDIUM_RISK_PAYEE = "6222029000000777"


def held(account, n=1):
    return payment(account, n, amount=6_000_000, channel="online_transfer", counterparty_account=PAYEE)


class Publishes:
    """Counts every way a Celery message could leave: a task's apply_async (delay, eager or not), a
    signature's (starmap, group, chain) and kombu's producer."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def _count(self, name, real):
        def counted(*args, **kwargs):
            self.calls.append(name)
            return real(*args, **kwargs)

        return counted

    def __enter__(self):
        self._patches = [
            mock.patch.object(Task, "apply_async", self._count("Task.apply_async", Task.apply_async)),
            mock.patch.object(Signature, "apply_async", self._count("Signature.apply_async", Signature.apply_async)),
            mock.patch.object(Producer, "publish", self._count("Producer.publish", Producer.publish)),
        ]
        for p in self._patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self._patches:
            p.stop()


@pytest.fixture
def publishes():
    with Publishes() as counted:
        yield counted


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the code defers to commit, as it would run outside the test's transaction: a delay sent
    on commit is counted too."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def reviewed(account, n=1):
    return payment(account, n, channel="pos", counterparty_account=MEDIUM_RISK_PAYEE)


@pytest.mark.parametrize("kind", ["approve", "decline", "hold", "review"])
def test_an_authorization_publishes_nothing(service, account, publishes, committed, kind):
    locks(account, channels_off=["atm"])
    PayeeRiskEntryFactory(account=MEDIUM_RISK_PAYEE, severity="medium")
    body = {
        "approve": payment(account),
        "decline": payment(account, channel="atm"),
        "hold": held(account),
        "review": reviewed(account),
    }[kind]
    with committed():
        answer = authorize(body, outbox=False).json()
    assert answer["decision"] == kind
    assert publishes.calls == []


def test_a_batch_publishes_nothing(service, account, publishes, committed):
    locks(account, channels_off=["atm"])
    PayeeRiskEntryFactory(account=MEDIUM_RISK_PAYEE, severity="medium")
    items = [payment(account, 1), payment(account, 2, channel="atm"), held(account, 3), reviewed(account, 4)]
    with committed():
        response = Client().post(
            "/api/v1/authorizations/batch",
            orjson.dumps({"transactions": items}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}",
        )
    assert [r["decision"] for r in response.json()["results"]] == ["approve", "decline", "hold", "review"]
    assert publishes.calls == []


def test_a_degraded_decision_publishes_nothing(service, account, publishes, committed, settings):
    locks(account, channels_off=["atm"])
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # Redis gone: decided from the database
    with committed():
        declined = authorize(payment(account, 1, channel="atm"), outbox=False).json()
        approved = authorize(payment(account, 2), outbox=False).json()
    assert (declined["decision"], approved["decision"]) == ("decline", "approve")
    assert declined["degraded"] and approved["degraded"]
    assert publishes.calls == []


def test_the_count_sees_a_publish(service, account, publishes, committed):
    """The counter is not blind: placing a hold the old way queues its notifications on commit."""
    row = AuthorizationFactory(account=account, client=service, outcome="hold")
    with committed():
        hold_place(authorization_id=row.pk)
    assert publishes.calls


def test_the_outbox_announces_holds_and_customer_lock_declines_once(service, account):
    locks(account, channels_off=["atm"])
    hold_answer = authorize(held(account, 1), outbox=False).json()
    decline_answer = authorize(payment(account, 2, channel="atm"), outbox=False).json()
    assert not SecurityEvent.objects.filter(event_type__in=[EventType.HOLD_PLACED, EventType.AUTHORIZATION_DECLINED])
    assert authorization_outbox_sweep() == 2
    assert authorization_outbox_sweep() == 0
    assert Hold.objects.get(pk=hold_answer["hold"]["id"]).announced_at is not None
    assert Authorization.objects.get(pk=decline_answer["decision_id"]).logged_at is not None
    assert SecurityEvent.objects.filter(event_type=EventType.HOLD_PLACED).count() == 1
    assert SecurityEvent.objects.filter(event_type=EventType.AUTHORIZATION_DECLINED).count() == 1
    assert {n.template for n in account.customer.notifications.all()} == {"hold_placed", "authorization_declined"}


def test_a_bank_rule_decline_is_not_announced_and_not_found_again(service, account):
    row = AuthorizationFactory(account=account, client=service, outcome="decline", reasons=["payee_high_risk"])
    assert authorization_outbox_sweep() == 0
    row.refresh_from_db()
    assert row.logged_at is not None
    assert not SecurityEvent.objects.filter(event_type=EventType.AUTHORIZATION_DECLINED).exists()
    assert not account.customer.notifications.exists()


def test_the_outbox_opens_a_review_case_once(service, account):
    PayeeRiskEntryFactory(account=MEDIUM_RISK_PAYEE, severity="medium")
    answer = authorize(reviewed(account), outbox=False).json()
    assert answer["decision"] == "review"
    assert not Case.objects.filter(kind=Case.Kind.REVIEW).exists()  # nothing but the record on the request
    assert authorization_outbox_sweep() == 1
    assert authorization_outbox_sweep() == 0
    case = Case.objects.get(kind=Case.Kind.REVIEW)
    assert case.authorization_id == answer["decision_id"]
    assert Authorization.objects.get(pk=answer["decision_id"]).logged_at is not None


def test_a_kick_publishes_one_message_until_the_outbox_runs(db, settings):
    """The committer kicks once per group; a kick while one is pending is dropped, and the run clears it."""
    redis_client().delete(KICK_KEY)
    with mock.patch("locks.authorizations.outbox.current_app.send_task") as send_task:
        outbox_kick()
        outbox_kick()
        assert send_task.call_count == 1
        authorization_outbox_sweep()
        outbox_kick()
        assert send_task.call_count == 2
    redis_client().delete(KICK_KEY)
