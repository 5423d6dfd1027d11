"""Device signals on an authorization, from the request to the reason, the customer's message, the lesson,
the durable record and (for an unknown caller) the call-back case."""

import orjson
import pytest
from django.test import Client

from accounts.models import Notification
from locks.models import Authorization, Case, Hold
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.locks.authorizations.support import RAW_KEY, authorize, codes, english, payment

pytestmark = pytest.mark.django_db

PAYEE = "6222021234567890"
SMALL = 500_00  # 500 yuan: under every cooling-off threshold


def transfer(account, n=1, amount=SMALL, **signals):
    return payment(
        account, n, channel="online_transfer", amount=amount, counterparty_account=PAYEE, device_signals=signals
    )


@pytest.mark.parametrize(
    ("signal", "reason", "lesson", "channel"),
    [
        ("screen_sharing", "screen_sharing", "screen_sharing", "online_transfer"),
        ("screen_sharing", "screen_sharing", "screen_sharing", "card_not_present"),
        ("remote_control", "remote_control", "remote_control_apps", "online_transfer"),
        ("remote_control", "remote_control", "remote_control_apps", "quick_pay"),
    ],
)
def test_screen_sharing_or_remote_control_declines_and_says_hang_up(service, account, signal, reason, lesson, channel):
    body = payment(account, channel=channel, amount=SMALL, device_signals={signal: True, "on_call": True})

    answer = authorize(body).json()

    assert (answer["decision"], codes(answer)) == ("decline", [reason])
    assert "hang up" in english(answer)[0]
    assert "挂断" in answer["reasons"][0]["message"]["zh-Hans"]
    assert answer["reasons"][0]["lesson"] == lesson
    row = Authorization.objects.get(transaction_id=answer["transaction_id"])
    assert row.device_signals == {signal: True, "on_call": True}
    assert not row.counted
    # Logged and announced, without the "change your locks" advice that fits a lock of the customer's own.
    event = SecurityEvent.objects.get(event_type=EventType.AUTHORIZATION_DECLINED)
    assert event.details["device_signals"] == {signal: True, "on_call": True}
    notice = Notification.objects.get(customer=account.customer, template="authorization_declined")
    assert notice.params["how_to_change"] == ""


def test_screen_sharing_at_a_shop_counter_is_recorded_but_not_refused(service, account):
    answer = authorize(payment(account, channel="pos", device_signals={"screen_sharing": True})).json()

    assert answer["decision"] == "approve"
    assert Authorization.objects.get().device_signals == {"screen_sharing": True}


def test_a_call_from_an_unknown_number_holds_a_new_payee_transfer_and_opens_a_call_back_case(service, account):
    answer = authorize(transfer(account, on_call=True, caller_in_contacts=False)).json()

    assert (answer["decision"], codes(answer)) == ("hold", ["unknown_caller_new_payee"])
    assert answer["reasons"][0]["lesson"] == "fake_bank_call"
    assert "bank will call you" in english(answer)[0]
    hold = Hold.objects.get(pk=answer["hold"]["id"])
    case = Case.objects.get(hold=hold)
    assert (case.kind, case.status, case.priority) == ("hold_callback", "open", Case.Priority.HIGH)
    assert case.customer_id == account.customer_id and case.authorization_id == answer["decision_id"]
    assert case.details["device_signals"] == {"on_call": True, "caller_in_contacts": False}
    assert SecurityEvent.objects.filter(event_type=EventType.CASE_OPENED, customer=account.customer).exists()
    placed = SecurityEvent.objects.get(event_type=EventType.HOLD_PLACED)
    assert placed.details["device_signals"] == {"on_call": True, "caller_in_contacts": False}


def test_a_call_from_a_contact_or_a_known_payee_goes_through(service, account):
    assert authorize(transfer(account, 1, on_call=True, caller_in_contacts=True)).json()["decision"] == "approve"
    # Paid once (approved above), the payee is known: a call from anyone no longer holds it.
    assert authorize(transfer(account, 2, on_call=True, caller_in_contacts=False)).json()["decision"] == "approve"
    assert not Case.objects.exists()


@pytest.mark.parametrize(("hours", "amount", "held"), [(2, 100_000, True), (2, 99_999, False), (24, 100_000, False)])
def test_a_new_device_holds_a_new_payee_transfer_above_the_floor(service, account, hours, amount, held):
    answer = authorize(transfer(account, amount=amount, device_first_seen_hours=hours)).json()

    if held:
        assert (answer["decision"], codes(answer)) == ("hold", ["new_device_new_payee"])
        assert answer["reasons"][0]["lesson"] == "sms_code_requests"
        assert "phone new to your account" in english(answer)[0]
        assert not Case.objects.exists()  # a cooling-off hold, not a call-back
    else:
        assert answer["decision"] == "approve"


def test_the_rules_follow_the_settings(service, account, settings):
    settings.DEVICE_SIGNAL_RULES = {**settings.DEVICE_SIGNAL_RULES, "screen_sharing_declines": False}
    assert authorize(transfer(account, 1, screen_sharing=True)).json()["decision"] == "approve"
    settings.DEVICE_SIGNAL_RULES = {**settings.DEVICE_SIGNAL_RULES, "integrity_failed_declines": True}
    answer = authorize(transfer(account, 2, integrity_failed=True)).json()
    assert (answer["decision"], codes(answer)) == ("decline", ["device_integrity_failed"])


def test_without_signals_nothing_is_recorded_and_no_lesson_is_given(service, account):
    body = payment(account, channel="online_transfer", amount=SMALL, counterparty_account=PAYEE)
    answer = authorize(body).json()

    assert answer["decision"] == "approve"
    assert Authorization.objects.get().device_signals is None
    locked = authorize(payment(account, 2, amount=10**12)).json()
    assert locked["decision"] == "decline" and "lesson" not in locked["reasons"][0]


@pytest.mark.parametrize(
    ("signals", "field"),
    [
        ({"on_call": "yes"}, "device_signals.on_call"),
        ({"device_first_seen_hours": -1}, "device_signals.device_first_seen_hours"),
        ({"microphone": True}, "device_signals.microphone"),
        ([True], "device_signals"),
    ],
)
def test_bad_signals_are_a_problem_naming_the_field(service, account, signals, field):
    response = authorize(payment(account, device_signals=signals))

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not Authorization.objects.exists()


def test_signals_in_a_batch_and_in_degraded_mode(service, account, settings):
    batch = {"transactions": [transfer(account, 1, screen_sharing=True), transfer(account, 2)]}
    response = Client().post(
        "/api/v1/authorizations/batch",
        orjson.dumps(batch),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}",
    )
    results = response.json()["results"]
    assert [r["decision"] for r in results] == ["decline", "approve"]
    assert codes(results[0]) == ["screen_sharing"]

    settings.AUTHORIZATION_DEGRADED_MODE = "database"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    degraded = authorize(transfer(account, 3, remote_control=True)).json()
    assert (degraded["decision"], codes(degraded), degraded["degraded"]) == ("decline", ["remote_control"], True)
    assert Authorization.objects.get(transaction_id=degraded["transaction_id"]).device_signals == {
        "remote_control": True
    }
