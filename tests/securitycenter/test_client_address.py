"""The client's address behind the trusted proxies: what the per-address sign-in limit and the log see."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.models import LoginThrottle
from securitycenter.client_address import client_address
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import DEFAULT_PASSWORD, CustomerFactory

LOAD_BALANCER = "10.0.0.2"


def address_of(xff=None, peer=LOAD_BALANCER):
    meta = {"REMOTE_ADDR": peer}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return client_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert address_of() == LOAD_BALANCER
    assert address_of("203.0.113.5") == LOAD_BALANCER
    assert address_of("6.6.6.6, 203.0.113.5") == LOAD_BALANCER


def test_behind_one_proxy_the_address_it_appended_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert address_of("203.0.113.5") == "203.0.113.5"
    # Entries further left are the client's own words.
    assert address_of("6.6.6.6, 203.0.113.5") == "203.0.113.5"
    assert address_of("2001:db8::7") == "2001:db8::7"
    # Not through the proxy at all: the socket address.
    assert address_of() == LOAD_BALANCER


def test_behind_two_proxies_the_second_entry_from_the_right_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert address_of("6.6.6.6, 203.0.113.5, 10.0.0.9") == "203.0.113.5"
    assert address_of("203.0.113.5, 10.0.0.9") == "203.0.113.5"


def _fail(login, xff):
    body = {"login": login, "password": "wrong", "device": {"id": "d-1", "name": "x", "platform": "ios"}}
    return APIClient().post(
        "/api/v1/auth/login", body, format="json", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=xff
    )


@pytest.mark.django_db
def test_behind_the_load_balancer_one_address_locked_out_does_not_lock_out_the_others(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        _fail(f"+86136{n:08d}", "203.0.113.5")
    assert _fail("+8613600000009", "203.0.113.5").json()["code"] == "login_locked"
    # A forged entry in front does not get the attacker a fresh budget.
    assert _fail("+8613600000010", "1.2.3.4, 203.0.113.5").json()["code"] == "login_locked"

    customer = CustomerFactory()
    body = {"login": customer.phone, "password": DEFAULT_PASSWORD, "device": {"id": "d", "name": "", "platform": "ios"}}
    ok = APIClient().post(
        "/api/v1/auth/login", body, format="json", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert ok.status_code == 200, ok.json()
    assert set(LoginThrottle.objects.filter(scope="address").values_list("key", flat=True)) == {
        "203.0.113.5",
        "198.51.100.8",
    }
    signed_in = SecurityEvent.objects.get(event_type=EventType.LOGIN_SUCCEEDED)
    assert signed_in.ip_address == "198.51.100.8"


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_header_gets_no_fresh_budget(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        _fail(f"+86135{n:08d}", f"203.0.113.{n}")
    assert _fail("+8613500000009", "203.0.113.99").json()["code"] == "login_locked"
    assert list(LoginThrottle.objects.filter(scope="address").values_list("key", flat=True)) == [LOAD_BALANCER]
