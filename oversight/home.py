"""The start page of each role: "what needs me today".

- village committee: its households (who is due soonest, who is late) and custody checks due;
- township: urgent special-situation reports on top (unread badged), overdue households,
  findings past their deadline, late referrals, caregiver evaluations due;
- county: its townships side by side; prefecture: its 16 counties side by side (households,
  visits this month, overdue, findings, referrals, quarterly review);
- financial supervisor: the spot-check samples still to check.
The cadre starts on their due list and a liaison on the inbox (redirects in oversight.views).
Every number links to the list behind it. All figures are grouped SQL, a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import Left
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Area, AreaLevel, Role, User
from accounts.queries import top_areas_for_user
from accounts.scoping import has_role, scope_queryset, user_roles
from beneficiaries.models import Household, HouseholdStatus, QuarterlyReview

from .queries import roster_by_area

AREA_WIDTH = {AreaLevel.COUNTY: 6, AreaLevel.TOWNSHIP: 9, AreaLevel.VILLAGE: 12}


@dataclass
class BoardRow:
    area: Area
    households: int = 0
    overdue: int = 0
    visits_month: int = 0
    findings_open: int = 0
    findings_late: int = 0
    referrals_open: int = 0
    referrals_late: int = 0
    review: QuarterlyReview | None = None
    links: dict = field(default_factory=dict)


def _grouped(qs, path: str, width: int, **aggregates) -> dict[str, dict]:
    rows = qs.annotate(g=Left(path, width)).values("g").annotate(**aggregates)
    return {r["g"]: r for r in rows}


def area_board(user: User, level: str, today: dt.date) -> list[BoardRow]:
    """One row per area of `level` in the user's scope with its figures — six grouped queries."""
    from services.models import OPEN_STATUSES, Referral
    from visits.models import Finding, FindingStatus, Visit

    width = AREA_WIDTH[level]
    areas = list(scope_queryset(user, Area.objects.filter(level=level)).order_by("code"))
    if not areas:
        return []
    now = timezone.now()
    month_start = today.replace(day=1)
    households = _grouped(
        scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE)), "village_id", width,
        n=Count("id"), overdue=Count("id", filter=Q(next_due_on__lt=today)),
    )
    visits = _grouped(
        scope_queryset(user, Visit.objects.filter(visited_on__gte=month_start, visited_on__lte=today, counted=True)),
        "household__village_id", width, n=Count("id"),
    )
    findings = _grouped(
        scope_queryset(user, Finding.objects.exclude(status=FindingStatus.CLOSED)), "household__village_id", width,
        n=Count("id"), late=Count("id", filter=Q(due_on__lt=today)),
    )
    referrals = _grouped(
        scope_queryset(user, Referral.objects.filter(status__in=OPEN_STATUSES)), "household__village_id", width,
        n=Count("id"), late=Count("id", filter=Q(due_at__lte=now)),
    )
    reviews: dict[str, QuarterlyReview] = {}
    if level == AreaLevel.COUNTY:
        quarter = (today.month - 1) // 3 + 1
        for r in scope_queryset(user, QuarterlyReview.objects.filter(year=today.year, quarter=quarter)):
            reviews[r.county_id] = r
    month = today.strftime("%Y-%m")
    out = []
    for a in areas:
        key = a.code[:width]
        h, v, f, r = households.get(key, {}), visits.get(key, {}), findings.get(key, {}), referrals.get(key, {})
        desk = reverse("visits:desk") + f"?area={a.code}"
        inbox = reverse("services:inbox") + f"?area={a.code}&status=open"
        out.append(BoardRow(
            area=a, households=h.get("n", 0), overdue=h.get("overdue", 0), visits_month=v.get("n", 0),
            findings_open=f.get("n", 0), findings_late=f.get("late", 0),
            referrals_open=r.get("n", 0), referrals_late=r.get("late", 0), review=reviews.get(a.code),
            links={
                "households": reverse("beneficiaries:roster_list") + f"?area={a.code}",
                "overdue": desk,
                "visits": reverse("visits:ledger") + f"?area={a.code}&month={month}",
                "findings": desk + "#findings",
                "referrals": inbox,
                "referrals_late": inbox + "&overdue=on",
                "review": (reverse("beneficiaries:review_detail", args=[reviews[a.code].pk]) if a.code in reviews
                           else reverse("beneficiaries:review_list")),
            },
        ))
    return out


