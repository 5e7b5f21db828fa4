"""Read side of visits: schedules loaded set-based (a fixed number of queries for any number of
households), the cadre's list, the township desk, the overdue report, the visit ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext

from accounts import areacodes
from accounts.areacodes import PREFIX_LENGTH
from accounts.models import Area, Notification, Role, User, short_area_name
from accounts.scoping import get_object_for_user, has_role, scope_queryset
from beneficiaries.models import Cadre, Classification, Household, HouseholdStatus, Pairing, Person, Relation
from beneficiaries.queries import head_name_subquery  # noqa: F401 (re-exported for visits' callers)
from config.replica import read_cursor

from . import rules
from .models import (
    Finding,
    FindingStatus,
    Pause,
    SpecialPeriod,
    Visit,
    VisitPolicy,
)

Policy = dict[str, rules.TierPolicy]


county_of = areacodes.county_of
township_of = areacodes.township_of


# --- policy --------------------------------------------------------------------------------


def policies_for(county_codes: Iterable[str], today: dt.date) -> dict[str, Policy]:
    """{county code: {tier: TierPolicy}} in force on `today`: the defaults, overridden by the
    latest VisitPolicy row of each (county, tier) effective on or before today. One query."""
    codes = set(county_codes)
    out = {code: dict(rules.DEFAULT_POLICY) for code in codes}
    rows = (
        VisitPolicy.objects.filter(county_id__in=codes, effective_on__lte=today)
        .order_by("county_id", "tier", "-effective_on")
        .distinct("county_id", "tier")
        .values_list("county_id", "tier", "interval_days", "monthly_minimum")
    )
    for county, tier, interval, minimum in rows:
        out[county][tier] = rules.TierPolicy(interval, minimum)
    return out


def policy_for(county_code: str, today: dt.date) -> Policy:
    return policies_for([county_code], today)[county_code]


def shortest_interval(today: dt.date) -> int:
    overrides = VisitPolicy.objects.filter(effective_on__lte=today).aggregate(m=Min("interval_days"))["m"]
    defaults = min(p.interval_days for p in rules.DEFAULT_POLICY.values())
    return min(defaults, overrides) if overrides else defaults


# --- histories and schedules ---------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdRow:
    id: int
    village_id: str
    tier: str
    history: rules.History


def load_histories(households: QuerySet[Household], today: dt.date, *, month_days: bool = True) -> dict[int, HouseholdRow]:
    """What the rules need for each household of `households`, in five queries whatever its size:
    the last counted visit on or before today, the counted visit days of this and last month
    (not with month_days=False: the due date needs only the last one), tier history, pauses and
    the first pairing start."""
    window_start = rules.previous_month(today)
    base = {
        r["id"]: r
        for r in households.annotate(
            last_counted=Subquery(
                Visit.objects.filter(household=OuterRef("pk"), counted=True, visited_on__lte=today)
                .order_by("-visited_on")
                .values("visited_on")[:1]
            ),
            first_pairing=Subquery(
                Pairing.objects.filter(household=OuterRef("pk")).order_by("started_on").values("started_on")[:1]
            ),
        ).values("id", "village_id", "tier", "tier_since", "last_counted", "first_pairing")
    }
    if not base:
        return {}
    # The ids read once, as an array parameter: `households` may be a costly filter (the daily
    # job's change detection), not to be evaluated again by each query below.
    ids = _id_in(list(base))
    days: dict[int, set[dt.date]] = defaultdict(set)
    for hid, day in (
        Visit.objects.filter(ids, counted=True, visited_on__gte=window_start, visited_on__lte=today)
        .values_list("household_id", "visited_on")
        .distinct()
        if month_days else ()
    ):
        days[hid].add(day)
    changes: dict[int, list[rules.TierChange]] = defaultdict(list)
    # Oldest first, so of two decisions effective the same day the later one holds (as in SQL below).
    for hid, tier, on in Classification.objects.filter(ids).order_by("effective_on", "id").values_list(
        "household_id", "tier", "effective_on"
    ):
        changes[hid].append(rules.TierChange(on, tier))
    pauses: dict[int, list[rules.Period]] = defaultdict(list)
    for hid, start, end in Pause.objects.filter(ids).values_list("household_id", "starts_on", "ends_on"):
        pauses[hid].append(rules.Period(start, end))

    out = {}
    for hid, r in base.items():
        tier_changes = changes.get(hid) or (
            [rules.TierChange(r["tier_since"] or dt.date.min, r["tier"])] if r["tier"] else []
        )
        visits = days.get(hid, set())
        if r["last_counted"]:
            visits = visits | {r["last_counted"]}
        start = rules.clock_start(
            [r["first_pairing"]] if r["first_pairing"] else [],
            [min(c.on for c in tier_changes)] if tier_changes else [],
        )
        out[hid] = HouseholdRow(
            id=hid,
            village_id=r["village_id"],
            tier=r["tier"],
            history=rules.History(
                tier_changes=tier_changes, counted_visits=sorted(visits), pauses=pauses.get(hid, []), clock_start=start
            ),
        )
    return out


def _id_in(ids: list[int]) -> RawSQL:
    """`household_id = ANY(ids)`, one array parameter however many ids (a filter expression)."""
    return RawSQL("household_id = ANY(%s::bigint[])", (ids,), output_field=BooleanField())


def schedules(households: QuerySet[Household], today: dt.date) -> dict[int, rules.Schedule]:
    rows = load_histories(households, today)
    policies = policies_for({county_of(r.village_id) for r in rows.values()}, today)
    return {hid: rules.schedule(r.history, policies[county_of(r.village_id)], today) for hid, r in rows.items()}


# --- this month's schedule in SQL -------------------------------------------------------------
#
# The rules of visits.rules, for *today* and the current month, as LATERAL joins on a household
# row `h` (one index probe each): the tier held today, the last counted visit, the counted visit
# days of the month and its pro-rated minimum (days paused and days before the clock start do not
# count), with the tier's interval for "at risk". The due date itself is the stored next_due_on
# (visits.actions.schedule_refresh keeps it). tests/visits/test_month_sql.py compares every column
# with the Python rules over varied households. Table names come from _meta; values are parameters.

def _month_sql_parts(today: dt.date) -> tuple[str, str, str, dict]:
    """(a WITH item, select columns, joins, parameters) over the household alias `h`. The policy
    in force today: the county's latest override (the WITH item, read once per statement), else
    the tier's default."""
    h, v, p, c, pa, vp = (m._meta.db_table for m in (Household, Visit, Pause, Classification, Pairing, VisitPolicy))
    first, last = rules.month_bounds(today)
    params: dict = {"m_today": today, "m_first": first, "m_last": last, "m_days": last.day}
    county = PREFIX_LENGTH["county"]
    with_item = f"""m_policy AS MATERIALIZED (
        SELECT DISTINCT ON (vp.county_id, vp.tier) left(vp.county_id, {county}) AS county, vp.tier,
               vp.interval_days, vp.monthly_minimum
        FROM {vp} vp WHERE vp.effective_on <= %(m_today)s
        ORDER BY vp.county_id, vp.tier, vp.effective_on DESC, vp.id DESC)"""

    def by_tier(field: str) -> str:
        whens = []
        for i, (tier, policy) in enumerate(rules.DEFAULT_POLICY.items()):
            params[f"m_t{i}"], params[f"m_{field}{i}"] = tier, getattr(policy, field)
            whens.append(f"WHEN %(m_t{i})s THEN %(m_{field}{i})s")
        return f"COALESCE(o.{field}, CASE st.tier {' '.join(whens)} END)"

    columns = f"""st.tier AS s_tier,
        (SELECT v.visited_on FROM {v} v WHERE v.household_id = h.id AND v.counted
         AND v.visited_on <= %(m_today)s ORDER BY v.visited_on DESC LIMIT 1) AS s_last_counted,
        (SELECT count(DISTINCT v.visited_on) FROM {v} v WHERE v.household_id = h.id AND v.counted
         AND v.visited_on BETWEEN %(m_first)s AND %(m_today)s) AS s_counted,
        -- ceil(minimum × active days ÷ days in month) in integer arithmetic (rules.monthly_minimum)
        ({by_tier("monthly_minimum")} * sa.active + %(m_days)s - 1) / %(m_days)s AS s_minimum,
        {by_tier("interval_days")} AS s_interval"""
    joins = f"""
    CROSS JOIN LATERAL (
        SELECT (array_agg(c.tier ORDER BY c.effective_on DESC, c.id DESC)
                    FILTER (WHERE c.effective_on <= %(m_today)s))[1] AS c_tier,
               min(c.effective_on) AS c_first,
               (SELECT min(pa.started_on) FROM {pa} pa WHERE pa.household_id = h.id) AS paired
        FROM {c} c WHERE c.household_id = h.id
    ) sx
    CROSS JOIN LATERAL (
        -- History.tier_on(today): the classifications, else the household's tier since tier_since;
        -- the first day counted: the month's first, or rules.clock_start if later (greatest()
        -- ignores NULLs; no tier_since is "always")
        SELECT CASE WHEN sx.c_first IS NOT NULL THEN sx.c_tier
                    WHEN h.tier <> '' AND (h.tier_since IS NULL OR h.tier_since <= %(m_today)s) THEN h.tier END AS tier,
               greatest(%(m_first)s::date, sx.paired,
                        CASE WHEN sx.c_first IS NOT NULL THEN sx.c_first
                             WHEN h.tier <> '' THEN COALESCE(h.tier_since, '-infinity'::date) END) AS lo
        OFFSET 0
    ) st
    LEFT JOIN m_policy o ON o.tier = st.tier AND o.county = left(h.village_id, {county})
    CROSS JOIN LATERAL (  -- rules.active_days: days of the month from `lo` not paused
        SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM {p} p WHERE p.household_id = h.id AND p.starts_on <= %(m_last)s
                                     AND (p.ends_on IS NULL OR p.ends_on >= st.lo))
                    THEN greatest(0, %(m_last)s::date - st.lo + 1)
                    -- (integer offsets 0..30 with constant bounds: the planner knows the row count)
                    ELSE (SELECT count(*) FROM generate_series(0, 30) AS g(i)
                          WHERE st.lo + g.i <= %(m_last)s::date AND NOT EXISTS (
                              SELECT 1 FROM {p} p WHERE p.household_id = h.id AND p.starts_on <= st.lo + g.i
                              AND (p.ends_on IS NULL OR p.ends_on >= st.lo + g.i)))
               END AS active
        OFFSET 0
    ) sa
    """
    return with_item, columns, joins, params


