"""Compiled policies: compiled from the rows, published after commit, rebuilt after Redis loses them."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import msgspec
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from locks.management.commands import rebuild_policies
from locks.models import LockSettings
from locks.rules.policies import lock_settings_for, policy_compile, policy_compile_account, policy_publish
from tests.factories import BankAccountFactory, TravelWindowFactory
from tests.locks.conftest import CustomerSession, policy_read

pytestmark = pytest.mark.django_db


def test_a_committed_change_is_published(session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = session.patch({"version": 1, "limits": {"daily": 300_000}, "channels": {"atm": False}})
    assert response.status_code == 200
    policy = policy_read(session.account.pk)
    assert policy.version == 2
    assert policy.account_id == session.account.pk
    assert policy.daily_limit == 300_000
    assert policy.channels_off == frozenset({"atm"})
    assert LockSettings.objects.get(account=session.account).published_version == 2
    # Only the account that changed.
    assert policy_read(session.accounts[1].pk) is None


def test_nothing_is_published_before_commit_or_for_a_failed_request(session, django_capture_on_commit_callbacks):
    session.patch({"version": 1, "limits": {"daily": 300_000}})  # on_commit never runs in this test transaction
    assert policy_read(session.account.pk) is None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = session.patch({"version": 1, "limits": {"daily": 100}})  # stale version
    assert response.status_code == 409
    assert callbacks == []
    assert policy_read(session.account.pk) is None


def test_a_delayed_loosening_publishes_nothing_until_it_applies(session, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session.patch({"version": 1, "channels": {"atm": False}})
    settings.LOOSENING_DELAY = timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = session.patch({"version": 2, "channels": {"atm": True}}, otp=session.otp())
    assert response.status_code == 202
    assert policy_read(session.account.pk).channels_off == frozenset({"atm"})


@pytest.mark.django_db(transaction=True)
def test_publish_follows_a_real_commit():
    session = CustomerSession()
    response = session.patch({"version": 1, "freeze": {"card_not_present": True}})
    assert response.status_code == 200
    policy = policy_read(session.account.pk)
    assert policy.version == 2
    assert policy.freeze_card_not_present is True


def test_compiled_policy_carries_bank_maximums_zone_and_live_travel_windows(session, settings):
    session.customer.time_zone = "Europe/Berlin"
    session.customer.save(update_fields=["time_zone"])
    account = session.account
    now = timezone.now()
    live = TravelWindowFactory(account=account, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1))
    TravelWindowFactory(
        account=account, regions=["TH"], starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2)
    )
    TravelWindowFactory(
        account=account, regions=["US"], starts_at=now, ends_at=now + timedelta(days=2), cancelled_at=now
    )
    session.patch({"version": 1, "limits": {"daily": 300_000, "channels": {"atm": {"daily": 1_000}}}})
    account.refresh_from_db()
    policy = policy_compile_account(account)
    maxima = settings.BANK_MAX_LIMITS["CNY"]
    assert policy.version == 2
    assert policy.time_zone == "Europe/Berlin"
    assert policy.per_transaction_limit == maxima["per_transaction"]
    assert policy.daily_limit == 300_000
    assert policy.monthly_limit == maxima["monthly"]
    assert [(c.channel, c.daily) for c in policy.channel_limits] == [("atm", 1_000)]
    assert [sorted(t.regions) for t in policy.travel_windows] == [["JP"]]
    assert policy.travel_windows[0].ends_at == int(live.ends_at.timestamp())
    assert policy.cooling_off_threshold == settings.COOLING_OFF_DEFAULT_THRESHOLD
    assert policy.cooling_off_new_payee_threshold == settings.COOLING_OFF_NEW_PAYEE_THRESHOLD


def test_compile_is_pure_over_the_row(session):
    row = lock_settings_for(session.account)
    row.version = 41
    row.channels_off = ["pos"]
    policy = policy_compile(row=row, travel_windows=[])
    assert policy.version == 41
    assert policy.channels_off == frozenset({"pos"})
    assert LockSettings.objects.get(account=session.account).version == 1


def test_a_late_publish_of_an_older_version_never_replaces_a_newer_one(session, django_capture_on_commit_callbacks):
    """Two publishes of one account can finish in either order: a loosening compiled first and written
    last must not put back the policy a later tightening replaced."""
    with django_capture_on_commit_callbacks(execute=True):
        session.patch({"version": 1, "channels": {"atm": False}})
    older = policy_read(session.account.pk)
    with django_capture_on_commit_callbacks(execute=True):
        session.patch({"version": 2, "freeze": {"all_outgoing": True}})
    assert policy_read(session.account.pk).version == 3
    with mock.patch("locks.rules.policies.policy_compile_account", return_value=older):
        policy_publish(account_ids=[session.account.pk])
    newest = policy_read(session.account.pk)
    assert newest.version == 3
    assert newest.freeze_all_outgoing is True


def test_republishing_the_same_version_refreshes_it(session, settings, django_capture_on_commit_callbacks):
    """The same version compiles differently when the bank's settings change: a rebuild must write it."""
    with django_capture_on_commit_callbacks(execute=True):
        session.patch({"version": 1, "channels": {"atm": False}})
    settings.COOLING_OFF_NEW_PAYEE_THRESHOLD = 123_456
    assert policy_publish(account_ids=[session.account.pk]) == 1
    assert policy_read(session.account.pk).cooling_off_new_payee_threshold == 123_456


