"""The security log's models leave the locks app's state for the securitylog app (state only: the tables,
their rows and the append-only trigger stay as they are)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("locks", "0006_hold_webhookdelivery_webhookattempt_and_more"),
        ("securitylog", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="securityevent", name="customer"),
                migrations.DeleteModel(name="SecurityLogHead"),
                migrations.DeleteModel(name="SecurityEvent"),
            ],
            database_operations=[],
        ),
    ]
