"""The OTP endpoints over HTTP: happy paths, refused callers, bad input, throttling."""

import secrets
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.api.caller import otp_code_from_request
from accounts.models import ApiKey, Notification, OtpDevice, OtpThrottle, ServiceClient
from accounts.otp import totp_code, totp_step
from accounts.tokens import auth_token_issue
from securitycenter.crypto import token_hash
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import CustomerFactory, DeviceFactory, OtpDeviceFactory

pytestmark = pytest.mark.django_db


class Caller:
    """A customer signed in on one phone, sending JSON."""

    def __init__(self, client, customer=None):
        self.client = client
        self.customer = customer or CustomerFactory.create()
        phone = DeviceFactory.create(customer=self.customer)
        issued = auth_token_issue(customer=self.customer, device=phone, ip_address=None)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {issued.raw}", "HTTP_X_DEVICE_ID": phone.device_id}

    def request(self, method, url, data=None, **headers):
        if data is not None:
            headers["data"] = data
        return getattr(self.client, method)(url, content_type="application/json", **self.headers, **headers)

    def get(self, url, **headers):
        return self.request("get", url, **headers)

    def post(self, url, data=None, **headers):
        return self.request("post", url, data, **headers)

    def delete(self, url, data=None, **headers):
        return self.request("delete", url, data, **headers)

    def sms_code(self):
        assert self.post("/api/v1/otp/sms").status_code == 202
        return Notification.objects.filter(customer=self.customer, template="otp_sms_code").latest("id").params["code"]


@pytest.fixture
def caller(client):
    return Caller(client)


def now_code(device):
    return totp_code(secret=device.secret, step=totp_step(timezone.now()))


def wrong_code(device):
    window = {totp_code(secret=device.secret, step=totp_step(timezone.now()) + d) for d in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in window)


def error_fields(response):
    return [(e["field"], e["code"]) for e in response.json().get("errors", [])]


# --- Happy paths ----------------------------------------------------------------------------------------