def month_schedule(row: dict, due: dt.date | None, today: dt.date) -> rules.Schedule:
    """The rules.Schedule of one row of the SQL above, with `due` the stored due date."""
    month = (rules.MonthStatus(today.replace(day=1), row["s_counted"], row["s_minimum"])
             if row["s_minimum"] is not None else None)
    return rules.schedule_of(tier=row["s_tier"], due=due, month=month, interval=row["s_interval"],
                             last_counted=row["s_last_counted"], today=today)


def month_schedules_sql(ids: Iterable[int], today: dt.date) -> dict[int, dict]:
    """{household id: the SQL columns above} for `ids` (one statement)."""
    with_item, columns, joins, params = _month_sql_parts(today)
    sql = f"WITH {with_item} SELECT h.id, {columns} FROM {Household._meta.db_table} h {joins} WHERE h.id = ANY(%(m_ids)s)"
    return {r["id"]: r for r in _dict_rows(sql, {**params, "m_ids": list(ids)})}


def _dict_rows(sql: str, params: dict) -> list[dict]:
    with read_cursor() as cur:  # on the replica in a use_replica() block (the overdue report)
        cur.execute(sql, params)
        names = [col.name for col in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def next_dues(households: QuerySet[Household], today: dt.date) -> dict[int, dt.date | None]:
    """The due date (rules.next_due) of each household of `households`: what the stored
    next_due_on holds. Four queries; no month figures."""
    rows = load_histories(households, today, month_days=False)
    policies = policies_for({county_of(r.village_id) for r in rows.values()}, today)
    return {hid: rules.next_due(r.history, policies[county_of(r.village_id)], today) for hid, r in rows.items()}


def month_statuses(households: QuerySet[Household], month: dt.date, today: dt.date) -> dict[int, rules.MonthStatus]:
    """Counted visits vs the pro-rated minimum of `month` (the previous or current month)."""
    rows = load_histories(households, today)
    policies = policies_for({county_of(r.village_id) for r in rows.values()}, today)
    out = {}
    for hid, r in rows.items():
        status = rules.month_status(r.history, policies[county_of(r.village_id)], month, today)
        if status is not None:
            out[hid] = status
    return out


def schedule_changes(today: dt.date) -> QuerySet[Household]:
    """Active households whose stored due date may have moved since the last daily run, as a
    union of indexed sources (no scan of the roster):
    - classified, paired or paused since yesterday (a household registered without tier or cadre
      has no due date to compute; the import and the actions refresh what they write);
    - in a county whose visit policy takes effect today (or yesterday, should a run
      have been missed) — a policy set for a future date moves nothing until its day comes.
    A household without a due date is not recomputed every run: it was checked when its last
    input changed, and is checked again only when one changes."""
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time.min))
    ids = (
        Classification.objects.filter(decided_at__gte=since).values("household_id")
        .union(Pairing.objects.filter(started_on__gte=today - dt.timedelta(days=1)).values("household_id"))
        .union(Pause.objects.filter(created_at__gte=since).values("household_id"))
    )
    # Read first (index scans on each source), then looked up by primary key: as a subquery the
    # planner would rather scan the whole roster to match a few thousand ids.
    changed = Q(RawSQL("id = ANY(%s::bigint[])", (list(ids.values_list("household_id", flat=True)),),
                       output_field=BooleanField()))
    # The whole county, as policy_set does for a policy in force at once: the tier a household held
    # at its last visit decides its interval, and that may not be the tier it holds now.
    for county in VisitPolicy.objects.filter(
        effective_on__gt=today - dt.timedelta(days=2), effective_on__lte=today
    ).values_list("county_id", flat=True).distinct():
        changed |= Q(village__code__startswith=county[:6])
    return Household.objects.filter(changed, status=HouseholdStatus.ACTIVE)


