"""Response headers: no-store on everything (tokens and secrets above all), a Content-Security-Policy on every
response with the docs pages' assets local, and a setting that turns the schema and docs off."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, CustomerFactory, StaffUserFactory, staff_totp

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def test_a_customer_token_is_never_cached():
    customer = CustomerFactory()
    body = {"login": customer.phone, "password": DEFAULT_PASSWORD, "device": {"id": "d", "name": "", "platform": "ios"}}
    response = APIClient().post("/api/v1/auth/login", body, format="json")
    assert response.status_code == 200
    assert "token" in response.json()
    assert response["Cache-Control"] == "no-store"


def test_a_staff_token_is_never_cached():
    agent = StaffUserFactory(groups=["agent"])
    body = {"username": agent.username, "password": DEFAULT_PASSWORD, "totp": staff_totp(agent)}
    response = APIClient().post("/api/v1/agent/auth/login", body, format="json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_errors_and_other_answers_are_not_cached_either():
    assert Client().get("/api/v1/auth/me")["Cache-Control"] == "no-store"
    assert Client().get("/nowhere")["Cache-Control"] == "no-store"


def test_every_response_has_a_content_security_policy():
    for response in (Client().get("/api/v1/auth/me"), Client().get("/nowhere"), Client().get("/api/schema/")):
        policy = _csp(response)
        assert policy["default-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]


def test_the_swagger_page_runs_only_local_scripts():
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    policy = _csp(page)
    assert policy["script-src"] == ["'self'"]
    html = page.content.decode()
    assert "<script>" not in html  # the start script is a file of its own (?script), not inline
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    start = next(s for s in sources if "script" in s and "static" not in s)
    script = Client().get(start)
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_redoc_page_loads_nothing_from_elsewhere():
    page = Client().get("/api/redoc/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "googleapis" not in html and "gstatic" not in html
    assert all(s.startswith("/") for s in re.findall(r'(?:src|href)="([^"]+)"', html))


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_a_setting_turns_the_schema_and_docs_off(settings, path):
    assert Client().get(path).status_code == 200
    settings.API_DOCS_ENABLED = False
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_guards_refusals_carry_the_headers_too(settings):
    settings.REQUEST_BODY_MAX_BYTES = 10
    response = Client().post("/api/v1/auth/login", b"x" * 100, content_type="application/json")
    assert response.status_code == 413
    assert response["Cache-Control"] == "no-store"
    assert _csp(response)["default-src"] == ["'none'"]
