import orjson
import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiKey, ServiceClient
from accounts.tokens import auth_token_issue
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.authorizations.outbox import outbox_drain
from securitycenter.crypto import token_hash
from tests.factories import StaffUserFactory

RAW_KEY = "sc_agentkey_payment-core-secret"


class Staff:
    """A signed-in staff member of the given roles, with an API client."""

    def __init__(self, *roles):
        self.user = StaffUserFactory(groups=list(roles))
        self.client = APIClient()
        raw = auth_token_issue(staff_user=self.user, ip_address="10.0.0.8").raw
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def sign_in_again(self):
        """A fresh token at the current (possibly moved) clock: after time travel the old one is idle."""
        raw = auth_token_issue(staff_user=self.user, ip_address="10.0.0.8").raw
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def post(self, url, body=None):
        return self.client.post(url, body or {}, format="json")

    def get(self, url):
        return self.client.get(url)

    def open_session(self, customer, **overrides):
        body = {
            "customer_number": customer.customer_number,
            "verification_method": "sms_code",
            "call_reference": "CALL-1",
            "reason": "caller lost phone",
            **overrides,
        }
        response = self.post("/api/v1/agent/service-sessions", body)
        assert response.status_code == 201, response.json()
        return response.json()["id"]


@pytest.fixture
def agent(db):
    return Staff("agent")


@pytest.fixture
def other_agent(db):
    return Staff("agent")


@pytest.fixture
def supervisor(db):
    return Staff("supervisor")


@pytest.fixture
def auditor(db):
    return Staff("auditor")


@pytest.fixture
def payment_core(db):
    authorizations.caches_clear()
    hotpath.key_cache_clear()
    client = ServiceClient.objects.create(
        name="payment-core", scopes=["authorizations:write", "authorizations:read", "holds:read"]
    )
    ApiKey.objects.create(client=client, prefix="agentkey", key_hash=token_hash(RAW_KEY))

    counter = iter(range(1, 10_000))

    def authorize(account, **overrides):
        from datetime import UTC, datetime

        body = {
            "transaction_id": f"txn-agents-{account.pk}-{next(counter)}",
            "account_id": account.pk,
            "amount": 10_000,
            "currency": "CNY",
            "channel": "card_not_present",
            "country": "CN",
            "initiated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            **overrides,
        }
        response = Client().post(
            "/api/v1/authorizations",
            orjson.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}",
        )
        assert response.status_code == 200, response.content
        outbox_drain()  # as beat does within a second: holds, declines and review cases come from the record
        return response.json()

    yield authorize
    authorizations.caches_clear()
    hotpath.key_cache_clear()