def test_enrol_with_an_sms_code_then_confirm_then_list(caller):
    sms_code = caller.sms_code()
    response = caller.post("/api/v1/otp/devices", {"name": "My phone", "otp": sms_code})
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["name"] == "My phone"
    assert body["confirmed"] is False
    uri = urlparse(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    secret = parse_qs(uri.query)["secret"][0]
    assert caller.customer.customer_number in uri.path
    device = OtpDevice.objects.get(pk=body["id"])
    assert device.secret == secret

    code = totp_code(secret=secret, step=totp_step(timezone.now()))
    response = caller.post(f"/api/v1/otp/devices/{device.pk}/confirm", {"code": code})
    assert response.status_code == 200, response.json()
    assert response.json()["confirmed"] is True
    assert response.json()["confirmed_at"] is not None

    response = caller.get("/api/v1/otp/devices")
    assert response.status_code == 200
    [listed] = response.json()
    assert listed["id"] == device.pk
    assert listed["confirmed"] is True
    assert "secret" not in listed
    assert "otpauth_uri" not in listed
    assert secret not in response.content.decode()


def test_enrol_with_the_code_in_the_x_otp_header(caller):
    existing = OtpDeviceFactory.create(customer=caller.customer)
    response = caller.post("/api/v1/otp/devices", {"name": "Tablet"}, HTTP_X_OTP=now_code(existing))
    assert response.status_code == 201, response.json()


def test_list_shows_only_own_devices(caller):
    mine = OtpDeviceFactory.create(customer=caller.customer)
    OtpDeviceFactory.create()
    response = caller.get("/api/v1/otp/devices")
    assert [d["id"] for d in response.json()] == [mine.pk]


def test_remove_with_the_code_in_the_body(caller):
    device = OtpDeviceFactory.create(customer=caller.customer)
    response = caller.delete(f"/api/v1/otp/devices/{device.pk}", {"code": now_code(device)})
    assert response.status_code == 204
    assert not OtpDevice.objects.filter(pk=device.pk).exists()
    assert SecurityEvent.objects.filter(customer=caller.customer, event_type=EventType.OTP_DEVICE_REMOVED).exists()


def test_remove_with_the_code_in_the_x_otp_header(caller):
    device = OtpDeviceFactory.create(customer=caller.customer)
    response = caller.delete(f"/api/v1/otp/devices/{device.pk}", HTTP_X_OTP=now_code(device))
    assert response.status_code == 204
    assert not OtpDevice.objects.filter(pk=device.pk).exists()


def test_sms_send(caller):
    response = caller.post("/api/v1/otp/sms")
    assert response.status_code == 202
    assert "expires_at" in response.json()
    assert "code" not in response.json()
    [notification] = Notification.objects.filter(customer=caller.customer)
    assert (notification.template, notification.channel) == ("otp_sms_code", "sms")


def test_sms_send_is_rate_limited(caller):
    caller.post("/api/v1/otp/sms")
    response = caller.post("/api/v1/otp/sms")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "sms_rate_limited"
    assert 0 < body["retry_after"] <= 60
    assert int(response["Retry-After"]) == body["retry_after"]


def test_verify_a_totp_code_then_its_replay(caller):
    device = OtpDeviceFactory.create(customer=caller.customer)
    code = now_code(device)
    assert caller.post("/api/v1/otp/verify", {"code": code}).status_code == 204
    response = caller.post("/api/v1/otp/verify", {"code": code})
    assert response.status_code == 403
    assert response.json()["code"] == "otp_invalid"
    assert error_fields(response) == [("code", "otp_invalid")]


def test_verify_an_sms_code(caller):
    assert caller.post("/api/v1/otp/verify", {"code": caller.sms_code()}).status_code == 204


def test_verify_locks_after_five_failures_even_for_the_right_code(caller):
    device = OtpDeviceFactory.create(customer=caller.customer)
    for attempt in range(1, 6):
        response = caller.post("/api/v1/otp/verify", {"code": wrong_code(device)})
        assert response.status_code == 403, attempt
        assert OtpThrottle.objects.get(customer=caller.customer).failures == attempt
    response = caller.post("/api/v1/otp/verify", {"code": now_code(device)})
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "otp_locked"
    assert 0 < body["retry_after"] <= 60
    assert response["Retry-After"] == str(body["retry_after"])
    device.refresh_from_db()
    assert device.last_accepted_step is None


def test_otp_code_from_request_reads_the_header_then_the_body():
    factory = APIRequestFactory()

    def carried(data, **headers):
        return otp_code_from_request(Request(factory.post("/", data, format="json", **headers), parsers=[JSONParser()]))

    assert carried({"otp": "123456"}) == "123456"
    assert carried({"otp": "123456"}, HTTP_X_OTP=" 654321 ") == "654321"
    assert carried({"otp": 123456}) == "123456"
    assert carried({}) is None
    assert carried({"otp": ""}) is None
    assert carried({"otp": None}) is None
    assert carried(["123456"]) is None


# --- Refused callers ----------------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/otp/devices"),
    ("post", "/api/v1/otp/devices"),
    ("delete", "/api/v1/otp/devices/{id}"),
    ("post", "/api/v1/otp/devices/{id}/confirm"),
    ("post", "/api/v1/otp/sms"),
    ("post", "/api/v1/otp/verify"),
]


