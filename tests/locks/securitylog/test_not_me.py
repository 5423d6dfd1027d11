from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import AuthToken, Device, OtpDevice
from accounts.tokens import auth_token_issue
from locks.authorizations.declines import authorization_decline_log
from locks.holds.services import hold_place
from locks.models import Case, Hold, LockSettings, NotMeReport, PendingLoosening
from locks.rules.changes import pending_loosening_apply
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin, security_log_record
from tests.factories import DEFAULT_PASSWORD, AuthorizationFactory, DeviceFactory, OtpDeviceFactory
from tests.support.race import errors_of, run_at_once

pytestmark = pytest.mark.django_db


def report(session, entry):
    response = session.client.post(f"/api/v1/security-log/{entry.pk}/not-me")
    assert response.status_code == 200, response.json()
    return response.json()


def codes(answer):
    return [a["code"] for a in answer["actions"]]


def latest(event_type):
    return SecurityEvent.objects.filter(event_type=event_type).latest("id")


def locks(account):
    return LockSettings.objects.get(account=account)


def thief_sign_in(session):
    response = APIClient().post(
        "/api/v1/auth/login",
        {
            "login": session.customer.phone,
            "password": DEFAULT_PASSWORD,
            "device": {"id": "thief-phone", "name": "Thief", "platform": "android"},
        },
        format="json",
    )
    assert response.status_code == 200
    return latest(EventType.LOGIN_SUCCEEDED)


def test_a_new_device_sign_in_removes_that_device_and_applies_suspected_fraud(session):
    entry = thief_sign_in(session)
    answer = report(session, entry)
    assert answer["entry_kind"] == "new_device" and answer["scenario"] == "suspected_fraud"
    assert codes(answer) == [
        "device_removed",
        "sessions_ended",
        "freeze_card_not_present",
        "channels_off",
        "case_opened",
    ]
    thief = Device.objects.get(device_id="thief-phone")
    assert thief.revoked_at is not None
    assert not AuthToken.objects.filter(device=thief, revoked_at__isnull=True).exists()
    # The customer's own phone stays signed in.
    assert session.client.get("/api/v1/cases").status_code == 200
    assert locks(session.account).freeze_card_not_present
    case = Case.objects.get(customer=session.customer, source="not_me")
    assert case.kind == Case.Kind.INCIDENT and case.priority == Case.Priority.HIGH
    assert case.details["entry_id"] == entry.pk
    assert answer["case"]["id"] == case.pk
    assert all(a["undo"]["message"] for a in answer["actions"])


