"""The service's own database role cannot rewrite the security log, and still does all of its normal work.

The test connects as a real service role made by `manage.py service_role_grants` (roles are global to the
PostgreSQL cluster, so its name is the test database's own), never through SET ROLE, which a session could
simply RESET.
"""

import io
from contextlib import contextmanager
from datetime import UTC, datetime

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiKey, ServiceClient
from locks.authorizations.tasks import authorization_outbox_sweep
from securitycenter.crypto import token_hash
from securitycenter.securitylog.checkpoints import security_log_checkpoint_write
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, security_log_record
from securitycenter.securitylog.verify import security_log_verify
from tests.factories import DEFAULT_PASSWORD, BankAccountFactory, CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

API_KEY = "sc_rolekey1_payment-core-secret"
LOG = "locks_securityevent"


@pytest.fixture
def service_role():
    role = f"{connection.settings_dict['NAME']}_service"[:63]
    call_command("service_role_grants", role=role, stdout=io.StringIO())
    yield role
    connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')  # its grants in this database; it owns nothing
        cursor.execute(f'DROP ROLE "{role}"')


@contextmanager
def connected_as(role):
    """Every query in the block on a fresh connection that logs in as `role`."""
    connection.close()
    saved = connection.settings_dict["USER"], connection.settings_dict["PASSWORD"]
    connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = role, ""
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = saved


def refusal(sql, params=None):
    """The error PostgreSQL answers `sql` with (the test fails if it is accepted)."""
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(raised.value)


def _customer_with_history():
    customer = CustomerFactory()
    account = BankAccountFactory(customer=customer)
    for n in range(3):
        security_log_record(
            event_type=EventType.LOGIN_SUCCEEDED, actor=Actor.customer(customer), customer=customer, details={"n": n}
        )
    return customer, account


def test_the_service_role_cannot_rewrite_truncate_or_unprotect_the_log(service_role):
    customer, _ = _customer_with_history()
    last = SecurityEvent.objects.filter(customer=customer).order_by("-seq").first()
    first = SecurityEvent.objects.filter(customer=customer).order_by("seq").first()
    security_log_checkpoint_write()

    with connected_as(service_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == service_role
        attempts = {
            "update an entry": (f"UPDATE {LOG} SET details = '{{}}' WHERE id = %s", [first.pk]),
            "rewrite the head (the last entry) with a recomputed hash": (
                f"UPDATE {LOG} SET details = '{{}}', hash = %s WHERE id = %s",
                ["f" * 64, last.pk],
            ),
            "delete the tail": (f"DELETE FROM {LOG} WHERE id = %s", [last.pk]),
            "erase the log": (f"DELETE FROM {LOG}", None),
            "truncate": (f"TRUNCATE {LOG}", None),
            "truncate cascade": (f"TRUNCATE {LOG} CASCADE", None),
            "disable the trigger": (f"ALTER TABLE {LOG} DISABLE TRIGGER locks_security_event_append_only", None),
            "disable all triggers": (f"ALTER TABLE {LOG} DISABLE TRIGGER ALL", None),
            "drop the trigger": (f"DROP TRIGGER locks_security_event_append_only ON {LOG}", None),
            "replace the trigger function": (
                "CREATE OR REPLACE FUNCTION locks_security_event_append_only() RETURNS trigger "
                "AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
                None,
            ),
            "switch user triggers off for the session": ("SET session_replication_role = replica", None),
            "take ownership": (f"ALTER TABLE {LOG} OWNER TO {service_role}", None),
            "alter the table": (f"ALTER TABLE {LOG} ADD COLUMN note text", None),
            "drop the table": (f"DROP TABLE {LOG}", None),
            "fork the chain at the head": (
                f"INSERT INTO {LOG} (chain, seq, actor_type, actor_id, event_type, occurred_at, device, details, "
                "prev_hash, hash, key_id) VALUES (%s, %s, 'system', '', 'login.logout', now(), '', '{}', %s, %s, '')",
                [last.chain, last.seq, first.hash, "0" * 64],
            ),
        }
        answers = {name: refusal(sql, params) for name, (sql, params) in attempts.items()}

    assert "duplicate key" in answers.pop("fork the chain at the head")
    for name, answer in answers.items():
        assert "permission denied" in answer or "must be owner" in answer, (name, answer)
    assert SecurityEvent.objects.filter(customer=customer).count() == 3
    assert SecurityEvent.objects.get(pk=last.pk).hash == last.hash
    assert security_log_verify() == []


def test_the_service_role_does_its_normal_work(service_role):
    customer, account = _customer_with_history()
    client = ServiceClient.objects.create(name="payment-core", scopes=["authorizations:write"])
    ApiKey.objects.create(client=client, prefix="rolekey1", key_hash=token_hash(API_KEY))

    with connected_as(service_role):
        signed_in = APIClient().post(
            "/api/v1/auth/login",
            {"login": customer.phone, "password": DEFAULT_PASSWORD, "device": {"id": "phone-1", "platform": "ios"}},
            format="json",
        )
        assert signed_in.status_code == 200, signed_in.content
        app = APIClient()
        app.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_in.json()['token']}", HTTP_X_DEVICE_ID="phone-1")
        locks = app.get(f"/api/v1/accounts/{account.pk}/locks")
        assert locks.status_code == 200, locks.content
        changed = app.patch(
            f"/api/v1/accounts/{account.pk}/locks",
            {"version": locks.json()["version"], "channels": {"atm": False}},
            format="json",
        )
        assert changed.status_code == 200, changed.content
        payment = {
            "transaction_id": "role-txn-1",
            "account_id": account.pk,
            "amount": 10_000,
            "currency": "CNY",
            "channel": "atm",
            "country": "CN",
            "initiated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        }
        decided = Client().post(
            "/api/v1/authorizations",
            orjson.dumps(payment),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"ApiKey {API_KEY}",
        )
        assert decided.status_code == 200, decided.content
        assert decided.json()["decision"] == "decline"  # the ATM switch the customer just turned off
        assert authorization_outbox_sweep() == 1  # beat's outbox logs and announces it, as the service role
        checkpoint = security_log_checkpoint_write()  # the beat task needs to read the log only
        assert security_log_verify() == []

    kinds = list(SecurityEvent.objects.filter(customer=customer).order_by("seq").values_list("event_type", flat=True))
    assert kinds[3:] == [EventType.LOGIN_SUCCEEDED, EventType.LOCK_CHANGED, EventType.AUTHORIZATION_DECLINED]
    assert checkpoint is not None
    assert checkpoint.heads[f"customer:{customer.pk}"][0] == 6


def test_the_grants_are_idempotent_and_refuse_a_role_with_power_over_the_log(service_role):
    out = io.StringIO()
    call_command("service_role_grants", role=service_role, stdout=out)  # a second time: same result
    assert f'REVOKE UPDATE, DELETE ON "{LOG}"' in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s AND table_name = %s",
            [service_role, LOG],
        )
        assert sorted(row[0] for row in cursor.fetchall()) == ["INSERT", "SELECT"]
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="must not be"):
        call_command("service_role_grants", role=owner, stdout=io.StringIO())


def test_migrate_reapplies_the_grants_when_the_service_role_is_configured(service_role, settings):
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON {LOG} TO "{service_role}"')  # drifted by hand
    settings.DATABASE_SERVICE_ROLE = service_role
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s AND table_name = %s",
            [service_role, LOG],
        )
        assert sorted(row[0] for row in cursor.fetchall()) == ["INSERT", "SELECT"]
