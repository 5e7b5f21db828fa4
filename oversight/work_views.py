"""Pages of visit spot checks, supervision inspections and the problems they find."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actions import audit_record
from accounts.models import Area, AuditAction, Role, RoleAssignment, User
from accounts.repeat import already_done
from accounts.scoping import area_prefixes, get_object_for_user, has_role, prefix_q, scope_queryset

from . import actions, exports, forms, inspections, spotchecks
from .models import (
    CheckOutcome,
    Inspection,
    InspectionHousehold,
    InspectionStatus,
    OversightProblem,
    ProblemStatus,
    SpotCheckDraw,
    SpotCheckItem,
)

OFFICIALS = (Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)


def _officials_only(request: HttpRequest, roles=OFFICIALS) -> None:
    if not (request.user.is_superuser or has_role(request.user, *roles)):
        raise Http404


def _fail(request: HttpRequest, exc: PermissionDenied) -> None:
    messages.error(request, str(exc) or _("无权进行该操作。"))


# --- spot checks --------------------------------------------------------------------------------


def _draw_areas(user: User):
    """Townships and counties where the user may draw a spot-check sample."""
    levels = ["township", "county"]
    if user.is_superuser:
        return Area.objects.filter(level__in=levels).order_by("code")
    q = prefix_q("code", area_prefixes(user, (Role.TOWNSHIP, Role.COUNTY)))
    return Area.objects.filter(q, level__in=levels).order_by("code") if q is not None else Area.objects.none()


@login_required
def spotcheck_list(request: HttpRequest) -> HttpResponse:
    _officials_only(request)
    areas = _draw_areas(request.user)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1))
    form = forms.DrawForm(request.POST or None, areas=areas,
                          initial={"area": areas.first(), "month": f"{last_month:%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        try:
            draw = actions.spot_check_draw(
                actor=request.user, area=form.cleaned_data["area"], month=form.cleaned_data["month"],
                per_cadre=form.cleaned_data["per_cadre"], seed=form.cleaned_data["seed"],
                today=timezone.localdate(), request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已抽取 %(n)s 条走访，随机种子 %(seed)s。") % {"n": draw.items.count(), "seed": draw.seed})
            return redirect("oversight:spotcheck_detail", draw.pk)
    draws = spotchecks.draws_for_user(request.user)
    rates = spotchecks.confirmation_rates(scope_queryset(request.user, SpotCheckItem.objects.all()))
    return render(request, "oversight/spotcheck_list.html", {
        "form": form, "draws": draws[:100], "rates": rates, "can_draw": areas.exists(),
    })


@login_required
def spotcheck_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _officials_only(request)
    draw = get_object_for_user(request.user, SpotCheckDraw.objects.select_related("area", "drawn_by"), pk=pk)
    items = spotchecks.items_of(draw)
    return render(request, "oversight/spotcheck_detail.html", {
        "draw": draw, "items": items, "rates": spotchecks.confirmation_rates(draw.items.all()),
    })


@login_required
def spotcheck_item(request: HttpRequest, pk: int) -> HttpResponse:
    _officials_only(request)
    item = get_object_for_user(request.user, SpotCheckItem.objects.select_related(
        "draw", "draw__area", "visit", "visit__household", "visit__household__village", "cadre", "checked_by"), pk=pk)
    capture = spotchecks.capture_facts(item.visit)
    form = forms.SpotCheckForm(request.POST or None, has_capture=bool(capture),
                               initial={"checked_on": timezone.localdate()})
    if request.method == "POST" and item.outcome != CheckOutcome.PENDING:
        return already_done(request, "oversight:spotcheck_detail", item.draw_id)  # recorded already
    if request.method == "POST" and item.outcome == CheckOutcome.PENDING and form.is_valid():
        d = form.cleaned_data
        try:
            actions.spot_check_record(
                actor=request.user, item=item, method=d["method"], checked_on=d["checked_on"],
                date_confirmed=forms.yes_no(d["date_confirmed"]), person_confirmed=forms.yes_no(d["person_confirmed"]),
                checklist_plausible=forms.yes_no(d["checklist_plausible"]),
                location_plausible=forms.yes_no(d.get("location_plausible", "")) if capture else None,
                note=d["note"], today=timezone.localdate(), request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            item.refresh_from_db()
            if item.outcome == CheckOutcome.DISCREPANCY:
                messages.warning(request, _("回访发现不属实，已登记问题并限期整改。"))
            else:
                messages.success(request, _("已登记：走访属实。"))
            return redirect("oversight:spotcheck_detail", item.draw_id)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=item.visit, request=request,
                 details={"via": "spot_check", "item": item.pk})
    problem = OversightProblem.objects.filter(spot_check=item).first()
    return render(request, "oversight/spotcheck_item.html", {
        "item": item, "visit": item.visit, "form": form, "capture": capture, "problem": problem,
    })


# --- problems -------------------------------------------------------------------------------------


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    _officials_only(request)
    qs = scope_queryset(request.user, OversightProblem.objects.all()).select_related(
        "area", "household", "cadre", "owner", "inspection")
    status = request.GET.get("status", "open")
    if status in ProblemStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("serious"):
        qs = qs.filter(serious=True)
    if request.GET.get("area"):
        qs = qs.filter(area__code__startswith=request.GET["area"][:9].rstrip("0") or "-")
    if request.GET.get("cadre", "").isdigit():
        qs = qs.filter(cadre_id=int(request.GET["cadre"]))
    today = timezone.localdate()
    return render(request, "oversight/problem_list.html", {
        "problems": qs.order_by("status", "due_on", "id")[:300], "status": status, "today": today,
        "serious": bool(request.GET.get("serious")),
    })


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not (request.user.is_superuser or has_role(request.user, *OFFICIALS)):
        raise Http404
    problem = get_object_for_user(request.user, OversightProblem.objects.select_related(
        "area", "household", "visit", "cadre", "owner", "inspection", "spot_check", "created_by"), pk=pk)
    form = forms.FollowUpForm(request.POST or None)
    if request.method == "POST" and problem.status == ProblemStatus.CLOSED:
        # A second press of 整改完成 (or a colleague's a moment ago): the page of what was recorded.
        return already_done(request, "oversight:problem_detail", problem.pk)
    if request.method == "POST" and form.is_valid():
        try:
            actions.problem_follow_up(actor=request.user, problem=problem, note=form.cleaned_data["note"],
                                      closes=form.cleaned_data["closes"], today=timezone.localdate(), request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已记录整改情况。"))
            return redirect("oversight:problem_detail", problem.pk)
    return render(request, "oversight/problem_detail.html", {
        "problem": problem, "steps": problem.steps.select_related("actor"), "form": form,
        "today": timezone.localdate(),
    })


# --- inspections ----------------------------------------------------------------------------------


def _organiser_areas(user: User):
    if user.is_superuser:
        return Area.objects.filter(level__in=["prefecture", "county"])
    codes = [r.area_id for r in user.roles.filter(role__in=[Role.COUNTY, Role.PREFECTURE])]
    return Area.objects.filter(code__in=codes).order_by("code")


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    _officials_only(request, (Role.COUNTY, Role.PREFECTURE))
    qs = scope_queryset(request.user, Inspection.objects.all()).select_related("organiser").annotate(
        sampled=Count("samples", distinct=True),
        checked=Count("samples", filter=Q(samples__checked_at__isnull=False), distinct=True),
        open_problems=Count("problems", filter=Q(problems__status=ProblemStatus.OPEN), distinct=True),
    )
    return render(request, "oversight/inspection_list.html", {"inspections": qs[:100]})


@login_required
def inspection_new(request: HttpRequest) -> HttpResponse:
    _officials_only(request, (Role.COUNTY, Role.PREFECTURE))
    organiser = _organiser_areas(request.user).first()
    if organiser is None:
        raise Http404
    townships = Area.objects.filter(level="township", code__startswith=organiser.prefix).order_by("code")
    team = User.objects.filter(
        pk__in=RoleAssignment.objects.filter(area__code__startswith=organiser.prefix,
                                             role__in=[Role.COUNTY, Role.PREFECTURE, Role.TOWNSHIP]).values("user_id"),
        is_active=True).order_by("username")
    today = timezone.localdate()
    form = forms.InspectionPlanForm(request.POST or None, townships=townships, team=team, initial={
        "year": today.year, "half": 1 if today.month <= 6 else 2, "starts_on": today,
        "title": _("%(year)s年%(half)s关爱帮扶督导检查") % {"year": today.year,
                                                        "half": _("上半年") if today.month <= 6 else _("下半年")},
    })
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            inspection = actions.inspection_plan(
                actor=request.user, organiser=organiser, year=d["year"], half=d["half"], title=d["title"],
                townships=list(d["townships"]), team=list(d["team"]), team_note=d["team_note"],
                sample_size=d["sample_size"], starts_on=d["starts_on"], request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已制定检查计划。"))
            return redirect("oversight:inspection_detail", inspection.pk)
    return render(request, "oversight/inspection_new.html", {"form": form, "organiser": organiser})


def _inspection_for(request: HttpRequest, pk: int) -> Inspection:
    _officials_only(request, (Role.COUNTY, Role.PREFECTURE))
    return get_object_for_user(request.user, Inspection.objects.select_related("organiser", "created_by"), pk=pk)


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    report = inspections.report(inspection, timezone.localdate())
    return render(request, "oversight/inspection_detail.html", {
        "inspection": inspection, "report": report, "complete_form": forms.CompleteForm(),
        "can_sample": inspection.status == InspectionStatus.PLANNED,
        "checking": inspection.status == InspectionStatus.SAMPLED,
    })


@login_required
@require_POST
def inspection_draw(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    raw = request.POST.get("seed", "").strip()
    try:
        seed = int(raw) if raw else None
        if seed is not None and seed <= 0:
            raise ValueError
    except ValueError:
        messages.error(request, _("随机种子应为正整数。"))
        return redirect("oversight:inspection_detail", pk)
    try:
        inspection = actions.inspection_draw(actor=request.user, inspection=inspection, seed=seed, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("已随机抽取检查家庭，随机种子 %(seed)s。") % {"seed": inspection.seed})
    return redirect("oversight:inspection_detail", pk)


@login_required
def inspection_sample(request: HttpRequest, pk: int) -> HttpResponse:
    _officials_only(request, (Role.COUNTY, Role.PREFECTURE))
    sample = get_object_for_user(request.user, InspectionHousehold.objects.select_related(
        "inspection", "township", "household", "household__village"), pk=pk)
    facts = inspections.household_facts(sample.household, timezone.localdate())
    def as_choice(v):
        return "" if v is None else ("yes" if v else "no")

    initial = {k: as_choice(getattr(sample, k)) for k in InspectionHousehold.CHECKS} | {"note": sample.note}
    if not sample.checked:
        initial = {k: as_choice(v) for k, v in facts["suggested"].items()}
    form = forms.InspectionCheckForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.inspection_check(actor=request.user, sample=sample,
                                     answers={k: forms.yes_no(d.get(k, "")) for k in InspectionHousehold.CHECKS},
                                     note=d["note"], request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存检查表。"))
            return redirect("oversight:inspection_detail", sample.inspection_id)
    return render(request, "oversight/inspection_sample.html", {"sample": sample, "form": form, "facts": facts})


@login_required
def inspection_problem_new(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    sample = None
    if request.GET.get("sample", "").isdigit() or request.POST.get("sample", "").isdigit():
        sample = inspection.samples.filter(pk=int(request.GET.get("sample") or request.POST.get("sample"))).first()
    townships = inspection.townships.order_by("code")
    owners = User.objects.filter(is_active=True, pk__in=RoleAssignment.objects.filter(
        area__code__startswith=inspection.organiser.prefix, role__in=[Role.TOWNSHIP, Role.COUNTY]).values("user_id"))
    today = timezone.localdate()
    form = forms.ProblemForm(request.POST or None, townships=townships, owners=owners, initial={
        "township": sample.township_id if sample else None, "due_on": today + dt.timedelta(days=30),
    })
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.inspection_problem(actor=request.user, inspection=inspection, township=d["township"],
                                       description=d["description"], owner=d["owner"], due_on=d["due_on"],
                                       serious=d["serious"], today=today, sample=sample, request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记问题，并明确整改责任人和期限。"))
            return redirect("oversight:inspection_detail", inspection.pk)
    return render(request, "oversight/inspection_problem.html", {"inspection": inspection, "form": form,
                                                                 "sample": sample})


@login_required
@require_POST
def inspection_complete(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    form = forms.CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写检查总结。"))
        return redirect("oversight:inspection_detail", pk)
    try:
        actions.inspection_complete(actor=request.user, inspection=inspection, summary=form.cleaned_data["summary"],
                                    request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("检查已完成，问题继续跟踪整改至完成。"))
    return redirect("oversight:inspection_detail", pk)


@login_required
def inspection_report(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    report = inspections.report(inspection, timezone.localdate())
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=inspection, request=request,
                 details={"report": "print"})
    return render(request, "oversight/inspection_report.html", {"inspection": inspection, "report": report,
                                                                "today": timezone.localdate()})


@login_required
def inspection_report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    report = inspections.report(inspection, timezone.localdate())
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=inspection, request=request,
                 details={"report": "xlsx"})
    response = HttpResponse(exports.inspection_xlsx(inspection, report),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="inspection-{inspection.pk}.xlsx"'
    return response
