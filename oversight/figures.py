"""Cross-app figures for the dashboards: set-based queries over stored facts, grouped by the
areas one level below the dashboard's area (prefecture → counties, county → townships, township
→ villages). Each family also answers "which households are behind this number" (`*_ids`), so
every figure on a page links to its list.

Figures judge the date `on`. Overdue comes from `visits.queries.overdue_report_rows` itself, so
the dashboard and the overdue report cannot disagree; this month's compliance from the visits
app's schedules; the twelve closed months from one SQL statement applying the same §7 rules
(tier held at the month's end, minimum pro-rated to active days, one count per visit day).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts import areacodes
from accounts.areacodes import AncestorCode
from accounts.models import Area
from beneficiaries.models import Household, HouseholdStatus, Pairing, QuarterlyReview
from config.replica import read_cursor
from services.models import Referral
from visits import queries as visit_queries
from visits import rules as visit_rules
from visits.models import Finding, FindingKind, Pause, Visit, VisitPolicy

TIERS = ("A", "B", "C")
AGE_BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("91+", 91, None))
OVERDUE_BUCKETS = (("1-7", 1, 7), ("8-30", 8, 30), ("31+", 31, None))
TIMELINESS = ("on_time", "late", "escalated", "open")


def child_level(area: Area) -> str | None:
    return areacodes.CHILD_LEVEL.get(area.level)


def children(area: Area) -> list[Area]:
    level = child_level(area)
    if level is None:
        return []
    return list(Area.objects.filter(level=level, code__startswith=area.prefix).order_by("code"))


def group_of(area: Area, village_code: str) -> str:
    """The child area of `area` that contains the village."""
    return areacodes.ancestor_code(village_code, child_level(area) or area.level)


def households_in(area: Area) -> QuerySet[Household]:
    return Household.objects.filter(village__code__startswith=area.prefix)


def active_in(area: Area) -> QuerySet[Household]:
    return households_in(area).filter(status=HouseholdStatus.ACTIVE)


def _bucket(value: int, buckets) -> str:
    for name, lo, hi in buckets:
        if value >= lo and (hi is None or value <= hi):
            return name
    return buckets[-1][0]


# --- households by tier ----------------------------------------------------------------------


def tier_counts(area: Area) -> dict[str, dict[str, int]]:
    """{child code: {"A": n, "B": n, "C": n, "": unclassified, "total": n}} of active households."""
    level = child_level(area) or "village"
    rows = (
        active_in(area).annotate(group=AncestorCode("village_id", level)).values("group")
        .annotate(total=Count("id"), A=Count("id", filter=Q(tier="A")), B=Count("id", filter=Q(tier="B")),
                  C=Count("id", filter=Q(tier="C")), none=Count("id", filter=Q(tier="")))
    )
    return {r["group"]: {"A": r["A"], "B": r["B"], "C": r["C"], "": r["none"], "total": r["total"]} for r in rows}


def tier_ids(area: Area, tier: str) -> QuerySet[Household]:
    return active_in(area).filter(tier=tier)


# --- overdue (the overdue report's own rows) -------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    code: str
    village: str
    days: int


def overdue_rows(area: Area, on: dt.date) -> list[OverdueRow]:
    """The rows of the overdue report for `area` on `on` (same function, same answer)."""
    rows = visit_queries.overdue_report_rows(visit_queries.households_in_area(area), on)
    return [OverdueRow(code=r[0], village=r[1], days=int(r[7])) for r in rows]


def overdue_counts(area: Area, on: dt.date, rows: list[OverdueRow] | None = None) -> dict[str, dict]:
    """{child code: {"total", "1-7", "8-30", "31+", "days_max", "days_sum"}}."""
    out: dict[str, dict] = defaultdict(lambda: {"total": 0, "days_max": 0, "days_sum": 0,
                                                **{b[0]: 0 for b in OVERDUE_BUCKETS}})
    for r in overdue_rows(area, on) if rows is None else rows:
        g = out[group_of(area, r.village)]
        g["total"] += 1
        g[_bucket(r.days, OVERDUE_BUCKETS)] += 1
        g["days_sum"] += r.days
        g["days_max"] = max(g["days_max"], r.days)
    return dict(out)


def overdue_ids(area: Area, on: dt.date, bucket: str = "") -> QuerySet[Household]:
    codes = [r.code for r in overdue_rows(area, on) if not bucket or _bucket(r.days, OVERDUE_BUCKETS) == bucket]
    return Household.objects.filter(code__in=codes)


# --- visit compliance this month ---------------------------------------------------------------


def on_track(schedule: visit_rules.Schedule) -> bool:
    """Compliant so far this month: not overdue, and the month's minimum can still be met."""
    return not schedule.is_overdue and not schedule.at_risk


