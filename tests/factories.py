"""Model factories shared by the whole suite."""

from datetime import timedelta

import factory
import pyotp
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import BankAccount, Customer, Device, OtpDevice
from securitycenter.account_numbers import account_number_index, payee_index

DEFAULT_PASSWORD = "correct horse battery staple"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_number = factory.Sequence(lambda n: f"C{n:09d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    time_zone = "Asia/Shanghai"
    language = Customer.Language.ZH_HANS
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    customer = factory.SubFactory(CustomerFactory)
    kind = BankAccount.Kind.DEBIT_CARD
    currency = "CNY"
    number = factory.Sequence(lambda n: f"6222{n:015d}")
    number_index = factory.LazyAttribute(lambda o: account_number_index(o.number))
    masked_number = factory.LazyAttribute(lambda o: f"**** {o.number[-4:]}")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    customer = factory.SubFactory(CustomerFactory)
    device_id = factory.Sequence(lambda n: f"device-{n}")
    name = "Test phone"
    platform = "ios"


class OtpDeviceFactory(factory.django.DjangoModelFactory[OtpDevice]):
    """A confirmed TOTP authenticator; pass confirmed_at=None for one still being enrolled."""

    class Meta:
        model = OtpDevice

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Authenticator {n}")
    secret = factory.LazyFunction(pyotp.random_base32)
    confirmed_at = factory.LazyFunction(timezone.now)


class StaffUserFactory(factory.django.DjangoModelFactory):
    """A bank staff user with an authenticator. `StaffUserFactory(groups=["agent"])` puts it in the named
    groups; `staff_totp(user)` gives a current code."""

    class Meta:
        model = "auth.User"
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            self.groups.set([Group.objects.get(name=name) for name in extracted])

    @factory.post_generation
    def authenticator(self, create, extracted, **kwargs):
        if create and extracted is not False:
            from accounts.models import StaffAuthenticator

            StaffAuthenticator.objects.create(user=self, secret=STAFF_TOTP_SECRET)


STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def staff_totp(user=None, *, step_offset=0):
    """The code of the factory's staff authenticator for the current step (or `step_offset` steps away)."""
    import time

    return pyotp.TOTP(STAFF_TOTP_SECRET).at(time.time() + 30 * step_offset)


class ServiceClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.ServiceClient"

    name = factory.Sequence(lambda n: f"service-{n}")
    scopes = factory.LazyFunction(lambda: ["authorizations:write", "authorizations:read", "holds:read"])


# --- locks --------------------------------------------------------------------------------------------


class LockSettingsFactory(factory.django.DjangoModelFactory):
    """An account's lock row, with no customer locks unless given."""

    class Meta:
        model = "locks.LockSettings"

    account = factory.SubFactory(BankAccountFactory)


class TravelWindowFactory(factory.django.DjangoModelFactory):
    """A travel window that started an hour ago and ends in a week."""

    class Meta:
        model = "locks.TravelWindow"

    account = factory.SubFactory(BankAccountFactory)
    regions = factory.LazyFunction(lambda: ["JP"])
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class PendingLooseningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "locks.PendingLoosening"

    account = factory.SubFactory(BankAccountFactory)
    document = factory.LazyFunction(dict)
    effective_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class PayeeRiskEntryFactory(factory.django.DjangoModelFactory):
    """A risk-list entry for `account` (a plain number, stored as its keyed hash)."""

    class Meta:
        model = "locks.PayeeRiskEntry"
        exclude = ["account"]

    account = factory.Sequence(lambda n: f"6222029{n:09d}")
    counterparty = factory.LazyAttribute(lambda o: payee_index(o.account))
    severity = "high"
    source = "test"


class AuthorizationFactory(factory.django.DjangoModelFactory):
    """A recorded decision: by default an approved, counted CNY 100 POS payment made now."""

    class Meta:
        model = "locks.Authorization"

    transaction_id = factory.Sequence(lambda n: f"txn-{n}")
    client = factory.SubFactory(ServiceClientFactory)
    account = factory.SubFactory(BankAccountFactory)
    request_hash = "x"
    outcome = "approve"
    reasons = factory.LazyFunction(list)
    policy_version = 1
    amount = 10_000
    currency = "CNY"
    channel = "pos"
    country = "CN"
    initiated_at = factory.LazyFunction(timezone.now)
    local_day = factory.LazyFunction(lambda: timezone.now().date())
    counted = True
    created_at = factory.LazyFunction(timezone.now)
