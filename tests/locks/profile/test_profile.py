import pytest
from rest_framework.test import APIClient

from accounts.models import Customer
from locks.models import LockSettings
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import DeviceFactory
from tests.locks.conftest import policy_read
from tests.support.callers import wrong_callers

pytestmark = pytest.mark.django_db


def change(session, body, **headers):
    return session.client.patch("/api/v1/profile", body, format="json", **headers)


def test_read_and_change_the_language_at_once(session):
    assert session.client.get("/api/v1/profile").json()["language"] == "zh-Hans"
    response = change(session, {"language": "en"})
    assert response.status_code == 200, response.json()
    assert response.json()["language"] == "en" and response.json()["loosened"] == []
    session.customer.refresh_from_db()
    assert session.customer.language == "en"
    # The profile language now chooses the texts when the request names none.
    assert session.client.get("/api/v1/lessons/lost_card").json()["title"] == "If you lose your card"
    assert session.client.get("/api/v1/lessons/lost_card", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()["title"] != (
        "If you lose your card"
    )
    event = SecurityEvent.objects.get(event_type=EventType.PROFILE_CHANGED)
    assert event.old_value == {"language": "zh-Hans"} and event.new_value == {"language": "en"}


def test_a_time_zone_change_without_time_locks_needs_no_otp(session):
    response = change(session, {"time_zone": "Europe/London"})
    assert response.status_code == 200, response.json()
    session.customer.refresh_from_db()
    assert session.customer.time_zone == "Europe/London"


def test_a_time_zone_change_with_time_locks_is_a_loosening(session, fresh_otp, django_capture_on_commit_callbacks):
    session.patch({"version": 1, "time": {"windows": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}})
    response = change(session, {"time_zone": "America/New_York"})
    assert response.status_code in (401, 403), response.json()
    session.customer.refresh_from_db()
    assert session.customer.time_zone == "Asia/Shanghai"
    assert LockSettings.objects.get(account=session.account).version == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = change(session, {"time_zone": "America/New_York"}, HTTP_X_OTP=fresh_otp())
    assert response.status_code == 200, response.json()
    assert "time_zone" in response.json()["loosened"]
    # Each policy carries the time zone: a new version is published with it.
    row = LockSettings.objects.get(account=session.account)
    assert row.version == 3
    assert policy_read(session.account.pk).time_zone == "America/New_York"


def test_bad_input_names_the_field_and_changes_nothing(session):
    for body, field in (
        ({"language": "fr"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": 8}, "time_zone"),
        ({"nickname": "x"}, "nickname"),
    ):
        response = change(session, body)
        assert response.status_code == 400, body
        assert field in [e["field"] for e in response.json()["errors"]]
    customer = Customer.objects.get(pk=session.customer.pk)
    assert (customer.language, customer.time_zone) == ("zh-Hans", "Asia/Shanghai")
    assert not SecurityEvent.objects.filter(event_type=EventType.PROFILE_CHANGED).exists()


def test_profile_refuses_everybody_but_customers(db):
    for name, headers in wrong_callers().items():
        for method in ("get", "patch"):
            status = getattr(APIClient(), method)("/api/v1/profile", {}, format="json", **headers).status_code
            assert status == (401 if name == "anonymous" else 403), (name, method)


@pytest.mark.parametrize(
    "path", ["/api/v1/security-log", "/api/v1/holds", "/api/v1/devices", "/api/v1/cases", "/api/v1/self-check"]
)
def test_every_customer_list_is_paginated_the_same_way(session, path):
    for _ in range(3):
        DeviceFactory(customer=session.customer)
    session.client.post("/api/v1/self-check")
    session.client.post("/api/v1/self-check")
    body = session.client.get(f"{path}?page_size=1").json()
    assert set(body) == {"next", "previous", "results"}
    assert len(body["results"]) <= 1
    bad = session.client.get(f"{path}?cursor=%%%")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"
    too_big = session.client.get(f"{path}?page_size=1000")
    assert too_big.status_code == 400 and too_big.json()["errors"][0]["field"] == "page_size"