def month_schedules(area: Area, on: dt.date) -> dict[int, tuple[str, str, visit_rules.Schedule]]:
    """{household id: (village code, tier, schedule)} of the active, classified households."""
    qs = active_in(area).exclude(tier="")
    villages = dict(qs.values_list("id", "village_id"))
    return {hid: (villages[hid], s.tier, s) for hid, s in visit_queries.schedules(qs, on).items() if s.tier in TIERS}


def compliance_counts(area: Area, on: dt.date, schedules=None) -> dict[str, dict[str, list[int]]]:
    """{child code: {tier: [on track, households]}} this month."""
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: {t: [0, 0] for t in TIERS})
    for village, tier, s in (month_schedules(area, on) if schedules is None else schedules).values():
        cell = out[group_of(area, village)][tier]
        cell[1] += 1
        cell[0] += on_track(s)
    return dict(out)


def compliance_ids(area: Area, on: dt.date, tier: str, met: bool) -> QuerySet[Household]:
    ids = [hid for hid, (_v, t, s) in month_schedules(area, on).items() if t == tier and on_track(s) == met]
    return Household.objects.filter(id__in=ids)


# --- visit compliance over closed months (one SQL statement) -----------------------------------

_MONTHLY = """
WITH months AS (
    SELECT m::date AS first, (m + interval '1 month' - interval '1 day')::date AS last
    FROM generate_series(%(from)s::date, %(to)s::date, interval '1 month') AS m
), base AS MATERIALIZED (
    SELECT h.id, h.village_id, h.tier, h.tier_since, h.status, h.exited_on,
           EXISTS (SELECT 1 FROM {classification} AS c WHERE c.household_id = h.id) AS classified,
           GREATEST((SELECT min(p.started_on) FROM {pairing} AS p WHERE p.household_id = h.id),
                    COALESCE((SELECT min(c.effective_on) FROM {classification} AS c WHERE c.household_id = h.id),
                             h.tier_since)) AS clock
    FROM {household} AS h
    WHERE h.village_id LIKE %(like)s AND (h.status = %(active)s OR h.exited_on > %(from)s::date)
), visit_days AS (
    SELECT v.household_id, date_trunc('month', v.visited_on)::date AS first, count(DISTINCT v.visited_on) AS n
    FROM {visit} AS v JOIN base ON base.id = v.household_id
    WHERE v.counted AND v.visited_on >= %(from)s::date
      AND v.visited_on < (%(to)s::date + interval '1 month')
    GROUP BY 1, 2
), hh AS MATERIALIZED (
    SELECT b.id, b.village_id, m.first, m.last, b.clock,
           CASE WHEN b.classified THEN
               (SELECT c.tier FROM {classification} AS c WHERE c.household_id = b.id AND c.effective_on <= m.last
                ORDER BY c.effective_on DESC, c.id DESC LIMIT 1)
           WHEN b.tier <> '' AND COALESCE(b.tier_since, m.first) <= m.last THEN b.tier END AS tier
    FROM base AS b CROSS JOIN months AS m
    WHERE b.status = %(active)s OR b.exited_on > m.last
), judged AS (
    SELECT hh.id, hh.village_id, hh.first, hh.tier,
           (hh.last - GREATEST(hh.first, COALESCE(hh.clock, hh.first)) + 1) - COALESCE(pz.paused, 0) AS active,
           hh.last - hh.first + 1 AS days,
           COALESCE(pol.monthly_minimum, CASE hh.tier WHEN 'A' THEN %(min_a)s WHEN 'B' THEN %(min_b)s
                                                      ELSE %(min_c)s END) AS minimum,
           COALESCE(vd.n, 0) AS counted
    FROM hh
    LEFT JOIN visit_days AS vd ON vd.household_id = hh.id AND vd.first = hh.first
    LEFT JOIN LATERAL (
        SELECT sum(GREATEST(0, LEAST(COALESCE(p.ends_on, hh.last), hh.last)
                               - GREATEST(p.starts_on, hh.first, COALESCE(hh.clock, hh.first)) + 1)) AS paused
        FROM {pause} AS p WHERE p.household_id = hh.id AND p.starts_on <= hh.last
                             AND (p.ends_on IS NULL OR p.ends_on >= hh.first)
    ) AS pz ON true
    LEFT JOIN LATERAL (
        SELECT vp.monthly_minimum FROM {policy} AS vp
        WHERE vp.county_id = {county_of_village} AND vp.tier = hh.tier AND vp.effective_on <= hh.last
        ORDER BY vp.effective_on DESC, vp.id DESC LIMIT 1
    ) AS pol ON true
    WHERE hh.tier IN ('A', 'B', 'C')
), required AS (
    SELECT j.*, CASE WHEN j.active > 0 THEN ceil(j.minimum * j.active::numeric / j.days)::int ELSE 0 END AS need
    FROM judged AS j
)
"""