def month_shortfalls(month: dt.date, today: dt.date) -> list[tuple[int, int, int]]:
    """(household id, counted, minimum) of every active household short of its monthly minimum
    in `month`, as of `today` (the month's last day for the 1st-of-month job).

    Households whose month is plain — no pause touching it, no tier change from its first day,
    paired and confirmed before it — are counted in SQL: distinct counted visit days against the
    minimum of their tier in force (the whole month is active, so nothing is pro-rated). Only the
    others (pauses, tier changes, a clock starting inside the month) go through the Python rules.
    Table names come from the models' _meta; values are parameters, never literals."""
    first, last = rules.month_bounds(month)
    through = min(last, today)
    h, v, p, c, pa = (m._meta.db_table for m in (Household, Visit, Pause, Classification, Pairing))
    plain = f"""
        h.status = %(active)s AND h.tier <> ''
        AND (h.tier_since IS NULL OR h.tier_since < %(first)s)
        AND EXISTS (SELECT 1 FROM {pa} pa WHERE pa.household_id = h.id AND pa.started_on < %(first)s)
        AND NOT EXISTS (SELECT 1 FROM {c} c WHERE c.household_id = h.id AND c.effective_on >= %(first)s)
        AND NOT EXISTS (SELECT 1 FROM {p} p WHERE p.household_id = h.id AND p.starts_on <= %(last)s
                        AND (p.ends_on IS NULL OR p.ends_on >= %(first)s))"""
    overrides = list(VisitPolicy.objects.filter(effective_on__lte=today).order_by("county_id", "tier", "-effective_on")
                     .distinct("county_id", "tier").values_list("county_id", "tier", "monthly_minimum"))
    params = {
        "active": HouseholdStatus.ACTIVE, "first": first, "last": last, "through": through,
        "tiers": list(rules.DEFAULT_POLICY), "minimums": [p.monthly_minimum for p in rules.DEFAULT_POLICY.values()],
        "o_counties": [o[0][:6] for o in overrides], "o_tiers": [o[1] for o in overrides],
        "o_minimums": [o[2] for o in overrides],
    }
    sql = f"""
        WITH base AS (
            SELECT h.id, COALESCE(o.minimum, d.minimum) AS minimum
            FROM {h} h
            JOIN unnest(%(tiers)s::varchar[], %(minimums)s::int[]) AS d(tier, minimum) ON d.tier = h.tier
            LEFT JOIN unnest(%(o_counties)s::varchar[], %(o_tiers)s::varchar[], %(o_minimums)s::int[])
                 AS o(county, tier, minimum) ON o.tier = h.tier AND o.county = left(h.village_id, 6)
            WHERE {plain}
        )
        SELECT base.id, COALESCE(n.counted, 0) AS counted, base.minimum
        FROM base
        LEFT JOIN (SELECT v.household_id, count(DISTINCT v.visited_on) AS counted FROM {v} v
                   WHERE v.counted AND v.visited_on BETWEEN %(first)s AND %(through)s
                   GROUP BY v.household_id) n ON n.household_id = base.id
        WHERE COALESCE(n.counted, 0) < base.minimum
    """
    with connection.cursor() as cur:
        cur.execute(sql, params)
        short = [tuple(r) for r in cur.fetchall()]
        cur.execute(f"SELECT h.id FROM {h} h WHERE h.status = %(active)s AND h.tier <> '' AND NOT ({plain})", params)
        others = [r[0] for r in cur.fetchall()]
    for hid, status in month_statuses(Household.objects.filter(id__in=others), month, today).items():
        if status.shortfall > 0:
            short.append((hid, status.counted, status.minimum))
    return sorted(short)


