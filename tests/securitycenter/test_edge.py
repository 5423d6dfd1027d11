"""The edge every request crosses: body limit, control characters, and problem documents for errors outside views."""

from unittest import mock

import orjson
import pytest
from django.test import Client

from accounts.models import ApiKey, ServiceClient
from locks.authorizations import views as hotpath
from securitycenter.crypto import token_hash
from tests.locks.holds.test_holds import agent_client

pytestmark = pytest.mark.django_db

RAW_KEY = "sc_edgetest_payment-core-secret"
PROBLEM = "application/problem+json"


@pytest.fixture
def api_key(db):
    hotpath.key_cache_clear()
    client = ServiceClient.objects.create(name="core", scopes=["authorizations:write", "authorizations:read"])
    ApiKey.objects.create(client=client, prefix="edgetest", key_hash=token_hash(RAW_KEY))
    yield f"ApiKey {RAW_KEY}"
    hotpath.key_cache_clear()


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_a_nul_byte_in_a_path_parameter_is_a_400(api_key):
    response = Client().get("/api/v1/authorizations/txn%00-1", HTTP_AUTHORIZATION=api_key)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "path"
    reversal = Client().post("/api/v1/authorizations/t%00x/reversal", HTTP_AUTHORIZATION=api_key)
    assert reversal.status_code == 400


def test_a_nul_byte_in_a_customer_number_is_a_400():
    response = agent_client("agent").get("/api/v1/agent/customers/C0%0001/holds")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_a_nul_byte_in_the_query_string_is_a_400():
    response = Client().get("/api/v1/holds?cursor=%00")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query"


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/login", "/api/v1/agent/auth/login", "/api/v1/authorizations", "/api/v1/authorizations/batch"]
)
def test_every_endpoint_refuses_a_body_over_the_limit_before_reading_it(settings, api_key, path):
    settings.REQUEST_BODY_MAX_BYTES = 4096
    body = orjson.dumps({"login": "+8613800000000", "password": "x" * 5000, "device": {"id": "d"}})
    response = Client().post(path, body, content_type="application/json", HTTP_AUTHORIZATION=api_key)
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "payload_too_large"


def test_the_default_limit_refuses_megabytes_at_sign_in():
    body = orjson.dumps({"login": "+8613800000000", "password": "x" * (2 * 1024 * 1024), "device": {"id": "d"}})
    response = Client().post("/api/v1/auth/login", body, content_type="application/json")
    assert response.status_code == 413


def test_a_full_batch_fits_under_the_default_limit(api_key):
    item = {
        "transaction_id": "t" * 64,
        "account_id": 10**12,
        "amount": 10**15,
        "currency": "CNY",
        "channel": "card_not_present",
        "country": "CN",
        "subdivision": "CN-AH",
        "mcc": "5411",
        "counterparty_account": "6" * 34,
        "transfer": True,
        "initiated_at": "2026-11-22T10:00:00.000000+08:00",
    }
    body = orjson.dumps({"transactions": [item] * 500})
    from django.conf import settings

    assert len(body) < settings.REQUEST_BODY_MAX_BYTES


def test_an_unknown_url_is_a_404_problem(production):
    response = Client().get("/nowhere")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"


def test_a_request_django_refuses_itself_is_a_400_problem(production):
    response = Client().get("/api/v1/auth/me", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_an_unexpected_error_in_a_lean_view_is_a_500_problem(production, api_key):
    client = Client(raise_request_exception=False)
    with mock.patch.object(hotpath, "recorded_answer", side_effect=RuntimeError("dsn=postgres://secret")):
        response = client.get("/api/v1/authorizations/txn-1", HTTP_AUTHORIZATION=api_key)
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "internal_error"
    assert b"secret" not in response.content
