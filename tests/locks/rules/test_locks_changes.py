"""Each lock, each channel switch and each freeze, end to end: set through the API, then checked with the
would-pass endpoint; tighten at once, loosen with an OTP, the loosening delay, and tightening while
Redis is down."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Notification
from locks.decision.policy import CHANNELS
from locks.decision.reasons import Reason
from locks.models import LockSettings, PendingLoosening
from locks.rules.tasks import pending_loosenings_apply, policies_republish
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import BankAccountFactory
from tests.locks.conftest import decision_of, policy_read

pytestmark = pytest.mark.django_db

# 2026-03-02 is a Monday. Customers are in Asia/Shanghai (UTC+8).
SHANGHAI = timezone.get_fixed_timezone(8 * 60)


def local(day, hour, minute=0):
    """ISO time of 2026-03-<day> hour:minute in Shanghai."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).isoformat()


def set_locks(session, changes, account=None, otp=None):
    version = session.locks(account)["version"]
    response = session.patch({"version": version, **changes}, account=account, otp=otp)
    assert response.status_code == 200, response.json()
    return response.json()["accounts"][0]


# --- Region lock --------------------------------------------------------------------------------------------


def test_allow_list_of_a_province(session, would_pass):
    set_locks(session, {"region": {"mode": "allow", "regions": ["CN-AH"]}})
    assert decision_of(would_pass(country="CN", subdivision="CN-AH")) == ("approve", [])
    assert decision_of(would_pass(country="CN", subdivision="CN-BJ")) == ("decline", [Reason.REGION_NOT_ALLOWED])
    # A payment that names no province is not known to be in Anhui.
    assert decision_of(would_pass(country="CN")) == ("decline", [Reason.REGION_NOT_ALLOWED])
    assert decision_of(would_pass(country="JP")) == ("decline", [Reason.REGION_NOT_ALLOWED])


def test_allow_list_of_countries(session, would_pass):
    set_locks(session, {"region": {"mode": "allow", "regions": ["JP", "CN"]}})
    assert session.locks()["region"]["regions"] == ["CN", "JP"]
    assert decision_of(would_pass(country="CN", subdivision="CN-AH")) == ("approve", [])
    assert decision_of(would_pass(country="JP")) == ("approve", [])
    assert decision_of(would_pass(country="US")) == ("decline", [Reason.REGION_NOT_ALLOWED])


def test_block_list_of_a_province_and_a_country(session, would_pass):
    set_locks(session, {"region": {"mode": "block", "regions": ["CN-AH", "MM"]}})
    assert decision_of(would_pass(country="CN", subdivision="CN-AH")) == ("decline", [Reason.REGION_NOT_ALLOWED])
    assert decision_of(would_pass(country="CN", subdivision="CN-BJ")) == ("approve", [])
    assert decision_of(would_pass(country="MM")) == ("decline", [Reason.REGION_NOT_ALLOWED])
    assert decision_of(would_pass(country="JP")) == ("approve", [])


def test_narrowing_regions_is_a_tightening_and_widening_a_loosening(session, would_pass):
    assert set_locks(session, {"region": {"mode": "allow", "regions": ["CN", "JP"]}})["loosened"] == []
    assert set_locks(session, {"region": {"mode": "allow", "regions": ["CN"]}})["loosened"] == []
    version = session.locks()["version"]
    refused = session.patch({"version": version, "region": {"mode": "allow", "regions": ["CN", "US"]}})
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert decision_of(would_pass(country="US"))[0] == "decline"
    loosened = set_locks(session, {"region": {"mode": "allow", "regions": ["CN", "US"]}}, otp=session.otp())
    assert loosened["loosened"] == ["regions"]
    assert decision_of(would_pass(country="US")) == ("approve", [])


def test_cross_border_switch_refuses_every_foreign_payment(session, would_pass):
    set_locks(session, {"channels": {"cross_border": False}})
    assert decision_of(would_pass(country="JP", channel="pos")) == ("decline", [Reason.CROSS_BORDER_OFF])
    assert decision_of(would_pass(country="CN", channel="pos")) == ("approve", [])


