"""The early-warning signal whose facts services owns: a referral of the household past its
deadline and not closed. The rule's contract is that of visits.warning_signals."""

from __future__ import annotations

import datetime as dt

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


SIGNAL_RULES = [referral_late]