# --- counting rule --------------------------------------------------------------------------


def special_period_covers(village_code: str, day: dt.date) -> bool:
    """Is a special period declared for this village (or a township/county/prefecture above it)?"""
    prefixes = areacodes.ancestor_codes(village_code)
    return SpecialPeriod.objects.filter(area_id__in=prefixes, starts_on__lte=day, ends_on__gte=day).exists()


# --- households and pages -------------------------------------------------------------------


def cadre_name_subquery():
    return Subquery(
        Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).values("cadre__name")[:1]
    )


# The same two lookups as SQL fragments over a household alias, for the pages written in SQL.

def head_name_sql(alias: str, param: str) -> str:
    """The head's name of household `alias`; `param` is the placeholder that carries Relation.HEAD
    (`%s` or `%(head)s`, as the statement's other parameters)."""
    return (f"(SELECT pe.name FROM {Person._meta.db_table} pe WHERE pe.household_id = {alias}.id "
            f"AND pe.relation = {param} ORDER BY pe.id LIMIT 1)")


def active_cadre_sql(alias: str, columns: str) -> str:
    """SELECT `columns` (of cadre `c`) for household `alias`'s active pairing, the latest first as
    Pairing orders: a scalar subquery's or a LATERAL join's body."""
    return (f"SELECT {columns} FROM {Pairing._meta.db_table} p JOIN {Cadre._meta.db_table} c ON c.id = p.cadre_id "
            f"WHERE p.household_id = {alias}.id AND p.ended_on IS NULL ORDER BY p.started_on DESC, p.id DESC LIMIT 1")


