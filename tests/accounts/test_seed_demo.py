import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.authentication import api_key_resolve
from accounts.management.commands.seed_demo import CUSTOMER_PASSWORD, DEMO_API_KEY, STAFF_PASSWORD, STAFF_TOTP_SECRET
from accounts.models import BankAccount, Customer, ServiceClient
from accounts.signin import customer_sign_in, staff_sign_in
from securitycenter.securitylog.record import Origin

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_usable(capsys, settings):
    settings.DEBUG = True  # the test runner turns it off; the command refuses to run without it
    call_command("seed_demo")
    counts = (Customer.objects.count(), BankAccount.objects.count(), get_user_model().objects.count())
    call_command("seed_demo")
    assert (Customer.objects.count(), BankAccount.objects.count(), get_user_model().objects.count()) == counts
    assert ServiceClient.objects.filter(name="payment-core-demo").count() == 1
    out = capsys.readouterr().out
    assert DEMO_API_KEY in out
    assert CUSTOMER_PASSWORD in out

    signed_in = customer_sign_in(
        login="+8613800000001",
        password=CUSTOMER_PASSWORD,
        device_id="demo-phone",
        device_name="Demo",
        platform="ios",
        origin=Origin(),
    )
    assert signed_in.customer.customer_number == "C000000001"
    totp = pyotp.TOTP(STAFF_TOTP_SECRET).now()
    assert staff_sign_in(username="agent", password=STAFF_PASSWORD, totp=totp, origin=Origin()).raw
    assert "otpauth://" in out
    assert api_key_resolve(DEMO_API_KEY) is not None
