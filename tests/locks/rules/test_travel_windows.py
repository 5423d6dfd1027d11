"""Travel windows: a temporary region allowance that lapses by itself, with no job needed for it."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from locks.decision.reasons import Reason
from locks.models import TravelWindow
from locks.rules.tasks import pending_loosenings_apply
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.locks.conftest import decision_of, sign_in_again

pytestmark = pytest.mark.django_db


def window_body(regions=("JP",), starts_in=timedelta(hours=-1), lasts=timedelta(days=3)):
    starts = datetime.now(UTC).replace(microsecond=0) + starts_in
    return {"regions": list(regions), "starts_at": starts.isoformat(), "ends_at": (starts + lasts).isoformat()}


def add_window(session, body, account=None, otp=None):
    account = account or session.account
    headers = {"HTTP_X_OTP": otp} if otp else {}
    return session.client.post(f"/api/v1/accounts/{account.pk}/travel-windows", body, format="json", **headers)


def remove_window(session, window_id, account=None):
    account = account or session.account
    return session.client.delete(f"/api/v1/accounts/{account.pk}/travel-windows/{window_id}")


@pytest.fixture
def home_only(session):
    """The account allows payments in China only."""
    response = session.patch({"version": 1, "region": {"mode": "allow", "regions": ["CN"]}})
    assert response.status_code == 200
    return session


def test_window_allows_the_region_while_it_lasts_and_lapses_by_itself(home_only, would_pass):
    session = home_only
    body = window_body(lasts=timedelta(days=3))
    refused = add_window(session, body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    response = add_window(session, body, otp=session.otp())
    assert response.status_code == 200, response.json()
    assert response.json()["accounts"][0]["loosened"] == ["travel_windows"]

    starts_at = datetime.fromisoformat(body["starts_at"])
    ends_at = datetime.fromisoformat(body["ends_at"])
    during = (starts_at + timedelta(days=1)).isoformat()
    assert decision_of(would_pass(country="JP", at=during)) == ("approve", [])
    assert decision_of(would_pass(country="US", at=during)) == ("decline", [Reason.REGION_NOT_ALLOWED])
    last_second = (ends_at - timedelta(seconds=1)).isoformat()
    assert decision_of(would_pass(country="JP", at=last_second)) == ("approve", [])
    assert decision_of(would_pass(country="JP", at=ends_at.isoformat())) == ("decline", [Reason.REGION_NOT_ALLOWED])
    before = (starts_at - timedelta(seconds=1)).isoformat()
    assert decision_of(would_pass(country="JP", at=before)) == ("decline", [Reason.REGION_NOT_ALLOWED])

    (shown,) = session.locks()["travel_windows"]
    assert shown["regions"] == ["JP"]
    assert shown["active"] is True

    # Time travel past ends_at: the window is gone from the view and from the decision, and nothing ran.
    after = ends_at + timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=after):
        sign_in_again(session)
        body_after = session.locks()
        assert body_after["travel_windows"] == []
        assert decision_of(would_pass(country="JP")) == ("decline", [Reason.REGION_NOT_ALLOWED])
    window = TravelWindow.objects.get()
    assert window.cancelled_at is None
    assert body_after["version"] == session.locks()["version"]


def test_window_lifts_the_cross_border_switch_and_a_block_list(session, would_pass):
    session.patch({"version": 1, "channels": {"cross_border": False}, "region": {"mode": "block", "regions": ["TH"]}})
    add_window(session, window_body(regions=("JP", "TH")), otp=session.otp())
    now = datetime.now(UTC).isoformat()
    assert decision_of(would_pass(country="JP", at=now)) == ("approve", [])
    assert decision_of(would_pass(country="TH", at=now)) == ("approve", [])
    assert decision_of(would_pass(country="US", at=now)) == ("decline", [Reason.CROSS_BORDER_OFF])


def test_window_for_a_province(session, would_pass):
    session.patch({"version": 1, "region": {"mode": "allow", "regions": ["CN-BJ"]}})
    add_window(session, window_body(regions=("CN-AH",)), otp=session.otp())
    assert decision_of(would_pass(country="CN", subdivision="CN-AH")) == ("approve", [])
    assert decision_of(would_pass(country="CN", subdivision="CN-SH")) == ("decline", [Reason.REGION_NOT_ALLOWED])


def test_a_window_inside_an_existing_one_needs_no_otp(home_only):
    session = home_only
    outer = window_body(lasts=timedelta(days=10))
    assert add_window(session, outer, otp=session.otp()).status_code == 200
    inner = window_body(starts_in=timedelta(days=1), lasts=timedelta(days=2))
    response = add_window(session, inner)
    assert response.status_code == 200, response.json()
    assert response.json()["accounts"][0]["loosened"] == []
    assert len(session.locks()["travel_windows"]) == 2


def test_removing_a_window_is_a_tightening_without_otp(home_only, would_pass):
    session = home_only
    add_window(session, window_body(), otp=session.otp())
    window_id = session.locks()["travel_windows"][0]["id"]
    version = session.locks()["version"]
    response = remove_window(session, window_id)
    assert response.status_code == 200, response.json()
    assert response.json()["accounts"][0] == {
        "account_id": session.account.pk,
        "version": version + 1,
        "applied": True,
        "loosened": [],
        "pending": None,
    }
    assert session.locks()["travel_windows"] == []
    assert TravelWindow.objects.get(pk=window_id).cancelled_at is not None
    assert decision_of(would_pass(country="JP")) == ("decline", [Reason.REGION_NOT_ALLOWED])
    event = SecurityEvent.objects.get(event_type=EventType.TRAVEL_WINDOW_REMOVED)
    assert [w["id"] for w in event.old_value["travel_windows"]] == [window_id]
    assert event.new_value["travel_windows"] == []
    # Gone is gone: a second removal finds nothing.
    assert remove_window(session, window_id).status_code == 404


def test_removing_a_window_works_while_a_loosening_delay_is_on(home_only, settings):
    session = home_only
    add_window(session, window_body(), otp=session.otp())
    window_id = session.locks()["travel_windows"][0]["id"]
    settings.LOOSENING_DELAY = timedelta(hours=12)
    assert remove_window(session, window_id).status_code == 200
    assert session.locks()["travel_windows"] == []


def test_windows_of_other_accounts_cannot_be_removed_through_mine(session, other_session):
    add_window(other_session, window_body(), otp=other_session.otp())
    theirs = TravelWindow.objects.get(account=other_session.account)
    assert remove_window(session, theirs.pk, account=other_session.account).status_code == 404
    assert remove_window(session, theirs.pk).status_code == 404
    add_window(session, window_body(), account=session.accounts[1], otp=session.otp())
    my_other = TravelWindow.objects.get(account=session.accounts[1])
    assert remove_window(session, my_other.pk).status_code == 404
    theirs.refresh_from_db()
    my_other.refresh_from_db()
    assert theirs.cancelled_at is None
    assert my_other.cancelled_at is None


def test_a_lapsed_window_cannot_be_removed(session):
    add_window(session, window_body(lasts=timedelta(hours=2)), otp=session.otp())
    window = TravelWindow.objects.get()
    with mock.patch("django.utils.timezone.now", return_value=window.ends_at + timedelta(seconds=1)):
        sign_in_again(session)
        assert remove_window(session, window.pk).status_code == 404


def test_naive_times_are_taken_as_utc(session):
    starts = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    body = {
        "regions": ["JP"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(days=1)).isoformat(),
    }
    assert add_window(session, body, otp=session.otp()).status_code == 200
    assert TravelWindow.objects.get().starts_at == starts.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"regions": []}, "regions"),
        ({"regions": ["XX"]}, "regions.0"),
        ({"regions": ["CN-XX"]}, "regions.0"),
        ({"regions": "JP"}, "regions"),
        ({"starts_at": "soon"}, "starts_at"),
        ({"ends_at": None}, "ends_at"),
        ({"ends_at": "2020-01-01T00:00:00Z", "starts_at": "2019-12-01T00:00:00Z"}, "ends_at"),
        ({"ends_at": "2030-01-01T00:00:00Z", "starts_at": "2030-01-02T00:00:00Z"}, "ends_at"),
        ({"ends_at": "2030-01-01T00:00:00Z", "starts_at": "2028-01-01T00:00:00Z"}, "ends_at"),
        ({"extra": True}, "extra"),
    ],
)
def test_bad_windows_are_400_naming_the_field(session, change, field):
    version = session.locks()["version"]
    response = add_window(session, {**window_body(), **change}, otp=session.otp())
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert not TravelWindow.objects.exists()
    assert session.locks()["version"] == version


def test_with_a_loosening_delay_a_window_waits_and_then_applies(home_only, would_pass, settings):
    session = home_only
    settings.LOOSENING_DELAY = timedelta(hours=2)
    body = window_body(starts_in=timedelta(hours=-1), lasts=timedelta(days=3))
    response = add_window(session, body, otp=session.otp())
    assert response.status_code == 202, response.json()
    pending_id = response.json()["accounts"][0]["pending"]["id"]
    view = session.locks()
    assert view["travel_windows"] == []
    assert view["pending_loosenings"][0]["id"] == pending_id
    assert view["pending_loosenings"][0]["loosens"] == ["travel_windows"]
    assert decision_of(would_pass(country="JP"))[0] == "decline"

    later = datetime.now(UTC) + timedelta(hours=2, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert pending_loosenings_apply() == 1
        sign_in_again(session)
        (shown,) = session.locks()["travel_windows"]
        assert shown["regions"] == ["JP"]
        assert decision_of(would_pass(country="JP", at=later.isoformat())) == ("approve", [])
    window = TravelWindow.objects.get()
    assert window.starts_at == datetime.fromisoformat(body["starts_at"])
    assert window.ends_at == datetime.fromisoformat(body["ends_at"])
