"""Model fields that keep secrets encrypted at rest."""

from typing import Any

from django.db import models

from securitycenter import crypto


class EncryptedTextField(models.TextField):
    """A text column stored as Fernet ciphertext, read back as plaintext.

    It cannot be filtered on (the ciphertext is randomised); pair it with a blind-index column when an
    exact look-up is needed.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return crypto.encrypt(str(value))
