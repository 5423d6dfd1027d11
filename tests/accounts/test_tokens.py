"""Bearer tokens: lifetime, inactivity, revocation and the binding to a device."""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthToken
from accounts.tokens import TokenInvalid, auth_token_issue, auth_token_resolve, auth_token_revoke
from securitycenter.crypto import token_hash
from tests.factories import DeviceFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@contextmanager
def clock_moved(delta):
    """Every timezone.now() (ours and Django's auto_now fields) runs `delta` ahead."""
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + delta):
        yield


@pytest.fixture
def device():
    return DeviceFactory()


@pytest.fixture
def issued(device):
    return auth_token_issue(customer=device.customer, device=device, ip_address="192.0.2.1")


def reason(raw, device_id):
    with pytest.raises(TokenInvalid) as excinfo:
        auth_token_resolve(raw=raw, device_id=device_id)
    return excinfo.value.reason


def me(raw, device_id=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if device_id is not None:
        headers["HTTP_X_DEVICE_ID"] = device_id
    return APIClient().get("/api/v1/auth/me", **headers)


def test_only_the_hash_of_a_token_is_stored(issued, settings):
    token = AuthToken.objects.get(pk=issued.token.pk)
    assert token.key_hash == token_hash(issued.raw)
    assert issued.raw not in {token.key_hash, str(token.pk)}
    assert abs(token.expires_at - token.created_at - settings.TOKEN_ABSOLUTE_LIFETIME) < timedelta(seconds=1)


def test_token_works_on_its_own_device_only(issued, device):
    assert auth_token_resolve(raw=issued.raw, device_id=device.device_id).pk == issued.token.pk
    assert reason(issued.raw, None) == "device_mismatch"
    assert reason(issued.raw, "") == "device_mismatch"
    assert reason(issued.raw, "another-device") == "device_mismatch"
    # Another device of the same customer is another device.
    other = DeviceFactory(customer=device.customer)
    assert reason(issued.raw, other.device_id) == "device_mismatch"


def test_device_binding_over_http(issued, device):
    assert me(issued.raw, device.device_id).status_code == 200
    missing = me(issued.raw)
    assert missing.status_code == 401
    assert missing.json()["code"] == "token_device_mismatch"
    assert me(issued.raw, "someone-elses-phone").status_code == 401


def test_non_ascii_device_header_is_refused_not_a_crash(issued):
    response = me(issued.raw, "t\u00e9l\u00e9phone")
    assert response.status_code == 401
    assert response.json()["code"] == "token_device_mismatch"


def test_unknown_and_malformed_tokens_are_refused():
    assert reason("no-such-token", "x") == "unknown"
    response = APIClient().get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer two parts")
    assert response.status_code == 401
    assert response.json()["code"] == "malformed_credentials"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_expires_after_its_absolute_lifetime_however_active(issued, device, settings):
    # Keep it busy: one request every 10 minutes never hits the inactivity timeout.
    step = timedelta(minutes=10)
    elapsed = timedelta()
    while elapsed + step < settings.TOKEN_ABSOLUTE_LIFETIME:
        elapsed += step
        with clock_moved(elapsed):
            auth_token_resolve(raw=issued.raw, device_id=device.device_id)
    with clock_moved(settings.TOKEN_ABSOLUTE_LIFETIME + timedelta(seconds=1)):
        assert reason(issued.raw, device.device_id) == "expired"
        assert me(issued.raw, device.device_id).json()["code"] == "token_expired"


def test_token_ends_after_the_inactivity_timeout(issued, device, settings):
    with clock_moved(settings.TOKEN_IDLE_TIMEOUT - timedelta(seconds=5)):
        assert auth_token_resolve(raw=issued.raw, device_id=device.device_id)
    # That use counted as activity: the timeout starts over from there.
    with clock_moved(2 * settings.TOKEN_IDLE_TIMEOUT - timedelta(seconds=10)):
        assert auth_token_resolve(raw=issued.raw, device_id=device.device_id)
    with clock_moved(3 * settings.TOKEN_IDLE_TIMEOUT):
        assert reason(issued.raw, device.device_id) == "idle_timeout"
        response = me(issued.raw, device.device_id)
        assert response.status_code == 401
        assert response.json()["code"] == "token_idle_timeout"


def test_activity_is_written_at_most_once_a_minute(issued, device):
    first = AuthToken.objects.get(pk=issued.token.pk).last_used_at
    with clock_moved(timedelta(seconds=30)):
        auth_token_resolve(raw=issued.raw, device_id=device.device_id)
    assert AuthToken.objects.get(pk=issued.token.pk).last_used_at == first
    with clock_moved(timedelta(seconds=90)):
        auth_token_resolve(raw=issued.raw, device_id=device.device_id)
    assert AuthToken.objects.get(pk=issued.token.pk).last_used_at > first


def test_revoked_token_is_refused(issued, device):
    assert auth_token_revoke(token=issued.token) is True
    assert auth_token_revoke(token=issued.token) is False
    assert reason(issued.raw, device.device_id) == "revoked"
    assert me(issued.raw, device.device_id).json()["code"] == "token_revoked"


def test_token_of_a_revoked_device_is_refused(issued, device):
    device.revoked_at = timezone.now()
    device.save()
    assert reason(issued.raw, device.device_id) == "device_revoked"
    assert me(issued.raw, device.device_id).status_code == 401


def test_token_of_an_inactive_customer_is_refused(issued, device):
    device.customer.is_active = False
    device.customer.save()
    assert reason(issued.raw, device.device_id) == "customer_inactive"


def test_staff_token_needs_no_device_but_an_active_user():
    user = StaffUserFactory(groups=["agent"])
    issued = auth_token_issue(staff_user=user, ip_address=None)
    assert auth_token_resolve(raw=issued.raw, device_id=None).staff_user == user
    user.is_active = False
    user.save()
    assert reason(issued.raw, None) == "staff_inactive"
