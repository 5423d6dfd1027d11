"""Demo data for a local run: customers with accounts and cards, an agent, a supervisor and a payment-core
client. Idempotent (run it as often as you like) and refused with DEBUG off: the passwords and the API
key below are printed on purpose and must never exist in a real bank."""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ApiKey, BankAccount, Customer, ServiceClient, StaffAuthenticator
from accounts.otp import totp_provisioning_uri
from accounts.roles import staff_groups_ensure
from securitycenter import crypto
from securitycenter.account_numbers import account_number_index

CUSTOMER_PASSWORD = "demo-Passw0rd!"  # noqa: S105 - demo only, refused with DEBUG off
STAFF_PASSWORD = "demo-Staff-Passw0rd!"  # noqa: S105 - demo only, refused with DEBUG off
DEMO_API_KEY = "sc_demo0001_DEMO-ONLY-payment-core-key-never-in-production"

CUSTOMERS: list[dict[str, Any]] = [
    {
        "customer_number": "C000000001",
        "name": "张伟",
        "phone": "+8613800000001",
        "language": Customer.Language.ZH_HANS,
        "date_of_birth": date(1985, 3, 14),
        "accounts": [
            (BankAccount.Kind.DEBIT_CARD, "CNY", "6222021001000000001"),
            (BankAccount.Kind.CREDIT_CARD, "CNY", "6258101001000000002"),
            (BankAccount.Kind.ACCOUNT, "CNY", "1001200300040000003"),
        ],
    },
    {
        "customer_number": "C000000002",
        "name": "Li Na",
        "phone": "+8613800000002",
        "language": Customer.Language.EN,
        "date_of_birth": date(1999, 9, 1),
        "accounts": [
            (BankAccount.Kind.DEBIT_CARD, "CNY", "6222021001000000011"),
            (BankAccount.Kind.DEBIT_CARD, "USD", "6222021001000000012"),
        ],
    },
    {
        "customer_number": "C000000003",
        "name": "王秀英",
        "phone": "+8613800000003",
        "language": Customer.Language.ZH_HANS,
        "date_of_birth": date(1948, 11, 2),
        "accounts": [(BankAccount.Kind.DEBIT_CARD, "CNY", "6222021001000000021")],
    },
]

STAFF = [("agent", "agent"), ("supervisor", "supervisor"), ("auditor", "auditor"), ("admin", "administrator")]
# One public authenticator secret for every demo staff user: add it to an authenticator app to sign in.
STAFF_TOTP_SECRET = "DEMOSTAFFTOTPSECRETDEMOSTAFF2345"  # noqa: S105 - demo only, refused with DEBUG off


class Command(BaseCommand):
    help = "Load demo customers, accounts, staff and a payment-core API key (DEBUG only, idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: demo credentials must never reach production.")
        with transaction.atomic():
            for spec in CUSTOMERS:
                self._customer(spec)
            staff_groups_ensure()
            for username, group in STAFF:
                self._staff(username, group)
            self._service_client()
        self._print()

    def _customer(self, spec: dict[str, Any]) -> None:
        customer, _ = Customer.objects.update_or_create(
            customer_number=spec["customer_number"],
            defaults={
                "name": spec["name"],
                "phone": spec["phone"],
                "language": spec["language"],
                "date_of_birth": spec["date_of_birth"],
                "password": make_password(CUSTOMER_PASSWORD),
            },
        )
        for kind, currency, number in spec["accounts"]:
            index = account_number_index(number)
            if not BankAccount.objects.filter(number_index=index).exists():
                BankAccount.objects.create(
                    customer=customer,
                    kind=kind,
                    currency=currency,
                    number=number,
                    number_index=index,
                    masked_number=f"{number[:4]} **** **** {number[-4:]}",
                )

    def _staff(self, username: str, group: str) -> None:
        from django.contrib.auth.models import Group

        user, _ = get_user_model().objects.update_or_create(
            username=username, defaults={"is_staff": True, "is_active": True}
        )
        user.set_password(STAFF_PASSWORD)
        user.save()
        user.groups.set([Group.objects.get(name=group)])
        StaffAuthenticator.objects.update_or_create(
            user=user, defaults={"secret": STAFF_TOTP_SECRET, "last_accepted_step": None}
        )

    def _service_client(self) -> None:
        client, _ = ServiceClient.objects.update_or_create(
            name="payment-core-demo",
            defaults={"scopes": [s.value for s in ServiceClient.Scope], "is_active": True},
        )
        ApiKey.objects.update_or_create(
            prefix="demo0001",
            defaults={"client": client, "key_hash": crypto.token_hash(DEMO_API_KEY), "revoked_at": None},
        )

    def _print(self) -> None:
        w = self.stdout.write
        w("")
        w("Demo data loaded (DEMO ONLY — these credentials are public):")
        w(f"  customers (POST /api/v1/auth/login, password {CUSTOMER_PASSWORD!r}, any device id):")
        for spec in CUSTOMERS:
            w(f"    {spec['customer_number']}  {spec['phone']}  {spec['name']}")
        w(f"  staff (POST /api/v1/agent/auth/login, password {STAFF_PASSWORD!r}): agent, supervisor, auditor;")
        w("    admin (the administrator) signs in at /staff-admin/. Every one's authenticator:")
        w(f"    {totp_provisioning_uri(secret=STAFF_TOTP_SECRET, name='demo-staff', issuer='95588 staff')}")
        w(f"  payment core (header 'Authorization: ApiKey <key>'): {DEMO_API_KEY}")
        w("")
