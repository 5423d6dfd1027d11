import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, StaffUserFactory, staff_totp


class ConsoleUser:
    """A staff member and a browser-like client (CSRF checked) that signs in at the console's own page."""

    def __init__(self, *roles):
        self.user = StaffUserFactory(groups=list(roles))
        self.client = Client(enforce_csrf_checks=True)

    def csrf(self):
        self.client.get("/console/sign-in")
        return self.client.cookies["csrftoken"].value

    def sign_in(self, *, step_offset=0):
        token = self.csrf()
        return self.client.post(
            "/console/sign-in",
            {"username": self.user.username, "password": DEFAULT_PASSWORD, "totp": staff_totp(step_offset=step_offset)},
            HTTP_X_CSRFTOKEN=token,
        )

    def post(self, url, data=None, **headers):
        return self.client.post(url, data or {}, HTTP_X_CSRFTOKEN=self.client.cookies["csrftoken"].value, **headers)

    def get(self, url, **headers):
        return self.client.get(url, **headers)


@pytest.fixture
def console_agent(db):
    return ConsoleUser("agent")


@pytest.fixture
def console_supervisor(db):
    return ConsoleUser("supervisor")
