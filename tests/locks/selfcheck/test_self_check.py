from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Device, OtpDevice
from locks.models import LockSettings, PendingLoosening, SelfCheckNotice, SelfCheckRun
from locks.selfcheck.checks import CHECK_IDS
from locks.selfcheck.services import self_check_weekly
from locks.selfcheck.tasks import self_check_weekly_sweep
from locks.selfcheck.texts import _TEXTS
from securitycenter import crypto
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import AuthorizationFactory, DeviceFactory, PayeeRiskEntryFactory, PendingLooseningFactory
from tests.support.callers import wrong_callers

pytestmark = pytest.mark.django_db


def scan(session, **headers):
    response = session.client.post("/api/v1/self-check", **headers)
    assert response.status_code == 201, response.json()
    return response.json()


def findings(session):
    return {f["id"]: f for f in scan(session)["findings"]}


def fix(session, finding_id):
    return session.client.post("/api/v1/self-check/fixes", {"finding_id": finding_id}, format="json")


def locks(account):
    return LockSettings.objects.get(account=account)


def age_accounts(session, days=120):
    for account in session.accounts:
        type(account).objects.filter(pk=account.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_at_least_twelve_checks_each_with_its_text():
    assert len(CHECK_IDS) >= 12
    assert set(CHECK_IDS) == set(_TEXTS)


def test_a_new_customer_has_no_limits_and_no_night_protection(session):
    body = scan(session)
    checks = sorted(f["check"] for f in body["findings"])
    assert checks == ["no_daily_limit", "no_daily_limit", "no_night_protection", "no_night_protection"]
    assert body["score"] == 100 - 2 * 10 - 2 * 5


def test_sms_only_has_no_one_tap_fix(session):
    OtpDevice.objects.filter(customer=session.customer).delete()
    finding = findings(session)["sms_only"]
    assert finding["severity"] == "medium" and finding["fix"] is None
    assert fix(session, "sms_only").status_code == 409


def test_stale_devices_are_removed_by_their_fix(session):
    stale = DeviceFactory(customer=session.customer, name="Old phone")
    Device.objects.filter(pk=stale.pk).update(
        last_seen_at=timezone.now() - timedelta(days=100), first_seen_at=timezone.now() - timedelta(days=400)
    )
    finding = findings(session)["stale_devices"]
    assert "Old phone" in finding["explanation"] and finding["evidence"]["devices"][0]["id"] == stale.pk
    assert fix(session, "stale_devices").status_code == 200
    stale.refresh_from_db()
    assert stale.revoked_at is not None
    assert "stale_devices" not in findings(session)


def test_a_recent_new_device_but_never_the_phone_in_hand(session):
    new = DeviceFactory(customer=session.customer, name="New phone")
    found = findings(session)
    assert f"recent_new_device:device:{new.pk}" in found
    assert f"recent_new_device:device:{session.device.pk}" not in found
    assert fix(session, f"recent_new_device:device:{new.pk}").status_code == 200
    new.refresh_from_db()
    assert new.revoked_at is not None
    assert session.client.get("/api/v1/cases").status_code == 200


def test_no_daily_limit_fix_follows_90_days_of_spending(session):
    AuthorizationFactory(account=session.account, amount=400_000, created_at=timezone.now() - timedelta(days=3))
    finding = findings(session)[f"no_daily_limit:account:{session.account.pk}"]
    assert finding["evidence"]["busiest_day_90d"] == 400_000 and finding["evidence"]["suggested"] == 800_000
    response = fix(session, finding["id"])
    assert response.status_code == 200, response.json()
    assert locks(session.account).limits["daily"] == 800_000
    assert locks(session.account).version == 2
    change = SecurityEvent.objects.get(event_type=EventType.LOCK_CHANGED)
    assert change.details["loosened"] == []
    assert session.customer.notifications.filter(template="lock_changed").exists()
    assert finding["id"] not in {f["id"] for f in response.json()["self_check"]["findings"]}


def test_a_daily_limit_far_above_spending_is_lowered(session):
    session.patch({"version": 1, "limits": {"daily": 10_000_000}})
    finding = findings(session)[f"daily_limit_far_above_spending:account:{session.account.pk}"]
    assert finding["severity"] == "low"
    assert fix(session, finding["id"]).status_code == 200
    assert locks(session.account).limits["daily"] == 500_000


def test_unused_channels_are_found_and_switched_off(session):
    age_accounts(session)
    AuthorizationFactory(account=session.account, channel="atm", created_at=timezone.now() - timedelta(days=10))
    found = findings(session)
    account = session.account.pk
    assert f"channel_unused.atm:account:{account}" not in found
    for channel in ("card_not_present", "cross_border", "contactless"):
        assert f"channel_unused.{channel}:account:{account}" in found
    assert found[f"channel_unused.card_not_present:account:{account}"]["severity"] == "medium"
    assert fix(session, f"channel_unused.cross_border:account:{account}").status_code == 200
    assert "cross_border" in locks(session.account).channels_off
    # A channel used abroad in the last 90 days is not reported for the other account.
    AuthorizationFactory(account=session.accounts[1], country="JP", created_at=timezone.now() - timedelta(days=5))
    assert f"channel_unused.cross_border:account:{session.accounts[1].pk}" not in findings(session)


def test_elderly_without_protection_is_high_and_its_fix_applies_the_preset(session):
    session.customer.date_of_birth = date(1950, 5, 1)
    session.customer.save()
    finding = findings(session)[f"elderly_without_protection:account:{session.account.pk}"]
    assert finding["severity"] == "high"
    assert fix(session, finding["id"]).status_code == 200
    row = locks(session.account)
    assert {"card_not_present", "quick_pay", "cross_border"} <= set(row.channels_off)
    assert finding["id"] not in findings(session)


def test_elderly_protection_is_not_offered_when_it_would_loosen(session):
    session.customer.date_of_birth = date(1950, 5, 1)
    session.customer.save()
    # A cooling-off threshold lower than the preset's: the preset would raise it, so no one-tap fix.
    session.patch({"version": 1, "cooling_off": {"threshold": 100_000}})
    assert f"elderly_without_protection:account:{session.account.pk}" not in findings(session)


def test_night_protection_fix(session):
    finding_id = f"no_night_protection:account:{session.account.pk}"
    assert fix(session, finding_id).status_code == 200
    assert locks(session.account).time_windows


def test_a_raised_cooling_off_goes_back_to_the_default(session, fresh_otp, settings):
    session.patch(
        {"version": 1, "cooling_off": {"threshold": settings.COOLING_OFF_DEFAULT_THRESHOLD * 2}}, otp=fresh_otp()
    )
    finding_id = f"cooling_off_raised:account:{session.account.pk}"
    assert finding_id in findings(session)
    assert fix(session, finding_id).status_code == 200
    assert locks(session.account).cooling_off_threshold is None


def test_a_waiting_loosening_is_high_and_cancelled_by_its_fix(session):
    pending = PendingLooseningFactory(account=session.account)
    finding_id = f"loosening_waiting:pending:{pending.pk}"
    assert findings(session)[finding_id]["severity"] == "high"
    assert fix(session, finding_id).status_code == 200
    pending.refresh_from_db()
    assert pending.status == PendingLoosening.Status.CANCELLED


def test_recent_declines_for_a_lock_are_reported(session):
    AuthorizationFactory(account=session.account, outcome="decline", reasons=["channel_off"], counted=False)
    AuthorizationFactory(account=session.account, outcome="decline", reasons=["payee_high_risk"], counted=False)
    finding = findings(session)[f"recent_lock_declines:account:{session.account.pk}"]
    assert finding["evidence"]["count"] == 1 and finding["fix"] is None
    assert finding["lesson_id"] == "card_details_phishing"


def test_a_recent_payee_now_on_the_risk_list_is_high(session):
    payee = "6222020000001234"
    AuthorizationFactory(account=session.account, counterparty=crypto.blind_index(payee, purpose="payee"))
    finding = [f for f in scan(session)["findings"] if f["check"] == "risky_recent_payee"]
    assert finding == []
    PayeeRiskEntryFactory(account=payee)
    finding = next(f for f in scan(session)["findings"] if f["check"] == "risky_recent_payee")
    assert finding["severity"] == "high" and finding["lesson_id"] == "fraud_risk_payee"


def test_results_are_kept_and_show_the_score_over_time(session, other_session):
    first = scan(session)
    fix(session, f"no_night_protection:account:{session.account.pk}")
    runs = session.client.get("/api/v1/self-check").json()["results"]
    assert [r["id"] for r in runs][-1] == first["id"] and len(runs) == 2
    assert runs[0]["score"] > runs[1]["score"]
    assert session.client.get(f"/api/v1/self-check/{first['id']}").json()["score"] == first["score"]
    theirs = scan(other_session)
    assert session.client.get(f"/api/v1/self-check/{theirs['id']}").status_code == 404


def test_both_languages(session):
    english = scan(session, HTTP_ACCEPT_LANGUAGE="en")["findings"][0]
    chinese = scan(session, HTTP_ACCEPT_LANGUAGE="zh-Hans")["findings"][0]
    assert english["id"] == chinese["id"]
    assert english["title"].startswith("No daily limit")
    assert "日累计" in chinese["explanation"] or "限额" in chinese["title"]
    assert "元" in chinese["fix"]["description"] and "yuan" in english["fix"]["description"]


def test_bad_fix_requests_change_nothing(session, other_session):
    pending = PendingLooseningFactory(account=other_session.account)
    for body, status, field in (
        ({}, 400, "finding_id"),
        ({"finding_id": "x" * 81}, 400, "finding_id"),
        ({"finding_id": "a", "extra": 1}, 400, "extra"),
        ({"finding_id": "no_such_finding"}, 404, "finding_id"),
        ({"finding_id": f"loosening_waiting:pending:{pending.pk}"}, 404, "finding_id"),
    ):
        response = session.client.post("/api/v1/self-check/fixes", body, format="json")
        assert response.status_code == status, (body, response.json())
        assert field in [e["field"] for e in response.json()["errors"]]
    pending.refresh_from_db()
    assert pending.status == PendingLoosening.Status.PENDING
    assert not SecurityEvent.objects.filter(event_type=EventType.LOCK_CHANGED).exists()


def test_weekly_scan_tells_a_new_high_finding_once(session):
    pending = PendingLooseningFactory(account=session.account)
    assert self_check_weekly(customer_id=session.customer.pk, week="2026-W49") is True
    assert self_check_weekly(customer_id=session.customer.pk, week="2026-W49") is False
    assert SelfCheckRun.objects.filter(customer=session.customer, trigger="weekly").count() == 1
    notes = session.customer.notifications.filter(template="self_check_finding")
    assert notes.count() == 2  # push and SMS, once
    # Next week the same finding is not news; a new high one is.
    assert self_check_weekly(customer_id=session.customer.pk, week="2026-W50") is False
    PendingLooseningFactory(account=session.accounts[1])
    assert self_check_weekly(customer_id=session.customer.pk, week="2026-W51") is True
    assert notes.count() == 4
    assert SelfCheckNotice.objects.filter(customer=session.customer).count() == 2
    assert pending.pk


def test_weekly_sweep_twice_notifies_once(session, other_session):
    PendingLooseningFactory(account=session.account)
    assert self_check_weekly_sweep() >= 2
    assert self_check_weekly_sweep() >= 2
    assert session.customer.notifications.filter(template="self_check_finding").count() == 2
    assert not other_session.customer.notifications.filter(template="self_check_finding").exists()
    assert SelfCheckRun.objects.filter(trigger="weekly").count() == 2


def test_self_check_refuses_everybody_but_customers(db):
    for name, headers in wrong_callers().items():
        for method, path in (
            ("get", "/api/v1/self-check"),
            ("post", "/api/v1/self-check"),
            ("get", "/api/v1/self-check/1"),
            ("post", "/api/v1/self-check/fixes"),
        ):
            status = getattr(APIClient(), method)(path, **headers).status_code
            assert status == (401 if name == "anonymous" else 403), (name, path)