def get_household_for_user(user: User, pk: int) -> Household:
    return get_object_for_user(
        user, Household.objects.select_related("village", "village__parent").annotate(
            head_name=head_name_subquery(), cadre_name=cadre_name_subquery()
        ), pk=pk
    )


def household_formerly_paired(user: User, pk: int, today: dt.date, days: int = 60) -> Household | None:
    """A household `user` was the paired cadre of until a pairing that ended in the last `days`
    days — only to take a visit made before the change (visits.actions.visit_capture checks the
    visit date). None otherwise."""
    return (
        Household.objects.select_related("village", "village__parent")
        .annotate(head_name=head_name_subquery(), cadre_name=cadre_name_subquery())
        .filter(pk=pk, pairings__cadre__user=user, pairings__ended_on__gte=today - dt.timedelta(days=days))
        .first()
    )


@dataclass(frozen=True, slots=True)
class ListedHousehold:
    """What the cadre's list shows of a household: a plain row, not a model instance (the list
    is the page a cadre opens most; building 60 model instances was a third of its time)."""

    pk: int
    code: str
    tier: str
    head_name: str | None
    village_name: str
    next_due_on: dt.date | None

    @property
    def village_short_name(self) -> str:
        return short_area_name(self.village_name)


@dataclass(frozen=True, slots=True)
class MyHousehold:
    household: ListedHousehold
    schedule: rules.Schedule


def my_households(user: User, today: dt.date) -> list[MyHousehold]:
    """The cadre's households (paired, or assigned to their agency), overdue first, then by due
    date, with this month's progress. One statement: it starts from the cadre's active pairings
    (an index lookup), and the month's progress is the rules in SQL (month_schedules_sql's joins);
    the due date is the stored one. A user who is not a cadre (nor a superuser) is further limited
    to their scope (one more query)."""
    h, pa, cadre, area = (m._meta.db_table for m in (Household, Pairing, Cadre, Area))
    with_item, columns, joins, params = _month_sql_parts(today)
    sql = f"""
        WITH {with_item}
        SELECT h.id, h.code, h.tier, h.next_due_on, a.name AS village_name,
               {head_name_sql("h", "%(head)s")} AS head_name, {columns}
        FROM {h} h JOIN {area} a ON a.code = h.village_id
        {joins}
        WHERE h.status = %(active)s AND h.id IN (
            SELECT p.household_id FROM {pa} p JOIN {cadre} c ON c.id = p.cadre_id
            WHERE c.user_id = %(user)s AND p.ended_on IS NULL
            UNION
            SELECT h2.id FROM {h} h2 JOIN {cadre} c2 ON c2.agency_id = h2.agency_id WHERE c2.user_id = %(user)s)
        ORDER BY h.next_due_on NULLS LAST, h.code
        LIMIT 500"""
    rows = _dict_rows(sql, {**params, "head": Relation.HEAD, "active": HouseholdStatus.ACTIVE,
                            "user": user.pk})
    if rows and not (user.is_superuser or has_role(user, Role.CADRE)):
        allowed = set(scope_queryset(user, Household.objects.filter(id__in=[r["id"] for r in rows]))
                      .values_list("id", flat=True))
        rows = [r for r in rows if r["id"] in allowed]
    return [
        MyHousehold(
            ListedHousehold(pk=r["id"], code=r["code"], tier=r["tier"], head_name=r["head_name"],
                            village_name=r["village_name"], next_due_on=r["next_due_on"]),
            month_schedule(r, r["next_due_on"], today),
        )
        for r in rows
    ]


