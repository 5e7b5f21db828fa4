"""Thin HTTP layer of visits: fetch in scope (404 outside), call one action, redirect."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as default_csrf_failure
from django.views.decorators.http import require_GET, require_POST

from accounts import sheets
from accounts.actions import audit_record
from accounts.files import upload_response
from accounts.models import AREA_ROLES, Area, AreaLevel, AuditAction, Role
from accounts.permissions import apply_form_errors
from accounts.repeat import already_done
from accounts.scoping import get_object_for_user, has_role, scope_queryset, visible_areas
from campaigns import queries as campaign_queries
from campaigns import visit as campaign_visit
from config.replica import on_replica, streamed

from . import actions, checklist, exports, imports, panels, queries, row_html
from .forms import (
    AreaMonthForm,
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
    # The rows link to /visits/households/<pk>/record/: the stem is reversed once, not per row.
    household_base = reverse("visits:record", args=[0]).removesuffix("0/record/")
    # Households a running campaign still waits to hear about (answered in the visit form).
    campaign_todo = campaign_queries.unassessed_households(request.user, today)
    return render(request, "visits/my_households.html", {
        "rows": rows, "today": today, "campaign_todo": campaign_todo,
        "rows_html": row_html.cadre_rows(rows, household_base=household_base, campaign_todo=campaign_todo),
        "panels": panels.panels_for(panels.CADRE_LIST, request, today)})


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
        # Capture time and position are for spot checks by township and up, never for cadres.
        "show_capture": request.user.is_superuser or has_role(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE),
    })


@login_required
def why_due(request: HttpRequest, pk: int) -> HttpResponse:
    """为什么: the household's due date — the last counted visit or clock start, the tier and the
    policy interval it held, tier changes, pauses — and the rule that combines them."""
    today = timezone.localdate()
    household = queries.get_household_for_user(request.user, pk)
    return render(request, "visits/why_due.html", {"household": household, "why": queries.due_why(household, today),
                                                   "today": today})


def wants_json(request: HttpRequest) -> bool:
    """The browser outbox (fetch) asks for JSON; a plain form post gets HTML."""
    return "application/json" in request.headers.get("Accept", "")


def login_required_json(view):
    """login_required, but a JSON request with no (or an expired) session gets 401 JSON — never
    a redirect to the login page, which an outbox would take for success."""
    html_view = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if wants_json(request) and not request.user.is_authenticated:
            return JsonResponse({"ok": False, "login_required": True}, status=401)
        return html_view(request, *args, **kwargs)

    return wrapper


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: JSON for the outbox (it fetches a fresh token and retries),
    Django's page otherwise."""
    if wants_json(request):
        return JsonResponse({"ok": False, "csrf": True}, status=403)
    return default_csrf_failure(request, reason=reason)


def _saved_message(household, recorded: actions.Recorded) -> str:
    visit = recorded.visit
    name = household.head_name or household.code
    if not recorded.created:
        return _("%(name)s 的这次走访此前已保存，未重复记录。") % {"name": name}
    parts = [_("%(name)s 的走访记录已保存（%(date)s）。") % {"name": name, "date": visit.visited_on.isoformat()}]
    if visit.counted:
        parts.append(_("计入有效走访。"))
    else:
        parts.append(_("%(mode)s走访不在特殊时期，已记录但不计入有效走访。") % {"mode": visit.get_mode_display()})
    opened = visit.findings.count()
    if opened:
        parts.append(_("已登记 %(n)s 个待办问题，将跟踪至办结。") % {"n": opened})
    if visit.conflict:
        parts.append(_("注意：%(what)s，已报乡镇核实。") % {"what": visit.get_conflict_display()})
    if recorded.photos_lost:
        parts.append(_("照片未能保存：服务器存储空间不足。走访记录已保存（不含照片），请保留手机里的照片并告知管理员。"))
    return "".join(parts)


def _form_errors(form) -> dict:
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


