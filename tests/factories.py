"""Model factories shared by the whole suite."""

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import BankAccount, Customer, Device
from securitycenter import crypto

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
    number_index = factory.LazyAttribute(lambda o: crypto.blind_index(o.number, purpose="account_number"))
    masked_number = factory.LazyAttribute(lambda o: f"**** {o.number[-4:]}")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    customer = factory.SubFactory(CustomerFactory)
    device_id = factory.Sequence(lambda n: f"device-{n}")
    name = "Test phone"
    platform = "ios"
