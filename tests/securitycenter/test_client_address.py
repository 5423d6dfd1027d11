"""The client's address behind the trusted proxies: what the per-address sign-in limit and the log see."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.models import LoginThrottle
from securitycenter.client_address import client_address, client_country
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


def country_of(headers):
    return client_country(RequestFactory().get("/", REMOTE_ADDR=LOAD_BALANCER, **headers))


def test_the_country_is_the_trusted_proxys_word(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CLIENT_COUNTRY_HEADER = "CF-IPCountry"
    assert country_of({"HTTP_X_FORWARDED_FOR": "203.0.113.5", "HTTP_CF_IPCOUNTRY": "jp"}) == "JP"
    # Not a country: unknown, Tor, garbage.
    for value in ("XX", "T1", "Japan", "", "J1"):
        assert country_of({"HTTP_X_FORWARDED_FOR": "203.0.113.5", "HTTP_CF_IPCOUNTRY": value}) is None


def test_a_country_header_from_an_untrusted_client_is_ignored(settings):
    settings.CLIENT_COUNTRY_HEADER = "CF-IPCountry"
    # No trusted proxies: the client faces the service, so the header is its own word.
    settings.TRUSTED_PROXY_COUNT = 0
    assert country_of({"HTTP_X_FORWARDED_FOR": "203.0.113.5", "HTTP_CF_IPCOUNTRY": "JP"}) is None
    # Trusted proxies configured, but this request did not come through them.
    settings.TRUSTED_PROXY_COUNT = 2
    assert country_of({"HTTP_X_FORWARDED_FOR": "203.0.113.5", "HTTP_CF_IPCOUNTRY": "JP"}) is None
    assert country_of({"HTTP_CF_IPCOUNTRY": "JP"}) is None


def test_no_header_configured_reads_none(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CLIENT_COUNTRY_HEADER = ""
    assert country_of({"HTTP_X_FORWARDED_FOR": "203.0.113.5", "HTTP_CF_IPCOUNTRY": "JP"}) is None


def _sign_in(customer, **headers):
    body = {"login": customer.phone, "password": DEFAULT_PASSWORD, "device": {"id": "d", "name": "", "platform": "ios"}}
    response = APIClient().post("/api/v1/auth/login", body, format="json", REMOTE_ADDR=LOAD_BALANCER, **headers)
    assert response.status_code == 200, response.json()
    return response.json()["token"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "shown"), [(1, ("Japan", "日本")), (0, (None,))], ids=["through-the-proxy", "from-the-client"]
)
def test_the_security_log_shows_where_a_sign_in_came_from(settings, proxies, shown):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.CLIENT_COUNTRY_HEADER = "CF-IPCountry"
    customer = CustomerFactory()
    token = _sign_in(customer, HTTP_X_FORWARDED_FOR="203.0.113.5", HTTP_CF_IPCOUNTRY="JP")
    event = SecurityEvent.objects.get(event_type=EventType.LOGIN_SUCCEEDED)
    assert event.details.get("origin_country") == ("JP" if proxies else None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_DEVICE_ID="d")
    entry = client.get("/api/v1/security-log").json()["results"][-1]
    assert entry["event_type"] == "login.succeeded"
    assert entry["country"] in shown