# --- Time lock ---------------------------------------------------------------------------------------------


def test_office_hours_window(session, would_pass):
    set_locks(session, {"time": {"windows": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}})
    assert decision_of(would_pass(at=local(2, 10))) == ("approve", [])  # Monday 10:00
    assert decision_of(would_pass(at=local(2, 8, 59))) == ("decline", [Reason.OUTSIDE_ALLOWED_TIME])
    assert decision_of(would_pass(at=local(2, 17))) == ("decline", [Reason.OUTSIDE_ALLOWED_TIME])
    assert decision_of(would_pass(at=local(7, 10))) == ("decline", [Reason.OUTSIDE_ALLOWED_TIME])  # Saturday


def test_time_is_evaluated_in_the_customers_own_time_zone(session, would_pass):
    set_locks(session, {"time": {"windows": [{"days": [0], "start": "09:00", "end": "10:00"}]}})
    # Monday 09:30 in Shanghai is Monday 01:30 UTC: allowed, whatever the server's zone.
    assert decision_of(would_pass(at="2026-03-02T01:30:00Z")) == ("approve", [])
    assert decision_of(would_pass(at="2026-03-02T09:30:00Z"))[0] == "decline"
    session.customer.time_zone = "Europe/London"
    session.customer.save(update_fields=["time_zone"])
    assert decision_of(would_pass(at="2026-03-02T09:30:00Z")) == ("approve", [])


def test_window_crossing_midnight(session, would_pass):
    set_locks(session, {"time": {"windows": [{"days": [4], "start": "22:00", "end": "02:00"}]}})  # Friday night
    assert decision_of(would_pass(at=local(6, 23)))[0] == "approve"  # Friday 23:00
    assert decision_of(would_pass(at=local(7, 1, 30)))[0] == "approve"  # Saturday 01:30
    assert decision_of(would_pass(at=local(7, 2)))[0] == "decline"  # Saturday 02:00
    assert decision_of(would_pass(at=local(6, 1)))[0] == "decline"  # Friday 01:00 belongs to Thursday night
    assert decision_of(would_pass(at=local(6, 21, 59)))[0] == "decline"


def test_night_protection_blocks_midnight_to_six(session, would_pass):
    set_locks(session, {"time": {"windows": [{"days": list(range(7)), "start": "06:00", "end": "24:00"}]}})
    for day in range(2, 9):
        assert decision_of(would_pass(at=local(day, 0)))[0] == "decline"
        assert decision_of(would_pass(at=local(day, 5, 59)))[0] == "decline"
        assert decision_of(would_pass(at=local(day, 6)))[0] == "approve"
        assert decision_of(would_pass(at=local(day, 23, 59)))[0] == "approve"


def test_widening_the_hours_is_a_loosening_and_removing_them_too(session):
    set_locks(session, {"time": {"windows": [{"days": [0], "start": "09:00", "end": "17:00"}]}})
    narrower = set_locks(session, {"time": {"windows": [{"days": [0], "start": "10:00", "end": "17:00"}]}})
    assert narrower["loosened"] == []
    for windows in ([{"days": [0, 1], "start": "10:00", "end": "17:00"}], []):
        version = session.locks()["version"]
        response = session.patch({"version": version, "time": {"windows": windows}})
        assert response.status_code == 403, windows
    assert set_locks(session, {"time": {"windows": []}}, otp=session.otp())["loosened"] == ["time_windows"]


# --- Amount limits -------------------------------------------------------------------------------------------


