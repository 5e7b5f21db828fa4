"""The early-warning signal whose facts services owns: a referral of the household past its
deadline and not closed. The rule's contract is that of visits.warning_signals."""

from __future__ import annotations

import datetime as dt
import json

from visits.models import NOT_ASKED, Need, Visit

from .models import OPEN_STATUSES, Referral


def referral_late(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """Observed on the day after the deadline (Asia/Shanghai), while it is still open or was
    closed only after it."""
    due_day = "(r.due_at AT TIME ZONE 'Asia/Shanghai')::date"
    sql = f"""
        SELECT r.household_id, 'referral_late' AS kind, {due_day} + 1 AS observed_on,
               '转介超期：' || left(r.problem, 50) || '（期限' || to_char({due_day}, 'FMMM"月"FMDD"日"') || '）' AS words,
               '转介记录' AS source, 'referral_late:' || r.id AS key
        FROM {Referral._meta.db_table} r
        WHERE {due_day} + 1 BETWEEN %(since)s AND %(today)s
          AND (r.status = ANY(%(open)s) OR (r.closed_at AT TIME ZONE 'Asia/Shanghai')::date > {due_day})"""
    return sql, {"since": since, "today": today, "open": [str(s) for s in OPEN_STATUSES]}


def need_repeated(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """The same service need (生活照料, 康复护理 …) at a visit and at the previous visit that
    answered the item, with no referral of the household submitted between the two visits
    (observed on the later visit). It lives here because the referral is services' fact."""
    v, r = Visit._meta.db_table, Referral._meta.db_table
    sql = f"""
        SELECT v.household_id, 'need_repeated' AS kind, v.visited_on AS observed_on,
               '服务需求反复：' || (%(labels)s::jsonb ->> n.need) || '（' || to_char(p.visited_on, 'FMMM"月"FMDD"日"')
                   || '、' || to_char(v.visited_on, 'FMMM"月"FMDD"日"') || '走访，未转介）' AS words,
               '走访记录' AS source, 'need_repeated:' || v.id || ':' || n.need AS key
        FROM {v} v
        CROSS JOIN LATERAL (
            SELECT q.visited_on, q.needs FROM {v} q
            WHERE q.household_id = v.household_id AND (q.visited_on, q.id) < (v.visited_on, v.id)
              AND NOT q.needs && %(not_needs)s::varchar[] AND cardinality(q.needs) > 0
            ORDER BY q.visited_on DESC, q.id DESC LIMIT 1) p
        CROSS JOIN LATERAL unnest(v.needs) AS n(need)
        WHERE v.visited_on BETWEEN %(since)s AND %(today)s AND n.need = ANY(p.needs)
          AND NOT n.need = ANY(%(not_needs)s::varchar[])
          AND NOT EXISTS (SELECT 1 FROM {r} x WHERE x.household_id = v.household_id
                          AND (x.submitted_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN p.visited_on AND v.visited_on)"""
    return sql, {"since": since, "today": today, "not_needs": [str(Need.NONE), NOT_ASKED],
                 "labels": json.dumps({str(c.value): str(c.label) for c in Need})}


SIGNAL_RULES = [referral_late, need_repeated]
