"""Assessment pages: score sheets (with the figures behind each score), prefecture settings,
county sign-off, xlsx."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import Area, AuditAction, Role
from accounts.scoping import get_object_for_user, has_role, scope_queryset
from campaigns import queries as campaign_queries

from . import actions, assessment, exports, forms
from .models import AssessmentKind, AssessmentSetting, AssessmentSignoff

ROLES = (Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)


def _params(request: HttpRequest) -> tuple[Area, int, str]:
    if not (request.user.is_superuser or has_role(request.user, *ROLES)):
        raise Http404
    today = timezone.localdate()
    counties = scope_queryset(request.user, Area.objects.filter(level="county")).order_by("code")
    code = request.GET.get("county") or request.POST.get("county") or ""
    county = get_object_for_user(request.user, counties, code=code) if code else counties.first()
    if county is None:
        raise Http404
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today.year)
    except ValueError:
        year = today.year
    kind = request.GET.get("kind") or request.POST.get("kind") or AssessmentKind.TOWNSHIP
    if kind not in AssessmentKind.values:
        kind = AssessmentKind.TOWNSHIP
    return county, year, kind


@login_required
def assessment_sheet(request: HttpRequest) -> HttpResponse:
    county, year, kind = _params(request)
    today = timezone.localdate()
    setting = assessment.setting_for(year)
    signoff = AssessmentSignoff.objects.filter(county=county, year=year, kind=kind).select_related(
        "signed_by", "setting").first()
    form = forms.SignoffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.assessment_sign_off(actor=request.user, county=county, year=year, kind=kind,
                                        opinion=form.cleaned_data["opinion"], today=today, request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("考核结果已审核签发。"))
            return redirect(f"{request.path}?county={county.code}&year={year}&kind={kind}")
    sheet = assessment.score_sheet(county, year, kind, setting, today)
    keys = list(assessment.INDICATORS) if kind == "township" else list(assessment.CADRE_INDICATORS)
    counties = scope_queryset(request.user, Area.objects.filter(level="county")).order_by("code")
    weights = setting.weights if setting else assessment.DEFAULT_WEIGHTS
    return render(request, "oversight/assessment_sheet.html", {
        "county": county, "year": year, "kind": kind, "kinds": AssessmentKind.choices, "setting": setting,
        "signoff": signoff, "form": form, "sheet": sheet, "keys": keys, "counties": counties,
        "labels": {k: assessment.INDICATORS[k] for k in keys}, "weights": weights,
        "years": list(range(today.year, today.year - 4, -1)),
        "can_sign": signoff is None and (request.user.is_superuser or has_role(request.user, Role.COUNTY)),
        "as_of": assessment.as_of(year, today),
        # 为什么 of one row's score (?why=<township code or cadre id>): its steps, the rule.
        "why": next((r for r in sheet if r.key == request.GET.get("why")), None),
        "excellent": setting.excellent if setting else assessment.DEFAULT_EXCELLENT,
        "passing": setting.passing if setting else assessment.DEFAULT_PASSING,
        "campaign_figures": campaign_queries.township_figures(county, year, assessment.as_of(year, today))
        if kind == "township" else [],
    })


@login_required
def assessment_xlsx(request: HttpRequest) -> HttpResponse:
    county, year, kind = _params(request)
    today = timezone.localdate()
    setting = assessment.setting_for(year)
    signoff = AssessmentSignoff.objects.filter(county=county, year=year, kind=kind).first()
    sheet = assessment.score_sheet(county, year, kind, setting, today)
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="oversight.assessment",
                 object_repr=f"{county.name} {year} {kind}", request=request,
                 details={"county": county.code, "year": year, "kind": kind})
    response = HttpResponse(exports.assessment_xlsx(county, year, kind, sheet, setting, signoff),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="assessment-{county.code}-{year}-{kind}.xlsx"'
    return response


@login_required
def assessment_settings(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_superuser or has_role(request.user, *ROLES)):
        raise Http404
    today = timezone.localdate()
    current = assessment.setting_for(today.year)
    initial = {"year": today.year, "excellent": current.excellent if current else assessment.DEFAULT_EXCELLENT,
               "passing": current.passing if current else assessment.DEFAULT_PASSING}
    weights = current.weights if current else assessment.DEFAULT_WEIGHTS
    initial |= {f"w_{k}": weights.get(k, 0) for k in assessment.INDICATORS}
    form = forms.AssessmentSettingForm(request.POST or None, initial=initial)
    can_set = request.user.is_superuser or has_role(request.user, Role.PREFECTURE)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.assessment_set(actor=request.user, year=d["year"], weights=form.weights(), excellent=d["excellent"],
                                   passing=d["passing"], reason=d["reason"], request=request)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("考核指标设置已保存。"))
            return redirect("oversight:assessment_settings")
    history = AssessmentSetting.objects.select_related("set_by").order_by("-set_at", "-id")[:30]
    return render(request, "oversight/assessment_settings.html", {
        "form": form, "history": history, "can_set": can_set, "labels": assessment.INDICATORS,
    })