def test_per_transaction_daily_and_monthly_limits(session, would_pass):
    set_locks(session, {"limits": {"per_transaction": 100_000, "daily": 500_000, "monthly": 2_000_000}})
    assert decision_of(would_pass(amount=100_000)) == ("approve", [])
    assert decision_of(would_pass(amount=100_001)) == ("decline", [Reason.OVER_PER_TRANSACTION_LIMIT])
    daily_only, monthly_only = session.accounts[1], BankAccountFactory(customer=session.customer)
    set_locks(session, {"limits": {"daily": 500_000}}, account=daily_only)
    assert decision_of(would_pass(account=daily_only, amount=500_000)) == ("approve", [])
    assert decision_of(would_pass(account=daily_only, amount=500_001)) == ("decline", [Reason.OVER_DAILY_LIMIT])
    set_locks(session, {"limits": {"monthly": 700_000}}, account=monthly_only)
    assert decision_of(would_pass(account=monthly_only, amount=700_001)) == ("decline", [Reason.OVER_MONTHLY_LIMIT])


def test_limits_section_is_replaced_as_a_whole(session):
    """Sending limits replaces every limit: one left out is removed, which is a loosening."""
    set_locks(session, {"limits": {"per_transaction": 100_000, "daily": 500_000}})
    response = session.patch({"version": 2, "limits": {"daily": 500_000}})
    assert response.status_code == 403
    assert session.locks()["limits"]["per_transaction"] == 100_000


def test_limits_in_order_may_be_equal(session):
    set_locks(session, {"limits": {"per_transaction": 100_000, "daily": 100_000, "monthly": 100_000}})
    assert session.locks()["effective_limits"]["daily"] == 100_000


def test_channel_limits_apply_to_their_channel_only(session, would_pass):
    set_locks(
        session,
        {
            "limits": {
                "daily": 1_000_000,
                "channels": {"atm": {"per_transaction": 50_000}, "quick_pay": {"daily": 20_000, "monthly": 90_000}},
            }
        },
    )
    body = session.locks()
    assert body["limits"]["channels"] == {
        "atm": {"per_transaction": 50_000, "daily": None, "monthly": None},
        "quick_pay": {"per_transaction": None, "daily": 20_000, "monthly": 90_000},
    }
    assert decision_of(would_pass(channel="atm", amount=60_000)) == (
        "decline",
        [Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT],
    )
    assert decision_of(would_pass(channel="pos", amount=60_000)) == ("approve", [])
    assert decision_of(would_pass(channel="quick_pay", amount=20_001)) == ("decline", [Reason.OVER_CHANNEL_DAILY_LIMIT])
    set_locks(
        session,
        {
            "limits": {
                "daily": 1_000_000,
                "channels": {"atm": {"per_transaction": 50_000}, "quick_pay": {"daily": 20_000, "monthly": 30_000}},
            }
        },
    )
    assert decision_of(would_pass(channel="quick_pay", amount=20_000)) == ("approve", [])
    set_locks(session, {"limits": {"channels": {"quick_pay": {"monthly": 10_000}}}}, account=session.accounts[1])
    assert decision_of(would_pass(account=session.accounts[1], channel="quick_pay", amount=10_001)) == (
        "decline",
        [Reason.OVER_CHANNEL_MONTHLY_LIMIT],
    )


def test_removing_a_channel_limit_is_a_loosening(session):
    set_locks(session, {"limits": {"channels": {"atm": {"daily": 50_000}}}})
    version = session.locks()["version"]
    assert session.patch({"version": version, "limits": {}}).status_code == 403
    assert set_locks(session, {"limits": {}}, otp=session.otp())["loosened"] == ["channel_limits.atm.daily"]


def test_bank_maximum_caps_an_account_without_limits(session, would_pass, settings):
    maxima = settings.BANK_MAX_LIMITS["CNY"]
    assert decision_of(would_pass(amount=maxima["per_transaction"]))[0] == "approve"
    # Told as the bank's maximum, not as a limit of the customer's own (which they could raise).
    assert decision_of(would_pass(amount=maxima["per_transaction"] + 1)) == (
        "decline",
        [Reason.OVER_BANK_PER_TRANSACTION_LIMIT],
    )
    # A limit at the bank's maximum is allowed; one above it is refused (see the bad-input tests).
    set_locks(session, {"limits": dict(maxima)})
    assert session.locks()["limits"]["monthly"] == maxima["monthly"]


