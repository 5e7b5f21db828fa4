"""The early-warning signal whose facts assistance owns: an emergency (应急事件) covering the
household's village. Observed on the day the event was known (its start, or the day it was
entered if later), once per event and household. The rule's contract is that of
visits.warning_signals; at the default weight it does not make a warning by itself, it raises
the level of a household that has other signals."""

from __future__ import annotations

import datetime as dt
import json

from accounts.models import PREFIX_LENGTH, Area
from beneficiaries.models import Household, HouseholdStatus

from .models import Emergency, EmergencyKind


def emergency(since: dt.date, today: dt.date) -> tuple[str, dict]:
    known = "GREATEST(e.starts_on, (e.declared_at AT TIME ZONE 'Asia/Shanghai')::date)"
    sql = f"""
        SELECT DISTINCT ON (e.id, h.id) h.id AS household_id, 'emergency' AS kind, {known} AS observed_on,
               '应急：' || (%(kinds)s::jsonb ->> e.kind) || '“' || left(e.title, 60) || '”覆盖本村（'
                   || to_char(e.starts_on, 'FMMM"月"FMDD"日"') || '起）' AS words,
               '应急事件' AS source, 'emergency:' || e.id || ':' || h.id AS key
        FROM {Emergency._meta.db_table} e
        JOIN {Emergency.areas.through._meta.db_table} ea ON ea.emergency_id = e.id
        JOIN {Area._meta.db_table} a ON a.code = ea.area_id
        JOIN {Household._meta.db_table} h
          ON left(h.village_id, (%(prefix)s::jsonb ->> a.level)::int) = left(a.code, (%(prefix)s::jsonb ->> a.level)::int)
        WHERE {known} BETWEEN %(since)s AND %(today)s AND (e.ends_on IS NULL OR e.ends_on >= {known})
          AND h.status = %(active)s
        ORDER BY e.id, h.id"""
    return sql, {"since": since, "today": today, "active": HouseholdStatus.ACTIVE,
                 "prefix": json.dumps({str(k): v for k, v in PREFIX_LENGTH.items()}),
                 "kinds": json.dumps({str(c.value): str(c.label) for c in EmergencyKind})}


SIGNAL_RULES = [emergency]
