import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from securitycenter.securitylog.checkpoints import security_log_checkpoint_write
from securitycenter.securitylog.models import AppendOnlyError, EventType, SecurityEvent
from securitycenter.securitylog.record import (
    GENESIS_HASH,
    SCRUBBED,
    Actor,
    Origin,
    entry_hash,
    security_log_record,
)
from securitycenter.securitylog.verify import security_log_verify
from tests.factories import CustomerFactory
from tests.support.race import errors_of, run_at_once

pytestmark = pytest.mark.django_db


def _record(customer, event_type=EventType.LOGIN_SUCCEEDED, **kwargs):
    return security_log_record(event_type=event_type, actor=Actor.customer(customer), customer=customer, **kwargs)


def test_entries_of_a_customer_form_a_hash_chain():
    customer = CustomerFactory()
    first = _record(customer, origin=Origin(ip_address="10.1.2.3", device="iphone-1"))
    second = _record(customer, EventType.LOGOUT)

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert first.chain == second.chain == f"customer:{customer.pk}"
    assert first.ip_address == "10.1.2.3"
    assert first.device == "iphone-1"
    assert security_log_verify() == []


def test_each_customer_has_an_own_chain_and_bank_acts_have_theirs():
    a, b = CustomerFactory(), CustomerFactory()
    ea, eb = _record(a), _record(b)
    bank = security_log_record(event_type=EventType.API_KEY_CREATED, actor=Actor.system("cli"))
    assert ea.seq == eb.seq == bank.seq == 1
    assert bank.chain == "bank"
    assert bank.customer_id is None


def test_secrets_are_scrubbed_and_account_numbers_masked():
    customer = CustomerFactory()
    event = _record(
        customer,
        EventType.OTP_FAILED,
        details={"password": "hunter2", "otp": "123456", "nested": {"api_key": "sc_x"}, "note": "6222021234567890123"},
        old_value={"secret": "JBSWY3DPEHPK3PXP", "customer_number": customer.customer_number},
    )
    stored = SecurityEvent.objects.get(pk=event.pk)
    assert stored.details == {
        "password": SCRUBBED,
        "otp": SCRUBBED,
        "nested": {"api_key": SCRUBBED},
        "note": "***************0123",
    }
    assert stored.old_value == {"secret": SCRUBBED, "customer_number": customer.customer_number}


def test_the_model_refuses_updates_and_deletes():
    event = _record(CustomerFactory())
    event.details = {"changed": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).update(details={})
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).delete()


def test_an_entry_rolls_back_with_the_act_it_records():
    customer = CustomerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(customer)
        raise RuntimeError("the act failed")
    assert not SecurityEvent.objects.filter(customer=customer).exists()
    assert _record(customer).seq == 1


@pytest.mark.postgres
def test_postgres_trigger_refuses_raw_update_and_delete():
    event = _record(CustomerFactory())
    for sql in (
        "UPDATE locks_securityevent SET details = '{}' WHERE id = %s",
        "DELETE FROM locks_securityevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert SecurityEvent.objects.get(pk=event.pk).hash == event.hash


def _tamper(sql, params):
    """Change the log behind the model's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch user triggers off for the session; an attacker with that power
            # is exactly who the hash chain is for.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_verify_names_the_first_entry_whose_content_was_changed(capsys):
    customer = CustomerFactory()
    events = [_record(customer, details={"n": i}) for i in range(5)]
    _tamper("UPDATE locks_securityevent SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])

    breaks = security_log_verify()
    assert len(breaks) == 1
    assert (breaks[0].chain, breaks[0].seq, breaks[0].event_id) == (events[2].chain, 3, events[2].pk)
    assert "hash" in breaks[0].problem

    with pytest.raises(CommandError):
        call_command("verify_security_log")
    assert f"seq 3 (entry id {events[2].pk})" in capsys.readouterr().err


def test_verify_detects_a_recomputed_hash_that_breaks_the_link():
    customer = CustomerFactory()
    events = [_record(customer, details={"n": i}) for i in range(3)]
    forged = SecurityEvent.objects.get(pk=events[1].pk)
    forged.details = {"n": 42}
    forged_hash = entry_hash(forged)
    _tamper(
        "UPDATE locks_securityevent SET details = %s, hash = %s WHERE id = %s", ['{"n": 42}', forged_hash, forged.pk]
    )
    [brk] = security_log_verify()
    assert (brk.seq, brk.event_id) == (3, events[2].pk)
    assert "link" in brk.problem


def test_verify_detects_a_deleted_entry():
    customer = CustomerFactory()
    events = [_record(customer) for _ in range(4)]
    _tamper("DELETE FROM locks_securityevent WHERE id = %s", [events[1].pk])
    [brk] = security_log_verify()
    assert brk.seq == 2
    assert "missing" in brk.problem


def test_verify_detects_a_truncated_tail_against_the_latest_checkpoint():
    customer = CustomerFactory()
    events = [_record(customer) for _ in range(3)]
    security_log_checkpoint_write()
    _tamper("DELETE FROM locks_securityevent WHERE id = %s", [events[2].pk])
    [brk] = security_log_verify()
    assert (brk.chain, brk.seq) == (events[2].chain, 3)
    assert "missing (deleted or erased)" in brk.problem


def test_verify_command_passes_on_an_intact_log(capsys):
    for customer in CustomerFactory.create_batch(3):
        _record(customer)
        _record(customer, EventType.LOGOUT)
    call_command("verify_security_log")
    assert "intact" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_appends_to_one_chain_never_fork_it():
    customer = CustomerFactory()

    def append(_):
        for _ in range(5):
            _record(customer)

    errors = errors_of(run_at_once(10, append))

    assert errors == []
    seqs = list(SecurityEvent.objects.filter(customer=customer).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 51))
    assert security_log_verify() == []
