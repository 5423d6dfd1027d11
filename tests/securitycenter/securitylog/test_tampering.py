"""Tampering with the security log as an attacker with full database access would, after the service's role
is out of the way (test_service_role.py shows that role refused): each attempt is detected by the keyed chain
or by the latest signed checkpoint. docs/reliability.md lists these cases and what caught each.
"""

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management import CommandError, call_command
from django.db import connection

from securitycenter.securitylog import tasks
from securitycenter.securitylog.checkpoints import (
    CheckpointError,
    DirectoryStore,
    checkpoint_latest,
    security_log_checkpoint_write,
)
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import GENESIS_HASH, Actor, entry_hash, security_log_record
from securitycenter.securitylog.verify import security_log_verify
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _record(customer, n):
    return security_log_record(
        event_type=EventType.LOCK_CHANGED, actor=Actor.customer(customer), customer=customer, details={"n": n}
    )


def _history(entries=4, customers=2):
    chains = []
    for _ in range(customers):
        customer = CustomerFactory()
        chains.append([_record(customer, n) for n in range(entries)])
    return chains


def _sql(sql, params=None):
    """As a superuser would: user triggers (the append-only one) switched off for the statement."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def _rewrite_chain(chain, *, edit_seq, key_id):
    """Change one entry's details and recompute every hash from there on, as a forger would, so the chain
    links up again. `key_id` '' forges plain SHA-256 (no key needed); otherwise HMAC with that key id."""
    prev = GENESIS_HASH
    for event in SecurityEvent.objects.filter(chain=chain).order_by("seq"):
        if event.seq == edit_seq:
            event.details = {"n": "forged"}
        if event.seq >= edit_seq:
            event.prev_hash, event.key_id = prev, key_id
            event.hash = entry_hash(event)
            _sql(
                "UPDATE locks_securityevent SET details = %s, prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
                [json.dumps(event.details), event.prev_hash, event.hash, event.key_id, event.pk],
            )
        prev = event.hash


def test_an_untouched_log_verifies_against_its_checkpoint():
    _history()
    checkpoint = security_log_checkpoint_write()
    assert checkpoint is not None
    assert checkpoint.number == 1
    assert security_log_verify() == []
    assert security_log_checkpoint_write() is None  # nothing moved: no new checkpoint


def test_a_rewrite_recomputed_without_the_key_is_detected():
    [chain, _] = _history()
    security_log_checkpoint_write()
    _rewrite_chain(chain[0].chain, edit_seq=2, key_id="")  # plain SHA-256: what the old, unkeyed chain allowed
    [brk] = security_log_verify()
    assert (brk.chain, brk.seq) == (chain[0].chain, 4)  # the checkpoint's head no longer matches
    assert "rewritten" in brk.problem


def test_a_rewrite_past_the_checkpoint_recomputed_without_the_key_is_detected():
    [chain, _] = _history()
    security_log_checkpoint_write()
    customer = chain[0].customer
    late = [_record(customer, n) for n in (10, 11)]
    _rewrite_chain(late[0].chain, edit_seq=late[0].seq, key_id="")
    [brk] = security_log_verify()
    assert (brk.seq, brk.problem) == (late[0].seq, "unkeyed entry that no signed checkpoint covers")


def test_a_rewrite_recomputed_with_a_guessed_key_is_detected(settings):
    [chain, _] = _history()
    real = settings.SECURITY_LOG_KEYS
    settings.SECURITY_LOG_KEYS = [(real[0][0], "a key the forger guessed")]
    _rewrite_chain(chain[0].chain, edit_seq=2, key_id=real[0][0])
    settings.SECURITY_LOG_KEYS = real
    [brk] = security_log_verify()
    assert (brk.seq, brk.problem) == (2, "content does not match its hash")


def test_a_rewrite_recomputed_with_the_stolen_key_is_caught_by_the_checkpoint(settings):
    [chain, _] = _history()
    security_log_checkpoint_write()
    _rewrite_chain(chain[0].chain, edit_seq=1, key_id=settings.SECURITY_LOG_KEYS[0][0])
    [brk] = security_log_verify()
    assert (brk.seq, brk.event_id) == (4, chain[3].pk)
    assert "differs from checkpoint 1" in brk.problem


def test_a_deleted_tail_is_detected():
    [chain, _] = _history()
    security_log_checkpoint_write()
    _sql("DELETE FROM locks_securityevent WHERE chain = %s AND seq >= 3", [chain[0].chain])
    [brk] = security_log_verify()
    assert (brk.chain, brk.seq) == (chain[0].chain, 4)
    assert "missing (deleted or erased)" in brk.problem


def test_a_fully_erased_log_is_detected():
    chains = _history(customers=3)
    security_log_checkpoint_write()
    _sql("DELETE FROM locks_securityevent")  # TRUNCATE does the same (the service's role may do neither)
    breaks = security_log_verify()
    assert sorted(b.chain for b in breaks) == sorted(c[0].chain for c in chains)
    assert all("missing (deleted or erased)" in b.problem for b in breaks)


def test_an_erased_log_rewritten_with_the_stolen_key_is_detected():
    chains = _history(customers=1)
    security_log_checkpoint_write()
    customer = chains[0][0].customer
    _sql("DELETE FROM locks_securityevent")
    [_record(customer, n) for n in range(6)]  # a fresh, well-formed chain, longer than the old one
    [brk] = security_log_verify()
    assert brk.seq == 4
    assert "differs from checkpoint" in brk.problem


def test_the_checkpoint_task_refuses_to_sign_a_log_that_lost_its_tail():
    [chain, other] = _history()
    assert tasks.security_log_checkpoint() == 1
    _sql("DELETE FROM locks_securityevent WHERE chain = %s AND seq = 4", [chain[0].chain])
    _record(other[0].customer, 99)  # the log moves on elsewhere
    with pytest.raises(CheckpointError, match="no longer matches checkpoint 1"):
        tasks.security_log_checkpoint()
    assert checkpoint_latest().number == 1


def test_a_checkpoint_signed_with_another_key_is_refused(settings):
    _history()
    security_log_checkpoint_write()
    forger = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    settings.SECURITY_LOG_CHECKPOINT_SIGNING_KEY = base64.b64encode(forger).decode()
    security_log_checkpoint_write(force=True)  # the forger's checkpoint is now the latest file
    [brk] = security_log_verify()
    assert brk.chain == "checkpoint"
    assert "not signed by any key" in brk.problem
    with pytest.raises(CommandError):
        call_command("verify_security_log")


def test_checkpoints_are_files_written_once_in_a_folder_per_database(settings):
    _history()
    security_log_checkpoint_write()
    store = DirectoryStore()
    assert store.directory.parent == Path(settings.SECURITY_LOG_CHECKPOINT_DIR)
    assert [p.name for p in store.directory.iterdir()] == ["checkpoint-000000000001.json"]
    with pytest.raises(FileExistsError):
        store.save(1, b"{}")


def test_rotating_the_key_keeps_old_entries_verifiable_and_a_dropped_key_shows(settings):
    [chain] = _history(entries=2, customers=1)
    old = settings.SECURITY_LOG_KEYS[0]
    settings.SECURITY_LOG_KEYS = [("k2", "the next key, long enough for production use"), old]
    newer = _record(chain[0].customer, 5)
    assert newer.key_id == "k2"
    assert security_log_verify() == []
    settings.SECURITY_LOG_KEYS = [("k2", "the next key, long enough for production use")]
    [brk] = security_log_verify()
    assert (brk.seq, brk.problem) == (1, f"keyed with unknown key id {old[0]!r}")


def test_verify_command_names_the_checkpoint(capsys):
    _history()
    call_command("verify_security_log")
    assert "no signed checkpoint yet" in capsys.readouterr().out
    call_command("security_log_checkpoint")
    call_command("verify_security_log")
    assert "against checkpoint 1" in capsys.readouterr().out


def test_the_checkpoint_command_refuses_to_sign_a_broken_log():
    [chain, _] = _history()
    _sql("UPDATE locks_securityevent SET details = '{}' WHERE id = %s", [chain[1].pk])
    with pytest.raises(CommandError, match="not signing a broken log"):
        call_command("security_log_checkpoint")
    assert checkpoint_latest() is None