def test_wrong_currency_is_declined(session, would_pass):
    assert decision_of(would_pass(currency="USD")) == ("decline", [Reason.CURRENCY_MISMATCH])


def test_raising_and_lowering_limits(session):
    assert set_locks(session, {"limits": {"daily": 500_000}})["loosened"] == []
    assert set_locks(session, {"limits": {"daily": 400_000}})["loosened"] == []
    version = session.locks()["version"]
    refused = session.patch({"version": version, "limits": {"daily": 600_000}})
    assert refused.status_code == 403
    assert set_locks(session, {"limits": {"daily": 600_000}}, otp=session.otp())["loosened"] == ["daily_limit"]


def test_cooling_off_threshold_lowered_at_once_raised_with_otp(session, would_pass):
    set_locks(session, {"cooling_off": {"threshold": 100_000}})
    outcome, reasons = decision_of(would_pass(channel="online_transfer", amount=100_000))
    assert outcome == "hold"
    assert Reason.COOLING_OFF in reasons
    version = session.locks()["version"]
    assert session.patch({"version": version, "cooling_off": {"threshold": None}}).status_code == 403


# --- Channel switches -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_switch_off_at_once_on_with_otp(session, would_pass, channel):
    country = "JP" if channel == "cross_border" else "CN"
    expected = Reason.CROSS_BORDER_OFF if channel == "cross_border" else Reason.CHANNEL_OFF
    log_before = SecurityEvent.objects.filter(event_type=EventType.LOCK_CHANGED).count()

    off = set_locks(session, {"channels": {channel: False}})
    assert off["loosened"] == []
    assert session.locks()["channels"] == {name: name != channel for name in CHANNELS}
    outcome, reasons = decision_of(would_pass(channel=channel, country=country))
    assert (outcome, reasons) == ("decline", [expected])
    other = next(c for c in CHANNELS if c not in (channel, "cross_border"))
    assert decision_of(would_pass(channel=other)) == ("approve", [])

    version = session.locks()["version"]
    refused = session.patch({"version": version, "channels": {channel: True}})
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert session.locks()["channels"][channel] is False

    on = set_locks(session, {"channels": {channel: True}}, otp=session.otp())
    assert on["loosened"] == ["channels_off"]
    assert decision_of(would_pass(channel=channel, country=country)) == ("approve", [])
    assert SecurityEvent.objects.filter(event_type=EventType.LOCK_CHANGED).count() == log_before + 2


def test_switches_merge_one_by_one(session):
    set_locks(session, {"channels": {"atm": False}})
    set_locks(session, {"channels": {"pos": False}})
    channels = session.locks()["channels"]
    assert channels["atm"] is False
    assert channels["pos"] is False


# --- Freezes ---------------------------------------------------------------------------------------------------


def freeze(session, scope, accounts, *, lift=False, otp=None):
    body = {"scope": scope, "accounts": accounts}
    if otp:
        body["otp"] = otp
    return session.client.post(f"/api/v1/locks/{'unfreeze' if lift else 'freeze'}", body, format="json")


def test_card_not_present_freeze_of_one_account(session, would_pass):
    first, second = session.accounts
    response = freeze(session, "card_not_present", [first.pk])
    assert response.status_code == 200, response.json()
    assert session.locks(first)["freeze"] == {"card_not_present": True, "all_outgoing": False}
    assert session.locks(second)["freeze"]["card_not_present"] is False
    assert decision_of(would_pass(channel="card_not_present")) == ("decline", [Reason.CARD_NOT_PRESENT_FROZEN])
    # Quick pay charges a bound card without the card: frozen too.
    assert decision_of(would_pass(channel="quick_pay")) == ("decline", [Reason.CARD_NOT_PRESENT_FROZEN])
    assert decision_of(would_pass(channel="pos")) == ("approve", [])
    assert decision_of(would_pass(account=second, channel="card_not_present")) == ("approve", [])
    event = SecurityEvent.objects.get(event_type=EventType.FREEZE_PLACED)
    assert event.old_value["freeze"]["card_not_present"] is False
    assert event.new_value["freeze"]["card_not_present"] is True


