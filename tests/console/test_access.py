"""Who may open what in the console: every console route against a customer's token, a service key, an agent's
bearer token (none of them opens a page), and console sessions of each staff role.

The routes are read from console/urls.py, so a page added without a row in REQUIRED fails here."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from accounts.models import ServiceClient
from accounts.service_clients import api_key_create
from accounts.tokens import auth_token_issue
from console.urls import urlpatterns
from tests.console.conftest import ConsoleUser
from tests.factories import DeviceFactory, ServiceClientFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

# Route name → (methods, the permission the page needs, None for the sign-in door itself).
REQUIRED = {
    "queue": ("GET", "view_queue"),
    "sign-in": ("GET", None),
    "sign-out": ("POST", "agent_access"),
    "language": ("POST", None),
    "case": ("GET", "view_queue"),
    "claim": ("POST", "work_callbacks"),
    "case-call": ("POST", "work_callbacks"),
    "outcome": ("POST", "work_callbacks"),
    "lookup": ("GET", "view_customer"),
    "session-open": ("POST", "view_customer"),
    "customer": ("GET", "view_customer"),
    "session-close": ("POST", "view_customer"),
    "freeze": ("POST", "freeze_features"),
    "emergency": ("POST", "freeze_features"),
    "hold-stop": ("POST", "stop_hold"),
    "call-start": ("POST", "work_callbacks"),
    "call-end": ("POST", "work_callbacks"),
    "lift-request": ("POST", "unfreeze_features"),
    "approvals": ("GET", "approve_unfreeze"),
    "decide": ("POST", "approve_unfreeze"),
}
ROLES_WITH = {
    "agent_access": {"agent", "supervisor", "auditor"},
    "view_queue": {"agent", "supervisor", "auditor"},
    "view_customer": {"agent", "supervisor", "auditor"},
    "freeze_features": {"agent", "supervisor"},
    "stop_hold": {"agent", "supervisor"},
    "work_callbacks": {"agent", "supervisor"},
    "unfreeze_features": {"agent", "supervisor"},
    "approve_unfreeze": {"supervisor"},
}


def _url(pattern: URLPattern) -> str:
    kwargs = dict.fromkeys(pattern.pattern.converters, 1)
    return reverse(f"console:{pattern.name}", kwargs=kwargs)


def test_every_console_route_has_a_row():
    assert {p.name for p in urlpatterns} == set(REQUIRED)


def _api_credentials() -> dict[str, dict[str, str]]:
    device = DeviceFactory()
    customer = auth_token_issue(customer=device.customer, device=device, ip_address=None).raw
    agent = auth_token_issue(staff_user=StaffUserFactory(groups=["supervisor"]), ip_address=None).raw
    key, _ = api_key_create(client=ServiceClientFactory(scopes=[s.value for s in ServiceClient.Scope]))
    return {
        "customer token": {"HTTP_AUTHORIZATION": f"Bearer {customer}", "HTTP_X_DEVICE_ID": str(device.device_id)},
        "supervisor token": {"HTTP_AUTHORIZATION": f"Bearer {agent}"},
        "service key": {"HTTP_AUTHORIZATION": f"ApiKey {key}"},
        "nothing": {},
    }


@pytest.mark.parametrize("name", [n for n, (_m, perm) in REQUIRED.items() if perm is not None])
def test_api_credentials_open_no_console_page(name):
    pattern = next(p for p in urlpatterns if p.name == name)
    method, _permission = REQUIRED[name]
    for caller, headers in _api_credentials().items():
        response = Client().generic(method, _url(pattern), **headers)
        assert response.status_code == 302, (caller, response.status_code)
        assert response["Location"].startswith("/console/sign-in"), caller


@pytest.mark.parametrize("role", ["agent", "supervisor", "auditor"])
@pytest.mark.parametrize("name", [n for n, (_m, perm) in REQUIRED.items() if perm not in (None, "agent_access")])
def test_each_role_opens_only_what_it_holds(role, name):
    user = ConsoleUser(role)
    assert user.sign_in().status_code == 302
    pattern = next(p for p in urlpatterns if p.name == name)
    method, permission = REQUIRED[name]
    url = _url(pattern)
    response = user.get(url) if method == "GET" else user.post(url)
    if role in ROLES_WITH[permission]:
        # Let in: whatever the page answers (an unknown session sends the agent back to the look-up), it is
        # neither the door's redirect to the sign-in nor the 403 of a missing role.
        assert response.status_code != 403, (role, name)
        assert not response.get("Location", "").startswith("/console/sign-in"), (role, name)
        assert response.status_code < 500
    else:
        assert response.status_code == 403, (role, name, response.status_code)
        assert "您的角色无权打开此页面" in response.content.decode()


def test_an_administrator_without_an_agent_role_cannot_sign_in():
    user = ConsoleUser("administrator")
    response = user.sign_in()
    assert response.status_code == 400
    assert "此员工账号无权使用坐席工作台" in response.content.decode()


def test_a_role_taken_away_applies_at_the_next_page(console_supervisor):
    console_supervisor.sign_in()
    assert console_supervisor.get("/console/approvals").status_code == 200
    from django.contrib.auth.models import Group

    console_supervisor.user.groups.set([Group.objects.get(name="agent")])
    assert console_supervisor.get("/console/approvals").status_code == 403


def test_an_htmx_request_without_a_session_is_sent_to_the_sign_in_page():
    response = Client().post("/console/sessions/1/freeze", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/console/sign-in")


def test_after_sign_in_the_agent_goes_back_only_to_a_console_page(console_agent):
    token = console_agent.csrf()
    from tests.factories import DEFAULT_PASSWORD, staff_totp

    response = console_agent.client.post(
        "/console/sign-in?next=https://evil.example/console/",
        {
            "username": console_agent.user.username,
            "password": DEFAULT_PASSWORD,
            "totp": staff_totp(),
            "next": "https://evil.example/console/",
        },
        HTTP_X_CSRFTOKEN=token,
    )
    assert response["Location"] == "/console/"


def test_the_pages_assets_are_served_without_debug_and_from_nowhere_else(client, settings):
    settings.DEBUG = False
    response = client.get("/static/console/htmx.min.js")
    assert response.status_code == 200
    assert b"htmx" in b"".join(response.streaming_content)
    page = client.get("/console/sign-in").content.decode()
    assert re.findall(r'(?:src|href)="(https?:)?//', page) == []
