"""The early-warning signals whose facts visits owns (issue 22, §1): a checklist answer worse
than at the previous visit, a hazard left open past its deadline, no counted visit for longer
than twice the tier's interval. docs/early-warning.md lists them with their weights.

Each rule is `rule(since, today) -> (sql, params)`: one SELECT of the signals observed from
`since` through `today` (Asia/Shanghai dates), with the columns
    household_id, kind, observed_on, words, source, key
where `key` names the fact (a rerun finds the same key: earlywarning stores it once). The rules
look only at facts dated on or before `today`, so "which signals were there on day D" has one
answer. earlywarning.actions.signals_refresh runs them (it imports this module; visits does not
import earlywarning)."""

from __future__ import annotations

import datetime as dt
import json

from beneficiaries.models import Household, HouseholdStatus

from . import rules
from .models import NOT_ASKED, Condition, Finding, FindingKind, Health, Safety, Visit

DAY_WORDS = "to_char({col}, 'FMMM\"月\"FMDD\"日\"')"


def _day(col: str) -> str:
    return DAY_WORDS.format(col=col)


# Item → (words, choice ranks: a higher rank is worse) for the answers compared between visits.
HEALTH_RANK = {Health.GOOD: 0, Health.FAIR: 1, Health.POOR: 2, Health.CRITICAL: 3}
CONDITION_RANK = {Condition.OK: 0, Condition.DIFFICULT: 1}
SAFETY_RANK = {Safety.SAFE: 0, Safety.HAZARD: 1}

ITEMS = {
    "health_worse": [("health", "健康", HEALTH_RANK, Health)],
    "living_worse": [("food", "食", CONDITION_RANK, Condition), ("clothing", "衣", CONDITION_RANK, Condition),
                     ("housing", "住", CONDITION_RANK, Condition), ("medical", "医", CONDITION_RANK, Condition)],
    "safety_worse": [("house_safety", "房屋安全", SAFETY_RANK, Safety), ("water_safety", "用水安全", SAFETY_RANK, Safety),
                     ("power_safety", "用电安全", SAFETY_RANK, Safety), ("gas_safety", "用气安全", SAFETY_RANK, Safety),
                     ("heating_safety", "取暖安全", SAFETY_RANK, Safety)],
}


def _answer_worse(kind: str):
    """An answer worse than the same item's last answer before (not 未询问, not blank)."""

    def rule(since: dt.date, today: dt.date) -> tuple[str, dict]:
        visit = Visit._meta.db_table
        parts, params = [], {"since": since, "today": today, "kind": kind, "not_asked": NOT_ASKED}
        for i, (item, words, rank, choices) in enumerate(ITEMS[kind]):
            params[f"rank{i}"] = json.dumps({str(k): v for k, v in rank.items()})
            params[f"label{i}"] = json.dumps({str(c.value): str(c.label) for c in choices})
            params[f"words{i}"] = words
            params[f"item{i}"] = item
            # The previous answer of this item: the latest earlier visit that answered it.
            parts.append(f"""
                SELECT v.household_id, v.id AS visit_id, v.visited_on, %(item{i})s AS item, %(words{i})s AS item_words,
                       %(label{i})s::jsonb ->> prev.answer AS before, %(label{i})s::jsonb ->> v.{item} AS after, v.{item} AS after_value
                FROM {visit} v
                CROSS JOIN LATERAL (
                    SELECT p.{item} AS answer FROM {visit} p
                    WHERE p.household_id = v.household_id AND p.{item} <> '' AND p.{item} <> %(not_asked)s
                      AND (p.visited_on, p.id) < (v.visited_on, v.id)
                    ORDER BY p.visited_on DESC, p.id DESC LIMIT 1) prev
                WHERE v.visited_on BETWEEN %(since)s AND %(today)s AND v.{item} <> '' AND v.{item} <> %(not_asked)s
                  AND (%(rank{i})s::jsonb ->> v.{item})::int > (%(rank{i})s::jsonb ->> prev.answer)::int""")
        # Health that became 病重 is its own, heavier kind (a 预警 by itself at the defaults).
        kind_sql = ("CASE WHEN w.after_value = %(critical)s THEN 'health_critical' ELSE %(kind)s END"
                    if kind == "health_worse" else "%(kind)s")
        params["critical"] = Health.CRITICAL
        sql = f"""
            SELECT w.household_id, {kind_sql} AS kind, w.visited_on AS observed_on,
                   w.item_words || '：' || w.before || '→' || w.after || '（' || {_day("w.visited_on")} || '走访）' AS words,
                   '走访记录' AS source, 'answer_worse:' || w.visit_id || ':' || w.item AS key
            FROM ({" UNION ALL ".join(parts)}) w"""
        return sql, params

    rule.__name__ = kind
    return rule


