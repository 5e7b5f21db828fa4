"""Thin HTTP layer of visits: fetch in scope (404 outside), call one action, redirect."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import audit_record
from accounts.files import upload_response
from accounts.models import AREA_ROLES, Area, AreaLevel, AuditAction, Role
from accounts.permissions import apply_form_errors
from accounts.scoping import get_object_for_user, has_role, scope_queryset, visible_areas

from . import actions, exports, imports, queries
from .forms import (
    AreaMonthForm,
    FindingTransitionForm,
    ImportForm,
    PauseEndForm,
    PauseForm,
    PolicyForm,
    SpecialPeriodForm,
    VisitForm,
)
from .models import Pause, SpecialPeriod, VisitPhoto, VisitPolicy

OFFICIAL_ROLES = tuple(AREA_ROLES)


_apply_errors = apply_form_errors  # the one form-error helper (accounts/permissions.py)


def _require_official(request: HttpRequest, *roles: str) -> None:
    if not (request.user.is_superuser or has_role(request.user, *(roles or OFFICIAL_ROLES))):
        raise Http404


# --- cadre ---------------------------------------------------------------------------------


@login_required
@require_GET
def my_households(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = queries.my_households(request.user, today)
    return render(request, "visits/my_households.html", {"rows": rows, "today": today})


@login_required
def household_visits(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's visit timeline: schedule, open findings, pauses, every visit."""
    today = timezone.localdate()
    household = queries.get_household_for_user(request.user, pk)
    schedule = queries.schedules(type(household).objects.filter(pk=pk), today).get(pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=household, request=request,
                 details={"page": "visit_timeline"})
    visits = Paginator(queries.timeline(household), 20).get_page(request.GET.get("page"))
    return render(request, "visits/household.html", {
        "household": household, "schedule": schedule, "visits": visits, "today": today,
        "findings": queries.open_findings_for_household(household),
        "pauses": household.pauses.order_by("-starts_on"),
        "pause_form": PauseForm(), "pause_end_form": PauseEndForm(initial={"ends_on": today}),
    })


@login_required
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    household = queries.get_household_for_user(request.user, pk)
    form = VisitForm(request.POST or None, request.FILES or None, today=today)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        findings = [actions.FindingInput(kind=name, description=d[name]) for name in VisitForm.FINDING_FIELDS
                    if d[name].strip()]
        data = actions.VisitInput(
            visited_on=d["visited_on"], mode=d["mode"], met_with=d["met_with"], wishes=d["wishes"], notes=d["notes"],
            late_reason=d["late_reason"], checklist={k: d[k] for k in VisitForm.CHECKLIST},
        )
        try:
            actions.visit_record(actor=request.user, household=household, data=data, findings=findings,
                                 photos=d["photos"], client_token=d["client_token"], today=today, request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("走访记录已保存。"))
            if has_role(request.user, Role.CADRE):
                return redirect("visits:mine")
            return redirect("visits:household", household.pk)
    last = household.visits.order_by("-visited_on", "-id").first()
    return render(request, "visits/visit_form.html", {
        "household": household, "form": form, "last": last,
        "findings": queries.open_findings_for_household(household),
    })