@pytest.fixture
def device():
    return OtpDeviceFactory.create()


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_without_credentials_is_401(client, device, method, url):
    response = getattr(client, method)(url.format(id=device.pk), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_an_agent_is_403(client, device, method, url):
    agent = get_user_model().objects.create_user(username="agent-1", password="x" * 20)
    agent.user_permissions.add(Permission.objects.get(codename="agent_access", content_type__app_label="accounts"))
    issued = auth_token_issue(staff_user=agent, ip_address=None)
    response = getattr(client, method)(
        url.format(id=device.pk),
        data={"code": now_code(device), "name": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issued.raw}",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert OtpDevice.objects.get(pk=device.pk).last_accepted_step is None


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_a_service_client_is_403(client, device, method, url):
    raw = f"sc_abcd1234_{secrets.token_urlsafe(24)}"
    service = ServiceClient.objects.create(name="payment-core", scopes=["authorizations:write"])
    ApiKey.objects.create(client=service, prefix="abcd1234", key_hash=token_hash(raw))
    response = getattr(client, method)(
        url.format(id=device.pk),
        data={"code": now_code(device), "name": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {raw}",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_another_customers_device_is_404_for_removal_and_confirmation(caller):
    theirs = OtpDeviceFactory.create(confirmed_at=None)
    mine = OtpDeviceFactory.create(customer=caller.customer)
    response = caller.delete(f"/api/v1/otp/devices/{theirs.pk}", {"code": now_code(mine)})
    assert response.status_code == 404
    response = caller.post(f"/api/v1/otp/devices/{theirs.pk}/confirm", {"code": now_code(theirs)})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.confirmed_at is None
    assert OtpDevice.objects.filter(pk=theirs.pk).exists()
    assert not OtpThrottle.objects.filter(customer=caller.customer, failures__gt=0).exists()


def test_an_unknown_device_id_is_404(caller):
    mine = OtpDeviceFactory.create(customer=caller.customer)
    for device_id in (987654, 2**70):
        response = caller.delete(f"/api/v1/otp/devices/{device_id}", {"code": now_code(mine)})
        assert response.status_code == 404


# --- Bad input -------------------------------------------------------------------------------------------


def test_enrol_without_an_otp_is_403_otp_required(caller):
    response = caller.post("/api/v1/otp/devices", {"name": "Phone"})
    assert response.status_code == 403
    assert response.json()["code"] == "otp_required"
    assert error_fields(response) == [("otp", "otp_required")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("name", "required")]),
        ({"name": ""}, [("name", "blank")]),
        ({"name": "x" * 65}, [("name", "max_length")]),
        ({"name": ["a"]}, [("name", "invalid")]),
        ({"name": "Phone", "otp": {"a": 1}}, [("otp", "invalid")]),
    ],
)
def test_enrol_with_bad_input_names_the_field(caller, body, expected):
    response = caller.post("/api/v1/otp/devices", body)
    assert response.status_code == 400
    assert error_fields(response) == expected
    assert not OtpDevice.objects.exists()


def test_enrol_with_a_malformed_otp_is_400_on_otp(caller):
    response = caller.post("/api/v1/otp/devices", {"name": "Phone", "otp": "12ab56"})
    assert response.status_code == 400
    assert error_fields(response) == [("otp", "otp_invalid")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("code", "required")]),
        ({"code": ""}, [("code", "blank")]),
        ({"code": "12a456"}, [("code", "invalid")]),
        ({"code": "1234567"}, [("code", "invalid")]),
        ({"code": "12345\n"}, [("code", "invalid")]),
        ({"code": None}, [("code", "null")]),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/otp/verify", "/api/v1/otp/devices/{id}/confirm", "/api/v1/otp/devices/{id}"])
def test_code_input_is_validated(caller, body, expected, url):
    device = OtpDeviceFactory.create(customer=caller.customer, confirmed_at=None)
    method = caller.delete if url == "/api/v1/otp/devices/{id}" else caller.post
    response = method(url.format(id=device.pk), body)
    assert response.status_code == 400, response.json()
    assert error_fields(response) == expected
    assert not OtpThrottle.objects.filter(customer=caller.customer, failures__gt=0).exists()


def test_confirm_with_a_wrong_code_is_400_and_counted(caller):
    pending = OtpDeviceFactory.create(customer=caller.customer, confirmed_at=None)
    response = caller.post(f"/api/v1/otp/devices/{pending.pk}/confirm", {"code": wrong_code(pending)})
    assert response.status_code == 400
    assert error_fields(response) == [("code", "otp_invalid")]
    assert OtpThrottle.objects.get(customer=caller.customer).failures == 1


def test_confirm_twice_is_409(caller):
    device = OtpDeviceFactory.create(customer=caller.customer)
    response = caller.post(f"/api/v1/otp/devices/{device.pk}/confirm", {"code": now_code(device)})
    assert response.status_code == 409
    assert response.json()["code"] == "otp_device_already_confirmed"


def test_malformed_json_is_400(caller):
    response = caller.client.post(
        "/api/v1/otp/verify", data="{not json", content_type="application/json", **caller.headers
    )
    assert response.status_code == 400


def test_the_schema_documents_every_otp_endpoint():
    generator = SchemaGenerator(patterns=[path("api/v1/", include("accounts.api.otp"))])
    paths = generator.get_schema(request=None, public=True)["paths"]
    operations = {(url, method): op for url, item in paths.items() for method, op in item.items()}
    assert set(operations) == {
        ("/api/v1/otp/devices", "get"),
        ("/api/v1/otp/devices", "post"),
        ("/api/v1/otp/devices/{device_id}", "delete"),
        ("/api/v1/otp/devices/{device_id}/confirm", "post"),
        ("/api/v1/otp/sms", "post"),
        ("/api/v1/otp/verify", "post"),
    }
    for op in operations.values():
        assert {"401", "403"} <= set(op["responses"])
        assert op["security"] == [{"bearerToken": []}]
        for status_code, response in op["responses"].items():
            if status_code.startswith("4"):
                assert list(response["content"]) == ["application/problem+json"], status_code
    assert "429" in operations[("/api/v1/otp/verify", "post")]["responses"]
