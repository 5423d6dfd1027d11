"""Fixtures of the hot-path tests: fresh process caches, a payment-core client with a key, an account."""

import pytest

from accounts.models import ApiKey, ServiceClient
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from securitycenter.crypto import token_hash
from tests.factories import BankAccountFactory, CustomerFactory
from tests.locks.authorizations.support import RAW_KEY


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    authorizations.caches_clear()
    hotpath.key_cache_clear()
    yield
    authorizations.caches_clear()
    hotpath.key_cache_clear()


@pytest.fixture
def service(db):
    client = ServiceClient.objects.create(
        name="payment-core", scopes=["authorizations:write", "authorizations:read", "holds:read"]
    )
    ApiKey.objects.create(client=client, prefix="testkey1", key_hash=token_hash(RAW_KEY))
    return client


@pytest.fixture
def account(db):
    return BankAccountFactory(customer=CustomerFactory(time_zone="Asia/Shanghai"))
