"""Thin HTTP layer of the services app: fetch in scope (404 outside), call one action, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actions import audit_record
from accounts.models import AREA_ROLES, Area, AreaLevel, AuditAction, Role
from accounts.permissions import apply_form_errors
from accounts.repeat import already_done, moved_on
from accounts.scoping import get_object_for_user, has_role, scope_queryset, user_roles
from beneficiaries.idnumber import mask
from beneficiaries.models import Household
from beneficiaries.queries import get_household_for_user
from visits.models import Finding

from . import actions, exports, queries, rules
from .finding_link import REFERABLE_KINDS, suggested_field_code
from .forms import (
    CaseConferenceForm,
    FieldSettingForm,
    MatchForm,
    NoteForm,
    OneCaseDecisionForm,
    ProviderForm,
    ReferralFilterForm,
    ReferralForm,
    TransitionForm,
)
from .models import Field, Referral, ReferralStatus, ServiceProvider

_apply_errors = apply_form_errors  # the one form-error helper (accounts/permissions.py)


def _filters(request: HttpRequest) -> tuple[ReferralFilterForm, queries.ReferralFilters]:
    data = request.GET.copy()
    data.setdefault("status", "open")
    form = ReferralFilterForm(data)
    # A liaison chooses among their own department(s), not all sixteen.
    own = [r.department_id for r in user_roles(request.user) if r.department_id]
    if own and not _is_official(request.user):
        form.fields["department"].queryset = form.fields["department"].queryset.filter(pk__in=own)
        if len(set(own)) == 1:  # one department: nothing to choose between, no 全部部门
            form.fields["department"].empty_label = None
    f = queries.ReferralFilters()
    if form.is_valid():
        cd = form.cleaned_data
        f = queries.ReferralFilters(status=cd["status"], department=cd["department"].pk if cd["department"] else None,
                                    field=cd["field"].pk if cd["field"] else None, escalated=cd["escalated"],
                                    overdue=cd["overdue"])
    if request.GET.get("area"):  # from the start page's figures; an area outside scope is 404
        f.area_prefix = get_object_for_user(request.user, Area, code=request.GET["area"]).prefix
    return form, f


def _is_official(user) -> bool:
    return user.is_superuser or has_role(user, *AREA_ROLES)


# --- inbox, referral page, export, counts ------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The department inbox (a liaison sees their department's referrals), by status, overdue
    first; officials see the referrals of their area."""
    now = timezone.now()
    form, f = _filters(request)
    page = Paginator(queries.referral_list(request.user, f, now=now), 50).get_page(request.GET.get("page"))
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type="services.referral",
                 object_repr=_("转介收件箱"), request=request, details={"page": page.number, "filters": request.GET})
    return render(request, "services/inbox.html", {"form": form, "page": page, "now": now})


# How far along a referral is: a move to a step it has already passed is a repeated submit.
_STEP = {ReferralStatus.SUBMITTED: 0, ReferralStatus.ACCEPTED: 1, ReferralStatus.IN_PROGRESS: 2,
         ReferralStatus.RESOLVED: 3, ReferralStatus.DECLINED: 3}