def test_all_outgoing_freeze_of_all_accounts_and_lifting_it(session, would_pass):
    response = freeze(session, "all_outgoing", "all")
    assert response.status_code == 200
    assert len(response.json()["accounts"]) == 2
    for account in session.accounts:
        assert session.locks(account)["freeze"]["all_outgoing"] is True
        for channel in CHANNELS:
            outcome, reasons = decision_of(would_pass(account=account, channel=channel))
            assert outcome == "decline"
            assert Reason.ACCOUNT_FROZEN in reasons

    refused = freeze(session, "all_outgoing", "all", lift=True)
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert all(session.locks(a)["freeze"]["all_outgoing"] for a in session.accounts)

    lifted = freeze(session, "all_outgoing", "all", lift=True, otp=session.otp())
    assert lifted.status_code == 200, lifted.json()
    assert all(a["loosened"] == ["freeze_all_outgoing"] for a in lifted.json()["accounts"])
    assert not any(session.locks(a)["freeze"]["all_outgoing"] for a in session.accounts)
    assert SecurityEvent.objects.filter(event_type=EventType.FREEZE_LIFTED).count() == 2


def test_freezing_twice_is_harmless_and_lifting_an_absent_freeze_needs_no_otp(session):
    assert freeze(session, "card_not_present", "all").status_code == 200
    assert freeze(session, "card_not_present", "all").status_code == 200
    assert freeze(session, "all_outgoing", "all", lift=True).status_code == 200
    assert all(session.locks(a)["freeze"]["card_not_present"] for a in session.accounts)


def test_lifting_one_freeze_keeps_the_other(session, would_pass):
    freeze(session, "card_not_present", [session.account.pk])
    freeze(session, "all_outgoing", [session.account.pk])
    assert freeze(session, "all_outgoing", [session.account.pk], lift=True, otp=session.otp()).status_code == 200
    assert session.locks()["freeze"] == {"card_not_present": True, "all_outgoing": False}
    assert decision_of(would_pass(channel="card_not_present"))[1] == [Reason.CARD_NOT_PRESENT_FROZEN]


# --- Loosening versus tightening: the trace and the notices --------------------------------------------------


def test_every_change_logs_old_and_new_values(session):
    old = session.locks()
    set_locks(session, {"limits": {"daily": 500_000}})
    code = session.otp()
    set_locks(session, {"limits": {"daily": 800_000}}, otp=code)
    tightening, loosening = SecurityEvent.objects.filter(event_type=EventType.LOCK_CHANGED).order_by("seq")
    assert tightening.actor_type == "customer"
    assert tightening.actor_id == str(session.customer.pk)
    assert tightening.device == session.device.device_id
    assert tightening.ip_address
    assert tightening.details == {"account_id": session.account.pk, "version": 2, "loosened": []}
    assert tightening.old_value["limits"]["daily"] is None
    assert tightening.old_value["channels"] == old["channels"]
    assert tightening.new_value["limits"]["daily"] == 500_000
    assert tightening.old_value["travel_windows"] == tightening.new_value["travel_windows"] == []
    assert loosening.details["loosened"] == ["daily_limit"]
    assert loosening.old_value["limits"]["daily"] == 500_000
    assert loosening.new_value["limits"]["daily"] == 800_000
    # The OTP that proved it is logged, the code itself never.
    assert SecurityEvent.objects.filter(event_type=EventType.OTP_VERIFIED).count() == 1
    for event in SecurityEvent.objects.all():
        assert code not in str((event.details, event.old_value, event.new_value))