def test_policy_read_refuses_garbage(session, redis_client):
    session.locks()
    policy_publish(account_ids=[session.account.pk])
    key = next(iter(redis_client.scan_iter(f"*{session.account.pk}*")))
    if redis_client.type(key) == b"hash":
        redis_client.hset(key, "b", b"\x00garbage")
    else:
        redis_client.set(key, b"\x00garbage")
    with pytest.raises((msgspec.DecodeError, msgspec.ValidationError)):
        policy_read(session.account.pk)


# --- manage.py rebuild_policies ----------------------------------------------------------------------------


def rebuild(*args):
    out = StringIO()
    call_command("rebuild_policies", *args, stdout=out)
    return out.getvalue()


def test_rebuild_after_flushdb_restores_every_policy(session, other_session, redis_client, monkeypatch):
    monkeypatch.setattr(rebuild_policies, "BATCH_SIZE", 2)  # several batches, and a short last one
    accounts = [*session.accounts, *other_session.accounts, BankAccountFactory()]
    session.patch({"version": 1, "limits": {"daily": 300_000}})
    other_session.patch({"version": 1, "freeze": {"all_outgoing": True}})
    other_session.patch({"version": 2, "channels": {"pos": False}})
    redis_client.flushdb()
    assert all(policy_read(a.pk) is None for a in accounts)

    output = rebuild()
    assert "Published 5 policies." in output
    for account in accounts:
        policy = policy_read(account.pk)
        assert policy is not None, account.pk
        row = LockSettings.objects.get(account=account)
        assert policy.version == row.version == row.published_version
    assert policy_read(session.account.pk).daily_limit == 300_000
    assert policy_read(other_session.account.pk).freeze_all_outgoing is True
    assert policy_read(other_session.account.pk).channels_off == frozenset({"pos"})


def test_rebuild_is_idempotent(session):
    assert "Published 2 policies." in rebuild()
    assert "Published 2 policies." in rebuild()
    assert policy_read(session.account.pk).version == 1


def test_rebuild_one_account(session, redis_client):
    output = rebuild("--account", str(session.accounts[1].pk))
    assert "Published 1 policies." in output
    assert policy_read(session.accounts[1].pk) is not None
    assert policy_read(session.account.pk) is None


def test_rebuild_of_an_unknown_account_fails(db):
    with pytest.raises(CommandError, match="No account"):
        rebuild("--account", "999999")


def test_rebuild_with_redis_down_fails_loudly(session, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(CommandError, match="Redis"):
        rebuild()