def _passed(current: str, posted: str) -> bool:
    return posted in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS) and _STEP[current] > _STEP[posted] \
        and current != ReferralStatus.DECLINED


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    now = timezone.now()
    referral = queries.get_referral_for_user(request.user, pk, now=now)
    can_handle = actions.can_handle(request.user, referral)
    transition_form = TransitionForm(referral=referral) if can_handle and referral.is_open else None
    note_form = NoteForm(auto_id="progress_%s") if can_handle and referral.is_open else None
    match_form = None
    providers = None
    if referral.is_open and (can_handle or actions.is_official_for(request.user, referral.household)):
        providers = queries.providers_for_village(referral.household.village_id)
        match_form = MatchForm(providers=providers)
    if request.method == "POST":
        which = request.POST.get("form")
        posted = request.POST.get("to_status", "")
        if which == "transition" and can_handle and posted in ReferralStatus.values and not rules.can_transition(
                referral.status, posted):
            # A second press of 受理/办结/不予受理 (or a stale page): the page of what was done.
            if posted == referral.status or _passed(referral.status, posted):
                return already_done(request, "services:referral", pk=referral.pk,
                                    detail=_("当前状态：%(s)s") % {"s": referral.get_status_display()})
            return moved_on(request, "services:referral", pk=referral.pk, state=referral.get_status_display())
        try:
            if which == "transition" and transition_form is not None:
                transition_form = TransitionForm(request.POST, referral=referral)
                if transition_form.is_valid():
                    actions.referral_transition(actor=request.user, referral=referral, now=now, request=request,
                                                to_status=transition_form.cleaned_data["to_status"],
                                                note=transition_form.cleaned_data["note"])
                    messages.success(request, _("已保存。"))
                    return redirect("services:referral", pk=referral.pk)
            elif which == "note" and note_form is not None:
                note_form = NoteForm(request.POST, auto_id="progress_%s")
                if note_form.is_valid():
                    actions.referral_note(actor=request.user, referral=referral, note=note_form.cleaned_data["note"],
                                          now=now, request=request)
                    messages.success(request, _("进展已记录。"))
                    return redirect("services:referral", pk=referral.pk)
            elif which == "match" and match_form is not None:
                match_form = MatchForm(request.POST, providers=providers)
                if match_form.is_valid():
                    actions.referral_match_provider(actor=request.user, referral=referral, now=now, request=request,
                                                    provider=match_form.cleaned_data["provider"])
                    messages.success(request, _("已对接服务资源。"))
                    return redirect("services:referral", pk=referral.pk)
            else:
                raise PermissionDenied
        except ValidationError as exc:
            target = {"transition": transition_form, "note": note_form, "match": match_form}[which]
            _apply_errors(target, exc)
    else:
        audit_record(actor=request.user, action=AuditAction.VIEW, obj=referral, request=request)
    can_open_household = scope_queryset(request.user, Household.objects.filter(pk=referral.household_id)).exists()
    return render(request, "services/referral.html", {
        "r": referral, "events": queries.referral_timeline(referral), "transition_form": transition_form,
        "moves": transition_form.moves() if transition_form is not None else {},
        "note_form": note_form, "match_form": match_form, "providers": providers,
        "can_open_household": can_open_household, "now": now,
        "subject_id_masked": mask(referral.subject_id_number) if referral.subject_id_number else "",
        # The handling department's liaison calls the contact; others see it as the phone policy says.
        "contact": queries.referral_contact_for(request.user, referral),
    })


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    _form, f = _filters(request)
    rows = queries.referral_list(request.user, f, now=now)
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="services.referral",
                 object_repr=_("转介台账导出"), request=request, details={"filters": request.GET, "rows": rows.count()})
    response = HttpResponse(exports.referrals_xlsx(rows, now=now),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="referrals-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@login_required
def counts(request: HttpRequest) -> HttpResponse:
    """Counts per department and field for the bureau (county and prefecture staff)."""
    if not (request.user.is_superuser or has_role(request.user, Role.COUNTY, Role.PREFECTURE)):
        raise Http404
    rows = queries.referral_counts(request.user, now=timezone.now())
    totals = {k: sum(r[k] for r in rows) for k in ("total", "submitted", "accepted", "in_progress", "resolved",
                                                   "declined", "overdue", "escalated", "urgent")}
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type="services.referral",
                 object_repr=_("转介统计"), request=request)
    can_escalate = request.user.is_superuser or has_role(request.user, Role.PREFECTURE)
    return render(request, "services/counts.html", {"rows": rows, "totals": totals, "can_escalate": can_escalate})


# --- household: referrals tab, new referral, urgent-case records --------------------------------


def household_tab_context(request: HttpRequest, household: Household) -> dict:
    """Context of the household page's 转介 tab (beneficiaries.tabs)."""
    now = timezone.now()
    referable = list(scope_queryset(request.user, Finding.objects.filter(
        household=household, kind__in=list(REFERABLE_KINDS), status__in=["open", "in_progress"],
    ).exclude(referrals__status__in=["submitted", "accepted", "in_progress"]))) if household.is_active else []
    return {
        "household": household,
        "referrals": list(queries.household_referrals(request.user, household, now=now)),
        "referable_findings": referable,
        "can_record": _is_official(request.user) and actions.is_official_for(request.user, household),
        **queries.household_urgent_records(request.user, household),
    }