def _monthly_sql(tail: str) -> str:
    return (_MONTHLY + tail).format(
        classification="beneficiaries_classification", pairing=Pairing._meta.db_table,
        household=Household._meta.db_table, visit=Visit._meta.db_table, pause=Pause._meta.db_table,
        policy=VisitPolicy._meta.db_table, county_of_village=areacodes.ancestor_sql("hh.village_id", "county"),
    )


def closed_months(on: dt.date, count: int = 12) -> list[dt.date]:
    """The first days of the `count` calendar months before `on`'s month, oldest first."""
    months = [visit_rules.previous_month(on)]
    while len(months) < count:
        months.append(visit_rules.previous_month(months[-1]))
    return list(reversed(months))


def _monthly_params(area: Area, first: dt.date, last: dt.date) -> dict:
    d = visit_rules.DEFAULT_POLICY
    return {"from": first, "to": last, "like": areacodes.like(area.prefix), "active": HouseholdStatus.ACTIVE,
            "min_a": d["A"].monthly_minimum, "min_b": d["B"].monthly_minimum, "min_c": d["C"].monthly_minimum}


# Stored figures are used while they judge `on` or the day before (the nightly job runs after
# midnight); older ones, or none, mean the figures are computed live.
STORED_FRESH_DAYS = 1


def stored_monthly(area: Area, on: dt.date, count: int = 12) -> tuple[dt.date, dict] | None:
    """(the date they judge, {month: {tier: [met, households]}}) from the nightly job's rows, if
    fresh for `on` and covering the same closed months; else None."""
    from .models import MonthlyCompliance

    months = closed_months(on, count)
    rows = list(MonthlyCompliance.objects.filter(area=area.code, month__in=months,
                                                 computed_on__gt=on - dt.timedelta(days=STORED_FRESH_DAYS + 1),
                                                 computed_on__lte=on))
    if len(rows) != len(months) * len(TIERS) or len({r.computed_on for r in rows}) != 1:
        return None
    out = {m: {t: [0, 0] for t in TIERS} for m in months}
    for r in rows:
        out[r.month][r.tier] = [r.met, r.households]
    return rows[0].computed_on, out


def monthly_compliance(area: Area, on: dt.date, count: int = 12) -> dict[dt.date, dict[str, list[int]]]:
    """{month: {tier: [met, households]}} over the `count` closed months before `on`: the nightly
    job's figures when fresh (stored_monthly), else computed now (monthly_compliance_live)."""
    stored = stored_monthly(area, on, count)
    return stored[1] if stored else monthly_compliance_live(area, on, count)


