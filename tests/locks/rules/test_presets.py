"""Presets set several locks at once; `lock_change` decides whether they tighten (at once) or loosen (OTP)."""

from datetime import UTC, datetime, timedelta

import pytest

from locks.decision.policy import CHANNELS
from locks.decision.reasons import Reason
from locks.models import TravelWindow
from locks.rules.presets import ELDERLY_COOLING_OFF, ELDERLY_LIMITS
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.locks.conftest import decision_of

pytestmark = pytest.mark.django_db

NIGHT = "2026-03-02T03:00:00+08:00"  # Monday 03:00 in Shanghai
DAY = "2026-03-02T10:00:00+08:00"


def apply_preset(session, preset, accounts=None, otp=None, **fields):
    body = {"preset": preset, "accounts": accounts or [session.account.pk], **fields}
    if otp:
        body["otp"] = otp
    return session.client.post("/api/v1/locks/presets", body, format="json")


def document(session, account=None):
    body = session.locks(account)
    return {k: body[k] for k in ("version", "region", "time", "limits", "channels", "freeze", "cooling_off")}


def test_night_protection_blocks_midnight_to_six_without_an_otp(session, would_pass):
    response = apply_preset(session, "night_protection")
    assert response.status_code == 200, response.json()
    assert response.json()["accounts"][0]["loosened"] == []
    assert session.locks()["time"] == {"windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "06:00", "end": "24:00"}]}
    assert decision_of(would_pass(at=NIGHT)) == ("decline", [Reason.OUTSIDE_ALLOWED_TIME])
    assert decision_of(would_pass(at=DAY)) == ("approve", [])
    # The rest of the document is untouched.
    assert session.locks()["channels"] == dict.fromkeys(CHANNELS, True)
    event = SecurityEvent.objects.get(event_type=EventType.LOCK_CHANGED)
    assert event.old_value["time"] == {"windows": []}
    assert event.new_value["time"]["windows"][0]["start"] == "06:00"


def test_night_protection_over_narrower_hours_loosens_and_needs_an_otp(session):
    session.patch({"version": 1, "time": {"windows": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}})
    before = document(session)
    refused = apply_preset(session, "night_protection")
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert document(session) == before
    response = apply_preset(session, "night_protection", otp=session.otp())
    assert response.status_code == 200
    assert response.json()["accounts"][0]["loosened"] == ["time_windows"]


def test_elderly_protection_on_all_accounts(session, would_pass):
    response = apply_preset(session, "elderly_protection", accounts="all")
    assert response.status_code == 200, response.json()
    assert len(response.json()["accounts"]) == 2
    for account in session.accounts:
        body = session.locks(account)
        assert body["limits"] == {"currency": "CNY", **ELDERLY_LIMITS, "channels": {}}
        assert body["channels"] == {
            name: name not in ("card_not_present", "quick_pay", "cross_border") for name in CHANNELS
        }
        assert body["cooling_off"] == {"threshold": ELDERLY_COOLING_OFF}
        assert body["region"] == {"mode": "any", "regions": []}
        assert body["freeze"] == {"card_not_present": False, "all_outgoing": False}
    assert decision_of(would_pass(channel="card_not_present"))[1] == [Reason.CHANNEL_OFF]
    assert decision_of(would_pass(channel="quick_pay"))[1] == [Reason.CHANNEL_OFF]
    assert decision_of(would_pass(country="JP"))[1] == [Reason.CROSS_BORDER_OFF]
    assert decision_of(would_pass(amount=ELDERLY_LIMITS["per_transaction"] + 1))[1] == [
        Reason.OVER_PER_TRANSACTION_LIMIT
    ]
    # The earlier cooling-off stays in force should the limits ever be raised.
    assert session.locks()["cooling_off_threshold"] == ELDERLY_COOLING_OFF


def test_elderly_protection_keeps_a_lower_limit_the_customer_already_set(session):
    session.patch({"version": 1, "limits": {"per_transaction": 50_000, "channels": {"atm": {"daily": 10_000}}}})
    response = apply_preset(session, "elderly_protection")  # no OTP: it can only tighten
    assert response.status_code == 200, response.json()
    assert response.json()["accounts"][0]["loosened"] == []
    limits = session.locks()["limits"]
    assert limits["per_transaction"] == 50_000  # kept: lower than the preset's 200,000
    assert (limits["daily"], limits["monthly"]) == (500_000, 2_000_000)
    assert limits["channels"]["atm"]["daily"] == 10_000


def test_student_abroad_allows_home_and_the_country_of_study(session, would_pass):
    response = apply_preset(session, "student_abroad", country="GB")
    assert response.status_code == 200, response.json()
    assert response.json()["accounts"][0]["loosened"] == []  # from "anywhere" to two countries
    body = session.locks()
    assert body["region"] == {"mode": "allow", "regions": ["CN", "GB"]}
    assert body["channels"]["cross_border"] is True
    assert body["channels"]["card_not_present"] is True
    assert decision_of(would_pass(country="GB", channel="card_not_present")) == ("approve", [])
    assert decision_of(would_pass(country="CN", subdivision="CN-AH")) == ("approve", [])
    assert decision_of(would_pass(country="US")) == ("decline", [Reason.REGION_NOT_ALLOWED])


def test_student_abroad_after_elderly_protection_loosens_and_needs_an_otp(session, would_pass):
    apply_preset(session, "elderly_protection")
    before = document(session)
    refused = apply_preset(session, "student_abroad", country="GB")
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert document(session) == before
    response = apply_preset(session, "student_abroad", country="GB", otp=session.otp())
    assert response.status_code == 200, response.json()
    assert response.json()["accounts"][0]["loosened"] == ["channels_off"]
    body = session.locks()
    assert body["channels"]["cross_border"] is True
    assert body["channels"]["quick_pay"] is False  # not part of the preset: stays off
    assert body["limits"]["per_transaction"] == ELDERLY_LIMITS["per_transaction"]


def travel_fields(days=7):
    starts = datetime.now(UTC) + timedelta(hours=1)
    return {
        "regions": ["JP", "TH"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(days=days)).isoformat(),
    }


def test_travel_mode_adds_a_window_with_an_otp(session):
    session.patch({"version": 1, "channels": {"cross_border": False}})
    fields = travel_fields()
    refused = apply_preset(session, "travel_mode", **fields)
    assert refused.status_code == 403
    assert not TravelWindow.objects.exists()
    response = apply_preset(session, "travel_mode", accounts="all", otp=session.otp(), **fields)
    assert response.status_code == 200, response.json()
    assert all(a["loosened"] == ["travel_windows"] for a in response.json()["accounts"])
    for account in session.accounts:
        (window,) = session.locks(account)["travel_windows"]
        assert window["regions"] == ["JP", "TH"]
        assert window["active"] is False  # starts in an hour
    assert SecurityEvent.objects.filter(event_type=EventType.TRAVEL_WINDOW_ADDED).count() == 2
    # The preset adds a window; the customer's own switches stay as they were.
    assert session.locks()["channels"]["cross_border"] is False


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"preset": "holiday"}, "preset"),
        ({"preset": "student_abroad"}, "country"),
        ({"preset": "student_abroad", "country": "XX"}, "country"),
        ({"preset": "student_abroad", "country": "GB-LND"}, "country"),
        ({"preset": "travel_mode", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"}, "regions"),
        ({"preset": "travel_mode", "regions": ["JP"], "ends_at": "2030-01-02T00:00:00Z"}, "starts_at"),
        (
            {
                "preset": "travel_mode",
                "regions": ["JP"],
                "starts_at": "2030-01-02T00:00:00Z",
                "ends_at": "2030-01-01T00:00:00Z",
            },
            "ends_at",
        ),
        (
            {
                "preset": "travel_mode",
                "regions": ["ZZ"],
                "starts_at": "2030-01-01T00:00:00Z",
                "ends_at": "2030-01-02T00:00:00Z",
            },
            "regions.0",
        ),
        ({"preset": "night_protection", "accounts": []}, "accounts"),
        ({"preset": "night_protection", "windows": []}, "windows"),
    ],
)
def test_bad_preset_requests_are_400_naming_the_field(session, fields, field):
    before = document(session)
    body = {"accounts": "all", **fields}
    response = session.client.post("/api/v1/locks/presets", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert document(session) == before


def test_preset_on_another_customers_account_is_404(session, other_session):
    before = document(other_session)
    response = apply_preset(session, "elderly_protection", accounts=[session.account.pk, other_session.account.pk])
    assert response.status_code == 404
    assert document(other_session) == before
    assert document(session)["version"] == 1
