"""The payment core's own stack (securitycenter/wsgi_payments.py): the same answers as the service's, the
headers that matter, and none of the customers', agents' or browsers' URLs."""

import orjson
import pytest
from django.test import Client

from securitycenter import settings_payments
from tests.locks.authorizations.conftest import _fresh_process_caches, account, service  # noqa: F401 - fixtures
from tests.locks.authorizations.support import RAW_KEY, locks, payment

pytestmark = pytest.mark.django_db

PAYEES = {"s": "6222020000007771", "sb": "6222020000007772", "p": "6222020000007773", "pb": "6222020000007774"}


@pytest.fixture
def payments_stack(settings):
    """What wsgi_payments serves: its middleware and URLconf (a Client built after this loads them)."""
    settings.MIDDLEWARE = settings_payments.MIDDLEWARE
    settings.ROOT_URLCONF = settings_payments.ROOT_URLCONF


def post(path, body, key=RAW_KEY):
    return Client().post(path, orjson.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"ApiKey {key}")


def comparable(answer):
    """An answer without what differs between two decisions of the same payment (ids, times)."""
    answer = {k: v for k, v in answer.items() if k not in {"decision_id", "transaction_id", "decided_at"}}
    if answer.get("hold"):
        answer["hold"] = {k: v for k, v in answer["hold"].items() if k not in {"id", "release_at"}}
    return answer


def bodies(acct, prefix):
    return [
        payment(acct, f"{prefix}-approve"),
        payment(acct, f"{prefix}-decline", channel="atm"),
        payment(
            acct,
            f"{prefix}-hold",
            amount=6_000_000,
            channel="online_transfer",
            counterparty_account=PAYEES[prefix],
        ),
        {"transaction_id": f"{prefix}-bad", "amount": "100"},
    ]


def answers(acct, prefix):
    out = []
    for body in bodies(acct, prefix):
        response = post("/api/v1/authorizations", body)
        out.append((response.status_code, response["Content-Type"], comparable(response.json())))
    batch = post("/api/v1/authorizations/batch", {"transactions": bodies(acct, f"{prefix}b")[:3]})
    out.append((batch.status_code, [comparable(r) for r in batch.json()["results"]]))
    detail = Client().get(
        f"/api/v1/authorizations/txn-{acct.pk}-{prefix}-approve", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}"
    )
    out.append((detail.status_code, comparable(detail.json())))
    return out


def test_the_payment_stack_answers_as_the_service_does(service, account, settings):  # noqa: F811
    locks(account, channels_off=["atm"])
    through_the_service = answers(account, "s")
    settings.MIDDLEWARE = settings_payments.MIDDLEWARE
    settings.ROOT_URLCONF = settings_payments.ROOT_URLCONF
    through_the_payment_stack = answers(account, "p")
    assert [a[0] for a in through_the_service[:4]] == [200, 200, 200, 400]
    assert [r["decision"] for r in through_the_service[4][1]] == ["approve", "decline", "hold"]
    assert through_the_payment_stack == through_the_service


def test_it_skips_the_middleware_the_hot_path_does_not_use():
    skipped = {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
    assert not skipped & set(settings_payments.MIDDLEWARE)
    also_skipped = {
        "securitycenter.language.RequestLanguageMiddleware",
        "django.middleware.common.CommonMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    }
    kept_in_order = [m for m in settings_payments.SERVICE_MIDDLEWARE if m not in skipped | also_skipped]
    assert kept_in_order == settings_payments.MIDDLEWARE
    for kept in (
        "securitycenter.edge.NoStoreMiddleware",
        "csp.middleware.CSPMiddleware",
        "securitycenter.edge.RequestGuardMiddleware",
    ):
        assert kept in settings_payments.MIDDLEWARE


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/auth/me"),
        ("post", "/api/v1/auth/login"),
        ("get", "/api/v1/holds"),
        ("get", "/api/v1/security-log"),
        ("post", "/api/v1/agent/auth/login"),
        ("post", "/api/v1/agent/lookups"),
        ("get", "/api/v1/service/holds/1"),
        ("get", "/api/schema/"),
        ("get", "/api/docs/"),
        ("get", "/staff-admin/"),
    ],
)
def test_it_serves_no_customer_agent_or_browser_url(service, method, path, settings):  # noqa: F811
    assert getattr(Client(), method)(path).status_code != 404  # the service has it
    settings.MIDDLEWARE = settings_payments.MIDDLEWARE
    settings.ROOT_URLCONF = settings_payments.ROOT_URLCONF
    response = getattr(Client(), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_headers_and_limits_that_matter_stay(service, account, payments_stack, settings):  # noqa: F811
    answer = post("/api/v1/authorizations", payment(account))
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    assert "default-src 'none'" in answer["Content-Security-Policy"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in answer and "X-Frame-Options" not in answer
    too_big = Client().post(
        "/api/v1/authorizations/batch",
        b"x" * (settings.REQUEST_BODY_MAX_BYTES + 1),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}",
    )
    assert too_big.status_code == 413
    assert Client().get("/api/v1/authorizations/a%00b", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}").status_code == 400
    assert post("/api/v1/authorizations", payment(account, 2), key="sc_nokey_wrong").status_code == 401
