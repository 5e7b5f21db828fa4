"""Read side of visits: schedules loaded set-based (a fixed number of queries for any number of
households), the cadre's list, the township desk, the overdue report, the visit ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import areacodes
from accounts.models import Area, Notification, User
from accounts.scoping import get_object_for_user, scope_queryset
from beneficiaries.models import Cadre, Classification, Household, HouseholdStatus, Pairing, Person, Relation

from . import rules
from .models import (
    Escalation,
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


def load_histories(households: QuerySet[Household], today: dt.date) -> dict[int, HouseholdRow]:
    """What the rules need for each household of `households`, in five queries whatever its size:
    the last counted visit on or before today, the counted visit days of this and last month,
    tier history, pauses and the first pairing start."""
    ids = households.values("id")
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
    days: dict[int, set[dt.date]] = defaultdict(set)
    for hid, day in (
        Visit.objects.filter(household_id__in=ids, counted=True, visited_on__gte=window_start, visited_on__lte=today)
        .values_list("household_id", "visited_on")
        .distinct()
    ):
        days[hid].add(day)
    changes: dict[int, list[rules.TierChange]] = defaultdict(list)
    for hid, tier, on in Classification.objects.filter(household_id__in=ids).values_list(
        "household_id", "tier", "effective_on"
    ):
        changes[hid].append(rules.TierChange(on, tier))
    pauses: dict[int, list[rules.Period]] = defaultdict(list)
    for hid, start, end in Pause.objects.filter(household_id__in=ids).values_list("household_id", "starts_on", "ends_on"):
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


def schedules(households: QuerySet[Household], today: dt.date) -> dict[int, rules.Schedule]:
    rows = load_histories(households, today)
    policies = policies_for({county_of(r.village_id) for r in rows.values()}, today)
    return {hid: rules.schedule(r.history, policies[county_of(r.village_id)], today) for hid, r in rows.items()}


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
    changed = Q(id__in=ids)
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
    from django.db import connection

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


def head_name_subquery():
    return Subquery(
        Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD).values("name")[:1]
    )


def cadre_name_subquery():
    return Subquery(
        Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).values("cadre__name")[:1]
    )


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


@dataclass
class MyHousehold:
    household: Household
    schedule: rules.Schedule


def my_households(user: User, today: dt.date) -> list[MyHousehold]:
    """The cadre's households (paired, or assigned to their agency), overdue first, then by due
    date, with this month's progress. A fixed number of queries, starting from the cadre's active
    pairings (an index lookup) rather than filtering every household of the prefecture."""
    paired = list(Pairing.objects.filter(cadre__user=user, ended_on__isnull=True).values_list("household_id", flat=True))
    agencies = list(Cadre.objects.filter(user=user, agency__isnull=False).values_list("agency_id", flat=True))
    start = Q(id__in=paired) | Q(agency_id__in=agencies) if agencies else Q(id__in=paired)
    qs = (
        scope_queryset(user, Household.objects.filter(start, status=HouseholdStatus.ACTIVE))
        .select_related("village")
        .annotate(head_name=head_name_subquery())
        .order_by(F("next_due_on").asc(nulls_last=True), "code")
    )
    households = list(qs[:500])
    by_id = schedules(Household.objects.filter(id__in=[h.id for h in households]), today)
    return [MyHousehold(h, by_id[h.id]) for h in households if h.id in by_id]


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
    overdue_by_village: list[dict]
    overdue_by_cadre: list[dict]
    escalations: list[Escalation]
    findings: list[Finding]
    overdue_total: int
    conflicts: list[Visit] = field(default_factory=list)


# Offline-capture conflicts stay on the desk this many days after the visit arrived.
CONFLICT_DESK_DAYS = 30


def township_desk(user: User, today: dt.date) -> Desk:
    """Overdue households by village and by cadre (stored due dates, grouped in SQL), open
    escalations and open findings past due first."""
    overdue = scope_queryset(
        user, Household.objects.filter(status=HouseholdStatus.ACTIVE, next_due_on__lt=today)
    )
    by_village = list(
        overdue.values("village_id", "village__name").annotate(n=Count("id")).order_by("-n", "village_id")
    )
    by_cadre = list(
        overdue.annotate(cadre=Coalesce(cadre_name_subquery(), Value("（未结对）")))
        .values("cadre")
        .annotate(n=Count("id"))
        .order_by("-n", "cadre")
    )
    escalations = list(
        scope_queryset(user, Escalation.objects.filter(closed_on__isnull=True))
        .select_related("household", "household__village", "finding", "alert")
        .order_by("opened_on", "id")[:200]
    )
    findings = list(
        scope_queryset(user, Finding.objects.exclude(status=FindingStatus.CLOSED))
        .select_related("household", "household__village", "owner")
        .order_by("due_on", "id")[:200]
    )
    return Desk(by_village, by_cadre, escalations, findings, sum(r["n"] for r in by_village),
                visit_conflicts(user, today))


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
    return scope_queryset(user, Notification.objects.select_related("household")).order_by("-created_at", "-id")


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
]


def overdue_report_rows(households: QuerySet[Household], on: dt.date, *, today: dt.date | None = None) -> list[list]:
    """One row per household overdue on `on`, computed from the visits as they stood on that date
    (so a report for a past date is reproducible), over the roster as it stood on that date (a
    household that exited after `on` is still listed; one registered after it is not).

    Candidates, then the rules:
    - `on` is today: the stored due date (kept by visits.actions.schedule_refresh and the daily
      job) selects exactly the overdue households — no other household can be overdue;
    - a past date: the roster as it stood (exits after `on` included), then per tier, households without a counted visit within their tier's interval
      before `on` (a household visited within it cannot be overdue), plus every household whose
      tier changed since, for the rules to decide.
    The rules then run set-based over the candidates only (visits fetched per candidate), and
    names come from one annotated query."""
    today = today or timezone.localdate()
    if on >= today:
        candidates = households.filter(status=HouseholdStatus.ACTIVE, next_due_on__lt=on)
        by_id = schedules(candidates, on)
        stored = dict(candidates.values_list("id", "next_due_on"))
        overdue_ids = [hid for hid in by_id if hid in stored]
        due_of = {hid: stored[hid] for hid in overdue_ids}
    else:
        candidates = _candidates_on(households, on)
        by_id = schedules(candidates, on)
        overdue_ids = [hid for hid, s in by_id.items() if s.is_overdue]
        due_of = {hid: by_id[hid].next_due for hid in overdue_ids}
    details = (
        Household.objects.filter(id__in=overdue_ids)
        .annotate(head_name=head_name_subquery(), cadre_name=cadre_name_on_subquery(on))
        .values_list("id", "code", "village_id", "head_name", "tier", "cadre_name")
        .order_by("village_id", "code")
    )
    rows = []
    for hid, code, village, head, tier, cadre in details:
        s = by_id[hid]
        due = due_of[hid]
        rows.append([
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
        ])
    return rows


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