def refresh_monthly(on: dt.date, count: int = 12) -> int:
    """The nightly job's part (issue 25): the closed months' compliance of every household in the
    prefecture in one statement, grouped by village, summed up to each township, county and the
    prefecture (every such area gets a row per month and tier, zeros included), stored as judged
    on `on` in place of the previous rows. Returns the rows stored."""
    from django.db import transaction

    from .models import MonthlyCompliance

    prefecture = Area.objects.get(code=areacodes.PREFECTURE_CODE)
    months = closed_months(on, count)
    sql = _monthly_sql("SELECT village_id, first, tier, count(*) FILTER (WHERE counted >= need), count(*) "
                       "FROM required WHERE need > 0 GROUP BY village_id, first, tier")
    areas = list(Area.objects.filter(code__startswith=prefecture.prefix).exclude(level="village")
                 .values_list("code", flat=True))
    totals = {(code, m, t): [0, 0] for code in areas for m in months for t in TIERS}
    with connection.cursor() as cur:
        cur.execute(sql, _monthly_params(prefecture, months[0], months[-1]))
        for village, first, tier, met, total in cur.fetchall():
            for code in areacodes.ancestor_codes(village, include_self=False):
                if (code, first, tier) in totals:
                    totals[(code, first, tier)][0] += met
                    totals[(code, first, tier)][1] += total
    with transaction.atomic():
        MonthlyCompliance.objects.all().delete()
        MonthlyCompliance.objects.bulk_create(
            [MonthlyCompliance(area=code, month=m, tier=t, met=met, households=n, computed_on=on)
             for (code, m, t), (met, n) in totals.items()], batch_size=5000)
    return len(totals)


# --- this month's compliance and overdue, per village, kept by the nightly job -----------------

DAILY_RUN = "run"  # the marker row of a run (its village: the prefecture), also when nothing was counted


def refresh_daily(on: dt.date) -> int:
    """The nightly job's other part (issue 25): this month's compliance (`month_schedules`) and
    the overdue report's rows of the whole prefecture as judged on `on`, counted per village and
    stored (oversight.DailyFigure) in place of the previous rows. Returns the rows stored."""
    from django.db import transaction

    from .models import DailyFigure

    prefecture = Area.objects.get(code=areacodes.PREFECTURE_CODE)
    cells: dict[tuple[str, str], list[int]] = {}
    schedules = month_schedules(prefecture, on)
    for village, tier, schedule in schedules.values():
        cell = cells.setdefault((village, f"compliance:{tier}"), [0, 0, 0])
        cell[0] += on_track(schedule)
        cell[1] += 1
    overdue = overdue_rows(prefecture, on)
    for row in overdue:
        cell = cells.setdefault((row.village, f"overdue:{_bucket(row.days, OVERDUE_BUCKETS)}"), [0, 0, 0])
        cell[0] += 1
        cell[1] += row.days
        cell[2] = max(cell[2], row.days)
    # The township's 帮扶干部 panel: per cadre and village, on track / judged / overdue (cadre_counts).
    overdue_codes = {r.code for r in overdue}
    for cadre_id, household_id, code, village in _active_pairs(prefecture, on).values_list(
            "cadre_id", "household_id", "household__code", "household__village_id"):
        cell = cells.setdefault((village, f"cadre:{cadre_id}"), [0, 0, 0])
        if household_id in schedules:
            cell[0] += on_track(schedules[household_id][2])
            cell[1] += 1
        cell[2] += code in overdue_codes
    cells[(prefecture.code, DAILY_RUN)] = [0, 0, 0]
    with transaction.atomic():
        DailyFigure.objects.all().delete()
        DailyFigure.objects.bulk_create(
            [DailyFigure(village=village, figure=figure, value=value, total=total, maximum=maximum, computed_on=on)
             for (village, figure), (value, total, maximum) in cells.items()], batch_size=5000)
    return len(cells)


