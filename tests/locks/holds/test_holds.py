from datetime import UTC, datetime, timedelta
from unittest import mock

import orjson
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, ServiceClient
from accounts.tokens import auth_token_issue
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.authorizations.tasks import authorization_outbox_sweep
from locks.holds.services import hold_place, hold_release, holds_release_due, holds_remind
from locks.holds.webhooks import webhook_send
from locks.models import Authorization, Hold, LockSettings, PayeeRiskEntry, WebhookDelivery
from locks.risklist.services import payee_hash
from securitycenter.crypto import token_hash
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import AuthorizationFactory, BankAccountFactory, CustomerFactory, DeviceFactory, StaffUserFactory
from tests.locks.holds.webhook_receiver import Receiver
from tests.support.race import errors_of, run_at_once

RAW_KEY = "sc_holdtest_payment-core-secret"
SECRET = "whsec-test-secret"
NOW = datetime.now(UTC).replace(microsecond=0)
PAYEE = "6222020000009999"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    authorizations.caches_clear()
    hotpath.key_cache_clear()


@pytest.fixture
def core(db):
    client = ServiceClient.objects.create(
        name="payment-core",
        scopes=["authorizations:write", "authorizations:read", "holds:read"],
        webhook_url="http://127.0.0.1:9/unused",
        webhook_secret=SECRET,
    )
    ApiKey.objects.create(client=client, prefix="holdtest", key_hash=token_hash(RAW_KEY))
    return client


@pytest.fixture
def account(db):
    return BankAccountFactory(customer=CustomerFactory())


def transfer(account, n=1, amount=6_000_000, payee=PAYEE, outbox=True, **extra):
    body = {
        "transaction_id": f"tr-{account.pk}-{n}",
        "account_id": account.pk,
        "amount": amount,
        "currency": "CNY",
        "channel": "online_transfer",
        "country": "CN",
        "counterparty_account": payee,
        "initiated_at": NOW.isoformat(),
        **extra,
    }
    response = Client().post(
        "/api/v1/authorizations",
        orjson.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}",
    )
    assert response.status_code == 200, response.content
    if outbox:  # as the beat sweep does within a second: the request itself only writes the hold row
        authorization_outbox_sweep()
    return response.json()


def customer_client(customer):
    device = DeviceFactory(customer=customer)
    client = APIClient()
    raw = auth_token_issue(customer=customer, device=device, ip_address=None).raw
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_DEVICE_ID=device.device_id)
    return client


def agent_client(*groups):
    user = StaffUserFactory(groups=list(groups))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {auth_token_issue(staff_user=user, ip_address=None).raw}")
    return client


def test_a_large_transfer_is_held_for_the_cooling_off_period(core, account, settings):
    answer = transfer(account, outbox=False)
    assert answer["decision"] == "hold"
    assert [r["code"] for r in answer["reasons"]] == ["cooling_off", "new_payee_cooling_off"]
    hold = Hold.objects.get(pk=answer["hold"]["id"])
    assert hold.status == "held"
    assert hold.amount == 6_000_000
    expected = timezone.now() + settings.COOLING_OFF_PERIOD
    assert abs((hold.release_at - expected).total_seconds()) < 60
    # The request wrote the hold with its record and nothing else: the outbox logs and announces it, once.
    assert hold.announced_at is None
    assert not SecurityEvent.objects.filter(event_type=EventType.HOLD_PLACED).exists()
    assert authorization_outbox_sweep() == 1
    assert authorization_outbox_sweep() == 0
    assert SecurityEvent.objects.filter(event_type=EventType.HOLD_PLACED, customer=account.customer).count() == 1
    placed = account.customer.notifications.filter(template="hold_placed")
    assert {n.channel for n in placed} == {"push", "sms"}
    # The payment core reads the same answer back.
    again = Client().get(f"/api/v1/authorizations/{answer['transaction_id']}", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}")
    assert again.json()["hold"]["id"] == hold.pk


def test_below_the_threshold_to_a_known_payee_is_approved(core, account):
    first = transfer(account, 1, amount=100_000)  # first payment to this payee: small, approved
    assert first["decision"] == "approve"
    assert transfer(account, 2, amount=2_000_000)["decision"] == "approve"


def test_first_transfer_to_a_new_payee_above_the_lower_threshold_is_held(core, account):
    answer = transfer(account, amount=2_000_000)
    assert answer["decision"] == "hold"
    assert "new_payee_cooling_off" in [r["code"] for r in answer["reasons"]]


def test_transfer_to_a_medium_risk_payee_is_held(core, account):
    PayeeRiskEntry.objects.create(counterparty=payee_hash(PAYEE), severity="medium", source="test")
    answer = transfer(account, amount=10_000)
    assert answer["decision"] == "hold"
    assert "payee_medium_risk" in [r["code"] for r in answer["reasons"]]


