"""Re-encrypt every encrypted column to the current key (FIELD_KEY_ID); with --reindex, also
recompute every blind index (after BLIND_INDEX_KEY changed). See docs/security-privacy.md.

Procedure: add the new key to FIELD_KEYS (keep the old one), set FIELD_KEY_ID to it, restart the
web and worker processes (new writes use the new key, old rows still open with the old one), run
this command, check it reports 0 rows left, then remove the old key from FIELD_KEYS."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from accounts import crypto

BATCH = 2000


def encrypted_columns():
    """(model, encrypted field, index field or None) for every encrypted field of the project."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, crypto.EncryptedCharField):
                index = model._meta.get_field(field.index_field) if field.index_field else None
                yield model, field, index


def rotate(*, reindex: bool = False, stdout=None) -> dict[str, int]:
    """Returns {table.column: rows rewritten}."""
    ring = crypto.keyring()
    current_prefix = f"{crypto.VERSION}:{ring.current}:"
    done: dict[str, int] = {}
    for model, field, index in encrypted_columns():
        table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
        q = connection.ops.quote_name
        where = f"{q(column)} IS NOT NULL AND {q(column)} <> ''"
        if not reindex:
            where += f" AND {q(column)} NOT LIKE %s"
        count = 0
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {q(pk)}, {q(column)} FROM {q(table)} WHERE {where} ORDER BY {q(pk)} FOR UPDATE",
                               [] if reindex else [current_prefix + "%"])
                rows = cursor.fetchall()
                for start in range(0, len(rows), BATCH):
                    chunk = rows[start:start + BATCH]
                    new = []
                    for row_pk, token in chunk:
                        plain = crypto.decrypt(token, aad=field.aad)
                        new.append((row_pk, crypto.encrypt(plain, aad=field.aad),
                                    crypto.blind_index(field.normalize(plain)) if index else None))
                    values = ", ".join(["(%s, %s, %s)"] * len(new))
                    sets = f"{q(column)} = v.enc" + (f", {q(index.column)} = v.idx" if index else "")
                    cursor.execute(
                        f"UPDATE {q(table)} t SET {sets} FROM (VALUES {values}) AS v(pk, enc, idx) "
                        f"WHERE t.{q(pk)} = v.pk::bigint",
                        [v for row in new for v in row],
                    )
                    count += len(new)
        done[f"{table}.{column}"] = count
        if stdout is not None:
            stdout.write(f"{table}.{column}: {count} rows re-encrypted to key {ring.current}")
    return done


def rows_not_under_current_key() -> int:
    prefix = f"{crypto.VERSION}:{crypto.keyring().current}:%"
    left = 0
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, field, _index in encrypted_columns():
            cursor.execute(f"SELECT count(*) FROM {q(model._meta.db_table)} WHERE {q(field.column)} <> '' "
                           f"AND {q(field.column)} NOT LIKE %s", [prefix])
            left += cursor.fetchone()[0]
    return left


class Command(BaseCommand):
    help = "Re-encrypt ID numbers (and other encrypted columns) to the current key FIELD_KEY_ID."

    def add_arguments(self, parser):
        parser.add_argument("--reindex", action="store_true",
                            help="Also recompute every blind index (after changing BLIND_INDEX_KEY).")

    def handle(self, *args, reindex: bool = False, **options):
        rotate(reindex=reindex, stdout=self.stdout)
        left = rows_not_under_current_key()
        self.stdout.write(f"Rows not under the current key: {left}")
        if left:
            raise SystemExit(1)
