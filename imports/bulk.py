"""Insert many model instances with PostgreSQL COPY: the ids are taken from the table's sequence
first (one query), so the instances get their primary keys as with bulk_create, then one COPY
writes every row. Table and column names come from the models' _meta; values go through each
field's own pre_save and get_db_prep_save (auto_now_add timestamps, arrays, JSON), so what is
stored is what Model.save() would store — without building a statement with a placeholder per
value (Django's bulk_create spends most of its time there for tens of thousands of rows).

Like bulk_create, it calls no save() and sends no signals; model-level checks are the caller's."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

# Field classes whose stored value is the attribute as it is (psycopg adapts str, int, bool, date,
# UUID): no per-value call into Django. Exact classes only — a subclass (an encrypted field, say)
# may transform its value, so it goes through get_db_prep_save.
PLAIN = (models.CharField, models.TextField, models.IntegerField, models.PositiveIntegerField,
         models.PositiveSmallIntegerField, models.SmallIntegerField, models.BigIntegerField, models.BooleanField,
         models.DateField, models.ForeignKey, models.OneToOneField, models.UUIDField, models.GenericIPAddressField)


def _plain(field: models.Field) -> bool:
    return type(field) in PLAIN and not getattr(field, "auto_now", False) and not getattr(field, "auto_now_add", False)


def copy_insert(objs: Sequence[models.Model], *, chunk: int = 20_000) -> None:
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    table = meta.db_table
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    kinds = [(f, _plain(f)) for f in fields]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objs)],
        )
        for obj, (new_id,) in zip(objs, cur.fetchall(), strict=True):
            setattr(obj, pk.attname, new_id)
            obj._state.adding = False
            obj._state.db = connection.alias
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [pk, *fields])
        raw = cur.cursor  # the psycopg cursor under Django's wrapper
        for start in range(0, len(objs), chunk):
            with raw.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                for obj in objs[start:start + chunk]:
                    row = [getattr(obj, pk.attname)]
                    for f, plain in kinds:
                        row.append(getattr(obj, f.attname) if plain
                                   else f.get_db_prep_save(f.pre_save(obj, True), connection))
                    copy.write_row(row)


def copy_rows(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence], *,
              chunk: int = 20_000) -> None:
    """COPY plain tuples into `model`'s table: one value per name of `field_names` (attnames, so
    "actor_id" for a foreign key), the primary key left to the table's identity. For rows nobody
    reads back in the same transaction (audit rows): no model instance is built. Values of plain
    fields go as they are; the others (JSON …) through the field's get_db_prep_save. The caller
    gives what pre_save would (an auto_now_add time, say)."""
    if not rows:
        return
    meta = model._meta
    fields = [next(f for f in meta.concrete_fields if f.attname == name) for name in field_names]
    prep = [None if _plain(f) or type(f) is models.DateTimeField else f for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cur:
        raw = cur.cursor
        for start in range(0, len(rows), chunk):
            with raw.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows[start:start + chunk]:
                    copy.write_row([v if f is None else f.get_db_prep_save(v, connection)
                                    for v, f in zip(row, prep, strict=True)])
