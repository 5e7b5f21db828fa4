"""Dashboard pages: the panels of an area on a date, each panel's xlsx, the households behind a number."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import Area, AuditAction, Role
from accounts.queries import top_areas_for_user
from accounts.scoping import get_object_for_user, has_role, scope_queryset
from beneficiaries.models import Household
from config.replica import on_replica, reading_replica, replica_lag
from visits.queries import cadre_name_subquery, head_name_subquery

from . import dashboards, exports

DASHBOARD_ROLES = (Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
DASHBOARD_LEVELS = ("prefecture", "county", "township")


def can_see_dashboards(user) -> bool:
    return user.is_superuser or has_role(user, *DASHBOARD_ROLES)


def dashboard_area(request: HttpRequest, code: str, levels: tuple[str, ...] = DASHBOARD_LEVELS) -> Area:
    """The area of a dashboard: one the user oversees (township level or above), else 404."""
    if not can_see_dashboards(request.user):
        raise Http404
    area = get_object_for_user(request.user, Area, code=code)
    if area.level not in levels:
        raise Http404
    return area


def report_date(request: HttpRequest) -> dt.date:
    """?on=YYYY-MM-DD, never after today; a bad value falls back to today with a message."""
    today = timezone.localdate()
    raw = request.GET.get("on", "")
    if not raw:
        return today
    try:
        on = dt.date.fromisoformat(raw)
    except ValueError:
        messages.warning(request, _("日期格式应为 年-月-日（如 2026-06-30），已按今天统计。"))
        return today
    if on > today:
        messages.warning(request, _("不能统计未来的日期，已按今天统计。"))
        return today
    return on


@login_required
def dashboard_index(request: HttpRequest) -> HttpResponse:
    if not can_see_dashboards(request.user):
        raise Http404
    area = top_areas_for_user(request.user).filter(level__in=DASHBOARD_LEVELS).first()
    if area is None:
        raise Http404
    return redirect("oversight:dashboard", area.code)


@login_required
@on_replica
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    area = dashboard_area(request, code)
    on = report_date(request)
    # Served by the streaming replica (config/replica.py): the page says how fresh it is.
    lag = replica_lag() if reading_replica() else None
    board = dashboards.Dashboard(area, on)
    panels = board.panels()
    charts = {p.key: p.chart for p in panels if p.chart}
    visible = {a.code for a in scope_queryset(request.user, Area.objects.filter(code__in=[a.code for a in area.ancestors()]))}
    trail = [a for a in area.ancestors() if a.code in visible]
    return render(request, "oversight/dashboard.html", {
        "area": area, "on": on, "panels": panels, "charts": charts, "trail": trail,
        "today": timezone.localdate(), "replica_lag": lag,
    })


@login_required
@on_replica
def panel_xlsx(request: HttpRequest, code: str, key: str) -> HttpResponse:
    area = dashboard_area(request, code)
    on = report_date(request)
    panel = dashboards.Dashboard(area, on).panel(key)
    if panel is None:
        raise Http404
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="oversight.dashboard",
                 object_repr=f"{area.name} {panel.title} {on}", request=request,
                 details={"area": area.code, "panel": key, "on": on.isoformat()})
    response = HttpResponse(exports.panel_xlsx(area, on, panel),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{area.code}-{key}-{on}.xlsx"'
    return response


@login_required
@on_replica
def drill(request: HttpRequest, code: str) -> HttpResponse:
    """The households behind one number of a dashboard, in the user's scope."""
    # A township's dashboard lists its villages: each village's numbers open its households.
    area = dashboard_area(request, code, (*DASHBOARD_LEVELS, "village"))
    on = report_date(request)
    found = dashboards.drill(area, on, request.GET.get("figure", ""), request.GET.get("key", ""))
    if found is None:
        raise Http404
    title, qs = found
    households = (
        scope_queryset(request.user, Household.objects.filter(pk__in=qs.values("pk")))
        .select_related("village", "village__parent")
        .annotate(head_name=head_name_subquery(), cadre_name=cadre_name_subquery())
        .order_by("village_id", "code")
    )
    page = Paginator(households, 100).get_page(request.GET.get("page"))
    return render(request, "oversight/drill.html", {
        "area": area, "on": on, "title": title, "page": page, "count": page.paginator.count,
        # A village has no dashboard of its own: back to its township's.
        "back": dashboards.dashboard_url(area.parent if area.level == "village" else area, on),
        "back_area": area.parent if area.level == "village" else area,
    })