def timeline(household: Household) -> QuerySet[Visit]:
    return household.visits.select_related("recorded_by").prefetch_related("photos", "findings").order_by(
        "-visited_on", "-id"
    )


def open_findings_for_household(household: Household) -> QuerySet[Finding]:
    return household.findings.exclude(status=FindingStatus.CLOSED).select_related("owner").order_by("due_on")


def get_finding_for_user(user: User, pk: int) -> Finding:
    return get_object_for_user(
        user, Finding.objects.select_related("household", "household__village", "owner", "visit"), pk=pk
    )


@dataclass
class Desk:
    """The desk's counts: overdue households by village and by cadre."""

    overdue_by_village: list[dict]
    overdue_by_cadre: list[dict]
    overdue_total: int


# Offline-capture conflicts stay on the desk this many days after the visit arrived.
CONFLICT_DESK_DAYS = 30


def overdue_summary(user: User, today: dt.date) -> Desk:
    """Overdue households (stored due dates) counted by village and by cadre: one statement, both
    groupings over one scan of the user's overdue households (GROUPING SETS). Each household's
    cadre is that of its active pairing (the latest, as Pairing orders)."""
    overdue = scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE, next_due_on__lt=today))
    base, params = overdue.order_by().values("id", "village_id").query.sql_with_params()
    sql = f"""
        SELECT GROUPING(o.village_id, a.name) AS by_cadre, o.village_id, a.name, pc.cadre, count(*) AS n
        FROM ({base}) o JOIN {Area._meta.db_table} a ON a.code = o.village_id
        CROSS JOIN LATERAL (SELECT COALESCE(({active_cadre_sql("o", "c.name")}), %s) AS cadre) pc
        GROUP BY GROUPING SETS ((o.village_id, a.name), (pc.cadre))
        ORDER BY 1, n DESC, o.village_id, pc.cadre"""
    by_village, by_cadre = [], []
    with connection.cursor() as cur:
        cur.execute(sql, (*params, gettext("（未结对）")))
        for grouped_by_cadre, village_id, village_name, cadre_name, n in cur.fetchall():
            if grouped_by_cadre:
                by_cadre.append({"cadre": cadre_name, "n": n})
            else:
                by_village.append({"village_id": village_id, "village__name": village_name, "n": n})
    return Desk(by_village, by_cadre, sum(r["n"] for r in by_village))


def visit_conflicts(user: User, today: dt.date) -> list[Visit]:
    """Visits stored although their household was exited or re-paired while the cadre was
    offline, kept on the desk for CONFLICT_DESK_DAYS after they arrived."""
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=CONFLICT_DESK_DAYS), dt.time.min))
    return list(
        scope_queryset(user, Visit.objects.exclude(conflict="").filter(recorded_at__gte=since))
        .select_related("household", "household__village")
        .order_by("-recorded_at", "-id")[:200]
    )


def inbox(user: User) -> QuerySet[Notification]:
    # One's own messages, whatever else the scope admits (a message names a household by its head).
    # Each row carries its household's label (head · village · code) in the same query: a message
    # whose title names no one still says whom it is about.
    from beneficiaries.display import household_label_expression

    return scope_queryset(user, Notification.objects.filter(recipient=user)).annotate(
        household_label=household_label_expression("household__")).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    from accounts.notifications import unread_count

    return unread_count(user)


# --- overdue report -------------------------------------------------------------------------

OVERDUE_REPORT_HEADERS = [
    "户编号",
    "村级区划代码",
    "户主姓名",
    "类别",
    "结对干部",
    "上次有效走访日期",
    "应访日期",
    "逾期天数",
    "本月有效走访次数",
    "本月最低走访次数",
    # Villages and townships by name (the code column above stays: the contract's consumers key
    # on it); added by with_area_names for the files, not for the dashboard's counts.
    "乡镇(街道)",
    "村(居)",
]


REPORT_CHUNK = 2_000


