"""Transaction ids are each payment core's own: another client's replayed id never gets the first one's decision."""

import orjson
import pytest
from django.test import Client

from accounts.models import ApiKey, ServiceClient
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.models import Authorization, LockSettings
from securitycenter.crypto import token_hash
from tests.factories import BankAccountFactory, CustomerFactory
from tests.locks.authorizations.test_authorizations import payment

pytestmark = pytest.mark.django_db

KEYS = {"a": "sc_coreaaaa_first-core-secret", "b": "sc_corebbbb_second-core-secret"}


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    authorizations.caches_clear()
    hotpath.key_cache_clear()
    yield
    authorizations.caches_clear()
    hotpath.key_cache_clear()


@pytest.fixture
def cores(db):
    for name, raw in KEYS.items():
        client = ServiceClient.objects.create(name=name, scopes=["authorizations:write", "authorizations:read"])
        ApiKey.objects.create(client=client, prefix=raw.split("_")[1], key_hash=token_hash(raw))


def call(core, path, body=None):
    headers = {"HTTP_AUTHORIZATION": f"ApiKey {KEYS[core]}"}
    if body is None:
        return Client().get(path, **headers)
    return Client().post(path, orjson.dumps(body), content_type="application/json", **headers)


def frozen_account():
    account = BankAccountFactory(customer=CustomerFactory())
    LockSettings.objects.create(account=account, freeze_all_outgoing=True, version=2)
    return account


def test_the_same_id_from_another_client_is_decided_on_its_own(cores):
    open_account, frozen = BankAccountFactory(customer=CustomerFactory()), frozen_account()
    first = call("a", "/api/v1/authorizations", payment(open_account, transaction_id="T-1")).json()
    second = call("b", "/api/v1/authorizations", payment(frozen, transaction_id="T-1"))
    assert second.status_code == 200, second.content  # not idempotency_conflict
    assert first["decision"] == "approve"
    assert second.json()["decision"] == "decline"
    assert second.json()["decision_id"] != first["decision_id"]
    assert call("a", "/api/v1/authorizations/T-1").json()["decision"] == "approve"
    assert call("b", "/api/v1/authorizations/T-1").json()["decision"] == "decline"
    assert Authorization.objects.filter(transaction_id="T-1").count() == 2


def test_a_replayed_body_from_another_client_does_not_get_the_first_decision(cores):
    account = BankAccountFactory(customer=CustomerFactory())
    body = payment(account, transaction_id="T-2")
    first = call("a", "/api/v1/authorizations", body).json()
    replay = call("b", "/api/v1/authorizations", body).json()
    assert replay["decision_id"] != first["decision_id"]
    # The first client's own retry is still answered with its decision, once.
    assert call("a", "/api/v1/authorizations", body).json()["decision_id"] == first["decision_id"]
    assert call("b", "/api/v1/authorizations", body).json()["decision_id"] == replay["decision_id"]


def test_batches_are_scoped_per_client_too(cores):
    open_account, frozen = BankAccountFactory(customer=CustomerFactory()), frozen_account()
    call("a", "/api/v1/authorizations/batch", {"transactions": [payment(open_account, transaction_id="T-3")]})
    results = call(
        "b", "/api/v1/authorizations/batch", {"transactions": [payment(frozen, transaction_id="T-3")]}
    ).json()["results"]
    assert [(r["ok"], r.get("decision")) for r in results] == [(True, "decline")]


def test_another_client_cannot_read_or_reverse_a_decision_by_its_id(cores):
    account = BankAccountFactory(customer=CustomerFactory())
    call("a", "/api/v1/authorizations", payment(account, transaction_id="T-4"))
    assert call("b", "/api/v1/authorizations/T-4").status_code == 404
    assert call("b", "/api/v1/authorizations/T-4/reversal", {}).status_code == 404
