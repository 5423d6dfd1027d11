"""On PostgreSQL the security log refuses UPDATE and DELETE at the database, not only in the model."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION locks_security_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'security log is append-only: % refused on entry %', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER locks_security_event_append_only
    BEFORE UPDATE OR DELETE ON locks_securityevent
    FOR EACH ROW EXECUTE FUNCTION locks_security_event_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS locks_security_event_append_only ON locks_securityevent;
DROP FUNCTION IF EXISTS locks_security_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("locks", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