def stored_daily(area: Area, on: dt.date) -> tuple[dict, dict] | None:
    """(compliance_counts, overdue_counts) of `area` on `on` summed from the nightly job's rows, in
    the shapes the live functions return; None unless the job judged exactly `on` (these figures
    move every day)."""
    from django.db.models import Max, Sum

    from .models import DailyFigure

    if not DailyFigure.objects.filter(figure=DAILY_RUN, computed_on=on).exists():
        return None
    level = child_level(area) or "village"
    rows = (DailyFigure.objects.filter(village__startswith=area.prefix, computed_on=on).exclude(figure=DAILY_RUN)
            .exclude(figure__startswith="cadre:")
            .annotate(group=AncestorCode("village", level)).values("group", "figure")
            .annotate(v=Sum("value"), t=Sum("total"), m=Max("maximum")).order_by())
    compliance: dict[str, dict[str, list[int]]] = {}
    overdue: dict[str, dict] = {}
    for r in rows:
        kind, _sep, key = r["figure"].partition(":")
        if kind == "compliance":
            compliance.setdefault(r["group"], {t: [0, 0] for t in TIERS})[key] = [r["v"], r["t"]]
        else:
            g = overdue.setdefault(r["group"], {"total": 0, "days_max": 0, "days_sum": 0,
                                                **{b[0]: 0 for b in OVERDUE_BUCKETS}})
            g[key] += r["v"]
            g["total"] += r["v"]
            g["days_sum"] += r["t"]
            g["days_max"] = max(g["days_max"], r["m"])
    return compliance, overdue


def stored_cadres(area: Area, on: dt.date) -> dict[int, tuple[int, int, int]]:
    """{cadre id: (on track, judged, overdue)} of the households in `area` from the nightly rows
    (callers check stored_daily first)."""
    from django.db.models import Sum

    from .models import DailyFigure

    rows = (DailyFigure.objects.filter(village__startswith=area.prefix, computed_on=on, figure__startswith="cadre:")
            .values("figure").annotate(v=Sum("value"), t=Sum("total"), m=Sum("maximum")).order_by())
    return {int(r["figure"].partition(":")[2]): (r["v"], r["t"], r["m"]) for r in rows}


def monthly_compliance_live(area: Area, on: dt.date, count: int = 12) -> dict[dt.date, dict[str, list[int]]]:
    """{month: {tier: [met, households]}} over the `count` closed months before `on`, computed now."""
    months = closed_months(on, count)
    out = {m: {t: [0, 0] for t in TIERS} for m in months}
    sql = _monthly_sql("SELECT first, tier, count(*) FILTER (WHERE counted >= need), count(*) FROM required "
                       "WHERE need > 0 GROUP BY first, tier")
    with read_cursor() as cur:
        cur.execute(sql, _monthly_params(area, months[0], months[-1]))
        for first, tier, met, total in cur.fetchall():
            out[first][tier] = [met, total]
    return out


def monthly_ids(area: Area, month: dt.date, tier: str, met: bool) -> QuerySet[Household]:
    sql = _monthly_sql("SELECT id FROM required WHERE need > 0 AND tier = %(tier)s AND "
                       + ("counted >= need" if met else "counted < need"))
    with read_cursor() as cur:
        cur.execute(sql, {**_monthly_params(area, month, month), "tier": tier})
        ids = [r[0] for r in cur.fetchall()]
    return Household.objects.filter(id__in=ids)


# --- open findings by age and kind -----------------------------------------------------------


def _open_findings(area: Area, on: dt.date) -> QuerySet[Finding]:
    """Findings open at the end of `on`: registered by then and not closed by then."""
    return Finding.objects.filter(
        household__village__code__startswith=area.prefix, created_at__date__lte=on,
    ).filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))


def findings_counts(area: Area, on: dt.date) -> dict[str, dict[str, int]]:
    """{child code: {age bucket: n, kind: n, "total": n}} of findings open on `on`."""
    level = child_level(area) or "village"
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (_open_findings(area, on).annotate(group=AncestorCode("household__village_id", level))
            .values_list("group", "kind", "created_at"))
    for group, kind, created in rows.iterator():
        age = (on - timezone.localtime(created).date()).days
        g = out[group]
        g[kind] += 1
        g[_bucket(age, AGE_BUCKETS)] += 1
        g["total"] += 1
    return {k: dict(v) for k, v in out.items()}


