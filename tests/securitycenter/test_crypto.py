import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts.models import BankAccount
from securitycenter import crypto
from tests.factories import BankAccountFactory


def test_encrypt_round_trips_and_is_randomised():
    a, b = crypto.encrypt("6222000000001234"), crypto.encrypt("6222000000001234")
    assert a != b
    assert crypto.decrypt(a) == crypto.decrypt(b) == "6222000000001234"


def test_first_key_encrypts_and_all_keys_decrypt(settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    ciphertext = crypto.encrypt("secret")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(ciphertext) == "secret"
    assert not crypto.encrypted_with_current_key(ciphertext)
    assert crypto.encrypted_with_current_key(crypto.encrypt("secret"))
    settings.FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(ciphertext)


def test_blind_index_is_keyed_and_separates_purposes(settings):
    a = crypto.blind_index("6222000000001234", purpose="account_number")
    assert a == crypto.blind_index("6222000000001234", purpose="account_number")
    assert a != crypto.blind_index("6222000000001234", purpose="payee")
    settings.BLIND_INDEX_KEY = "another key"
    assert a != crypto.blind_index("6222000000001234", purpose="account_number")


@pytest.mark.django_db
def test_account_number_is_ciphertext_in_the_database():
    account = BankAccountFactory(number="6222021234567890123")
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM accounts_bankaccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert "6222021234567890123" not in stored
    assert BankAccount.objects.get(pk=account.pk).number == "6222021234567890123"


@pytest.mark.django_db
def test_rotation_command_reencrypts_every_row_with_the_first_key(settings):
    accounts = [BankAccountFactory() for _ in range(3)]
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]

    call_command("rotate_encryption_keys")

    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM accounts_bankaccount ORDER BY id")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(crypto.encrypted_with_current_key(c) for c in stored)
    # The old key can now be dropped: everything still decrypts with the new key alone.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert [a.number for a in BankAccount.objects.order_by("id")] == [a.number for a in accounts]