@login_required
@require_POST
def pause_add(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    household = queries.get_household_for_user(request.user, pk)
    form = PauseForm(request.POST)
    if form.is_valid():
        try:
            actions.pause_record(actor=request.user, household=household, today=today, request=request,
                                 **form.cleaned_data)
            messages.success(request, _("已登记暂停走访。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, _("请完整填写暂停的类别、开始日期和情况说明。"))
    return redirect("visits:household", household.pk)


@login_required
@require_POST
def pause_close(request: HttpRequest, pk: int) -> HttpResponse:
    pause = get_object_for_user(request.user, Pause.objects.select_related("household"), pk=pk)
    form = PauseEndForm(request.POST)
    if form.is_valid():
        try:
            actions.pause_end(actor=request.user, pause=pause, ends_on=form.cleaned_data["ends_on"],
                              today=timezone.localdate(), request=request)
            messages.success(request, _("暂停已结束，恢复走访计划。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    return redirect("visits:household", pause.household_id)


@login_required
@require_GET
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit photo, only through the household's scope (never a bare /media/ link)."""
    photo = get_object_for_user(request.user, VisitPhoto.objects.select_related("visit"), pk=pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=photo, request=request,
                 details={"file": "photo", "visit": photo.visit_id, "household": photo.visit.household_id})
    return upload_response(photo.image)


# --- findings and inbox ----------------------------------------------------------------------


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = queries.get_finding_for_user(request.user, pk)
    form = FindingTransitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.finding_transition(actor=request.user, finding=finding, to_status=form.cleaned_data["to_status"],
                                       note=form.cleaned_data["note"], today=timezone.localdate(), request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("问题状态已更新。"))
            return redirect("visits:finding", finding.pk)
    if request.method == "GET":
        audit_record(actor=request.user, action=AuditAction.VIEW, obj=finding, request=request)
    return render(request, "visits/finding.html", {
        "finding": finding, "form": form, "events": finding.events.select_related("actor"),
    })


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        actions.notifications_mark_read(user=request.user)
        return redirect("visits:inbox")
    page = Paginator(queries.inbox(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "visits/inbox.html", {"page": page})


# --- township and county -----------------------------------------------------------------------


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    _require_official(request)
    today = timezone.localdate()
    areas = visible_areas(request.user).filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP]).order_by("code")
    return render(request, "visits/desk.html", {
        "desk": queries.township_desk(request.user, today), "today": today, "areas": areas[:50],
        "ledger_form": AreaMonthForm(areas=areas, initial={"month": today.strftime("%Y-%m")}),
    })


def _area_param(request: HttpRequest) -> Area | None:
    code = request.GET.get("area") or ""
    if not code:
        return None
    return get_object_for_user(request.user, Area, code=code)


@login_required
@require_GET
def overdue_report(request: HttpRequest) -> HttpResponse:
    _require_official(request)
    try:
        on = dt.date.fromisoformat(request.GET.get("date") or timezone.localdate().isoformat())
    except ValueError as exc:
        raise Http404 from exc
    area = _area_param(request)
    households = scope_queryset(request.user, queries.households_in_area(area))
    buf = io.StringIO()
    count = exports.overdue_report_csv(households, on, buf)
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="visits.overdue_report",
                 object_repr=f"逾期未走访清单 {on}", request=request,
                 details={"date": on.isoformat(), "area": area.code if area else "", "rows": count})
    response = HttpResponse(buf.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    name = f"overdue-{area.code if area else 'all'}-{on:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def visit_ledger(request: HttpRequest) -> HttpResponse:
    _require_official(request)
    _area_param(request)  # an area outside the user's scope is 404, as for the overdue report
    areas = visible_areas(request.user)
    form = AreaMonthForm(request.GET, areas=areas)
    if not form.is_valid():
        messages.error(request, _("请选择区划和月份。"))
        return redirect("visits:desk")
    area, month = form.cleaned_data["area"], form.cleaned_data["month"]
    visits = queries.ledger_visits(request.user, area, month)
    content = exports.visit_ledger_xlsx(visits, f"{area.name} 探视走访工作台账 {month:%Y年%m月}")
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="visits.visit_ledger",
                 object_repr=f"探视走访工作台账 {area.name} {month:%Y-%m}", request=request,
                 details={"area": area.code, "month": month.strftime("%Y-%m")})
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="visit-ledger-{area.code}-{month:%Y%m}.xlsx"'
    return response


IMPORT_DIR = Path(settings.MEDIA_ROOT) / "tmp" / "visit-imports"


@login_required
def visit_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry-run preview → confirm. The file waits under MEDIA_ROOT between the steps."""
    _require_official(request, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
    today = timezone.localdate()
    form = ImportForm(request.POST or None, request.FILES or None)
    result = token = name = None
    if request.method == "POST" and request.POST.get("token"):
        token, name = request.POST["token"], request.POST.get("name", "")
        try:
            path = IMPORT_DIR / f"{uuid.UUID(token)}{Path(name).suffix.lower()}"
        except ValueError:
            path = None
        if path is None or not path.exists():
            messages.error(request, _("文件已过期，请重新上传。"))
            return redirect("visits:import")
        result = imports.visits_import(actor=request.user, name=name, content=path.read_bytes(), dry_run=False,
                                       today=today)
        if result.ok:
            path.unlink(missing_ok=True)
            messages.success(request, _("已导入 %(n)s 条走访记录。") % {"n": result.created})
            return redirect("visits:import")
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = upload.name
        content = upload.read()
        result = imports.visits_import(actor=request.user, name=name, content=content, dry_run=True, today=today)
        if result.ok:
            IMPORT_DIR.mkdir(parents=True, exist_ok=True)
            token = str(uuid.uuid4())
            (IMPORT_DIR / f"{token}{Path(name).suffix.lower()}").write_bytes(content)
    return render(request, "visits/import.html", {"form": form, "result": result, "token": token, "name": name,
                                                  "headers": imports.HEADERS})


@login_required
def policy(request: HttpRequest) -> HttpResponse:
    _require_official(request, Role.COUNTY, Role.PREFECTURE)
    form = PolicyForm(request.POST or None)
    if request.method == "POST":
        if not (request.user.is_superuser or has_role(request.user, Role.PREFECTURE)):
            raise PermissionDenied
        if form.is_valid():
            try:
                actions.policy_set(actor=request.user, today=timezone.localdate(), request=request, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("走访频次已设置，相关家庭的应访日期已重新计算。"))
                return redirect("visits:policy")
    overrides = scope_queryset(request.user, VisitPolicy.objects.select_related("county", "set_by"))
    return render(request, "visits/policy.html", {
        "form": form, "overrides": overrides[:200], "defaults": sorted(actions.rules.DEFAULT_POLICY.items()),
        "can_set": request.user.is_superuser or has_role(request.user, Role.PREFECTURE),
    })


@login_required
def special_periods(request: HttpRequest) -> HttpResponse:
    _require_official(request, Role.COUNTY, Role.PREFECTURE)
    areas = visible_areas(request.user).exclude(level=AreaLevel.VILLAGE).order_by("code")
    form = SpecialPeriodForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            actions.special_period_declare(actor=request.user, today=timezone.localdate(), request=request,
                                           **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("特殊时期已登记，期间的电话、视频走访计入有效走访。"))
            return redirect("visits:special_periods")
    periods = scope_queryset(request.user, SpecialPeriod.objects.select_related("area", "declared_by"))
    return render(request, "visits/special_periods.html", {"form": form, "periods": periods[:200]})


def household_tab_context(request: HttpRequest, household) -> dict:
    """The 走访 tab of the roster's household page: schedule, last visits, open findings."""
    today = timezone.localdate()
    return {
        "schedule": queries.schedules(type(household).objects.filter(pk=household.pk), today).get(household.pk),
        "recent": list(queries.timeline(household)[:5]),
        "open_findings": list(queries.open_findings_for_household(household)),
        "household": household,
    }