@login_required_json
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The cadre's visit form, and the one URL both the form and the browser outbox post to
    (contract: docs/visits.md). JSON in and out when the request accepts JSON."""
    today = timezone.localdate()
    as_json = wants_json(request)
    try:
        household = queries.get_household_for_user(request.user, pk)
    except Http404:
        # Re-paired while the cadre was offline: a visit from the former cadre is still taken
        # (the action checks they were paired on the visit date) and flagged to the township.
        household = queries.household_formerly_paired(request.user, pk, today) if request.method == "POST" else None
        if household is None:
            if as_json:
                return JsonResponse({"ok": False, "not_found": True}, status=404)
            raise
    form = VisitForm(request.POST or None, request.FILES or None, today=today)
    campaign_questions = campaign_visit.questions_for(household, today, request.POST or None)
    if request.method == "POST" and form.is_valid() and campaign_visit.check(form, campaign_questions):
        d = form.cleaned_data
        findings = [actions.FindingInput(kind=name, description=d[name]) for name in VisitForm.FINDING_FIELDS
                    if d[name].strip()]
        data = actions.VisitInput(
            visited_on=d["visited_on"], mode=d["mode"], met_with=d["met_with"], wishes=d["wishes"],
            wishes_not_asked=d["wishes_not_asked"], hazards_fixed=d["hazards_fixed"], notes=d["notes"],
            late_reason=d["late_reason"], checklist={k: d[k] for k in VisitForm.CHECKLIST},
            captured_at=d["captured_at"], geo_status=d["geo_status"], geo_lat=d["geo_lat"], geo_lng=d["geo_lng"],
            geo_accuracy_m=d["geo_accuracy_m"],
        )
        try:
            recorded = actions.visit_capture(actor=request.user, household=household, data=data, findings=findings,
                                             photos=d["photos"], client_token=d["client_token"], today=today,
                                             request=request, campaign_answers=campaign_visit.answers(campaign_questions))
        except PermissionDenied:
            if as_json:
                return JsonResponse({"ok": False, "not_found": True}, status=404)
            raise Http404 from None
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            message = _saved_message(household, recorded)
            token = str(d["client_token"]) if d["client_token"] else ""
            if as_json:
                return JsonResponse({
                    "ok": True, "created": recorded.created, "visit_id": recorded.visit.pk,
                    "household_id": household.pk, "household_name": household.head_name or household.code,
                    "client_token": token, "counted": recorded.visit.counted, "message": message,
                    **({"photos_lost": True} if recorded.photos_lost else {}),
                }, status=201 if recorded.created else 200)
            ok = (recorded.visit.counted or not recorded.created) and not recorded.photos_lost
            (messages.success if ok else messages.warning)(request, message)
            target = reverse("visits:mine") if has_role(request.user, Role.CADRE) else reverse(
                "visits:household", args=[household.pk])
            return redirect(f"{target}?{urlencode({'saved': token})}" if token else target)
    if request.method == "POST" and as_json:
        return JsonResponse({"ok": False, "errors": _form_errors(form)}, status=400)
    last = household.visits.order_by("-visited_on", "-id").first()
    return render(request, "visits/visit_form.html", {
        "household": household, "form": form, "last": last,
        "findings": queries.open_findings_for_household(household),
        "remote_counts": queries.special_period_covers(household.village_id, today),
        "sections": checklist.SECTIONS, "campaign_questions": campaign_questions,
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
    if pause.ends_on is not None:  # a second press of 结束暂停: the household's page
        return already_done(request, "visits:household", pause.household_id,
                            detail=_("暂停已于 %(d)s 结束。") % {"d": pause.ends_on.isoformat()})
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
    return upload_response(photo.image, f"visit-{photo.visit_id}-photo-{photo.pk}")


# --- findings and inbox ----------------------------------------------------------------------


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from .finding_views import finding_page

    return finding_page(request, pk)


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
    from .desk_views import desk as desk_page

    return desk_page(request)


def _area_param(request: HttpRequest) -> Area | None:
    code = request.GET.get("area") or ""
    if not code:
        return None
    return get_object_for_user(request.user, Area, code=code)


@login_required
@require_GET
@on_replica
def overdue_report(request: HttpRequest) -> HttpResponse:
    _require_official(request)
    try:
        on = dt.date.fromisoformat(request.GET.get("date") or timezone.localdate().isoformat())
    except ValueError as exc:
        raise Http404 from exc
    area = _area_param(request)
    households = scope_queryset(request.user, queries.households_in_area(area))
    count, stream = exports.overdue_report_stream(households, on)
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="visits.overdue_report",
                 object_repr=f"逾期未走访清单 {on}", request=request,
                 details={"date": on.isoformat(), "area": area.code if area else "", "rows": count})
    # The rows are read as the response goes out, after this view returned: on the replica too.
    response = StreamingHttpResponse(streamed(stream), content_type="text/csv; charset=utf-8")
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
    from imports import exports as export_jobs

    area, month = form.cleaned_data["area"], form.cleaned_data["month"]
    visits = queries.ledger_visits(request.user, area, month)
    details = {"area": area.code, "month": month.strftime("%Y-%m")}
    job = None
    if visits.count() > export_jobs.INLINE_ROWS["xlsx"]:  # a county's or the prefecture's month: a job (issue 25)
        job = export_jobs.start(kind="visit_ledger", title="探视走访工作台账", user=request.user, fmt="xlsx",
                                filename=f"visit-ledger-{area.code}-{month:%Y%m}.xlsx", params=details)
        details = {**details, "job": str(job.pk)}
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="visits.visit_ledger",
                 object_repr=f"探视走访工作台账 {area.name} {month:%Y-%m}", request=request, details=details)
    if job is not None:
        return redirect("imports:export", job.pk)
    content = exports.visit_ledger_file(visits, exports.ledger_title(area, month))
    response = FileResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="visit-ledger-{area.code}-{month:%Y%m}.xlsx"'
    return response


@login_required
def visit_import(request: HttpRequest) -> HttpResponse:
    """Upload → an import job (imports.jobs): checked at once for a small file, by a task for a
    large one; its page shows the preview (with rows already stored, skipped) or every error."""
    _require_official(request, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        from imports import jobs

        upload = form.cleaned_data["file"]
        job = jobs.start(kind="visits", user=request.user, filename=upload.name, content=upload.read())
        return redirect("imports:job", job.pk)
    return render(request, "visits/import.html", {"form": form, "headers": imports.HEADERS})


@login_required
@require_GET
def visit_import_template(request: HttpRequest) -> HttpResponse:
    _require_official(request, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
    return sheets.file_response(imports.template_xlsx(), f"{imports.TEMPLATE_TITLE}.xlsx", "xlsx")


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
