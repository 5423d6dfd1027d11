"""The two PostgreSQL roles: the owner (runs migrations, owns every table) and the service (what the web
server, worker and beat connect as).

The service role may read and write the application's tables but may only INSERT and SELECT the security log:
no UPDATE, DELETE or TRUNCATE, and, owning nothing, no ALTER, no DROP and no disabling of the append-only
trigger. `service_role_grants` (re)applies this; run it as the owner after every migrate, or set
DATABASE_SERVICE_ROLE and migrate does it.
"""

import re

from django.db import connection

from securitycenter.securitylog.models import SecurityEvent

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Tables the service may only append to and read.
APPEND_ONLY_TABLES = (SecurityEvent._meta.db_table,)
# Tables the service only reads (the migration history is the owner's).
READ_ONLY_TABLES = ("django_migrations",)


class RoleRefusedError(Exception):
    """The role cannot be made the service role (it would keep powers over the log)."""


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def service_role_grants(*, role: str, password: str | None = None) -> list[str]:
    """Create the service role if missing and set its privileges on every table of the current schema.

    Idempotent. Returns the statements run (passwords elided). Run as the owner of the tables.
    """
    if connection.vendor != "postgresql":
        raise RoleRefusedError("database roles need PostgreSQL")
    if not ROLE_NAME.match(role):
        raise RoleRefusedError("a role name is lower-case letters, digits and underscores")
    ran: list[str] = []
    with connection.cursor() as cursor:

        def run(sql: str, params: list[str] | None = None, shown: str | None = None) -> None:
            cursor.execute(sql, params)
            ran.append(shown or sql)

        cursor.execute("SELECT current_user, current_schema(), current_database()")
        owner, schema, database = cursor.fetchone()
        if role == owner:
            raise RoleRefusedError("the service role must not be the role that owns the tables")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        existing = cursor.fetchone()
        if existing is None:
            run(f"CREATE ROLE {_q(role)} LOGIN")
        elif existing[0]:
            raise RoleRefusedError("the service role must not be a superuser")
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
        if cursor.fetchone()[0]:
            raise RoleRefusedError("the service role must not be a member of the owner role")
        run(f"ALTER ROLE {_q(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
        if password:
            run(f"ALTER ROLE {_q(role)} PASSWORD %s", [password], shown=f"ALTER ROLE {_q(role)} PASSWORD '…'")
        run(f"GRANT CONNECT ON DATABASE {_q(database)} TO {_q(role)}")
        run(f"GRANT USAGE ON SCHEMA {_q(schema)} TO {_q(role)}")
        run(f"REVOKE CREATE ON SCHEMA {_q(schema)} FROM {_q(role)}")
        run(f"REVOKE ALL ON ALL TABLES IN SCHEMA {_q(schema)} FROM {_q(role)}")
        run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {_q(schema)} TO {_q(role)}")
        for table in APPEND_ONLY_TABLES:
            run(f"REVOKE UPDATE, DELETE ON {_q(table)} FROM {_q(role)}")
        for table in READ_ONLY_TABLES:
            run(f"REVOKE INSERT, UPDATE, DELETE ON {_q(table)} FROM {_q(role)}")
        run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {_q(schema)} FROM {_q(role)}")
        run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_q(schema)} TO {_q(role)}")
    return ran
