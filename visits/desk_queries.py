"""The desk's household list: every overdue household once, with where it is, who its cadre is
(and their phone), its due date, days overdue and how far it has been escalated — one statement
a page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Area, AreaLevel, User, short_area_name
from accounts.scoping import scope_queryset
from beneficiaries.models import Household, HouseholdStatus, Relation

from .models import Escalation, EscalationKind, EscalationLevel
from .queries import active_cadre_sql, head_name_sql

LEVEL_LABELS = {0: "", 1: str(EscalationLevel.TOWNSHIP.label), 2: str(EscalationLevel.COUNTY.label)}


@dataclass(frozen=True, slots=True)
class OverdueRow:
    """One overdue household as the desk and the home board show it: a plain row."""

    pk: int
    code: str
    next_due_on: dt.date
    village_id: str
    village_name: str
    township_code: str | None
    township_name: str | None
    head_name: str | None
    cadre_name: str | None
    cadre_phone: str | None
    escalation: int  # the highest level an open overdue escalation reached: 0 none, 1 township, 2 county
    days_overdue: int

    @property
    def village_short_name(self) -> str:
        return short_area_name(self.village_name)

    @property
    def escalation_label(self) -> str:
        return LEVEL_LABELS[self.escalation]


class OverdueHouseholds:
    """Active households whose stored due date has passed, in a scope, township by township,
    longest overdue first: sliceable and countable (for Paginator), each slice one statement of
    plain rows (the page a township opens every morning; no model instances)."""

    def __init__(self, scoped: QuerySet[Household], today: dt.date):
        self.today = today
        self._base = scoped.order_by().values("id", "code", "village_id", "next_due_on").query.sql_with_params()
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            base, params = self._base
            with connection.cursor() as cur:
                cur.execute(f"SELECT count(*) FROM ({base}) o", params)
                self._count = cur.fetchone()[0]
        return self._count

    def set_count(self, n: int) -> None:
        """The count is already known (the desk's groupings summed it)."""
        self._count = n

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[OverdueRow]:
        if not isinstance(item, slice) or item.step is not None:
            raise TypeError("OverdueHouseholds takes slices")
        start = item.start or 0
        limit = "ALL" if item.stop is None else str(max(0, item.stop - start))
        base, params = self._base
        area, esc = Area._meta.db_table, Escalation._meta.db_table
        sql = f"""
            SELECT o.id, o.code, o.next_due_on, o.village_id, a.name, t.code, t.name, {head_name_sql("o", "%s")},
                   pc.name, pc.phone,
                   CASE WHEN EXISTS (SELECT 1 FROM {esc} e WHERE e.household_id = o.id AND e.closed_on IS NULL
                                     AND e.kind = %s AND e.level = %s) THEN 2
                        WHEN EXISTS (SELECT 1 FROM {esc} e WHERE e.household_id = o.id AND e.closed_on IS NULL
                                     AND e.kind = %s AND e.level = %s) THEN 1 ELSE 0 END
            FROM (SELECT * FROM ({base}) b ORDER BY left(b.village_id, 9), b.next_due_on, b.code
                  LIMIT {limit} OFFSET {int(start)}) o  -- the page first: the lookups below run for its rows only
            JOIN {area} a ON a.code = o.village_id LEFT JOIN {area} t ON t.code = a.parent_id
            LEFT JOIN LATERAL ({active_cadre_sql("o", "c.name, c.phone")}) pc ON true
            ORDER BY left(o.village_id, 9), o.next_due_on, o.code"""
        overdue = EscalationKind.OVERDUE
        with connection.cursor() as cur:
            cur.execute(sql, (Relation.HEAD, overdue, EscalationLevel.COUNTY, overdue, EscalationLevel.TOWNSHIP, *params))
            rows = cur.fetchall()
        return [OverdueRow(*r, days_overdue=(self.today - r[2]).days) for r in rows]


def overdue_households(user: User, today: dt.date, area: Area | None = None) -> OverdueHouseholds:
    """The user's overdue households (and `area`'s), as OverdueHouseholds."""
    qs = scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE, next_due_on__lt=today))
    if area is not None:
        qs = qs.filter(village__code__startswith=area.prefix)
    return OverdueHouseholds(qs, today)


@dataclass
class TownshipGroup:
    code: str | None
    name: str | None
    households: list[OverdueRow]


def group_by_township(households: list[OverdueRow]) -> list[TownshipGroup]:
    """The page's rows, grouped by township (each row carries its township)."""
    return [
        TownshipGroup(rows[0].township_code, rows[0].township_name, rows)
        for _code, group in groupby(households, key=lambda h: h.township_code)
        for rows in [list(group)]
    ]


def download_areas(user: User) -> QuerySet[Area]:
    """Every county and township in scope (no truncation), for the per-area downloads."""
    from accounts.scoping import visible_areas

    return visible_areas(user).filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP]).order_by("code")


def lists_with_rows(user: User, today: dt.date) -> set[str]:
    """Which of the desk's usually empty lists may have a row for `user`: "escalations" (open
    special-situation reports of households the user may see) and "conflicts" (visit conflicts
    that arrived in the last CONFLICT_DESK_DAYS, anywhere). One small statement; the desk builds
    the lists' scoped queries (2–3 ms of ORM work each, issue 25) only for those. A superset of
    the scope (beneficiaries.reach): the lists apply the real one."""
    from django.utils import timezone

    from beneficiaries.reach import household_reach_sql

    from .models import Visit
    from .queries import CONFLICT_DESK_DAYS

    reach, params = household_reach_sql(user, "e.household_id")
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=CONFLICT_DESK_DAYS), dt.time.min))
    sql = f"""SELECT EXISTS (SELECT 1 FROM {Escalation._meta.db_table} e
                             WHERE e.closed_on IS NULL AND e.kind = %(special)s AND {reach}),
                     EXISTS (SELECT 1 FROM {Visit._meta.db_table} v WHERE v.conflict <> '' AND v.recorded_at >= %(since)s)"""
    with connection.cursor() as cur:
        cur.execute(sql, {**params, "special": EscalationKind.SPECIAL, "since": since})
        escalations, conflicts = cur.fetchone()
    return {k for k, present in (("escalations", escalations), ("conflicts", conflicts)) if present}