@login_required
def household_referrals(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's referrals: a partial for htmx, a page of its own otherwise."""
    household = get_household_for_user(request.user, pk)
    context = {"tab_context": household_tab_context(request, household), "household": household}
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=household, request=request,
                 details={"tab": "referrals"})
    template = "services/household_tab.html" if request.htmx else "services/household_referrals.html"
    return render(request, template, context)


@login_required
def referral_new(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_household_for_user(request.user, pk)
    finding = None
    finding_id = request.GET.get("finding") or request.POST.get("finding")
    if finding_id:
        finding = get_object_for_user(request.user, Finding.objects.filter(household=household), pk=finding_id)
    initial = {}
    if finding is not None:
        initial = {"problem": finding.description, "field": Field.objects.filter(code=suggested_field_code(finding)).first()}
    form = ReferralForm(request.POST or None, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            referral = actions.referral_create(
                actor=request.user, household=household, field=cd["field"], problem=cd["problem"],
                department=cd["department"], person=cd["person"], contact=cd["contact"], urgent=cd["urgent"],
                finding=finding, now=timezone.now(), request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("转介已提交至%(dept)s。") % {"dept": referral.department.name})
            return redirect("services:referral", pk=referral.pk)
    return render(request, "services/referral_form.html", {"form": form, "household": household, "finding": finding})


def _official_household(request: HttpRequest, pk: int) -> Household:
    household = get_household_for_user(request.user, pk)
    if not actions.is_official_for(request.user, household):
        raise Http404
    return household


@login_required
def conference_new(request: HttpRequest, pk: int) -> HttpResponse:
    household = _official_household(request, pk)
    referrals = Referral.objects.filter(household=household)
    form = CaseConferenceForm(request.POST or None, referrals=referrals, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            actions.case_conference_record(actor=request.user, household=household, today=timezone.localdate(),
                                           request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("个案会商已登记。"))
            return redirect("services:household_referrals", pk=household.pk)
    return render(request, "services/simple_form.html", {"form": form, "household": household,
                                                         "title": _("登记个案会商")})


@login_required
def decision_new(request: HttpRequest, pk: int) -> HttpResponse:
    household = _official_household(request, pk)
    referrals = Referral.objects.filter(household=household)
    form = OneCaseDecisionForm(request.POST or None, referrals=referrals, initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            actions.one_case_decision_record(
                actor=request.user, household=household, decided_on=cd["decided_on"], matter=cd["matter"],
                decision=cd["decision"], approved_by=cd["approved_by"], amount_fen=form.amount_fen(),
                referral=cd["referral"], today=timezone.localdate(), request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("一事一议已登记。"))
            return redirect("services:household_referrals", pk=household.pk)
    return render(request, "services/simple_form.html", {"form": form, "household": household,
                                                         "title": _("登记一事一议")})


# --- §4 lists ---------------------------------------------------------------------------------

LISTS = {
    "education": _("教育救助"),
    "water": _("缺水期送水"),
    "winter": _("冬春救助"),
    "employment": _("就业登记"),
    "zero": _("零就业家庭"),
}


@login_required
def lists(request: HttpRequest) -> HttpResponse:
    """The §4 lists a township acts on: one tab each."""
    if not _is_official(request.user):
        raise Http404
    today = timezone.localdate()
    which = request.GET.get("list", "education")
    if which not in LISTS:
        which = "education"
    loaders = {
        "education": queries.education_aid, "water": queries.limited_mobility_in_dry_season,
        "winter": queries.winter_relief, "employment": queries.unemployed_able, "zero": queries.zero_employment,
    }
    page = Paginator(loaders[which](request.user, today=today), 100).get_page(request.GET.get("page"))
    if which == "education":
        for p in page.object_list:
            p.stage = rules.STAGE_LABELS.get(rules.school_stage(p.birth_date, today), "")
            p.age = rules.age_on(p.birth_date, today)
            p.aid = rules.AID_TEXT.get(p.household.tier, "")
    elif which == "employment":
        for p in page.object_list:
            p.age = rules.age_on(p.birth_date, today)
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type="services.lists",
                 object_repr=str(LISTS[which]), request=request)
    return render(request, "services/lists.html", {
        "which": which, "lists": LISTS, "page": page, "today": today, "season": rules.winter_season(today),
    })


# --- service providers, field settings ----------------------------------------------------------


@login_required
def providers(request: HttpRequest) -> HttpResponse:
    rows = queries.provider_list(request.user, q=request.GET.get("q", ""), kind=request.GET.get("kind", ""),
                                 service=request.GET.get("service", ""), village=request.GET.get("village", ""))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    can_edit = request.user.is_superuser or has_role(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
    # 编辑 only on the rows the user maintains (a county's provider serving a township is shown to
    # the township, read-only): a link that would answer 404 is not offered.
    for p in page.object_list:
        p.editable = can_edit and actions.can_edit_provider(request.user, p)
    return render(request, "services/providers.html", {"page": page, "can_edit": can_edit})


@login_required
def provider_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not (request.user.is_superuser or has_role(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)):
        raise Http404
    provider = get_object_for_user(request.user, ServiceProvider, pk=pk) if pk else None
    if provider is not None and not actions.can_edit_provider(request.user, provider):
        raise Http404  # seen (it serves the user's area) but owned above it: no edit form
    areas = scope_queryset(request.user, Area.objects.all()).order_by("code")
    owner_areas = areas.exclude(level=AreaLevel.VILLAGE)
    initial = {}
    if provider is not None:
        initial = {f: getattr(provider, f) for f in ("name", "kind", "services", "contact_name", "phone", "note",
                                                     "active", "owner_area")}
        initial["areas"] = list(provider.areas.all())
    form = ProviderForm(request.POST or None, areas=areas, owner_areas=owner_areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            actions.provider_save(actor=request.user, provider=provider, request=request, name=cd["name"],
                                  kind=cd["kind"], services=cd["services"], areas=list(cd["areas"]),
                                  owner_area=cd["owner_area"], contact_name=cd["contact_name"], phone=cd["phone"],
                                  note=cd["note"], active=cd["active"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("服务资源已保存。"))
            return redirect("services:providers")
    return render(request, "services/simple_form.html", {"form": form, "title": _("社会服务资源")})


@login_required
def fields(request: HttpRequest) -> HttpResponse:
    """The eleven fields of §4 with their units; the prefecture bureau edits routing and deadlines."""
    rows = Field.objects.select_related("route_to").prefetch_related("lead_departments", "responsible_departments")
    can_edit = request.user.is_superuser or has_role(request.user, Role.PREFECTURE)
    return render(request, "services/fields.html", {"rows": rows, "can_edit": can_edit})


@login_required
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not (request.user.is_superuser or has_role(request.user, Role.PREFECTURE)):
        raise Http404
    try:
        field = Field.objects.get(pk=pk)
    except Field.DoesNotExist as exc:
        raise Http404 from exc
    form = FieldSettingForm(request.POST or None, initial={"route_to": field.route_to,
                                                          "deadline_days": field.deadline_days})
    if request.method == "POST" and form.is_valid():
        actions.field_update(actor=request.user, field=field, request=request, **form.cleaned_data)
        messages.success(request, _("已保存。"))
        return redirect("services:fields")
    return render(request, "services/simple_form.html", {"form": form, "title": f"{field.number}. {field.name}"})


@require_POST
@login_required
def escalate_now(request: HttpRequest) -> HttpResponse:
    """Run the overdue escalation now (prefecture staff); the daily job does the same at 07:10."""
    if not (request.user.is_superuser or has_role(request.user, Role.PREFECTURE)):
        raise Http404
    n = actions.referrals_escalate_overdue(now=timezone.now())
    audit_record(actor=request.user, action=AuditAction.CHANGE, object_type="services.referral",
                 object_repr=_("立即上报超期转介"), request=request, details={"escalated": n})
    messages.info(request, _("本次上报超期转介 %(n)s 件。") % {"n": n})
    return redirect("services:inbox")
