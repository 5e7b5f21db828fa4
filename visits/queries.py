"""Read side of visits: schedules loaded set-based (a fixed number of queries for any number of
households), the cadre's list, the township desk, the overdue report, the visit ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import areacodes
from accounts.models import Area, Notification, User
from accounts.scoping import get_object_for_user, scope_queryset
from beneficiaries.models import Classification, Household, HouseholdStatus, Pairing, Person, Relation

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
    date, with this month's progress. A fixed number of queries."""
    qs = (
        scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE))
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


def overdue_report_rows(households: QuerySet[Household], on: dt.date) -> list[list]:
    """One row per active household overdue on `on`, computed from the visits as they stood on
    that date (so a report for a past date is reproducible).

    1. Candidates in SQL: no counted visit within the shortest interval before `on` — nobody
       else can be overdue.
    2. The rules decide for the candidates (loaded set-based).
    3. Names come from one annotated query."""
    shortest = shortest_interval(on)
    recent = Visit.objects.filter(
        household=OuterRef("pk"), counted=True, visited_on__gt=on - dt.timedelta(days=shortest), visited_on__lte=on
    )
    candidates = households.filter(status=HouseholdStatus.ACTIVE).exclude(Exists(recent))
    by_id = schedules(candidates, on)
    overdue_ids = [hid for hid, s in by_id.items() if s.is_overdue]
    details = (
        Household.objects.filter(id__in=overdue_ids)
        .annotate(head_name=head_name_subquery(), cadre_name=cadre_name_subquery())
        .values_list("id", "code", "village_id", "head_name", "tier", "cadre_name")
        .order_by("village_id", "code")
    )
    rows = []
    for hid, code, village, head, tier, cadre in details:
        s = by_id[hid]
        rows.append([
            code,
            village,
            head or "",
            s.tier or tier,
            cadre or "",
            s.last_counted.isoformat() if s.last_counted else "",
            s.next_due.isoformat() if s.next_due else "",
            s.overdue_days,
            s.month.counted if s.month else 0,
            s.month.minimum if s.month else 0,
        ])
    return rows


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

