"""The security log moves from the locks app to an app of its own, below every app that writes to it.

State only: the tables keep their names (locks_securityevent, locks_securityloghead), their rows and the
append-only trigger of locks.0002. The content types follow, so permissions on the log keep working.
"""

import django.db.models.deletion
from django.db import migrations, models


def _content_types_follow(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("securityevent", "securityloghead"):
        if not content_type.objects.filter(app_label="securitylog", model=model).exists():
            content_type.objects.filter(app_label="locks", model=model).update(app_label="securitylog")


def _content_types_return(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("securityevent", "securityloghead"):
        if not content_type.objects.filter(app_label="locks", model=model).exists():
            content_type.objects.filter(app_label="securitylog", model=model).update(app_label="locks")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_serviceclient_webhook_secret'),
        ('contenttypes', '0002_remove_content_type_name'),
        # The tables (and the append-only trigger) were made by these; this app takes them over as they are.
        ('locks', '0006_hold_webhookdelivery_webhookattempt_and_more'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SecurityLogHead',
                    fields=[
                        ('chain', models.CharField(max_length=32, primary_key=True, serialize=False)),
                        ('seq', models.PositiveBigIntegerField(default=0)),
                        ('last_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                    ],
                    options={
                        'db_table': 'locks_securityloghead',
                    },
                ),
                migrations.CreateModel(
                    name='SecurityEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('chain', models.CharField(help_text="customer:<id>, or 'bank' for acts on no customer", max_length=32)),
                        ('seq', models.PositiveBigIntegerField()),
                        ('actor_type', models.CharField(choices=[('customer', 'Customer'), ('agent', 'Agent'), ('system', 'System'), ('service', 'Service')], max_length=16)),
                        ('actor_id', models.CharField(blank=True, max_length=64)),
                        ('event_type', models.CharField(choices=[('login.succeeded', 'Login Succeeded'), ('login.failed', 'Login Failed'), ('login.locked_out', 'Login Locked Out'), ('login.logout', 'Logout'), ('token.revoked', 'Token Revoked'), ('device.revoked', 'Device Revoked'), ('otp.device_enrolled', 'Otp Device Enrolled'), ('otp.device_confirmed', 'Otp Device Confirmed'), ('otp.device_removed', 'Otp Device Removed'), ('otp.verified', 'Otp Verified'), ('otp.failed', 'Otp Failed'), ('otp.replayed', 'Otp Replayed'), ('otp.locked_out', 'Otp Locked Out'), ('otp.sms_code_sent', 'Sms Code Sent'), ('service_client.created', 'Service Client Created'), ('api_key.created', 'Api Key Created'), ('api_key.revoked', 'Api Key Revoked'), ('api_key.rotated', 'Api Key Rotated'), ('encryption.keys_rotated', 'Encryption Keys Rotated'), ('lock.changed', 'Lock Changed'), ('lock.loosening_requested', 'Loosening Requested'), ('lock.loosening_applied', 'Loosening Applied'), ('lock.loosening_cancelled', 'Loosening Cancelled'), ('freeze.placed', 'Freeze Placed'), ('freeze.lifted', 'Freeze Lifted'), ('travel_window.added', 'Travel Window Added'), ('travel_window.removed', 'Travel Window Removed'), ('authorization.declined', 'Authorization Declined'), ('authorization.degraded_mode', 'Degraded Mode'), ('hold.placed', 'Hold Placed'), ('hold.released', 'Hold Released'), ('hold.cancelled', 'Hold Cancelled'), ('hold.stopped', 'Hold Stopped'), ('agent.lookup', 'Agent Lookup'), ('risk_list.changed', 'Risk List Changed')], max_length=48)),
                        ('occurred_at', models.DateTimeField()),
                        ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                        ('device', models.CharField(blank=True, max_length=128)),
                        ('details', models.JSONField(default=dict)),
                        ('old_value', models.JSONField(blank=True, null=True)),
                        ('new_value', models.JSONField(blank=True, null=True)),
                        ('prev_hash', models.CharField(max_length=64)),
                        ('hash', models.CharField(max_length=64)),
                        ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='security_events', to='accounts.customer')),
                    ],
                    options={
                        'db_table': 'locks_securityevent',
                        'ordering': ['chain', 'seq'],
                        'indexes': [models.Index(fields=['customer', '-occurred_at'], name='locks_secur_custome_7b931a_idx')],
                        'constraints': [models.UniqueConstraint(fields=('chain', 'seq'), name='security_event_chain_seq_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_content_types_follow, _content_types_return),
    ]