def test_reporting_the_same_entry_twice_does_nothing_twice(session):
    entry = thief_sign_in(session)
    first = report(session, entry)
    counts = (SecurityEvent.objects.count(), Case.objects.count(), locks(session.account).version)
    notifications = session.customer.notifications.count()
    second = report(session, entry)
    assert second["already_reported"] is True and first["already_reported"] is False
    assert second["report_id"] == first["report_id"] and second["case"]["id"] == first["case"]["id"]
    assert (SecurityEvent.objects.count(), Case.objects.count(), locks(session.account).version) == counts
    assert session.customer.notifications.count() == notifications
    listed = session.client.get("/api/v1/security-log?category=sign_in").json()["results"]
    assert [e["reported"] for e in listed if e["id"] == entry.pk] == [True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reports_at_once_act_once(session):
    entry = thief_sign_in(session)
    from locks.securitylog.notme import not_me_report_entry

    results = run_at_once(
        3,
        lambda i: not_me_report_entry(
            customer=session.customer, entry_id=entry.pk, origin=Origin(), current_device=session.device
        ).already_reported,
    )
    assert not errors_of(results), results
    assert sorted(results) == [False, True, True]
    assert NotMeReport.objects.count() == 1
    assert Case.objects.filter(source="not_me").count() == 1


def test_a_sign_in_on_the_phone_in_hand_keeps_that_phone(session):
    security_log_record(
        event_type=EventType.LOGIN_SUCCEEDED,
        actor=Actor.customer(session.customer),
        customer=session.customer,
        details={"device_pk": session.device.pk, "new_device": False},
    )
    other = auth_token_issue(
        customer=session.customer, device=DeviceFactory(customer=session.customer), ip_address=None
    )
    answer = report(session, latest(EventType.LOGIN_SUCCEEDED))
    assert answer["entry_kind"] == "sign_in" and "device_removed" not in codes(answer)
    other.token.refresh_from_db()
    assert other.token.revoked_at is not None
    assert session.client.get("/api/v1/cases").status_code == 200


def test_an_authenticator_added_is_removed(session):
    added = OtpDeviceFactory(customer=session.customer, name="not mine")
    security_log_record(
        event_type=EventType.OTP_DEVICE_CONFIRMED,
        actor=Actor.customer(session.customer),
        customer=session.customer,
        details={"device_id": added.pk, "name": added.name},
    )
    answer = report(session, latest(EventType.OTP_DEVICE_CONFIRMED))
    assert answer["entry_kind"] == "authenticator" and codes(answer)[0] == "authenticator_removed"
    assert not OtpDevice.objects.filter(pk=added.pk).exists()


def test_a_loosening_is_reverted_to_the_stricter_earlier_value(session, fresh_otp, would_pass):
    session.patch({"version": 1, "limits": {"daily": 500_000}, "channels": {"atm": False}})
    response = session.patch({"version": 2, "limits": {"daily": 5_000_000}, "channels": {"atm": True}}, otp=fresh_otp())
    assert response.status_code == 200, response.json()
    answer = report(session, latest(EventType.LOCK_CHANGED))
    assert answer["entry_kind"] == "lock_change"
    assert codes(answer)[0] == "lock_reverted"
    row = locks(session.account)
    assert row.limits["daily"] == 500_000 and "atm" in row.channels_off
    assert answer["actions"][0]["undo"]["request"]["otp"] is True


def test_a_revert_never_loosens_what_the_customer_tightened_since(session, fresh_otp):
    session.patch({"version": 1, "limits": {"daily": 500_000}})
    session.patch({"version": 2, "limits": {"daily": 5_000_000}}, otp=fresh_otp())
    loosening = latest(EventType.LOCK_CHANGED)
    session.patch({"version": 3, "limits": {"daily": 100_000}})  # stricter than both since
    answer = report(session, loosening)
    assert "lock_reverted" not in codes(answer)
    assert locks(session.account).limits["daily"] == 100_000


def test_a_lifted_freeze_is_frozen_again(session, fresh_otp):
    session.client.post("/api/v1/locks/freeze", {"scope": "all_outgoing", "accounts": "all"}, format="json")
    response = session.client.post(
        "/api/v1/locks/unfreeze",
        {"scope": "all_outgoing", "accounts": [session.account.pk]},
        format="json",
        HTTP_X_OTP=fresh_otp(),
    )
    assert response.status_code == 200, response.json()
    answer = report(session, latest(EventType.FREEZE_LIFTED))
    assert codes(answer)[0] == "lock_reverted"
    assert locks(session.account).freeze_all_outgoing


def test_a_travel_window_added_is_cancelled(session, fresh_otp):
    from datetime import UTC, datetime

    starts = datetime.now(UTC) + timedelta(days=1)
    response = session.client.post(
        f"/api/v1/accounts/{session.account.pk}/travel-windows",
        {"regions": ["JP"], "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=3)).isoformat()},
        format="json",
        HTTP_X_OTP=fresh_otp(),
    )
    assert response.status_code == 200, response.json()
    answer = report(session, latest(EventType.TRAVEL_WINDOW_ADDED))
    assert codes(answer)[0] == "lock_reverted"
    assert not session.account.travel_windows.filter(cancelled_at__isnull=True).exists()


def test_a_waiting_loosening_is_cancelled_and_one_applied_is_reverted(session, fresh_otp, settings):
    settings.LOOSENING_DELAY = timedelta(hours=1)
    session.patch({"version": 1, "channels": {"atm": False}})
    assert session.patch({"version": 2, "channels": {"atm": True}}, otp=fresh_otp()).status_code == 202
    answer = report(session, latest(EventType.LOOSENING_REQUESTED))
    assert answer["entry_kind"] == "pending_loosening" and codes(answer)[0] == "loosening_cancelled"
    assert PendingLoosening.objects.get().status == PendingLoosening.Status.CANCELLED

    assert (
        session.patch(
            {"version": locks(session.account).version, "channels": {"atm": True}}, otp=fresh_otp()
        ).status_code
        == 202
    )
    pending = PendingLoosening.objects.get(status="pending")
    PendingLoosening.objects.filter(pk=pending.pk).update(effective_at=pending.created_at - timedelta(seconds=1))
    assert pending_loosening_apply(pending_id=pending.pk)
    assert "atm" not in locks(session.account).channels_off
    answer = report(session, latest(EventType.LOOSENING_APPLIED))
    assert codes(answer)[0] == "lock_reverted"
    assert "atm" in locks(session.account).channels_off


def test_a_declined_payment_freezes_the_card_too(session):
    auth = AuthorizationFactory(account=session.account, outcome="decline", reasons=["channel_off"], channel="atm")
    authorization_decline_log(authorization_id=auth.pk)
    answer = report(session, latest(EventType.AUTHORIZATION_DECLINED))
    assert answer["entry_kind"] == "declined_payment"
    assert "freeze_all_outgoing" in codes(answer)
    assert locks(session.account).freeze_all_outgoing
    assert not LockSettings.objects.filter(account=session.accounts[1], freeze_all_outgoing=True).exists()
    assert Case.objects.get(source="not_me").authorization_id == auth.pk


def test_a_held_transfer_is_cancelled_as_a_scam_in_progress(session):
    auth = AuthorizationFactory(account=session.account, outcome="hold", amount=6_000_000)
    hold = hold_place(authorization_id=auth.pk)
    answer = report(session, latest(EventType.HOLD_PLACED))
    assert answer["entry_kind"] == "held_payment" and answer["scenario"] == "being_scammed_now"
    assert answer["lesson_id"] == "fake_police_safe_account"
    hold.refresh_from_db()
    assert hold.status == Hold.Status.CANCELLED
    case = Case.objects.get(source="not_me")
    assert case.priority == Case.Priority.URGENT and case.hold_id == hold.pk
    # The scenario's own case is not opened beside the report's: one incident.
    assert Case.objects.filter(customer=session.customer).count() == 1


def test_an_approved_payment_by_transaction_id(session, other_session):
    auth = AuthorizationFactory(account=session.account, outcome="approve", transaction_id="pay-1")
    response = session.client.post("/api/v1/payments/pay-1/not-me")
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["entry_kind"] == "approved_payment"
    assert locks(session.account).freeze_all_outgoing
    assert Case.objects.get(source="not_me").priority == Case.Priority.URGENT
    again = session.client.post("/api/v1/payments/pay-1/not-me").json()
    assert again["already_reported"] is True
    # Another customer's payment is a 404 naming the field, and changes nothing.
    AuthorizationFactory(account=other_session.account, transaction_id="pay-2")
    response = session.client.post("/api/v1/payments/pay-2/not-me")
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "transaction_id"
    assert not LockSettings.objects.filter(account=other_session.account, freeze_all_outgoing=True).exists()
    assert auth.pk


def test_an_entry_that_cannot_be_reported_is_a_422_and_changes_nothing(session):
    security_log_record(event_type=EventType.LOGOUT, actor=Actor.customer(session.customer), customer=session.customer)
    response = session.client.post(f"/api/v1/security-log/{latest(EventType.LOGOUT).pk}/not-me")
    assert response.status_code == 422 and response.json()["code"] == "not_reportable"
    assert not NotMeReport.objects.exists() and not Case.objects.exists()
    assert session.client.post("/api/v1/security-log/999999/not-me").status_code == 404
    assert session.client.post("/api/v1/security-log/abc/not-me").status_code == 404


def test_works_with_redis_down_and_tells_every_channel(session, settings, django_capture_on_commit_callbacks):
    session.customer.email = "c@example.com"
    session.customer.save()
    entry = thief_sign_in(session)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with django_capture_on_commit_callbacks(execute=True):
        answer = report(session, entry)
    assert answer["already_reported"] is False
    channels = sorted(n.channel for n in session.customer.notifications.filter(template="not_me_reported"))
    assert channels == ["email", "push", "sms"]
    assert latest(EventType.NOT_ME_REPORTED).details["entry_id"] == entry.pk


def _entry_of_kind(session, kind, fresh_otp, settings):
    """Make one entry of `kind` the real way; returns the URL that reports it."""
    if kind == "new_device":
        return f"/api/v1/security-log/{thief_sign_in(session).pk}/not-me"
    if kind == "sign_in":
        security_log_record(
            event_type=EventType.LOGIN_SUCCEEDED,
            actor=Actor.customer(session.customer),
            customer=session.customer,
            details={"device_pk": DeviceFactory(customer=session.customer).pk, "new_device": False},
        )
        return f"/api/v1/security-log/{latest(EventType.LOGIN_SUCCEEDED).pk}/not-me"
    if kind == "authenticator":
        added = OtpDeviceFactory(customer=session.customer)
        security_log_record(
            event_type=EventType.OTP_DEVICE_ENROLLED,
            actor=Actor.customer(session.customer),
            customer=session.customer,
            details={"device_id": added.pk, "name": added.name},
        )
        return f"/api/v1/security-log/{latest(EventType.OTP_DEVICE_ENROLLED).pk}/not-me"
    if kind == "lock_change":
        session.patch({"version": 1, "channels": {"atm": False}})
        session.patch({"version": 2, "channels": {"atm": True}}, otp=fresh_otp())
        return f"/api/v1/security-log/{latest(EventType.LOCK_CHANGED).pk}/not-me"
    if kind == "pending_loosening":
        settings.LOOSENING_DELAY = timedelta(hours=1)
        session.patch({"version": 1, "channels": {"atm": False}})
        session.patch({"version": 2, "channels": {"atm": True}}, otp=fresh_otp())
        return f"/api/v1/security-log/{latest(EventType.LOOSENING_REQUESTED).pk}/not-me"
    if kind == "declined_payment":
        auth = AuthorizationFactory(account=session.account, outcome="decline", reasons=["channel_off"])
        authorization_decline_log(authorization_id=auth.pk)
        return f"/api/v1/security-log/{latest(EventType.AUTHORIZATION_DECLINED).pk}/not-me"
    if kind == "held_payment":
        hold_place(authorization_id=AuthorizationFactory(account=session.account, outcome="hold").pk)
        return f"/api/v1/security-log/{latest(EventType.HOLD_PLACED).pk}/not-me"
    auth = AuthorizationFactory(account=session.account, outcome="approve")
    return f"/api/v1/payments/{auth.transaction_id}/not-me"


@pytest.mark.parametrize(
    "kind",
    [
        "sign_in",
        "new_device",
        "authenticator",
        "lock_change",
        "pending_loosening",
        "declined_payment",
        "held_payment",
        "approved_payment",
    ],
)
def test_each_kind_reported_twice_acts_once(session, fresh_otp, settings, kind):
    url = _entry_of_kind(session, kind, fresh_otp, settings)
    first = session.client.post(url)
    assert first.status_code == 200, first.json()
    assert first.json()["entry_kind"] == kind and first.json()["already_reported"] is False
    assert first.json()["case"]["kind"] == "incident"
    state = (
        SecurityEvent.objects.count(),
        Case.objects.count(),
        session.customer.notifications.count(),
        list(LockSettings.objects.order_by("account_id").values_list("version", flat=True)),
    )
    second = session.client.post(url)
    assert second.status_code == 200
    assert second.json()["already_reported"] is True
    assert second.json()["actions"] == first.json()["actions"]
    after = (
        SecurityEvent.objects.count(),
        Case.objects.count(),
        session.customer.notifications.count(),
        list(LockSettings.objects.order_by("account_id").values_list("version", flat=True)),
    )
    assert after == state


def test_the_notice_is_in_the_customers_language(session):
    entry = thief_sign_in(session)
    report(session, entry)
    note = session.customer.notifications.filter(template="not_me_reported").first()
    assert "新设备" in note.params["entry"]
    assert "95588" in note.params["summary"] or "退出" in note.params["summary"]
