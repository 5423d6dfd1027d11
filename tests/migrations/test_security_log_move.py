"""A database at the previous main's migration state, with rows in it, migrates forward to the new layout.

The security log moved from the locks app to securitycenter.securitylog by a state-only migration: the
rows, the hash chain and the append-only trigger must all come through untouched.
"""

import io
from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from securitycenter.securitylog.models import SecurityEvent
from securitycenter.securitylog.record import GENESIS_HASH, entry_hash
from securitycenter.securitylog.verify import security_log_verify

# The leaf migrations of every app before the security log left the locks app.
BEFORE = [
    ("accounts", "0003_serviceclient_webhook_secret"),
    ("locks", "0006_hold_webhookdelivery_webhookattempt_and_more"),
    ("securitylog", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_rows_of_the_old_layout_survive_the_move():
    old_apps = _migrate(BEFORE)
    customer_model = old_apps.get_model("accounts", "Customer")
    event_model = old_apps.get_model("locks", "SecurityEvent")
    head_model = old_apps.get_model("locks", "SecurityLogHead")
    customer = customer_model.objects.create(customer_number="C000000001", name="Old", phone="+8613800000001")
    event = event_model(
        chain=f"customer:{customer.pk}",
        seq=1,
        customer_id=customer.pk,
        actor_type="customer",
        actor_id=str(customer.pk),
        event_type="lock.changed",
        occurred_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        details={"account_id": 1},
        prev_hash=GENESIS_HASH,
    )
    event.key_id = ""  # not a column yet: the old code's unkeyed hash
    digest = event.hash = entry_hash(event)  # the chain as the old code wrote it: the hash is the same code's
    event.save()
    head_model.objects.create(chain=f"customer:{customer.pk}", seq=1, last_hash=digest)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = SecurityEvent.objects.get(chain=f"customer:{customer.pk}")
    assert moved.details == {"account_id": 1}
    assert moved.customer_id == customer.pk
    assert (moved.hash, moved.key_id) == (digest, "")
    # The head table is gone (the tip is the last entry); an unkeyed entry verifies once a signed checkpoint
    # covers it, which the upgrade writes right after migrating.
    assert [b.problem for b in security_log_verify()] == ["unkeyed entry that no signed checkpoint covers"]
    call_command("security_log_checkpoint", stdout=io.StringIO())
    assert security_log_verify() == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'locks_security_event_append_only' AND NOT tgisinternal"
            )
            assert cursor.fetchone()[0] == 1
    assert ContentType.objects.get_for_model(SecurityEvent).app_label == "securitylog"