def findings_ids(area: Area, on: dt.date, key: str) -> QuerySet[Household]:
    """Households with a finding open on `on` of kind `key`, or of age bucket `key`."""
    qs = _open_findings(area, on)
    if key in FindingKind.values:
        qs = qs.filter(kind=key)
    else:
        bounds = {b[0]: b for b in AGE_BUCKETS}.get(key)
        if bounds:
            _name, lo, hi = bounds
            qs = qs.filter(created_at__date__lte=on - dt.timedelta(days=lo))
            if hi is not None:
                qs = qs.filter(created_at__date__gte=on - dt.timedelta(days=hi))
    return Household.objects.filter(id__in=qs.values("household_id"))


# --- referral timeliness by department --------------------------------------------------------


def _referrals(area: Area, on: dt.date) -> QuerySet[Referral]:
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min, tzinfo=_tz())
    return Referral.objects.filter(household__village__code__startswith=area.prefix, submitted_at__lt=end)


def _tz():
    return timezone.get_current_timezone()


def _timeliness_q(on: dt.date) -> dict[str, Q]:
    """Each referral falls in one class as of the end of `on`: escalated (whatever happened after),
    on time (closed by its due time), late (closed after it, or open past it), open (not yet due)."""
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min, tzinfo=_tz())
    escalated = Q(escalated_at__isnull=False, escalated_at__lt=end)
    closed = Q(closed_at__isnull=False, closed_at__lt=end)
    return {
        "escalated": escalated,
        "on_time": ~escalated & closed & Q(closed_at__lte=F("due_at")),
        "late": ~escalated & ((closed & Q(closed_at__gt=F("due_at"))) | (~closed & Q(due_at__lt=end))),
        "open": ~escalated & ~closed & Q(due_at__gte=end),
    }


def referral_counts(area: Area, on: dt.date) -> list[dict]:
    """[{"department_id", "department", on_time, late, escalated, open, total}] one grouped query."""
    classes = _timeliness_q(on)
    return list(
        _referrals(area, on).values("department_id", "department__name")
        .annotate(total=Count("id"), **{k: Count("id", filter=q) for k, q in classes.items()})
        .order_by("department__name")
    )


def referral_ids(area: Area, on: dt.date, department: int, klass: str) -> QuerySet[Household]:
    qs = _referrals(area, on).filter(department_id=department)
    if klass in TIMELINESS:
        qs = qs.filter(_timeliness_q(on)[klass])
    return Household.objects.filter(id__in=qs.values("household_id"))


# --- custody anomalies and checks --------------------------------------------------------------

CHECK_WINDOW_DAYS = 90


def _accounts(area: Area, on: dt.date):
    from custody import queries as custody_queries
    from custody.models import AccountStatus, CustodyAccount, LedgerCheck

    recent = LedgerCheck.objects.filter(account=OuterRef("pk"), checked_on__lte=on,
                                        checked_on__gt=on - dt.timedelta(days=CHECK_WINDOW_DAYS))
    qs = CustodyAccount.objects.filter(person__household__village__code__startswith=area.prefix,
                                       status=AccountStatus.OPEN)
    flags = list(custody_queries.FLAG_LABELS)
    qs = custody_queries.with_flags(qs, on).annotate(checked=Exists(recent))
    anomalous = Q()
    for f in flags:
        anomalous |= Q(**{f: True})
    return qs, anomalous


def custody_counts(area: Area, on: dt.date) -> dict[str, dict[str, int]]:
    """{child code: {"accounts", "anomalous", "checked"}}: open accounts, those with an anomaly
    flag, those checked by the village committee in the last 90 days."""
    level = child_level(area) or "village"
    qs, anomalous = _accounts(area, on)
    rows = (qs.annotate(group=AncestorCode("person__household__village_id", level)).values("group")
            .annotate(accounts=Count("id"), anomalous=Count("id", filter=anomalous),
                      checked=Count("id", filter=Q(checked=True))))
    return {r["group"]: {"accounts": r["accounts"], "anomalous": r["anomalous"], "checked": r["checked"]} for r in rows}


