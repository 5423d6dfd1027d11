import logging
import re
import string
import time
from datetime import UTC, datetime, timedelta
from typing import cast
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Customer, Notification, SentMessage
from accounts.notifications import delivery
from accounts.notifications.backends import (
    PermanentDeliveryError,
    RecordingBackend,
    TransientDeliveryError,
    recipient_masked,
)
from accounts.notifications.delivery import notification_deliver, notification_retry_countdown
from accounts.notifications.queue import notification_queue
from accounts.notifications.tasks import notifications_sweep
from accounts.notifications.templates import (
    TEMPLATES,
    UnknownTemplate,
    amount_display,
    notification_render,
    time_display,
)
from tests.factories import CustomerFactory
from tests.support.race import errors_of, run_at_once

pytestmark = pytest.mark.django_db


def make_customer(**fields) -> Customer:
    return cast(Customer, CustomerFactory(**fields))


class FlakyBackend(RecordingBackend):
    """Times out `failures_left` times, then delivers."""

    failures_left = 0
    calls = 0

    def send(self, message):
        FlakyBackend.calls += 1
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise TransientDeliveryError("SMS gateway timed out")
        super().send(message)


class RejectingBackend(RecordingBackend):
    def send(self, message):
        raise PermanentDeliveryError("The gateway rejected the number.")


class BuggyBackend(RecordingBackend):
    def send(self, message):
        raise RuntimeError(f"cannot encode {message.body}")


class SlowRecordingBackend(RecordingBackend):
    """Holds the claim long enough for every other thread to arrive while it is sending."""

    def send(self, message):
        time.sleep(0.1)
        super().send(message)


@pytest.fixture
def sms_backend(settings):
    def use(backend_class):
        settings.NOTIFICATION_BACKENDS = {
            **settings.NOTIFICATION_BACKENDS,
            "sms": f"{__name__}.{backend_class.__name__}",
        }

    return use


@pytest.fixture
def flaky(monkeypatch, sms_backend):
    monkeypatch.setattr(FlakyBackend, "failures_left", 0)
    monkeypatch.setattr(FlakyBackend, "calls", 0)
    sms_backend(FlakyBackend)
    return FlakyBackend


def queued(customer=None, *, channel="sms", template="otp_device_added", params=None):
    return Notification.objects.create(
        customer=customer or make_customer(), channel=channel, template=template, params=params or {}
    )


# --- Queueing after commit ------------------------------------------------------------------------------