health_worse = _answer_worse("health_worse")
living_worse = _answer_worse("living_worse")
safety_worse = _answer_worse("safety_worse")


def hazard_open(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """A hazard finding still open the day after its deadline (observed on that day)."""
    sql = f"""
        SELECT f.household_id, 'hazard_open' AS kind, f.due_on + 1 AS observed_on,
               '隐患未排除：' || left(f.description, 60) || '（期限' || {_day("f.due_on")} || '）' AS words,
               '走访发现的问题' AS source, 'hazard_open:' || f.id AS key
        FROM {Finding._meta.db_table} f
        WHERE f.kind = %(hazard)s AND f.due_on + 1 BETWEEN %(since)s AND %(today)s
          AND (f.closed_on IS NULL OR f.closed_on > f.due_on)"""
    return sql, {"hazard": FindingKind.HAZARD, "since": since, "today": today}


def visit_gap(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """No counted visit for longer than twice the tier's interval: the stored due date (last
    counted visit + interval, moved by pauses) passed by one more interval. The default
    intervals of visits.rules (a county's own VisitPolicy moves the stored due date itself)."""
    intervals = json.dumps({tier: p.interval_days for tier, p in rules.DEFAULT_POLICY.items()})
    sql = f"""
        SELECT h.id AS household_id, 'visit_gap' AS kind,
               h.next_due_on + (%(intervals)s::jsonb ->> h.tier)::int AS observed_on,
               '走访：应访 ' || {_day("h.next_due_on")} || '，已超过两个走访周期未有效走访' AS words,
               '走访计划' AS source, 'visit_gap:' || h.id || ':' || h.next_due_on AS key
        FROM {Household._meta.db_table} h
        WHERE h.status = %(active)s AND h.next_due_on IS NOT NULL AND %(intervals)s::jsonb ? h.tier
          AND h.next_due_on + (%(intervals)s::jsonb ->> h.tier)::int BETWEEN %(since)s AND %(today)s"""
    return sql, {"intervals": intervals, "active": HouseholdStatus.ACTIVE, "since": since, "today": today}


# Words in the person's wishes (本人意愿, free text) that ask for help; a wish that begins by
# saying there is none (无/没有/暂无…) does not.
WISH_ASKS = "(帮|求助|救助|困难|申请|缺|没钱|看病|住院|修房|维修|照顾|照料|送医|补助)"
WISH_NONE = "^\\s*(无|没有|暂无|暂时没有|没什么)"


def wish_for_help(since: dt.date, today: dt.date) -> tuple[str, dict]:
    """The person's wishes ask for help, and are not what they said at the previous visit that
    recorded wishes (a standing wish already heard does not signal again)."""
    visit = Visit._meta.db_table
    sql = f"""
        SELECT v.household_id, 'wish_for_help' AS kind, v.visited_on AS observed_on,
               '本人意愿：' || left(regexp_replace(v.wishes, '\\s+', ' ', 'g'), 60) || '（' || {_day("v.visited_on")} || '走访）' AS words,
               '走访记录' AS source, 'wish_for_help:' || v.id AS key
        FROM {visit} v
        WHERE v.visited_on BETWEEN %(since)s AND %(today)s AND NOT v.wishes_not_asked
          AND v.wishes ~ %(asks)s AND v.wishes !~ %(none)s
          AND btrim(v.wishes) IS DISTINCT FROM (
              SELECT btrim(p.wishes) FROM {visit} p
              WHERE p.household_id = v.household_id AND NOT p.wishes_not_asked AND btrim(p.wishes) <> ''
                AND (p.visited_on, p.id) < (v.visited_on, v.id)
              ORDER BY p.visited_on DESC, p.id DESC LIMIT 1)"""
    return sql, {"since": since, "today": today, "asks": WISH_ASKS, "none": WISH_NONE}


SIGNAL_RULES = [health_worse, living_worse, safety_worse, hazard_open, visit_gap, wish_for_help]
