"""Key rotation for every encrypted column in the project."""

from django.apps import apps
from django.db import connection

from securitycenter import crypto
from securitycenter.fields import EncryptedTextField


def encrypted_fields_rotate(batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every EncryptedTextField value with the current key; returns counts per column.

    Works on the raw ciphertext (no decrypt-to-model round trip) and skips values already under the
    current key, so it can be stopped and run again.
    """
    counts: dict[str, int] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            label = f"{model._meta.label}.{field.name}"
            table = connection.ops.quote_name(model._meta.db_table)
            column = connection.ops.quote_name(field.column)
            pk = connection.ops.quote_name(model._meta.pk.column)
            rotated = 0
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                rows = cursor.fetchall()
                for row_pk, ciphertext in rows:
                    if crypto.encrypted_with_current_key(ciphertext):
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [crypto.reencrypt(ciphertext), row_pk],
                    )
                    rotated += 1
            counts[label] = rotated
    return counts
