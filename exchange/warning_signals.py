"""The early-warning signals whose facts the departments' lists bring (issue 22, §1
"departments"): high personal medical costs on the 医保 list, a disability grade changed on the
残联 list, a death in the household on the death list. Each is observed on the day the list
arrived and names the department and that day. The rules' contract is that of
visits.warning_signals."""

from __future__ import annotations

import datetime as dt

from beneficiaries.models import Household, HouseholdStatus, Person

from .models import Listing, Source

# A personal share of medical costs at or above this (in fen) in one settlement year is high.
MEDICAL_SELF_PAID_FEN = 1_000_000  # 10,000 元

GRADE_WORDS = "(ARRAY['一级','二级','三级','四级'])[{col}]"

LIST_DAY = "l.department || ' ' || to_char(l.listed_on, 'FMMM\"月\"FMDD\"日\"') || '名单'"


def medical_cost(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """A member's personal share of the year's medical costs at or above 10,000 元. Once per
    person and settlement year (a later list of the same year adds nothing)."""
    sql = f"""
        SELECT l.household_id, 'medical_cost' AS kind, l.listed_on AS observed_on,
               '医保：' || COALESCE(NULLIF(l.facts ->> 'year', '') || '年', '本年') || '个人自付 '
                   || to_char(round((l.facts ->> 'self_paid_fen')::bigint / 100.0), 'FM999,999,999,990') || ' 元（'
                   || {LIST_DAY} || '）' AS words,
               %(source_label)s AS source,
               'medical_cost:' || l.person_id || ':' || COALESCE(NULLIF(l.facts ->> 'year', ''), to_char(l.listed_on, 'YYYY')) AS key
        FROM {Listing._meta.db_table} l
        WHERE l.source = %(source)s AND l.listed_on BETWEEN %(since)s AND %(today)s
          AND (l.facts ->> 'self_paid_fen')::bigint >= %(high)s"""
    return sql, {"source": Source.MEDICAL, "source_label": str(Source.MEDICAL.label), "since": since,
                 "today": today, "high": MEDICAL_SELF_PAID_FEN}


def disability_change(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """A member's disability grade on the 残联 list differs from the roster's (or the roster had
    none). Once per person and change."""
    before, after = "(l.facts ->> 'grade_before')::int", "(l.facts ->> 'grade')::int"
    sql = f"""
        SELECT l.household_id, 'disability_change' AS kind, l.listed_on AS observed_on,
               '残联：残疾等级 ' || COALESCE({GRADE_WORDS.format(col=before)}, '无') || '→'
                   || {GRADE_WORDS.format(col=after)} || '（' || {LIST_DAY} || '）' AS words,
               %(source_label)s AS source,
               'disability_change:' || l.person_id || ':' || COALESCE({before}, 0) || ':' || {after} AS key
        FROM {Listing._meta.db_table} l
        WHERE l.source = %(source)s AND l.listed_on BETWEEN %(since)s AND %(today)s
          AND {after} IS NOT NULL AND {before} IS DISTINCT FROM {after}"""
    return sql, {"source": Source.DISABILITY, "source_label": str(Source.DISABILITY.label), "since": since,
                 "today": today}


def death_in_household(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """A member of a household still on the roster is on the death list while another member
    lives (who may now be alone; a household whose every member died is an exit proposal, not a
    warning). Once per person."""
    sql = f"""
        SELECT l.household_id, 'death_in_household' AS kind, l.listed_on AS observed_on,
               '死亡：户内成员' || COALESCE(l.facts ->> 'name', '') || ' '
                   || to_char((l.facts ->> 'died_on')::date, 'FMMM"月"FMDD"日"') || '去世（' || {LIST_DAY} || '）' AS words,
               %(source_label)s AS source, 'death_in_household:' || l.person_id AS key
        FROM {Listing._meta.db_table} l
        JOIN {Household._meta.db_table} h ON h.id = l.household_id
        WHERE l.source = %(source)s AND l.listed_on BETWEEN %(since)s AND %(today)s
          AND l.facts ->> 'died_on' IS NOT NULL AND h.status = %(active)s
          AND EXISTS (SELECT 1 FROM {Person._meta.db_table} m WHERE m.household_id = l.household_id AND m.id <> l.person_id
                      AND NOT EXISTS (SELECT 1 FROM {Listing._meta.db_table} d WHERE d.person_id = m.id
                                      AND d.source = %(source)s AND d.listed_on <= %(today)s))"""
    return sql, {"source": Source.DEATH, "source_label": str(Source.DEATH.label), "since": since, "today": today,
                 "active": HouseholdStatus.ACTIVE}


SIGNAL_RULES = [medical_cost, disability_change, death_in_household]
