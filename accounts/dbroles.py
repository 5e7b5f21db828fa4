"""The two database roles (docs/deployment.md, docs/security.md "部署与数据库角色").

* The owning role (``care_owner``) owns the schema, every table, sequence and trigger function.
  Migrations run as it (``manage.py migrate_as_owner``).
* The application role (``care_app``) owns nothing. It may SELECT, INSERT, UPDATE and DELETE on
  ordinary tables, only SELECT and INSERT on the append-only tables (ledgers, histories, audit:
  every table carrying a trigger that calls ``care_refuse_update_delete()``), and nothing on
  ``django_migrations`` beyond SELECT. Not being an owner it cannot TRUNCATE, ALTER a table,
  disable a trigger, and (not a superuser) cannot SET session_replication_role.

``ensure_roles`` needs a superuser (or CREATEROLE) connection; ``grant`` runs as the owner or a
superuser. Both are idempotent: run them again after every migration (``migrate_as_owner`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

APPEND_ONLY_FUNCTION = "care_refuse_update_delete"
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str


def _q(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(connection: BaseDatabaseWrapper, value: str) -> str:
    from psycopg import sql

    connection.ensure_connection()
    return sql.Literal(value).as_string(connection.connection)


def append_only_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Tables whose rows the database refuses to UPDATE or DELETE (found by their trigger)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT DISTINCT c.relname
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE p.proname = %s AND n.nspname = 'public' AND NOT t.tgisinternal
            ORDER BY 1
            """,
            [APPEND_ONLY_FUNCTION],
        )
        return [row[0] for row in cur.fetchall()]


def ensure_roles(connection: BaseDatabaseWrapper, roles: Roles, passwords: dict[str, str] | None = None) -> list[str]:
    """Create (or correct) both login roles, give the schema and every object in it to the owner.
    Needs a superuser connection. Returns what it did, one line per change."""
    passwords = passwords or {}
    done: list[str] = []
    with connection.cursor() as cur:
        for role in (roles.owner, roles.app):
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cur.fetchone() is None:
                # Roles are cluster-wide: another database's setup may create it at the same moment.
                create = f"CREATE ROLE {_q(connection, role)} {ROLE_ATTRIBUTES}"
                cur.execute(f"DO $$ BEGIN {create}; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
                done.append(f"created role {role}")
            else:
                cur.execute(f"ALTER ROLE {_q(connection, role)} {ROLE_ATTRIBUTES}")
            if passwords.get(role):
                cur.execute(f"ALTER ROLE {_q(connection, role)} PASSWORD {_literal(connection, passwords[role])}")
        owner = _q(connection, roles.owner)
        cur.execute("SELECT current_database()")
        database = _q(connection, cur.fetchone()[0])
        # CREATE: the owner may add schemas and trusted extensions (pg_trgm, pgcrypto) in migrations.
        cur.execute(f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {database} TO {owner}")
        cur.execute(f"GRANT CONNECT ON DATABASE {database} TO {_q(connection, roles.app)}")
        cur.execute(f"ALTER SCHEMA public OWNER TO {owner}")
        # Before PostgreSQL 15 every role could create tables in public (and then own them).
        cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        # Objects created earlier by another role (a database migrated as postgres) move to the owner.
        # Identity sequences follow their table; functions include the append-only trigger function.
        cur.execute(
            """
            SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                  WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                   quote_ident(c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND pg_get_userbyid(c.relowner) <> %s
              AND NOT (c.relkind = 'S' AND EXISTS (
                  SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
            ORDER BY c.relkind DESC, c.relname
            """,
            [roles.owner],
        )
        for kind, name in cur.fetchall():
            cur.execute(f"ALTER {kind} {name} OWNER TO {owner}")
            done.append(f"{kind.lower()} {name} now owned by {roles.owner}")
        cur.execute(
            """
            SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> %s
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            """,
            [roles.owner],
        )
        for (signature,) in cur.fetchall():
            cur.execute(f"ALTER FUNCTION {signature} OWNER TO {owner}")
            done.append(f"function {signature} now owned by {roles.owner}")
    return done


def grant(connection: BaseDatabaseWrapper, roles: Roles) -> list[str]:
    """(Re)set the application role's privileges on every table and sequence, and the default
    privileges for tables the owner creates later. Runs as the owner or a superuser."""
    owner, app = _q(connection, roles.owner), _q(connection, roles.app)
    append_only = append_only_tables(connection)
    with connection.cursor() as cur:
        cur.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
        cur.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}")
        cur.execute(f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {app}")
        for table in append_only:
            cur.execute(f"REVOKE UPDATE, DELETE ON {_q(connection, table)} FROM {app}")
        cur.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL")
        if cur.fetchone()[0]:  # absent before the first migration
            cur.execute(f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {app}")
        cur.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {app}")
        cur.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}")
        cur.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {app}"
        )
        cur.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}"
        )
    return [f"{roles.app}: {APP_TABLE_PRIVILEGES} on every table; SELECT, INSERT only on " + ", ".join(append_only)]
