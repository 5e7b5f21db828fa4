"""Pages of the §4 lists' outcomes: one page with a tab per list, exports for 住建 and 医保."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.actions import audit_record
from accounts.models import AuditAction, Role
from accounts.permissions import apply_form_errors
from accounts.scoping import get_object_for_user, has_role, scope_queryset
from beneficiaries.display import household_text
from beneficiaries.models import Household, HouseholdStatus
from services import queries as service_queries
from services.models import ServiceProvider
from visits.models import Visit

from . import exports, forms, outcomes
from .models import AidKind, HousingCase, HousingSource

TABS = {
    "housing": gettext_lazy("危房改造"),
    "medical": gettext_lazy("医疗救助"),
    "employment": gettext_lazy("就业帮扶"),
    "legal": gettext_lazy("法律援助"),
    "rehab": gettext_lazy("康复救助"),
    "social": gettext_lazy("五社联动"),
}
TAB_KINDS = {
    "medical": [AidKind.MEDICAL],
    "employment": [AidKind.EMPLOYMENT_SERVICE, AidKind.EMPLOYMENT_SUBSIDY, AidKind.WELFARE_POST],
    "legal": [AidKind.LEGAL_AID],
    "rehab": [AidKind.REHABILITATION],
}
OFFICIALS = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)




def _people_for(request: HttpRequest, tab: str):
    today = timezone.localdate()
    if tab == "legal":
        return outcomes.legal_aid_eligible(request.user)
    if tab == "rehab":
        return outcomes.rehabilitation_eligible(request.user)
    if tab == "employment":
        return service_queries.unemployed_able(request.user, today=today).select_related("household__village")
    return outcomes._active_people(request.user).select_related("household__village").order_by(
        "household__village_id", "household__code", "id")


@login_required
@require_http_methods(["GET", "POST"])
def outcome_lists(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_superuser or has_role(request.user, *OFFICIALS)):
        raise Http404
    tab = request.GET.get("tab", "housing")
    if tab not in TABS:
        tab = "housing"
    today = timezone.localdate()
    manager = outcomes.is_manager(request.user)
    ctx: dict = {"tab": tab, "tabs": TABS, "manager": manager}
    form = None
    if tab == "housing":
        if request.method == "POST":
            if not manager:
                raise PermissionDenied
            household = get_object_for_user(request.user, Household.objects.filter(status=HouseholdStatus.ACTIVE),
                                            pk=request.POST.get("household"))
            visit = Visit.objects.filter(pk=request.POST.get("visit"), household=household).first()
            try:
                outcomes.housing_report(household=household, source=HousingSource.VISIT if visit else HousingSource.SURVEY,
                                        visit=visit, actor=request.user, request=request)
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                messages.success(request, _("已纳入危房台账：%(code)s") % {"code": household_text(household)})
            return redirect(f"{reverse('assistance:outcomes')}?tab=housing")
        ctx["candidates"] = outcomes.housing_candidates(request.user).annotate(
            head_name=outcomes.head_name_subquery())[:200]
        ctx["page"] = Paginator(outcomes.housing_cases(request.user).annotate(
            head_name=outcomes.head_name_subquery("household_id")), 50).get_page(request.GET.get("page"))
    elif tab == "social":
        households = scope_queryset(request.user, Household.objects.filter(status=HouseholdStatus.ACTIVE)
                                    ).select_related("village").annotate(
                                        head_name=outcomes.head_name_subquery()).order_by("village_id", "code")
        form = forms.ContributionForm(request.POST or None, households=households,
                                      providers=scope_queryset(request.user, ServiceProvider.objects.all()))
        if request.method == "POST":
            if not manager:
                raise PermissionDenied
            if form.is_valid():
                try:
                    outcomes.contribution_record(actor=request.user, today=today, request=request, **form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    apply_form_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
                else:
                    messages.success(request, _("五社联动记录已登记。"))
                    return redirect(f"{reverse('assistance:outcomes')}?tab=social")
        ctx["page"] = Paginator(outcomes.contributions(request.user).annotate(
            head_name=outcomes.head_name_subquery("household_id")), 50).get_page(request.GET.get("page"))
    else:
        kinds = TAB_KINDS[tab]
        people = _people_for(request, tab)
        form = forms.AidForm(request.POST or None, people=people, kinds=kinds)
        if request.method == "POST":
            if not manager:
                raise PermissionDenied
            if form.is_valid():
                try:
                    outcomes.aid_record(actor=request.user, today=today, request=request, **form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    apply_form_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
                else:
                    messages.success(request, _("帮扶成效已登记。"))
                    return redirect(f"{reverse('assistance:outcomes')}?tab={tab}")
        if tab in ("legal", "rehab"):
            ctx["eligible"] = Paginator(people, 50).get_page(request.GET.get("epage"))
        elif tab == "medical":
            ctx["eligible"] = Paginator(outcomes.medical_aid_list(request.user), 50).get_page(request.GET.get("epage"))
        elif tab == "employment":
            ctx["eligible"] = Paginator(people, 50).get_page(request.GET.get("epage"))
        ctx["page"] = Paginator(outcomes.aid_records(request.user).filter(kind__in=kinds), 50).get_page(
            request.GET.get("page"))
    ctx["form"] = form
    return render(request, "assistance/outcomes.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def housing_case(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_for_user(request.user, HousingCase.objects.select_related("household__village", "visit"), pk=pk)
    form = forms.HousingUpdateForm(request.POST or None, initial={
        "grade": case.grade, "appraised_on": case.appraised_on, "status": case.status,
        "renovation_year": case.renovation_year, "note": case.note})
    if request.method == "POST":
        if not outcomes.is_manager(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                outcomes.housing_update(case=case, actor=request.user, request=request, **form.cleaned_data)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("危房台账已更新。"))
                return redirect(f"{reverse('assistance:outcomes')}?tab=housing")
    return render(request, "assistance/housing_case.html", {"case": case, "form": form})


@login_required
def outcome_export(request: HttpRequest, which: str) -> HttpResponse:
    if not (request.user.is_superuser or has_role(request.user, *OFFICIALS)):
        raise Http404
    if which == "housing":
        rows = list(outcomes.housing_cases(request.user).annotate(head_name=outcomes.head_name_subquery("household_id")))
        content, name = exports.housing_xlsx(rows), "dilapidated-housing.xlsx"
    elif which == "medical":
        rows = list(outcomes.medical_aid_list(request.user))
        content, name = exports.medical_aid_xlsx(rows), "medical-aid.xlsx"
    else:
        raise Http404
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type=f"assistance.{which}",
                 object_repr=str(TABS[which]), request=request, details={"report": which, "rows": len(rows)})
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
