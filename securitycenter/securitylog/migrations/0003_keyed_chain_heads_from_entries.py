"""The chain is keyed (each entry names its HMAC key) and its tip is its last entry, not a row of its own.

The head table goes: the service's database role may only insert and read the log, so it can no longer
advance (or rewrite) a head row. Entries already written keep their unkeyed hashes (key_id ''), verified as
before where a signed checkpoint covers them: write one right after this migration (security_log_checkpoint).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('securitylog', '0002_case_emergency_event_types'),
    ]

    operations = [
        migrations.DeleteModel(
            name='SecurityLogHead',
        ),
        migrations.AddField(
            model_name='securityevent',
            name='key_id',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
    ]