def custody_ids(area: Area, on: dt.date, key: str) -> QuerySet[Household]:
    qs, anomalous = _accounts(area, on)
    if key == "anomalous":
        qs = qs.filter(anomalous)
    elif key == "unchecked":
        qs = qs.filter(checked=False)
    elif key == "checked":
        qs = qs.filter(checked=True)
    return Household.objects.filter(id__in=qs.values("person__household_id"))


# --- quarterly review status -----------------------------------------------------------------


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def review_status(area: Area, on: dt.date) -> dict[str, dict[str, str]]:
    """{county code: {"previous": status, "current": status}} with status "done" / "open" / "none"
    for the previous and the current quarter, as stood on `on`."""
    current = quarter_of(on)
    previous = previous_quarter(*current)
    counties = area.prefix if area.level == "prefecture" else areacodes.prefix_of(areacodes.county_of(area.code))
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min, tzinfo=_tz())
    out: dict[str, dict[str, str]] = defaultdict(lambda: {"previous": "none", "current": "none"})
    for county, year, quarter, completed in QuarterlyReview.objects.filter(
        county__code__startswith=counties,
        started_at__lt=end,
    ).filter(Q(year=current[0], quarter=current[1]) | Q(year=previous[0], quarter=previous[1])).values_list(
        "county_id", "year", "quarter", "completed_at"
    ):
        which = "current" if (year, quarter) == current else "previous"
        out[county][which] = "done" if completed and completed < end else "open"
    return dict(out)


# --- per cadre (township dashboard) -----------------------------------------------------------


def _active_pairs(area: Area, on: dt.date) -> QuerySet[Pairing]:
    return (Pairing.objects.filter(household__village__code__startswith=area.prefix, started_on__lte=on,
                                   household__status=HouseholdStatus.ACTIVE)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on)))


def cadre_counts(area: Area, on: dt.date, schedules=None, overdue: list[OverdueRow] | None = None,
                 judged: dict[int, tuple[int, int, int]] | None = None) -> list[dict]:
    """Per cadre paired in the area on `on`: households, on track this month, overdue, open findings.
    `judged` (stored_cadres: on track, judged, overdue per cadre) replaces the schedules and the
    overdue rows."""
    pairs = list(_active_pairs(area, on).values_list("cadre_id", "cadre__name", "household_id", "household__code"))
    if judged is not None:
        schedules, overdue_codes = {}, set()
    else:
        schedules = month_schedules(area, on) if schedules is None else schedules
        overdue_codes = {r.code for r in (overdue_rows(area, on) if overdue is None else overdue)}
    open_by_household = dict(
        _open_findings(area, on).values("household_id").annotate(n=Count("id")).values_list("household_id", "n")
    )
    out: dict[int, dict] = {}
    for cadre_id, name, hid, code in pairs:
        row = out.setdefault(cadre_id, {"cadre_id": cadre_id, "name": name, "households": 0, "on_track": 0,
                                        "classified": 0, "overdue": 0, "findings": 0})
        row["households"] += 1
        if hid in schedules:
            row["classified"] += 1
            row["on_track"] += on_track(schedules[hid][2])
        row["overdue"] += code in overdue_codes
        row["findings"] += open_by_household.get(hid, 0)
    for cadre_id, (on_track_n, classified, overdue_n) in (judged or {}).items():
        if cadre_id in out:
            out[cadre_id].update(on_track=on_track_n, classified=classified, overdue=overdue_n)
    return sorted(out.values(), key=lambda r: (-r["overdue"], r["name"]))


def cadre_ids(area: Area, on: dt.date, cadre_id: int) -> QuerySet[Household]:
    return active_in(area).filter(
        Exists(Pairing.objects.filter(household=OuterRef("pk"), cadre_id=cadre_id, started_on__lte=on)
               .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on)))
    )



def monthly_household_rows(area: Area, first: dt.date, last: dt.date) -> list[tuple[int, str, dt.date, bool]]:
    """[(household id, village code, month, met)] for each household judged in each month."""
    sql = _monthly_sql("SELECT id, village_id, first, counted >= need FROM required WHERE need > 0")
    with read_cursor() as cur:
        cur.execute(sql, _monthly_params(area, first, last))
        return cur.fetchall()