def test_customer_threshold_lowered_holds_smaller_transfers(core, account):
    LockSettings.objects.update_or_create(account=account, defaults={"cooling_off_threshold": 50_000, "version": 5})
    transfer(account, 1, amount=10_000)  # makes the payee known
    assert transfer(account, 2, amount=60_000)["decision"] == "hold"


def test_release_happens_once_and_never_early(core, account):
    hold = Hold.objects.get(pk=transfer(account)["hold"]["id"])
    assert hold_release(hold_id=hold.pk) is False  # not due
    Hold.objects.filter(pk=hold.pk).update(release_at=timezone.now() - timedelta(seconds=1))
    assert hold_release(hold_id=hold.pk) is True
    assert hold_release(hold_id=hold.pk) is False
    assert holds_release_due() == 0
    assert SecurityEvent.objects.filter(event_type=EventType.HOLD_RELEASED).count() == 1
    assert WebhookDelivery.objects.filter(hold=hold, event="hold.released").count() == 1


def test_cancel_gives_the_amount_back_and_prevents_release(core, account, django_capture_on_commit_callbacks):
    LockSettings.objects.update_or_create(account=account, defaults={"limits": {"daily": 7_000_000}, "version": 5})
    hold_id = transfer(account, 1)["hold"]["id"]
    assert transfer(account, 2, amount=2_000_000)["decision"] == "decline"  # the held 60k counts
    client = customer_client(account.customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/holds/{hold_id}/cancel")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    Hold.objects.filter(pk=hold_id).update(release_at=timezone.now() - timedelta(seconds=1))
    assert hold_release(hold_id=hold_id) is False
    assert Hold.objects.get(pk=hold_id).status == "cancelled"
    assert Authorization.objects.get(hold__pk=hold_id).reversed_at is not None
    assert transfer(account, 3, amount=2_000_000)["decision"] != "decline"


def test_cancelling_twice_is_a_409_whose_status_is_the_http_status(core, account):
    hold_id = transfer(account, 1)["hold"]["id"]
    client = customer_client(account.customer)
    assert client.post(f"/api/v1/holds/{hold_id}/cancel").status_code == 200
    again = client.post(f"/api/v1/holds/{hold_id}/cancel")
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    body = again.json()
    # The hold's own state goes in a member of its own: `status` is the problem document's.
    assert (body["status"], body["code"], body["hold_status"]) == (409, "hold_not_held", "cancelled")


def test_customers_see_only_their_own_holds(core, account):
    hold_id = transfer(account)["hold"]["id"]
    owner = customer_client(account.customer)
    assert [h["id"] for h in owner.get("/api/v1/holds").json()["results"]] == [hold_id]
    assert owner.get(f"/api/v1/holds/{hold_id}").json()["can_cancel"] is True
    stranger = customer_client(CustomerFactory())
    assert stranger.get("/api/v1/holds").json()["results"] == []
    assert stranger.get(f"/api/v1/holds/{hold_id}").status_code == 404
    assert stranger.post(f"/api/v1/holds/{hold_id}/cancel").status_code == 404
    assert APIClient().get("/api/v1/holds").status_code == 401
    assert Hold.objects.get(pk=hold_id).status == "held"


def test_agent_stops_a_hold_with_a_reason(core, account):
    hold_id = transfer(account)["hold"]["id"]
    agent = agent_client("agent")
    listed = agent.get(f"/api/v1/agent/customers/{account.customer.customer_number}/holds")
    assert [h["id"] for h in listed.json()] == [hold_id]
    assert agent.post(f"/api/v1/agent/holds/{hold_id}/stop", {"reason": ""}, format="json").status_code == 400
    response = agent.post(
        f"/api/v1/agent/holds/{hold_id}/stop", {"reason": "Customer confirmed a fraud call"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "stopped"
    event = SecurityEvent.objects.get(event_type=EventType.HOLD_STOPPED)
    assert event.actor_type == "agent"
    assert event.details["reason"] == "Customer confirmed a fraud call"


def test_hold_endpoints_refuse_the_wrong_callers(core, account):
    hold_id = transfer(account)["hold"]["id"]
    customer = customer_client(account.customer)
    assert customer.post(f"/api/v1/agent/holds/{hold_id}/stop", {"reason": "not me"}, format="json").status_code == 403
    assert customer.get(f"/api/v1/service/holds/{hold_id}").status_code == 403
    no_stop_right = StaffUserFactory(groups=[])
    from django.contrib.auth.models import Permission

    no_stop_right.user_permissions.add(Permission.objects.get(codename="agent_access"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {auth_token_issue(staff_user=no_stop_right, ip_address=None).raw}")
    assert client.post(f"/api/v1/agent/holds/{hold_id}/stop", {"reason": "a reason"}, format="json").status_code == 403
    agent = agent_client("agent")
    assert agent.get("/api/v1/holds").status_code == 403
    assert Hold.objects.get(pk=hold_id).status == "held"


def test_payment_core_reads_a_hold(core, account):
    hold_id = transfer(account)["hold"]["id"]
    response = Client().get(f"/api/v1/service/holds/{hold_id}", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}")
    assert response.status_code == 200
    assert response.json()["status"] == "held"
    other = ServiceClient.objects.create(name="other", scopes=["holds:read"])
    ApiKey.objects.create(client=other, prefix="other001", key_hash=token_hash("sc_other001_x"))
    assert (
        Client().get(f"/api/v1/service/holds/{hold_id}", HTTP_AUTHORIZATION="ApiKey sc_other001_x").status_code == 404
    )


def test_reminder_an_hour_before_release_is_sent_once(core, account):
    hold_id = transfer(account)["hold"]["id"]
    assert holds_remind() == 0
    Hold.objects.filter(pk=hold_id).update(release_at=timezone.now() + timedelta(minutes=30))
    assert holds_remind() == 1
    assert holds_remind() == 0
    assert account.customer.notifications.filter(template="hold_release_soon").count() == 2  # push + sms


def test_webhook_is_signed_retried_and_recorded_per_attempt(core, account):
    hold = Hold.objects.get(pk=transfer(account)["hold"]["id"])
    with Receiver(SECRET, fail_first=1) as receiver:
        ServiceClient.objects.filter(pk=core.pk).update(webhook_url=receiver.url)
        Hold.objects.filter(pk=hold.pk).update(release_at=timezone.now() - timedelta(seconds=1))
        with mock.patch("locks.holds.webhooks.webhook_deliver.delay"):  # deliver by hand below
            assert hold_release(hold_id=hold.pk)
        delivery = WebhookDelivery.objects.get(hold=hold)
        assert webhook_send(delivery_id=delivery.pk) is False  # 503 from the receiver
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at > timezone.now()
        assert webhook_send(delivery_id=delivery.pk) is True
        assert webhook_send(delivery_id=delivery.pk) is False  # already delivered: nothing sent
        assert receiver.bad_signatures == 0
        [received] = receiver.requests
    assert received["event"] == "hold.released"
    assert received["hold"]["transaction_id"] == hold.authorization.transaction_id
    assert [a.status_code for a in delivery.attempt_records.order_by("id")] == [503, 204]


def test_a_tampered_webhook_fails_verification():
    from locks.holds.webhooks import webhook_signature

    good = webhook_signature(secret=SECRET, timestamp="1700000000", body=b'{"a":1}')
    assert good != webhook_signature(secret=SECRET, timestamp="1700000000", body=b'{"a":2}')
    assert good != webhook_signature(secret=SECRET, timestamp="1700000001", body=b'{"a":1}')
    assert good != webhook_signature(secret="other", timestamp="1700000000", body=b'{"a":1}')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_release_each_due_hold_exactly_once():
    core = ServiceClient.objects.create(name="core", scopes=["authorizations:write"])
    account = BankAccountFactory()
    holds = []
    for n in range(120):
        auth = AuthorizationFactory(
            transaction_id=f"race-{n}",
            client=core,
            account=account,
            outcome="hold",
            reasons=["cooling_off"],
            amount=6_000_000,
            channel="online_transfer",
        )
        holds.append(hold_place(authorization_id=auth.pk, release_at=timezone.now() - timedelta(seconds=1)))
    counts = run_at_once(6, lambda _: sum(holds_release_due(limit=10) for _ in range(5)))
    assert errors_of(counts) == []
    assert sum(counts) == 120
    assert Hold.objects.filter(status="released").count() == 120
    assert SecurityEvent.objects.filter(event_type=EventType.HOLD_RELEASED).count() == 120


def test_reversing_a_held_transfer_withdraws_the_hold_once(core, account, django_capture_on_commit_callbacks):
    answer = transfer(account)
    hold_id = answer["hold"]["id"]
    path = f"/api/v1/authorizations/{answer['transaction_id']}/reversal"
    with django_capture_on_commit_callbacks(execute=True):
        first = Client().post(path, HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}")
    assert first.json()["amount_returned"] == 6_000_000
    hold = Hold.objects.get(pk=hold_id)
    assert hold.status == "cancelled"
    assert hold.resolved_by == f"service:{core.pk}"
    assert Authorization.objects.get(pk=answer["decision_id"]).reversed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        again = Client().post(path, HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}")
    assert again.json() == {**first.json(), "amount_returned": 0, "already_reversed": True}
    Hold.objects.filter(pk=hold_id).update(release_at=timezone.now() - timedelta(seconds=1))
    assert hold_release(hold_id=hold_id) is False
    assert WebhookDelivery.objects.filter(hold_id=hold_id).values_list("event", flat=True).get() == "hold.cancelled"
