"""The sign-in, profile and device endpoints, for customers and agents."""

import json
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthToken, Device, LoginThrottle
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import DEFAULT_PASSWORD, CustomerFactory, DeviceFactory, StaffUserFactory, staff_totp

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
AGENT_LOGIN = "/api/v1/agent/auth/login"


@contextmanager
def clock_moved(delta):
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + delta):
        yield


def login(login, password=DEFAULT_PASSWORD, *, device_id="phone-1", address="198.51.100.7", **device):
    body = {"login": login, "password": password, "device": {"id": device_id, "name": "iPhone 15", "platform": "ios"}}
    body["device"].update(device)
    return APIClient().post(LOGIN, body, format="json", REMOTE_ADDR=address)


def customer_client(token, device_id="phone-1"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_DEVICE_ID=device_id)
    return client


def staff_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def customer():
    return CustomerFactory(name="王秀英", language="zh-Hans", time_zone="Asia/Shanghai")


@pytest.fixture
def session(customer):
    response = login(customer.phone)
    assert response.status_code == 200, response.json()
    return response.json()["token"]


# --- sign-in --------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["phone", "customer_number"])
def test_login(customer, settings, by):
    before = timezone.now()
    response = login(getattr(customer, by))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["idle_timeout_seconds"] == settings.TOKEN_IDLE_TIMEOUT.total_seconds()
    expires_at = timezone.datetime.fromisoformat(body["expires_at"])
    assert before + settings.TOKEN_ABSOLUTE_LIFETIME <= expires_at <= timezone.now() + settings.TOKEN_ABSOLUTE_LIFETIME
    assert body["customer"] == {
        "customer_number": customer.customer_number,
        "name": "王秀英",
        "language": "zh-Hans",
        "time_zone": "Asia/Shanghai",
    }
    device = Device.objects.get(customer=customer, device_id="phone-1")
    assert (device.name, device.platform) == ("iPhone 15", "ios")
    token = AuthToken.objects.get()
    assert (token.customer, token.device, token.ip_address) == (customer, device, "198.51.100.7")

    me = customer_client(body["token"]).get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["customer_number"] == customer.customer_number
    assert me.json()["phone"].endswith(customer.phone[-4:])
    assert customer.phone not in json.dumps(me.json())


def test_token_needs_its_device_header(session):
    assert customer_client(session, "phone-1").get("/api/v1/auth/me").status_code == 200
    assert customer_client(session, "phone-2").get("/api/v1/auth/me").status_code == 401
    assert staff_client(session).get("/api/v1/auth/me").status_code == 401


def test_wrong_password_and_unknown_login_get_the_same_answer(customer):
    wrong_password = login(customer.phone, "wrong password")
    unknown_phone = login("+8613999999999", "wrong password")
    unknown_number = login("C404", "wrong password")
    for response in (wrong_password, unknown_phone, unknown_number):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"] == wrong_password["WWW-Authenticate"]
        assert response.json() == wrong_password.json()
    assert wrong_password.json()["code"] == "invalid_credentials"
    assert not AuthToken.objects.exists()


