"""Empty what a transactional test wrote — quickly — instead of Django's flush.

Django ends a transactional test (browser journeys, concurrency, migrations) with `flush`: a
TRUNCATE of all 113 tables, the post_migrate signal re-creating every content type and
permission, then tests/conftest.py loading the reference rows (areas, departments, holidays)
again — two to three seconds a test on a busy machine, a hundred times a run.

Here, once per session, the tables that hold rows right after the database is built (the
reference rows, content types, permissions) are copied into the schema `test_reference` with a
checksum each. After a test: one statement finds the tables that hold rows; TRUNCATE … CASCADE
empties those that are not reference tables, and any reference table whose checksum changed;
a reference table that then differs from its copy (a test changed an area, or a cascade emptied
it) is written back from the copy. The end state is the same as flush + reload: every table
empty but the reference rows, exactly as they were built.
"""

from __future__ import annotations

from django.db import connection, transaction

SCHEMA = "test_reference"

_reference: dict[str, str] = {}  # table -> checksum of its rows when the session began


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _union(parts: list[str]) -> list[tuple]:
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return cursor.fetchall()


def _nonempty(tables: list[str]) -> list[str]:
    q = connection.ops.quote_name
    return [row[0] for row in _union([f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {q(t)})" for t in tables])]


def _checksums(tables) -> dict[str, str]:
    """A checksum of each table's rows, independent of row and column order."""
    q = connection.ops.quote_name
    return dict(_union([
        f"SELECT '{t}', (SELECT coalesce(md5(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text)), '') "
        f"FROM {q(t)} x)" for t in tables]))


def snapshot() -> None:
    """Copy the reference rows as they are now (right after migrations and the reference loaders)."""
    q = connection.ops.quote_name
    tables = _nonempty(_tables())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        for table in tables:
            cursor.execute(f"CREATE TABLE {SCHEMA}.{q(table)} AS SELECT * FROM {q(table)}")
    _reference.clear()
    _reference.update(_checksums(tables))


def reset() -> None:
    """Every table empty but the reference tables, which hold exactly their snapshot."""
    if not _reference:
        raise RuntimeError("tests.dbreset.snapshot() has not run in this session")
    q = connection.ops.quote_name
    nonempty = _nonempty(_tables())
    now = _checksums([t for t in nonempty if t in _reference])
    dirty = [t for t in nonempty if t not in _reference or now[t] != _reference[t]]
    if dirty:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(q(t) for t in dirty)} CASCADE")
        check = list(_reference)  # the cascade may have emptied reference tables too
    else:
        check = [t for t in _reference if t not in now]
    broken = [t for t, s in _checksums(check).items() if s != _reference[t]]
    if broken:
        with transaction.atomic(), connection.cursor() as cursor:
            # The copies are consistent among themselves; no trigger or foreign-key check while
            # they go back (superuser, as the test database's owner is in the suite).
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in broken:
                cursor.execute(
                    "SELECT string_agg(quote_ident(column_name), ', ') FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s", [SCHEMA, table])
                columns = cursor.fetchone()[0]
                cursor.execute(f"DELETE FROM {q(table)}")
                cursor.execute(f"INSERT INTO {q(table)} ({columns}) SELECT {columns} FROM {SCHEMA}.{q(table)}")
