"""Input that once got past a rule or crashed the hot path: each case here was found by testing as an attacker."""

import orjson
import pytest
from django.test import Client

from accounts.models import ApiKey, ServiceClient
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.models import Authorization
from securitycenter.crypto import token_hash
from tests.factories import BankAccountFactory, CustomerFactory, PayeeRiskEntryFactory
from tests.locks.authorizations.test_authorizations import RAW_KEY, authorize, payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    authorizations.caches_clear()
    hotpath.key_cache_clear()
    yield
    authorizations.caches_clear()
    hotpath.key_cache_clear()


@pytest.fixture
def service(db):
    client = ServiceClient.objects.create(name="payment-core", scopes=["authorizations:write"])
    ApiKey.objects.create(client=client, prefix="testkey1", key_hash=token_hash(RAW_KEY))
    return client


@pytest.fixture
def account(db):
    return BankAccountFactory(customer=CustomerFactory())


PAYEE = "6222029999000011112"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("counterparty_account", PAYEE + "\n"),
        ("transaction_id", "txn-1\n"),
        ("currency", "CNY\n"),
        ("country", "CN\n"),
        ("subdivision", "CN-11\n"),
        ("mcc", "5411\n"),
    ],
)
def test_a_final_newline_does_not_pass_a_pattern(service, account, field, value):
    # Python's `$` also matches before a final newline: the listed payee, hashed with its newline, was
    # unknown to the risk list and the transfer was approved.
    PayeeRiskEntryFactory(account=PAYEE, severity="high")
    body = {**payment(account, channel="online_transfer", counterparty_account=PAYEE), field: value}
    response = authorize(body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
    assert not Authorization.objects.exists()


def test_an_account_number_with_a_final_newline_is_refused(service, account):
    response = authorize({**payment(account), "account_id": None, "account_number": account.number + "\n"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "account_number"


def test_every_caller_hashes_a_payee_the_same_way(service, account, session, redis_client):
    # Listed as people write it; checked by the customer with dashes; paid by the core in the normal form.
    from locks.risklist.services import risk_list_load
    from securitycenter.securitylog.record import Actor

    rows = [{"account": " 6222 0299-9900 0011 112\n", "severity": "high"}]
    risk_list_load(rows=rows, default_source="t", actor=Actor.system("t"))
    checked = session.client.post("/api/v1/payee-checks", {"account": "6222-0299-9900-0011-112"}, format="json")
    assert checked.json()["severity"] == "high"
    body = authorize(payment(account, channel="online_transfer", counterparty_account=PAYEE)).json()
    assert body["decision"] == "decline"
    assert "payee_high_risk" in [r["code"] for r in body["reasons"]]


def _raw_post(path, raw: bytes):
    return Client().post(path, raw, content_type="application/json", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}")


def test_invalid_utf8_inside_a_string_is_a_400(service, account):
    raw = orjson.dumps(payment(account)).replace(b'"pos"', b'"p\xffs"')
    response = _raw_post("/api/v1/authorizations", raw)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "parse_error"
    assert not Authorization.objects.exists()


def test_invalid_utf8_in_one_batch_item_fails_that_item_alone(service, account):
    good = orjson.dumps(payment(account, 1))
    bad = orjson.dumps(payment(account, 2)).replace(b'"pos"', b'"p\xc3\x28s"')
    response = _raw_post("/api/v1/authorizations/batch", b'{"transactions": [' + good + b"," + bad + b"]}")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["ok"] for r in results] == [True, False]
    assert results[1]["error"]["code"] == "parse_error"
    assert Authorization.objects.count() == 1


def test_invalid_utf8_outside_the_items_of_a_batch_is_a_400(service):
    response = _raw_post("/api/v1/authorizations/batch", b'{"transactions\xff": []}')
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