def test_a_stale_token_does_not_block_signing_in(customer):
    response = APIClient().post(
        LOGIN,
        {"login": customer.phone, "password": DEFAULT_PASSWORD, "device": {"id": "phone-1", "platform": "ios"}},
        format="json",
        HTTP_AUTHORIZATION="Bearer expired-long-ago",
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": DEFAULT_PASSWORD, "device": {"id": "a", "platform": "ios"}}, "login"),
        ({"login": "C1", "device": {"id": "a", "platform": "ios"}}, "password"),
        ({"login": "C1", "password": "x"}, "device"),
        ({"login": "C1", "password": "x", "device": {"platform": "ios"}}, "device.id"),
        ({"login": "C1", "password": "x", "device": {"id": "has space", "platform": "ios"}}, "device.id"),
        ({"login": "C1", "password": "x", "device": {"id": "a" * 129, "platform": "ios"}}, "device.id"),
        ({"login": "C1", "password": "x", "device": {"id": "a", "platform": "i o s"}}, "device.platform"),
        ({"login": "C1", "password": "x", "device": {"id": "a", "platform": "ios", "name": "n" * 101}}, "device.name"),
        ({"login": "C1" * 50, "password": "x", "device": {"id": "a", "platform": "ios"}}, "login"),
        ({"login": "C1", "password": "x" * 300, "device": {"id": "a", "platform": "ios"}}, "password"),
        ({"login": ["C1"], "password": "x", "device": {"id": "a", "platform": "ios"}}, "login"),
    ],
)
def test_bad_login_input_names_the_field(body, field):
    response = APIClient().post(LOGIN, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_login_refuses_a_revoked_device(customer):
    DeviceFactory(customer=customer, device_id="phone-1", revoked_at=timezone.now())
    response = login(customer.phone)
    assert response.status_code == 403
    assert response.json()["code"] == "device_revoked"


def test_login_lock_out_over_http(customer, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1):
        assert login(customer.phone, "wrong").status_code == 401
    assert login(customer.phone, "wrong").status_code == 429
    locked = login(customer.phone)  # the right password, while locked
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "login_locked"
    assert 0 < body["retry_after"] <= settings.LOGIN_LOCKOUT.total_seconds()
    assert locked["Retry-After"] == str(body["retry_after"])
    with clock_moved(settings.LOGIN_LOCKOUT + timedelta(seconds=1)):
        assert login(customer.phone).status_code == 200


def test_address_lock_out_over_http(customer, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        login(f"C70000{n}", "wrong", address="203.0.113.50")
    locked = login(customer.phone, address="203.0.113.50")
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"
    assert login(customer.phone, address="203.0.113.51").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_failure_counter_survives_the_error_response(customer):
    assert login(customer.phone, "wrong").status_code == 401
    throttle = LoginThrottle.objects.get(scope="customer", key=f"customer:{customer.pk}")
    assert throttle.failures == 1
    assert SecurityEvent.objects.filter(event_type=EventType.LOGIN_FAILED, customer=customer).count() == 1


# --- sign-out, profile, devices ---------------------------------------------------------------------


def test_logout_revokes_the_token(session, customer):
    client = customer_client(session)
    assert client.post("/api/v1/auth/logout").status_code == 204
    after = client.get("/api/v1/auth/me")
    assert after.status_code == 401
    assert after.json()["code"] == "token_revoked"
    assert SecurityEvent.objects.filter(event_type=EventType.LOGOUT, customer=customer).count() == 1


def test_devices_list_marks_the_current_one(customer, session):
    tablet = login(customer.customer_number, device_id="tablet-1", platform="android", name="Tab")
    assert tablet.status_code == 200
    response = customer_client(session).get("/api/v1/devices")
    assert response.status_code == 200
    devices = {d["name"]: d for d in response.json()["results"]}
    assert set(devices) == {"iPhone 15", "Tab"}
    assert devices["iPhone 15"]["current"] is True
    assert devices["Tab"]["current"] is False
    assert devices["Tab"]["platform"] == "android"
    assert set(devices["Tab"]) == {
        "id",
        "name",
        "platform",
        "first_seen_at",
        "last_seen_at",
        "trusted",
        "revoked",
        "revoked_at",
        "current",
    }
    # Another customer's devices are not listed.
    DeviceFactory(name="Not mine")
    assert len(customer_client(session).get("/api/v1/devices").json()["results"]) == 2


def test_revoking_a_device_kills_its_tokens(customer, session):
    tablet_token = login(customer.phone, device_id="tablet-1").json()["token"]
    tablet = Device.objects.get(customer=customer, device_id="tablet-1")
    response = customer_client(session).post(f"/api/v1/devices/{tablet.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["revoked"] is True
    assert response.json()["current"] is False
    refused = customer_client(tablet_token, "tablet-1").get("/api/v1/auth/me")
    assert refused.status_code == 401
    assert customer_client(session).get("/api/v1/auth/me").status_code == 200
    # It cannot come back by signing in again.
    assert login(customer.phone, device_id="tablet-1").json()["code"] == "device_revoked"
    assert SecurityEvent.objects.filter(event_type=EventType.DEVICE_REVOKED, customer=customer).count() == 1
    assert SecurityEvent.objects.filter(event_type=EventType.TOKEN_REVOKED, customer=customer).count() == 1


def test_revoking_the_current_device_signs_it_out(customer, session):
    device = Device.objects.get(customer=customer, device_id="phone-1")
    response = customer_client(session).post(f"/api/v1/devices/{device.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["current"] is True
    assert customer_client(session).get("/api/v1/auth/me").status_code == 401


def test_another_customers_device_is_not_found(session):
    stranger = DeviceFactory()
    response = customer_client(session).post(f"/api/v1/devices/{stranger.pk}/revoke")
    assert response.status_code == 404
    assert Device.objects.get(pk=stranger.pk).revoked_at is None
    assert customer_client(session).post("/api/v1/devices/999999/revoke").status_code == 404


def test_customer_endpoints_need_a_customer(customer):
    for method, url in [
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/auth/me"),
        ("get", "/api/v1/devices"),
        ("post", "/api/v1/devices/1/revoke"),
    ]:
        assert getattr(APIClient(), method)(url).status_code == 401
    agent = StaffUserFactory(groups=["agent"])
    token = APIClient().post(
        AGENT_LOGIN, {"username": agent.username, "password": DEFAULT_PASSWORD, "totp": staff_totp()}, format="json"
    )
    assert staff_client(token.json()["token"]).get("/api/v1/auth/me").status_code == 403


# --- agents ---------------------------------------------------------------------------------------


def test_agent_login_and_logout():
    agent = StaffUserFactory(groups=["agent"])
    response = APIClient().post(
        AGENT_LOGIN, {"username": agent.username, "password": DEFAULT_PASSWORD, "totp": staff_totp()}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body) == {"token", "token_type", "expires_at", "idle_timeout_seconds"}
    client = staff_client(body["token"])
    assert client.post("/api/v1/agent/auth/logout").status_code == 204
    assert client.post("/api/v1/agent/auth/logout").status_code == 401
    assert SecurityEvent.objects.filter(event_type=EventType.LOGOUT, chain="bank").count() == 1


def test_agent_login_refusals(settings):
    agent = StaffUserFactory(groups=["agent"])
    clerk = StaffUserFactory()

    def post(username, password=DEFAULT_PASSWORD):
        body = {"username": username, "password": password, "totp": staff_totp()}
        return APIClient().post(AGENT_LOGIN, body, format="json")

    wrong = post(agent.username, "wrong")
    unknown = post("nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert post(clerk.username).json()["code"] == "not_an_agent"
    assert post("", "").status_code == 400
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1):
        post(agent.username, "wrong")
    locked = post(agent.username)
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"


def test_customer_cannot_use_the_agent_logout(session):
    assert customer_client(session).post("/api/v1/agent/auth/logout").status_code == 403