def overdue_report_rows(households: QuerySet[Household], on: dt.date, *, today: dt.date | None = None) -> list[list]:
    """All rows of overdue_report (see there), as a list."""
    return list(overdue_report(households, on, today=today)[1])


def overdue_report(households: QuerySet[Household], on: dt.date, *,
                   today: dt.date | None = None) -> tuple[int, Iterator[list]]:
    """The number of rows, and the rows in chunks of REPORT_CHUNK households (so a
    prefecture-wide report is streamed without holding every row): one row per household overdue
    on `on`, computed from the visits as they stood on that date (so a report for a past date is
    reproducible), over the roster as it stood on that date (a household that exited after `on` is
    still listed; one registered after it is not). Ordered by village, then household code.

    - `on` is today: the stored due date (kept by visits.actions.schedule_refresh and the daily
      job) selects exactly the overdue households — no other household can be overdue; each chunk
      is then one statement: names, the cadre paired on `on`, last visit and this month's
      progress (the rules in SQL, month_schedules_sql's joins);
    - a past date: the roster as it stood (exits after `on` included), then per tier, households
      without a counted visit within their tier's interval before `on` (a household visited
      within it cannot be overdue), plus every household whose tier changed since; the Python
      rules decide over those candidates, chunk by chunk (visits fetched per candidate)."""
    today = today or timezone.localdate()
    if on >= today:
        ids = list(households.filter(status=HouseholdStatus.ACTIVE, next_due_on__lt=on)
                   .order_by("village_id", "code").values_list("id", flat=True))
        return len(ids), _stored_report_rows(ids, on)
    candidates = list(_candidates_on(households, on).order_by("village_id", "code").values_list("id", flat=True))
    overdue: dict[int, rules.Schedule] = {}
    for chunk in _chunks(candidates, REPORT_CHUNK):
        by_id = schedules(Household.objects.filter(id__in=chunk), on)
        overdue.update((hid, by_id[hid]) for hid in chunk if hid in by_id and by_id[hid].is_overdue)
    return len(overdue), _ruled_report_rows(overdue, on)


def with_area_names(rows: Iterator[list]) -> Iterator[list]:
    """Each row (village code in column 2) with its township's and village's names appended;
    the names are read a township at a time (one query each), as the rows stream by village."""
    names: dict[str, tuple[str, str]] = {}
    for row in rows:
        code = row[1]
        if code not in names:
            for village in Area.objects.filter(code__startswith=code[:9]).select_related("parent"):
                names[village.code] = (village.parent.name if village.parent else "", village.short_name)
            names.setdefault(code, ("", ""))
        yield [*row, *names[code]]


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _stored_report_rows(ids: list[int], on: dt.date) -> Iterator[list]:
    h, pa, cadre = (m._meta.db_table for m in (Household, Pairing, Cadre))
    with_item, columns, joins, params = _month_sql_parts(on)
    sql = f"""
        WITH {with_item}
        SELECT h.code, h.village_id,
               COALESCE({head_name_sql("h", "%(head)s")}, '') AS head_name,
               h.tier AS stored_tier,
               COALESCE((SELECT c.name FROM {pa} p JOIN {cadre} c ON c.id = p.cadre_id
                         WHERE p.household_id = h.id AND p.started_on <= %(m_today)s
                           AND (p.ended_on IS NULL OR p.ended_on > %(m_today)s)
                         ORDER BY p.started_on DESC LIMIT 1), '') AS cadre_name,
               h.next_due_on, {columns}
        FROM {h} h {joins}
        WHERE h.id = ANY(%(ids)s)
        ORDER BY h.village_id, h.code"""
    params["head"] = Relation.HEAD
    for chunk in _chunks(ids, REPORT_CHUNK):
        for r in _dict_rows(sql, {**params, "ids": chunk}):
            due, last, month = r["next_due_on"], r["s_last_counted"], r["s_minimum"] is not None
            yield [
                r["code"], r["village_id"], r["head_name"], r["s_tier"] or r["stored_tier"], r["cadre_name"],
                last.isoformat() if last else "", due.isoformat() if due else "", rules.overdue_days(due, on),
                r["s_counted"] if month else 0, r["s_minimum"] if month else 0,
            ]


def _ruled_report_rows(overdue: dict[int, rules.Schedule], on: dt.date) -> Iterator[list]:
    for chunk in _chunks(list(overdue), REPORT_CHUNK):
        details = (
            Household.objects.filter(id__in=chunk)
            .annotate(head_name=head_name_subquery(), cadre_name=cadre_name_on_subquery(on))
            .values_list("id", "code", "village_id", "head_name", "tier", "cadre_name")
            .order_by("village_id", "code")
        )
        for hid, code, village, head, tier, cadre in details:
            s = overdue[hid]
            due = s.next_due
            yield [
                code,
                village,
                head or "",
                s.tier or tier,
                cadre or "",
                s.last_counted.isoformat() if s.last_counted else "",
                due.isoformat() if due else "",
                rules.overdue_days(due, on),
                s.month.counted if s.month else 0,
                s.month.minimum if s.month else 0,
            ]


