"""The locks beat tasks: apply due loosenings, republish lost policies, remind before travel windows end."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications.templates import time_display
from locks.models import LockSettings, PendingLoosening, TravelWindow
from locks.rules import tasks
from locks.rules.changes import Proposal, lock_change, pending_loosening_apply
from securitycenter.celery import app
from securitycenter.securitylog.record import Origin
from tests.factories import BankAccountFactory, CustomerFactory, LockSettingsFactory, TravelWindowFactory
from tests.locks.conftest import CustomerSession, policy_read
from tests.support.race import errors_of, run_at_once

pytestmark = pytest.mark.django_db


def test_beat_schedules_every_locks_task():
    scheduled = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    app.loader.import_default_modules()
    for name in (
        "locks.rules.tasks.pending_loosenings_apply",
        "locks.rules.tasks.policies_republish",
        "locks.rules.tasks.travel_windows_remind",
    ):
        assert name in scheduled
        assert name in app.tasks
    assert scheduled["locks.rules.tasks.travel_windows_remind"].minute == set(range(0, 60, 15))
    assert scheduled["locks.rules.tasks.pending_loosenings_apply"].minute == set(range(60))


# --- pending_loosenings_apply -----------------------------------------------------------------------------


def pend(session, changes, delay=timedelta(hours=1)):
    with mock.patch.object(settings, "LOOSENING_DELAY", delay):
        (outcome,) = lock_change(
            customer=session.customer,
            accounts=[session.account],
            proposal=Proposal(changes=changes),
            origin=Origin(),
            otp=session.otp(),
        )
    assert outcome.pending is not None
    return outcome.pending


def test_nothing_due_nothing_done(session):
    assert tasks.pending_loosenings_apply() == 0


def test_a_due_loosening_is_applied_once(session):
    session.patch({"version": 1, "channels": {"atm": False}})
    pending = pend(session, {"channels": {"atm": True}})
    assert tasks.pending_loosenings_apply() == 0
    with mock.patch("django.utils.timezone.now", return_value=pending.effective_at):
        assert tasks.pending_loosenings_apply() == 1
        assert tasks.pending_loosenings_apply() == 0
        assert pending_loosening_apply(pending_id=pending.pk) is False
    assert LockSettings.objects.get(account=session.account).channels_off == []
    assert LockSettings.objects.get(account=session.account).version == 3


def test_a_gone_loosening_is_skipped_quietly(db):
    assert pending_loosening_apply(pending_id=987654) is False


def test_one_loosening_that_cannot_apply_does_not_hold_back_the_others(session, other_session, caplog):
    session.patch({"version": 1, "limits": {"daily": 100_000}})
    broken = pend(session, {"limits": {"daily": 400_000_000}})
    other_session.patch({"version": 1, "channels": {"atm": False}})
    fine = pend(other_session, {"channels": {"atm": True}})
    later = max(broken.effective_at, fine.effective_at)
    # The bank lowered its maximum meanwhile: the stored document is no longer valid.
    lower = {"CNY": {**settings.BANK_MAX_LIMITS["CNY"], "daily": 300_000_000}}
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        mock.patch.object(settings, "BANK_MAX_LIMITS", lower),
    ):
        assert tasks.pending_loosenings_apply() == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == PendingLoosening.Status.PENDING
    assert fine.status == PendingLoosening.Status.APPLIED
    assert "could not be applied" in caplog.text
    assert LockSettings.objects.get(account=session.account).limits["daily"] == 100_000


def test_a_cancelled_loosening_is_never_applied(session):
    session.patch({"version": 1, "channels": {"atm": False}})
    pending = pend(session, {"channels": {"atm": True}})
    assert session.client.post(f"/api/v1/locks/pending/{pending.pk}/cancel").status_code == 204
    with mock.patch("django.utils.timezone.now", return_value=pending.effective_at + timedelta(days=1)):
        assert tasks.pending_loosenings_apply() == 0
    assert LockSettings.objects.get(account=session.account).channels_off == ["atm"]


# --- policies_republish -----------------------------------------------------------------------------------


def test_republish_publishes_rows_whose_publish_was_lost(session):
    session.patch({"version": 1, "limits": {"daily": 300_000}})  # on_commit never ran: nothing published
    session.locks(session.accounts[1])
    assert policy_read(session.account.pk) is None
    assert tasks.policies_republish() == 2
    assert policy_read(session.account.pk).daily_limit == 300_000
    assert policy_read(session.accounts[1].pk).version == 1
    assert tasks.policies_republish() == 0


def test_republish_works_through_a_backlog_in_batches(session, monkeypatch):
    monkeypatch.setattr(tasks, "REPUBLISH_BATCH", 2)
    accounts = [BankAccountFactory(customer=session.customer) for _ in range(5)]
    for account in accounts:
        LockSettingsFactory(account=account)
    assert tasks.policies_republish() == 5
    assert all(policy_read(a.pk) is not None for a in accounts)


def test_republish_with_redis_down_returns_quietly(session, settings):
    session.patch({"version": 1, "limits": {"daily": 300_000}})
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert tasks.policies_republish() == 0
    assert LockSettings.objects.get(account=session.account).published_version == 0


# --- travel_windows_remind --------------------------------------------------------------------------------


def window(account, ends_in, **fields):
    now = timezone.now()
    return TravelWindowFactory(account=account, starts_at=now - timedelta(days=2), ends_at=now + ends_in, **fields)


def test_remind_once_before_a_window_ends(session):
    soon = window(session.account, timedelta(hours=5))
    window(session.account, timedelta(days=3))  # not yet
    window(session.account, timedelta(hours=2), cancelled_at=timezone.now())
    window(session.account, -timedelta(minutes=1))  # already over: too late to remind
    window(session.account, timedelta(hours=1), reminder_sent_at=timezone.now())

    assert tasks.travel_windows_remind() == 1
    notification = Notification.objects.get(template="travel_window_ending")
    assert notification.customer == session.customer
    assert notification.channel == "push"
    assert notification.params == {
        "account": session.account.masked_number,
        "ends_at": time_display(soon.ends_at, "Asia/Shanghai"),
    }
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None
    assert tasks.travel_windows_remind() == 0
    assert Notification.objects.filter(template="travel_window_ending").count() == 1


def test_the_reminder_window_is_a_setting(session, settings):
    window(session.account, timedelta(hours=30))
    assert tasks.travel_windows_remind() == 0
    settings.TRAVEL_WINDOW_REMINDER_BEFORE = timedelta(hours=36)
    assert tasks.travel_windows_remind() == 1


def test_reminders_for_several_customers_in_their_own_time_zones(db):
    london = CustomerFactory(time_zone="Europe/London")
    accounts = [BankAccountFactory(), BankAccountFactory(customer=london)]
    windows = [window(account, timedelta(hours=3)) for account in accounts]
    assert tasks.travel_windows_remind() == 2
    by_customer = {n.customer_id: n.params["ends_at"] for n in Notification.objects.all()}
    assert by_customer[london.pk] == time_display(windows[1].ends_at, "Europe/London")
    assert by_customer[accounts[0].customer_id].endswith("(Asia/Shanghai)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_window_locked_by_another_worker_is_skipped_not_reminded_twice():
    session = CustomerSession()
    locked_window = window(session.account, timedelta(hours=3))
    free_window = window(session.accounts[1], timedelta(hours=3))
    holding = threading.Event()
    release = threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                TravelWindow.objects.select_for_update().get(pk=locked_window.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert holding.wait(10)
        assert tasks.travel_windows_remind() == 1  # does not wait for the locked row
    finally:
        release.set()
        worker.join(10)
    assert not worker.is_alive()
    free_window.refresh_from_db()
    locked_window.refresh_from_db()
    assert free_window.reminder_sent_at is not None
    assert locked_window.reminder_sent_at is None
    assert tasks.travel_windows_remind() == 1
    assert tasks.travel_windows_remind() == 0
    assert Notification.objects.filter(template="travel_window_ending").count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_reminder_runs_remind_each_window_once():
    session = CustomerSession()
    for account in session.accounts:
        for hours in (1, 2, 3):
            window(account, timedelta(hours=hours))
    counts = run_at_once(4, lambda _: tasks.travel_windows_remind())
    assert errors_of(counts) == []
    assert sum(counts) == 6
    assert Notification.objects.filter(template="travel_window_ending").count() == 6
    assert not TravelWindow.objects.filter(reminder_sent_at__isnull=True).exists()