def board_totals(rows: list[BoardRow]) -> dict[str, int]:
    names = ("households", "overdue", "visits_month", "findings_open", "findings_late", "referrals_open",
             "referrals_late")
    return {n: sum(getattr(r, n) for r in rows) for n in names}


def township_today(user: User, today: dt.date) -> dict:
    """The township's (or village's) lists of what is late, each short, each with its count."""
    from custody.queries import due_evaluations
    from services.models import OPEN_STATUSES, Referral
    from visits.desk_queries import overdue_households
    from visits.desk_views import open_escalations, open_findings

    overdue = overdue_households(user, today)
    overdue_rows = overdue[:10]
    escalations = open_escalations(user)
    findings = [f for f in open_findings(user, today) if f.is_overdue]
    referrals_late = scope_queryset(user, Referral.objects.filter(status__in=OPEN_STATUSES,
                                                                  due_at__lte=timezone.now())).count()
    return {
        "escalations": escalations[:10],
        "special_count": len(escalations),
        "unread_count": sum(1 for e in escalations if e.unread),
        "overdue_rows": overdue_rows,
        "overdue_count": overdue.count(),
        "late_findings": findings[:10],
        "late_findings_count": len(findings),
        "referrals_late": referrals_late,
        "evaluations_due": due_evaluations(user, today).count() if has_role(user, Role.TOWNSHIP) else None,
    }


def village_today(user: User, today: dt.date) -> dict:
    from custody.queries import accounts_for_user
    from visits.queries import head_name_subquery

    households = scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE))
    due_soon = list(
        households.filter(next_due_on__isnull=False, next_due_on__lte=today + dt.timedelta(days=7))
        .select_related("village").annotate(head_name=head_name_subquery()).order_by("next_due_on", "code")[:15]
    )
    for h in due_soon:
        h.days_left = (h.next_due_on - today).days
    checks_due = [a for a in accounts_for_user(user, today) if a.flag_check_overdue]
    return {
        "household_count": households.count(),
        "due_soon": due_soon,
        "checks_due": checks_due,
    }


def supervisor_today(user: User) -> list[dict]:
    from custody.models import SampleResult, SpotCheckSample

    return list(
        scope_queryset(user, SpotCheckSample.objects.filter(result=SampleResult.PENDING))
        .values("spot_check_id", "spot_check__area__name", "spot_check__drawn_on")
        .annotate(n=Count("id"))
        .order_by("-spot_check__drawn_on", "spot_check_id")
    )


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    roles = set(Role.values) if user.is_superuser else {r.role for r in user_roles(user)}
    context: dict = {"today": today, "my_areas": top_areas_for_user(user), "figures": []}
    if Role.PREFECTURE in roles:
        context["board"] = area_board(user, AreaLevel.COUNTY, today)
        context["board_level"] = AreaLevel.COUNTY
    elif Role.COUNTY in roles:
        context["board"] = area_board(user, AreaLevel.TOWNSHIP, today)
        context["board_level"] = AreaLevel.TOWNSHIP
        quarter = (today.month - 1) // 3 + 1
        context["reviews"] = list(scope_queryset(user, QuarterlyReview.objects.filter(year=today.year, quarter=quarter))
                                  .select_related("county"))
        context["quarter"] = f"{today.year}年第{quarter}季度"
    if context.get("board"):
        context["board_totals"] = board_totals(context["board"])
        context["figures"] = roster_by_area(user)
        by_code = {f.area.code: f for f in context["figures"]}
        for row in context["board"]:
            row.figures = by_code.get(row.area.code)
    if roles & {Role.TOWNSHIP, Role.VILLAGE_COMMITTEE}:
        context["township"] = township_today(user, today)
    if Role.VILLAGE_COMMITTEE in roles:
        context["village"] = village_today(user, today)
    if Role.FINANCIAL_SUPERVISOR in roles:
        from custody.models import SpotCheck
        from custody.queries import accounts_for_user, sample_view

        context["samples"] = supervisor_today(user)
        context["sample"] = sample_view(user)
        context["flagged_accounts"] = accounts_for_user(user, today, flagged=True).count()
        context["spot_checks_year"] = scope_queryset(user, SpotCheck.objects.filter(drawn_on__year=today.year)).count()
    return render(request, "oversight/home_board.html", context)