def on_roster(households: QuerySet[Household], on: dt.date) -> QuerySet[Household]:
    """The households on the roster on `on`: active now, or exited after `on`. (Registration
    time is not used: a household keyed in late was on the paper roster before; its schedule
    starts with its pairing and tier anyway.)"""
    return households.filter(Q(status=HouseholdStatus.ACTIVE) | Q(exited_on__gt=on))


def _candidates_on(households: QuerySet[Household], on: dt.date) -> QuerySet[Household]:
    """Households that may be overdue on a past date `on` (see overdue_report_rows)."""
    roster = on_roster(households, on)
    policies = {(c.county_id, c.tier): c.interval_days for c in VisitPolicy.objects.filter(effective_on__lte=on)
                .order_by("county_id", "tier", "-effective_on").distinct("county_id", "tier")}
    longest = max([p.interval_days for p in rules.DEFAULT_POLICY.values()] + list(policies.values()))
    per_tier = Q()
    for tier, default in rules.DEFAULT_POLICY.items():
        overrides = {county: days for (county, t), days in policies.items() if t == tier}
        windows = [(default.interval_days, ~Q(village__code__regex=_county_regex(overrides)) if overrides else Q())]
        windows += [(days, Q(village__code__startswith=county[:6])) for county, days in overrides.items()]
        for days, where in windows:
            recent = Visit.objects.filter(household=OuterRef("pk"), counted=True,
                                          visited_on__gt=on - dt.timedelta(days=days), visited_on__lte=on)
            per_tier |= Q(tier=tier) & where & ~Exists(recent)
    changed = Classification.objects.filter(household=OuterRef("pk"), effective_on__gt=on - dt.timedelta(days=longest))
    return roster.filter(per_tier | Exists(changed))


def _county_regex(overrides: dict[str, int]) -> str:
    return "^(" + "|".join(county[:6] for county in sorted(overrides)) + ")"


def cadre_name_on_subquery(on: dt.date):
    """The cadre paired with the household on `on`."""
    return Subquery(
        Pairing.objects.filter(household=OuterRef("pk"), started_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .order_by("-started_on").values("cadre__name")[:1]
    )


def households_in_area(area: Area | None) -> QuerySet[Household]:
    qs = Household.objects.all()
    return qs.filter(village__code__startswith=area.prefix) if area else qs


# --- visit ledger ----------------------------------------------------------------------------


def ledger_visits(user: User, area: Area, month: dt.date) -> QuerySet[Visit]:
    first, last = rules.month_bounds(month)
    return (
        scope_queryset(user, Visit.objects.filter(household__village__code__startswith=area.prefix))
        .filter(visited_on__gte=first, visited_on__lte=last)
        .select_related("household", "household__village")
        .annotate(head_name=Subquery(
            Person.objects.filter(household=OuterRef("household_id"), relation=Relation.HEAD).values("name")[:1]
        ), finding_count=Count("findings"))
        .order_by("household__village_id", "household__code", "visited_on", "id")
    )



# --- "为什么": the due date ------------------------------------------------------------------------


@dataclass(frozen=True)
class DueWhy:
    explanation: rules.DueExplanation
    tier_now: str | None
    # tier → the VisitPolicy row in force (its date and reason), or None for the default (SPEC §7)
    policy_rows: dict[str, VisitPolicy | None]
    stored_due: dt.date | None


def due_why(household: Household, today: dt.date) -> DueWhy:
    """The inputs and the rule behind the household's due date on `today` (a few queries)."""
    row = load_histories(Household.objects.filter(pk=household.pk), today, month_days=False)[household.pk]
    county = county_of(household.village_id)
    policy = policy_for(county, today)
    explanation = rules.explain_next_due(row.history, policy, today)
    tiers = {s.tier for s in explanation.steps}
    overrides = {p.tier: p for p in VisitPolicy.objects.filter(county_id=county, tier__in=tiers, effective_on__lte=today)
                 .order_by("tier", "-effective_on").distinct("tier")}
    return DueWhy(explanation, row.history.tier_on(today), {t: overrides.get(t) for t in tiers},
                  household.next_due_on)
