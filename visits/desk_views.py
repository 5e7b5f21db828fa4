"""The desk (走访工作台) of village, township, county and prefecture staff: what is late in their
area — urgent special-situation reports on top (unread ones badged), every overdue household
once (grouped by township), open findings with the overdue ones marked, and the downloads."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Area, AreaLevel
from accounts.scoping import get_object_for_user, scope_queryset
from beneficiaries.display import head_name_subquery

from . import panels, queries, row_html
from .desk_queries import download_areas, group_by_township, lists_with_rows, overdue_households
from .forms import AreaMonthForm
from .models import Escalation, EscalationKind, Finding, FindingStatus, Notification

PAGE_SIZE = 100


def unread_escalation_ids(user) -> set[int]:
    """Escalations whose notification this user has not read yet."""
    keys = Notification.objects.filter(recipient=user, read_at__isnull=True, key__startswith="escalation:")
    out = set()
    for key in keys.values_list("key", flat=True):
        try:
            out.add(int(key.split(":", 1)[1]))
        except ValueError:
            continue
    return out


def open_escalations(user, area: Area | None = None) -> list[Escalation]:
    """Open special-situation reports (特殊情况) in scope, newest first."""
    qs = scope_queryset(user, Escalation.objects.filter(closed_on__isnull=True))
    if area is not None:
        qs = qs.filter(household__village__code__startswith=area.prefix)
    # Overdue-visit escalations show as a column of the overdue households, each household once.
    rows = list(qs.filter(kind=EscalationKind.SPECIAL).select_related("household", "household__village", "finding")
                .annotate(head_name=head_name_subquery("household")).order_by("-opened_on", "-id")[:200])
    unread = unread_escalation_ids(user) if rows else set()
    for e in rows:
        e.unread = e.pk in unread
        e.household.head_name = e.head_name
    return rows


def open_findings(user, today, area: Area | None = None) -> list[Finding]:
    qs = scope_queryset(user, Finding.objects.exclude(status=FindingStatus.CLOSED))
    if area is not None:
        qs = qs.filter(household__village__code__startswith=area.prefix)
    rows = list(qs.select_related("household", "household__village", "owner")
                .annotate(head_name=head_name_subquery("household")).order_by("due_on", "id")[:300])
    for f in rows:
        f.household.head_name = f.head_name
        f.is_overdue = f.due_on < today
        f.days_overdue = (today - f.due_on).days
    return rows


def desk_data(user, today, area: Area | None = None, page_number=None) -> dict:
    """Everything the desk shows (the template's context but the ledger form): the page of
    overdue households grouped by township, special reports, conflicts, findings, the counts by
    village and cadre, and the areas to download. bench/scale.py measures this function."""
    summary = queries.overdue_summary(user, today)
    households = overdue_households(user, today, area)
    if area is None:  # the same households the summary counted: no second count
        households.set_count(summary.overdue_total)
    page = Paginator(households, PAGE_SIZE).get_page(page_number)
    groups = group_by_township(list(page.object_list))
    present = lists_with_rows(user, today)  # the usually empty lists are built only when they have rows
    escalations = open_escalations(user, area) if "escalations" in present else []
    areas = list(download_areas(user))
    return {
        "desk": summary,
        "today": today,
        "area": area,
        "page": page,
        "groups": groups,
        "show_townships": len(groups) > 1 or sum(a.level == AreaLevel.TOWNSHIP for a in areas) > 1,
        "escalations": escalations,
        "conflicts": queries.visit_conflicts(user, today) if "conflicts" in present else [],
        "unread_count": sum(1 for e in escalations if e.unread),
        "special_count": sum(1 for e in escalations if e.kind == EscalationKind.SPECIAL),
        "findings": open_findings(user, today, area),
        "areas": areas,
    }


def desk(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    user = request.user
    area = None
    if request.GET.get("area"):
        area = get_object_for_user(user, Area, code=request.GET["area"])
    context = desk_data(user, today, area, request.GET.get("page"))
    summary = context["desk"]
    context["panels"] = panels.panels_for(panels.DESK, request, today)
    context["ledger_form"] = AreaMonthForm(areas=download_areas(user), area_list=context["areas"], initial={
        "month": today.strftime("%Y-%m"), "area": area.code if area else None})
    household_base = reverse("visits:household", args=[0]).removesuffix("0/")  # once, not per row
    # The long lists as HTML from Python (visits/row_html.py; issue 25): the template engine's
    # per-cell cost was most of the page at 100 rows and a few hundred cadres and areas.
    context["overdue_rows_html"] = row_html.overdue_rows(context["groups"], user=user, household_base=household_base,
                                                         show_townships=context["show_townships"])
    context["by_village_html"] = row_html.count_rows(summary.overdue_by_village, label_key="village__name",
                                                     link_key="village_id")
    context["by_cadre_html"] = row_html.count_rows(summary.overdue_by_cadre, label_key="cadre")
    context["area_options"] = row_html.area_options(context["areas"])
    context["area_options_selected"] = (row_html.area_options(context["areas"], area.code) if area
                                        else context["area_options"])
    return render(request, "visits/desk.html", context)
