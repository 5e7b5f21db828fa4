"""The early-warning signals whose facts custody owns: a custodian or caregiver evaluated
不称职 (observed on the evaluation's date), and a withdrawal pattern out of the ordinary on the
ledger — several withdrawals in a week, or a month with none for a person whose caregiver draws
daily expenses. The rules' contract is that of visits.warning_signals."""

from __future__ import annotations

import datetime as dt

from beneficiaries.models import Person

from .models import (
    AccountStatus,
    Caregiver,
    CustodyAccount,
    DutyEvaluation,
    DutyRole,
    EntryKind,
    EvaluationResult,
    LedgerEntry,
)


def poor_evaluation(since: dt.date, today: dt.date) -> tuple[str, dict]:
    sql = f"""
        SELECT p.household_id, 'poor_evaluation' AS kind, e.evaluated_on AS observed_on,
               CASE WHEN e.role = %(caregiver)s THEN '照料护理人' ELSE '代管人' END || '履职评估：不称职（'
                   || to_char(e.evaluated_on, 'FMMM"月"FMDD"日"') || '）' AS words,
               '履职评估' AS source, 'poor_evaluation:' || e.id AS key
        FROM {DutyEvaluation._meta.db_table} e
        JOIN {CustodyAccount._meta.db_table} a ON a.id = e.account_id
        JOIN {Person._meta.db_table} p ON p.id = a.person_id
        WHERE e.result = %(fail)s AND e.evaluated_on BETWEEN %(since)s AND %(today)s"""
    return sql, {"caregiver": DutyRole.CAREGIVER, "fail": EvaluationResult.FAIL, "since": since, "today": today}


# Withdrawals (not reversed) in 7 days running that are out of the ordinary; days without any
# withdrawal that are, for an account with a caregiver in office.
MANY_WITHDRAWALS, MANY_DAYS = 4, 7
NO_WITHDRAWAL_DAYS = 31

_DAY = "to_char({col}, 'FMMM\"月\"FMDD\"日\"')"


_LEDGER = LedgerEntry._meta.db_table
# A withdrawal `alias` that no reversal names.
_NOT_REVERSED = "NOT EXISTS (SELECT 1 FROM {t} r WHERE r.reverses_id = {a}.id)"


def _live(alias: str) -> str:
    return f"{alias}.kind = %(withdrawal)s AND " + _NOT_REVERSED.format(t=_LEDGER, a=alias)


def withdrawals_many(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """The 4th withdrawal (or a later one) within 7 days running, observed on the day it was
    known (its date, or the day it was entered if later). The count uses the ledger's
    (account, kind, entry_date) index."""
    known = "GREATEST(w.entry_date, (w.posted_at AT TIME ZONE 'Asia/Shanghai')::date)"
    sql = f"""
        SELECT p.household_id, 'custody_pattern' AS kind, {known} AS observed_on,
               '代管账户：' || {_DAY.format(col="w.entry_date - %(span)s")} || '至' || {_DAY.format(col="w.entry_date")}
                   || '支取' || n.count || '次（台账）' AS words,
               '代管台账' AS source, 'custody_many:' || w.id AS key
        FROM {_LEDGER} w
        JOIN {CustodyAccount._meta.db_table} a ON a.id = w.account_id
        JOIN {Person._meta.db_table} p ON p.id = a.person_id
        CROSS JOIN LATERAL (SELECT count(*) AS count FROM {_LEDGER} o WHERE o.account_id = w.account_id
                            AND {_live("o")}
                            AND o.entry_date BETWEEN w.entry_date - %(span)s AND w.entry_date
                            AND (o.entry_date, o.id) <= (w.entry_date, w.id)) n
        WHERE {_live("w")} AND w.entry_date <= %(today)s AND {known} BETWEEN %(since)s AND %(today)s
          AND n.count >= %(many)s"""
    return sql, {"since": since, "today": today, "withdrawal": EntryKind.WITHDRAWAL, "many": MANY_WITHDRAWALS,
                 "span": MANY_DAYS - 1}


def withdrawals_none(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """An open account whose caregiver (照料护理人, who draws the daily expenses) is in office and
    which had no withdrawal for 31 days since the last one (or since the caregiver began or the
    account opened): observed on the 31st day, once per such stretch."""
    sql = f"""
        WITH base AS (
            SELECT a.id AS account_id, a.person_id,
                   GREATEST(a.opened_on, c.started_on,
                            (SELECT max(w.entry_date) FROM {_LEDGER} w WHERE w.account_id = a.id AND {_live("w")}
                               AND w.entry_date <= %(today)s)) AS since_day
            FROM {CustodyAccount._meta.db_table} a
            CROSS JOIN LATERAL (SELECT max(g.started_on) AS started_on FROM {Caregiver._meta.db_table} g
                                WHERE g.account_id = a.id AND g.started_on <= %(today)s
                                  AND (g.ended_on IS NULL OR g.ended_on >= %(today)s)) c
            WHERE a.status = %(open)s AND a.opened_on <= %(today)s AND c.started_on IS NOT NULL)
        SELECT p.household_id, 'custody_pattern' AS kind, b.since_day + %(none)s AS observed_on,
               '代管账户：' || {_DAY.format(col="b.since_day")} || '以来' || %(none)s || '天未支取日常开支（台账）' AS words,
               '代管台账' AS source, 'custody_none:' || b.account_id || ':' || b.since_day AS key
        FROM base b JOIN {Person._meta.db_table} p ON p.id = b.person_id
        WHERE b.since_day + %(none)s BETWEEN %(since)s AND %(today)s"""
    return sql, {"since": since, "today": today, "withdrawal": EntryKind.WITHDRAWAL, "open": AccountStatus.OPEN,
                 "none": NO_WITHDRAWAL_DAYS}


SIGNAL_RULES = [poor_evaluation, withdrawals_many, withdrawals_none]
