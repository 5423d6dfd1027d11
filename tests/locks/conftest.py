import pyotp
import pytest
from rest_framework.test import APIClient

from accounts.models import OtpDevice
from accounts.tokens import auth_token_issue
from tests.factories import BankAccountFactory, CustomerFactory, DeviceFactory


class CustomerSession:
    """A signed-in customer with two accounts and a confirmed authenticator."""

    def __init__(self):
        self.customer = CustomerFactory()
        self.device = DeviceFactory(customer=self.customer)
        self.accounts = [BankAccountFactory(customer=self.customer) for _ in range(2)]
        self.account = self.accounts[0]
        self.secret = pyotp.random_base32()
        OtpDevice.objects.create(
            customer=self.customer, name="phone", secret=self.secret, confirmed_at="2026-01-01T00:00:00Z"
        )
        issued = auth_token_issue(customer=self.customer, device=self.device, ip_address="203.0.113.9")
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}", HTTP_X_DEVICE_ID=self.device.device_id)
        self._last_step = None

    def otp(self) -> str:
        """A fresh valid code (the replay guard refuses a code twice, so each call moves a step on)."""
        import time

        totp = pyotp.TOTP(self.secret)
        step = int(time.time()) // 30
        if self._last_step is not None and step <= self._last_step:
            step = self._last_step + 1
        self._last_step = step
        return totp.at(step * 30)

    def locks(self, account=None):
        response = self.client.get(f"/api/v1/accounts/{(account or self.account).pk}/locks")
        assert response.status_code == 200, response.json()
        return response.json()

    def patch(self, body, account=None, otp=None):
        account = account or self.account
        headers = {"HTTP_X_OTP": otp} if otp else {}
        return self.client.patch(f"/api/v1/accounts/{account.pk}/locks", body, format="json", **headers)


@pytest.fixture
def session(db):
    return CustomerSession()


def otp_reset(session):
    """Let `session.otp()` start again at the current step (for tests that need more than two codes)."""
    OtpDevice.objects.filter(customer=session.customer).update(last_accepted_step=None)
    session._last_step = None


@pytest.fixture
def fresh_otp(session):
    """A callable giving a valid code however many the test has used already."""

    def code():
        otp_reset(session)
        return session.otp()

    return code


@pytest.fixture
def other_session(db):
    """A second signed-in customer, whose accounts `session` must never reach."""
    return CustomerSession()


@pytest.fixture
def would_pass(session):
    """POST …/locks/check for `session`'s account and return the response."""

    def check(account=None, **transaction):
        body = {"amount": 10_000, "currency": "CNY", "channel": "pos", "country": "CN", **transaction}
        body = {k: v for k, v in body.items() if v is not None}
        account = account or session.account
        return session.client.post(f"/api/v1/accounts/{account.pk}/locks/check", body, format="json")

    return check


def decision_of(response):
    """(outcome, [reason codes]) of a would-pass response."""
    assert response.status_code == 200, response.json()
    body = response.json()
    return body["decision"], [r["code"] for r in body["reasons"]]


def sign_in_again(session):
    """A new token for `session` issued at the current (possibly patched) time: after time travel the old
    one has outlived its idle timeout."""
    issued = auth_token_issue(customer=session.customer, device=session.device, ip_address="203.0.113.9")
    session.client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}", HTTP_X_DEVICE_ID=session.device.device_id)


def policy_read(account_id):
    """The policy published to Redis for an account, or None: what the hot path would read."""
    from locks.decision.policy import policy_decode
    from locks.rules.policies import POLICY_KEY
    from securitycenter.redis import redis_client

    data = redis_client().hget(POLICY_KEY.format(account_id), "b")
    return policy_decode(data) if data is not None else None