def test_a_tightening_is_announced_by_push_a_loosening_by_push_and_sms(session):
    set_locks(session, {"channels": {"atm": False}})
    tightening = Notification.objects.filter(customer=session.customer)
    assert [(n.template, n.channel) for n in tightening] == [("lock_changed", "push")]
    assert tightening[0].params["account"] == session.account.masked_number
    assert tightening[0].params["summary"] == "channels"

    Notification.objects.all().delete()
    set_locks(session, {"channels": {"atm": True}}, otp=session.otp())
    loosening = Notification.objects.filter(customer=session.customer).order_by("channel")
    assert sorted((n.template, n.channel) for n in loosening) == [
        ("loosening_applied", "push"),
        ("loosening_applied", "sms"),
    ]
    for notification in loosening:
        assert session.account.number not in str(notification.params)


def test_notifications_are_sent_only_after_commit(session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        set_locks(session, {"channels": {"atm": False}})
    notification = Notification.objects.get(customer=session.customer)
    assert notification.status == Notification.Status.SENT


# --- The loosening delay ----------------------------------------------------------------------------------------


@pytest.fixture
def delay(settings):
    settings.LOOSENING_DELAY = timedelta(hours=12)
    return settings.LOOSENING_DELAY


def test_delayed_loosening_waits_and_the_policy_stays_tight(session, would_pass, delay):
    set_locks(session, {"channels": {"atm": False}})
    version = session.locks()["version"]
    response = session.patch({"version": version, "channels": {"atm": True}}, otp=session.otp())
    assert response.status_code == 202, response.json()
    result = response.json()["accounts"][0]
    assert result["applied"] is False
    assert result["version"] == version
    assert result["loosened"] == ["channels_off"]
    pending = PendingLoosening.objects.get(pk=result["pending"]["id"])
    assert pending.status == PendingLoosening.Status.PENDING
    assert abs(pending.effective_at - (timezone.now() + delay)) < timedelta(minutes=1)

    body = session.locks()
    assert body["version"] == version
    assert body["channels"]["atm"] is False
    assert [p["id"] for p in body["pending_loosenings"]] == [pending.pk]
    assert body["pending_loosenings"][0]["loosens"] == ["channels_off"]
    assert decision_of(would_pass(channel="atm")) == ("decline", [Reason.CHANNEL_OFF])

    requested = SecurityEvent.objects.get(event_type=EventType.LOOSENING_REQUESTED)
    assert requested.details["pending_id"] == pending.pk
    assert requested.old_value["channels"]["atm"] is False
    assert requested.new_value["changes"] == {"channels": {"atm": True}}
    assert sorted(Notification.objects.filter(template="loosening_pending").values_list("channel", flat=True)) == [
        "push",
        "sms",
    ]

    # The sweep leaves it alone until it is due.
    assert pending_loosenings_apply() == 0
    assert session.locks()["channels"]["atm"] is False


def test_tightening_is_never_delayed(session, delay):
    response = session.patch({"version": 1, "channels": {"atm": False}})
    assert response.status_code == 200
    assert session.locks()["channels"]["atm"] is False
    assert not PendingLoosening.objects.exists()


def test_pending_loosening_can_be_cancelled_without_otp(session, would_pass, delay):
    set_locks(session, {"limits": {"daily": 100_000}})
    response = session.patch({"version": 2, "limits": {"daily": 900_000}}, otp=session.otp())
    pending_id = response.json()["accounts"][0]["pending"]["id"]
    cancelled = session.client.post(f"/api/v1/locks/pending/{pending_id}/cancel")
    assert cancelled.status_code == 204
    pending = PendingLoosening.objects.get(pk=pending_id)
    assert pending.status == PendingLoosening.Status.CANCELLED
    assert pending.resolved_at is not None
    assert session.locks()["pending_loosenings"] == []
    assert SecurityEvent.objects.filter(event_type=EventType.LOOSENING_CANCELLED).count() == 1
    again = session.client.post(f"/api/v1/locks/pending/{pending_id}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "not_pending"

    later = timezone.now() + delay + timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert pending_loosenings_apply() == 0
    assert session.locks()["limits"]["daily"] == 100_000
    assert decision_of(would_pass(amount=100_001))[1] == [Reason.OVER_DAILY_LIMIT]


def test_pending_loosening_of_another_customer_is_not_found(session, other_session, settings):
    settings.LOOSENING_DELAY = timedelta(hours=1)
    other_session.patch({"version": 1, "channels": {"atm": False}})
    response = other_session.patch({"version": 2, "channels": {"atm": True}}, otp=other_session.otp())
    pending_id = response.json()["accounts"][0]["pending"]["id"]
    refused = session.client.post(f"/api/v1/locks/pending/{pending_id}/cancel")
    assert refused.status_code == 404
    assert PendingLoosening.objects.get(pk=pending_id).status == PendingLoosening.Status.PENDING
    assert session.client.post("/api/v1/locks/pending/999999/cancel").status_code == 404


def test_due_loosening_is_applied_by_the_task(session, would_pass, delay, django_capture_on_commit_callbacks):
    set_locks(session, {"channels": {"atm": False}, "limits": {"daily": 100_000}})
    response = session.patch({"version": 2, "channels": {"atm": True}}, otp=session.otp())
    pending_id = response.json()["accounts"][0]["pending"]["id"]
    # Meanwhile the customer tightens another section: the loosening applies on top and keeps it.
    set_locks(session, {"limits": {"daily": 50_000}})

    later = timezone.now() + delay + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later), django_capture_on_commit_callbacks(execute=True):
        assert pending_loosenings_apply() == 1
        assert pending_loosenings_apply() == 0  # idempotent

    pending = PendingLoosening.objects.get(pk=pending_id)
    assert pending.status == PendingLoosening.Status.APPLIED
    body = session.locks()
    assert body["version"] == 4
    assert body["channels"]["atm"] is True
    assert body["limits"]["daily"] == 50_000
    assert body["pending_loosenings"] == []
    assert decision_of(would_pass(channel="atm", amount=10_000)) == ("approve", [])
    applied = SecurityEvent.objects.filter(event_type=EventType.LOOSENING_APPLIED).get()
    assert applied.actor_type == "system"
    assert applied.details["pending_id"] == pending_id
    change = SecurityEvent.objects.filter(event_type=EventType.LOCK_CHANGED).order_by("-seq").first()
    assert change.old_value["channels"]["atm"] is False
    assert change.new_value["channels"]["atm"] is True
    assert Notification.objects.filter(template="loosening_applied", channel="sms").exists()


def test_mixed_change_with_delay_applies_nothing_of_the_loosening(session, delay):
    """A request that loosens anything waits; the loosening in it is not in force before the delay."""
    set_locks(session, {"channels": {"atm": False}})
    response = session.patch({"version": 2, "channels": {"atm": True, "pos": False}}, otp=session.otp())
    assert response.status_code == 202
    assert session.locks()["channels"]["atm"] is False


# --- Tightening with Redis down ---------------------------------------------------------------------------


def test_tightening_works_while_redis_is_down_and_the_sweep_publishes_it(
    session, settings, redis_client, django_capture_on_commit_callbacks
):
    session.locks()
    real_url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with django_capture_on_commit_callbacks(execute=True):
        response = session.patch({"version": 1, "freeze": {"all_outgoing": True}})
    assert response.status_code == 200, response.json()
    row = LockSettings.objects.get(account=session.account)
    assert row.version == 2
    assert row.freeze_all_outgoing is True
    assert row.published_version < row.version
    assert policies_republish() == 0  # still down: nothing published, nothing lost

    settings.REDIS_URL = real_url
    assert policies_republish() >= 1
    policy = policy_read(session.account.pk)
    assert policy.version == 2
    assert policy.freeze_all_outgoing is True
    row.refresh_from_db()
    assert row.published_version == 2


def test_loosening_with_redis_down_still_commits_and_is_republished(
    session, settings, redis_client, django_capture_on_commit_callbacks
):
    set_locks(session, {"channels": {"atm": False}})
    real_url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with django_capture_on_commit_callbacks(execute=True):
        response = session.patch({"version": 2, "channels": {"atm": True}}, otp=session.otp())
    assert response.status_code == 200
    settings.REDIS_URL = real_url
    policies_republish()
    assert policy_read(session.account.pk).channels_off == frozenset()


def test_a_tightening_never_waits_for_an_otp_even_with_a_broken_one(session):
    response = session.patch({"version": 1, "channels": {"atm": False}}, otp="garbage")
    assert response.status_code == 200
    assert not SecurityEvent.objects.filter(event_type=EventType.OTP_FAILED).exists()


def test_travel_window_times_are_utc_in_the_log(session):
    starts = datetime.now(UTC) + timedelta(days=1)
    response = session.client.post(
        f"/api/v1/accounts/{session.account.pk}/travel-windows",
        {"regions": ["JP"], "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=3)).isoformat()},
        format="json",
        HTTP_X_OTP=session.otp(),
    )
    assert response.status_code == 200, response.json()
    event = SecurityEvent.objects.get(event_type=EventType.TRAVEL_WINDOW_ADDED)
    assert event.old_value["travel_windows"] == []
    assert [w["regions"] for w in event.new_value["travel_windows"]] == [["JP"]]


def test_an_unchanged_document_writes_nothing(session):
    from accounts.models import Notification
    from securitycenter.securitylog.models import SecurityEvent

    body = session.locks()
    events, notes = SecurityEvent.objects.count(), Notification.objects.count()
    response = session.patch({"version": body["version"], "freeze": {"card_not_present": False}})
    assert response.status_code == 200
    assert response.json()["accounts"][0]["version"] == body["version"]
    assert session.locks()["version"] == body["version"]
    assert (SecurityEvent.objects.count(), Notification.objects.count()) == (events, notes)


def test_a_newer_tightening_supersedes_a_waiting_loosening_of_the_same_section(session, settings):
    from datetime import timedelta

    from locks.models import PendingLoosening
    from locks.rules.changes import pending_loosening_apply

    settings.LOOSENING_DELAY = timedelta(hours=1)
    body = session.locks()
    session.patch({"version": body["version"], "limits": {"daily": 100_000}})
    body = session.locks()
    waiting = session.patch({"version": body["version"], "limits": {"daily": 900_000}}, otp=session.otp())
    assert waiting.status_code == 202
    pending_id = waiting.json()["accounts"][0]["pending"]["id"]
    body = session.locks()
    assert session.patch({"version": body["version"], "limits": {"daily": 50_000}}).status_code == 200
    assert PendingLoosening.objects.get(pk=pending_id).status == "superseded"
    PendingLoosening.objects.filter(pk=pending_id).update(effective_at="2000-01-01T00:00:00Z")
    assert pending_loosening_apply(pending_id=pending_id) is False
    assert session.locks()["limits"]["daily"] == 50_000


def test_a_tightening_of_another_section_keeps_the_waiting_loosening(session, settings):
    from datetime import timedelta

    from locks.models import PendingLoosening

    settings.LOOSENING_DELAY = timedelta(hours=1)
    body = session.locks()
    session.patch({"version": body["version"], "channels": {"atm": False}})
    body = session.locks()
    waiting = session.patch({"version": body["version"], "channels": {"atm": True}}, otp=session.otp())
    pending_id = waiting.json()["accounts"][0]["pending"]["id"]
    body = session.locks()
    assert session.patch({"version": body["version"], "limits": {"daily": 50_000}}).status_code == 200
    assert PendingLoosening.objects.get(pk=pending_id).status == "pending"