def test_queue_records_one_row_per_channel_and_enqueues_only_after_commit(django_capture_on_commit_callbacks):
    customer = make_customer()
    with mock.patch.object(notification_deliver, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            notifications = notification_queue(
                customer=customer,
                template="login_new_device",
                params={"device_name": "Pixel"},
                channels=["push", "sms"],
            )
            assert delay.call_count == 0
        assert len(callbacks) == 2
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted(n.pk for n in notifications)
    rows = Notification.objects.filter(customer=customer)
    assert {(n.channel, n.template, n.status) for n in rows} == {
        ("push", "login_new_device", "queued"),
        ("sms", "login_new_device", "queued"),
    }
    assert rows.first().params == {"device_name": "Pixel"}


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    customer = make_customer()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notification_queue(customer=customer, template="otp_device_added", channels=["sms"])
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not SentMessage.objects.exists()


def test_queued_notification_is_delivered_after_commit(django_capture_on_commit_callbacks):
    customer = make_customer(phone="+8613900001111")
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notification_queue(
            customer=customer, template="otp_sms_code", params={"code": "482913", "minutes": 5}, channels=["sms"]
        )
        assert not SentMessage.objects.exists()
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert notification.sent_at is not None
    sent = SentMessage.objects.get(notification=notification)
    assert sent.channel == "sms"
    assert sent.recipient == "+8613900001111"
    assert "482913" in sent.body
    assert "5分钟" in sent.body


def test_a_broker_outage_at_commit_does_not_fail_the_committed_change(django_capture_on_commit_callbacks):
    customer = make_customer()
    with (
        mock.patch.object(notification_deliver, "delay", side_effect=OperationalError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (notification,) = notification_queue(customer=customer, template="otp_device_added")
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED  # the sweep will enqueue it again


@pytest.mark.parametrize(
    ("template", "channels"), [("no_such_template", ["sms"]), ("otp_device_added", ["sms", "pigeon"])]
)
def test_queue_refuses_unknown_templates_and_channels(template, channels):
    with pytest.raises(ValueError, match="Unknown notification"):
        notification_queue(customer=make_customer(), template=template, channels=channels)
    assert not Notification.objects.exists()


# --- Delivery -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "expected_recipient"),
    [("sms", "+8613700007777"), ("push", "C123456789"), ("email", "li.na@example.com")],
)
def test_each_channel_is_sent_to_its_own_address(channel, expected_recipient):
    customer = make_customer(phone="+8613700007777", customer_number="C123456789", email="li.na@example.com")
    notification = queued(customer, channel=channel)
    notification_deliver(notification.pk)
    sent = SentMessage.objects.get(notification=notification)
    assert (sent.channel, sent.recipient) == (channel, expected_recipient)
    assert sent.subject == TEMPLATES["otp_device_added"]["zh-Hans"][0]


def test_email_to_a_customer_without_an_address_fails_permanently():
    notification = queued(make_customer(email=""), channel="email")
    notification_deliver(notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1
    assert notification.last_error == "The customer has no email address: the email notification cannot go out."
    assert not SentMessage.objects.exists()


def test_running_the_task_twice_delivers_once():
    notification = queued()
    notification_deliver(notification.pk)
    notification_deliver(notification.pk)
    assert SentMessage.objects.filter(notification=notification).count() == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_a_missing_notification_is_ignored():
    assert notification_deliver(987654321) is None


@pytest.mark.parametrize("status", [Notification.Status.SENT, Notification.Status.FAILED])
def test_a_notification_that_is_no_longer_queued_is_left_alone(status):
    notification = queued()
    Notification.objects.filter(pk=notification.pk).update(status=status)
    notification_deliver(notification.pk)
    assert not SentMessage.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_same_notification_deliver_it_once(sms_backend):
    sms_backend(SlowRecordingBackend)
    notification = queued()
    errors = errors_of(run_at_once(8, lambda _: notification_deliver(notification.pk)))

    assert errors == []
    assert SentMessage.objects.filter(notification=notification).count() == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1


def test_a_transient_error_is_retried_with_backoff_then_sent(flaky, monkeypatch):
    flaky.failures_left = 2
    countdowns = []

    def recording_countdown(*, retries):
        countdowns.append(retries)
        return notification_retry_countdown(retries=retries)

    monkeypatch.setattr(delivery, "notification_retry_countdown", recording_countdown)
    notification = queued()
    # Eager mode: self.retry() raises Retry and apply() runs the retry at once, ignoring the countdown.
    notification_deliver.delay(notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 3
    assert notification.last_error == "SMS gateway timed out"
    assert countdowns == [0, 1]
    assert SentMessage.objects.filter(notification=notification).count() == 1


def test_a_notification_that_keeps_failing_transiently_fails_after_the_last_retry(flaky, settings):
    settings.NOTIFICATION_MAX_RETRIES = 3
    flaky.failures_left = 100
    notification = queued()
    notification_deliver.delay(notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 4
    assert flaky.calls == 4
    assert notification.last_error == "SMS gateway timed out"
    assert not SentMessage.objects.exists()


def test_the_default_retry_budget_is_five_retries(flaky):
    flaky.failures_left = 5
    notification = queued()
    notification_deliver.delay(notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.SENT, 6)


def test_a_permanent_error_fails_at_once(sms_backend):
    sms_backend(RejectingBackend)
    notification = queued()
    notification_deliver.delay(notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1
    assert notification.last_error == "The gateway rejected the number."


def test_a_backend_bug_fails_the_notification_without_recording_the_message(sms_backend, caplog):
    sms_backend(BuggyBackend)
    notification = queued(template="otp_sms_code", params={"code": "771234", "minutes": 5})
    with caplog.at_level(logging.DEBUG):
        notification_deliver.delay(notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1
    assert notification.last_error == "Unexpected RuntimeError from the sms backend."
    assert "771234" not in caplog.text


def test_retry_countdown_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 2
    settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = 60
    for retries, ceiling in [(0, 2), (1, 4), (2, 8), (4, 32), (5, 60), (12, 60)]:
        samples = [notification_retry_countdown(retries=retries) for _ in range(50)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(set(samples)) > 1


def test_a_code_does_not_stay_in_the_notification_once_sent():
    notification = queued(template="otp_sms_code", params={"code": "271828", "minutes": 5})
    notification_deliver(notification.pk)
    notification.refresh_from_db()
    assert notification.params == {"code": "[redacted]", "minutes": 5}
    assert "271828" in SentMessage.objects.get().body


def test_a_code_is_kept_for_a_retry_and_dropped_when_delivery_fails(flaky, settings):
    settings.NOTIFICATION_MAX_RETRIES = 1
    flaky.failures_left = 1
    retried = queued(template="otp_sms_code", params={"code": "161803", "minutes": 5})
    notification_deliver.delay(retried.pk)
    assert "161803" in SentMessage.objects.get(notification=retried).body

    flaky.failures_left = 2
    failed = queued(template="otp_sms_code", params={"code": "141421", "minutes": 5})
    notification_deliver.delay(failed.pk)
    failed.refresh_from_db()
    assert failed.status == Notification.Status.FAILED
    assert failed.params["code"] == "[redacted]"


def test_the_recording_backend_never_logs_the_code(caplog):
    notification = queued(
        make_customer(phone="+8613812345678"), template="otp_sms_code", params={"code": "314159", "minutes": 5}
    )
    with caplog.at_level(logging.DEBUG):
        notification_deliver(notification.pk)
    assert "314159" in SentMessage.objects.get().body
    assert "314159" not in caplog.text
    assert "+8613812345678" not in caplog.text
    assert "+8613****5678" in caplog.text


def test_recipients_are_masked_in_logs():
    assert recipient_masked("+8613812345678") == "+8613****5678"
    assert recipient_masked("li.na@example.com") == "l***@example.com"
    assert recipient_masked("short") == "****"


def test_delivery_with_a_missing_param_still_sends():
    notification = queued(template="hold_placed", params={"amount": "CNY 5,000.00"})
    notification_deliver(notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    body = SentMessage.objects.get().body
    assert "CNY 5,000.00" in body
    assert "{" not in body


def test_delivery_renders_in_the_customers_language():
    notification = queued(
        make_customer(language=Customer.Language.EN), template="login_new_device", params={"device_name": "iPad"}
    )
    notification_deliver(notification.pk)
    sent = SentMessage.objects.get()
    assert sent.subject == "Sign-in from a new device"
    assert '"iPad"' in sent.body


# --- Templates ----------------------------------------------------------------------------------------

REQUIRED_TEMPLATES = {
    "otp_sms_code": {"code", "minutes"},
    "login_new_device": {"device_name"},
    "login_locked_out": {"minutes"},
    "otp_device_added": {"device_name"},
    "otp_device_removed": {"device_name"},
    "lock_changed": {"account", "summary"},
    "loosening_pending": {"account", "summary", "effective_at"},
    "loosening_applied": {"account", "summary"},
    "freeze_placed": {"account", "scope"},
    "freeze_lifted": None,
    "authorization_declined": {"account", "amount", "reasons", "how_to_change"},
    "travel_window_ending": {"account", "ends_at"},
    "hold_placed": {"amount", "release_at"},
    "hold_release_soon": None,
    "hold_released": None,
    "hold_cancelled": None,
    "hold_stopped": None,
}


def placeholders(text):
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_required_template_exists_with_its_params():
    for name, params in REQUIRED_TEMPLATES.items():
        assert name in TEMPLATES, name
        if params is not None:
            subject, body = TEMPLATES[name]["zh-Hans"]
            assert placeholders(subject + body) == params, name


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_has_both_languages_with_the_same_params(name):
    assert set(TEMPLATES[name]) == {"zh-Hans", "en"}
    zh_subject, zh_body = TEMPLATES[name]["zh-Hans"]
    en_subject, en_body = TEMPLATES[name]["en"]
    assert placeholders(zh_subject + zh_body) == placeholders(en_subject + en_body)
    assert all(text.strip() for text in (zh_subject, zh_body, en_subject, en_body))
    assert re.search(r"[\u4e00-\u9fff]", zh_body)
    assert not re.search(r"[\u4e00-\u9fff]", en_subject + en_body)


def test_templates_render_in_both_languages_with_params():
    params = {"amount": "CNY 50,000.00", "release_at": "2025-03-01 20:00 (Asia/Shanghai)"}
    zh = notification_render(template="hold_placed", language="zh-Hans", params=params)
    en = notification_render(template="hold_placed", language="en", params=params)
    assert zh.subject == "转账进入冷静期"
    assert "CNY 50,000.00" in zh.body
    assert "2025-03-01 20:00 (Asia/Shanghai)" in zh.body
    assert en.subject == "Transfer on hold"
    assert "Your transfer of CNY 50,000.00 is in a cooling-off period" in en.body
    assert "2025-03-01 20:00 (Asia/Shanghai)" in en.body


def test_hold_placed_carries_the_anti_fraud_advice_in_both_languages():
    zh = notification_render(template="hold_placed", language="zh-Hans", params={}).body
    en = notification_render(template="hold_placed", language="en", params={}).body
    for word in ("公安", "法院", "银行", "紧急转账", "95588"):
        assert word in zh
    assert "Nobody legitimate — police, bank, courts — will ask you to move money urgently" in en
    assert "call 95588" in en


def test_an_unknown_language_falls_back_to_zh_hans():
    rendered = notification_render(template="otp_sms_code", language="fr", params={"code": "123456", "minutes": 5})
    assert rendered.body.startswith("您的验证码为123456")


def test_missing_or_odd_params_render_without_crashing(caplog):
    with caplog.at_level(logging.WARNING):
        rendered = notification_render(template="otp_sms_code", language="en", params={"code": "999888"})
    assert rendered.body.startswith("Your security code is 999888. It expires in  minutes.")
    assert "['minutes']" in caplog.text
    assert "999888" not in caplog.text
    # Values of any JSON type render as text.
    lists = notification_render(template="freeze_placed", language="en", params={"account": None, "scope": ["atm"]})
    assert "['atm']" in lists.body


def test_an_unknown_template_cannot_render():
    with pytest.raises(UnknownTemplate):
        notification_render(template="nope", language="en", params={})


def test_amount_display_uses_minor_units_of_the_currency():
    assert amount_display(500000, "CNY") == "CNY 5,000.00"
    assert amount_display(5, "cny") == "CNY 0.05"
    assert amount_display(-12345, "USD") == "USD -123.45"
    assert amount_display(1500, "JPY") == "JPY 1,500"
    assert amount_display(1234, "KWD") == "KWD 1.234"


def test_time_display_is_in_the_customers_time_zone():
    moment = datetime(2025, 3, 1, 12, 5, tzinfo=UTC)
    assert time_display(moment, "Asia/Shanghai") == "2025-03-01 20:05 (Asia/Shanghai)"
    assert time_display(moment, "Europe/London") == "2025-03-01 12:05 (Europe/London)"


# --- The sweep ----------------------------------------------------------------------------------------


def created_minutes_ago(notification, minutes):
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def test_the_sweep_enqueues_stale_queued_notifications_and_leaves_the_rest_alone():
    stale = queued()
    created_minutes_ago(stale, 3)
    fresh = queued()
    already_sent = queued()
    created_minutes_ago(already_sent, 10)
    Notification.objects.filter(pk=already_sent.pk).update(status=Notification.Status.SENT)
    failed = queued()
    created_minutes_ago(failed, 10)
    Notification.objects.filter(pk=failed.pk).update(status=Notification.Status.FAILED)

    assert notifications_sweep() == 1

    assert list(SentMessage.objects.values_list("notification_id", flat=True)) == [stale.pk]
    fresh.refresh_from_db()
    assert (fresh.status, fresh.attempts) == (Notification.Status.QUEUED, 0)
    for untouched, status in ((already_sent, Notification.Status.SENT), (failed, Notification.Status.FAILED)):
        untouched.refresh_from_db()
        assert (untouched.status, untouched.attempts) == (status, 0)


def test_the_sweep_is_idempotent():
    stale = queued()
    created_minutes_ago(stale, 5)
    assert notifications_sweep() == 1
    assert notifications_sweep() == 0
    assert SentMessage.objects.filter(notification=stale).count() == 1


def test_the_sweep_enqueues_stale_ids_and_nothing_else():
    stale = [queued(), queued()]
    for notification in stale:
        created_minutes_ago(notification, 3)
    queued()
    with mock.patch.object(notification_deliver, "delay") as delay:
        assert notifications_sweep() == 2
    assert [call.args for call in delay.call_args_list] == [(n.pk,) for n in stale]
