"""Thin HTTP layer of assistance and emergencies: fetch in scope (404 outside), call one action."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.actions import audit_record
from accounts.files import upload_response
from accounts.models import Area, AreaLevel, AuditAction, Role
from accounts.permissions import apply_form_errors
from accounts.scoping import area_prefixes, get_object_for_user, has_role, scope_queryset
from beneficiaries.display import head_name, head_name_subquery, household_text
from beneficiaries.models import Household, HouseholdStatus, Person, Relation
from services.models import OneCaseDecision, Referral

from . import actions, exports, forms, queries, rules
from .models import (
    ApplicationStatus,
    AssistanceApplication,
    AssistancePolicy,
    Emergency,
    ReserveEntry,
    ReserveFund,
    RollCallStatus,
)

RAISERS = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP)
OFFICIALS = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
JSON_TYPES = ("application/json",)




def _officials_only(request: HttpRequest, *roles: str) -> None:
    """A page for officials; others get the same 404 as a missing page."""
    if not (request.user.is_superuser or has_role(request.user, *(roles or OFFICIALS))):
        raise Http404


def _counties(request: HttpRequest):
    return scope_queryset(request.user, Area.objects.filter(level=AreaLevel.COUNTY)).order_by("code")


# --- applications -----------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    _officials_only(request)
    qs = queries.applications_for(request.user)
    status = request.GET.get("status", "")
    if status == "open":
        qs = qs.filter(status__in=rules.OPEN_STATUSES)
    elif status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.annotate(head_name=head_name_subquery("household_id")).order_by("-raised_on", "-id"), 50).get_page(
        request.GET.get("page"))
    counts = dict(queries.applications_for(request.user).order_by().values_list("status").annotate(n=Count("id")))
    return render(request, "assistance/application_list.html", {
        "page": page, "status": status, "statuses": ApplicationStatus.choices, "counts": counts,
        "can_raise": request.user.is_superuser or has_role(request.user, *RAISERS),
        "can_set_limits": request.user.is_superuser or has_role(request.user, Role.COUNTY, Role.PREFECTURE),
    })


def _raisable_households(request: HttpRequest):
    prefixes = area_prefixes(request.user, roles=RAISERS)
    from accounts.scoping import prefix_q

    q = prefix_q("village__code", prefixes)
    base = Household.objects.filter(status=HouseholdStatus.ACTIVE).select_related("village")
    if request.user.is_superuser:
        return base.order_by("village_id", "code")
    return base.filter(q).order_by("village_id", "code") if q is not None else base.none()


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request: HttpRequest) -> HttpResponse:
    _officials_only(request, *RAISERS)
    households = _raisable_households(request)
    households = households.annotate(head_name=Subquery(
        Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD).values("name")[:1]))
    initial = {}
    if request.GET.get("household", "").isdigit():
        initial["household"] = request.GET["household"]
    form = forms.ApplicationForm(
        request.POST or None, request.FILES or None, initial=initial, households=households,
        decisions=scope_queryset(request.user, OneCaseDecision.objects.select_related("household")),
        referrals=scope_queryset(request.user, Referral.objects.select_related("household")),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            app = actions.application_raise(
                household=data["household"], kind=data["kind"], amount_fen=data["amount_fen"],
                reasons=data["reasons"], attachment=data.get("attachment"),
                one_case_decision=data.get("one_case_decision"), referral=data.get("referral"),
                actor=request.user, today=timezone.localdate(), request=request)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("救助申请已提交，等待乡镇(街道)审核。"))
            return redirect("assistance:application", pk=app.pk)
    return render(request, "assistance/application_new.html", {"form": form})


def _can(request: HttpRequest, app: AssistanceApplication) -> dict:
    user = request.user
    code = app.household.village_id

    def over(*roles):
        return user.is_superuser or any(code.startswith(p) for p in area_prefixes(user, roles=roles))

    township, county = over(Role.TOWNSHIP), over(Role.COUNTY)
    limits = actions.limits_for(app.county)
    fast_ok = rules.fast_track_refusal(app.kind, app.amount_fen, limits) is None
    return {
        "township_approve": township and rules.can("township_approve", app.status),
        "county_approve": county and rules.can("county_approve", app.status),
        "reject": (township if app.status == ApplicationStatus.SUBMITTED else county)
        and rules.can("reject", app.status),
        "fast_pay": township and fast_ok and rules.can("fast_pay", app.status),
        "pay": (township or county) and rules.can("pay", app.status),
        "review": county and rules.can("review", app.status),
        "limits": limits,
        "acts": township or county,
    }


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_for_user(request.user, AssistanceApplication.objects.select_related(
        "household__village__parent", "county", "raised_by", "one_case_decision", "referral"), pk=pk)
    app.household.head_name = head_name(app.household)  # named once, in the heading and the facts
    can = _can(request, app)
    today = timezone.localdate()
    step = request.POST.get("step", "")
    approve_form = forms.AmountNoteForm(request.POST if step in ("township_approve", "county_approve") else None,
                                        prefix="approve")
    reject_form = forms.RejectForm(request.POST if step == "reject" else None, prefix="reject")
    pay_form = forms.PayForm(request.POST if step in ("pay", "fast_pay") else None, prefix="pay",
                             initial={"idempotency_key": uuid.uuid4()})
    review_form = forms.ReviewForm(request.POST if step == "review" else None, prefix="review")
    if request.method == "POST":
        if step in rules.TRANSITIONS and not can.get(step) and can["acts"]:
            # A second press of a form already acted on (the first answer was slow, the page was
            # sent again): nothing is done twice; the person sees what was done.
            messages.info(request, _("该环节已办理，未重复办理。当前状态：%(status)s") % {
                "status": app.get_status_display()})
            return redirect("assistance:application", pk=app.pk)
        if not can.get(step):
            raise PermissionDenied(_("您不能在此环节办理该申请。"))
        form = {"township_approve": approve_form, "county_approve": approve_form, "reject": reject_form,
                "pay": pay_form, "fast_pay": pay_form, "review": review_form}[step]
        if form.is_valid():
            d = form.cleaned_data
            try:
                if step == "township_approve":
                    app = actions.application_township_approve(application=app, actor=request.user, note=d["note"],
                                                               approved_amount_fen=d["approved_amount_fen"],
                                                               request=request)
                elif step == "county_approve":
                    app = actions.application_county_approve(application=app, actor=request.user, note=d["note"],
                                                             approved_amount_fen=d["approved_amount_fen"],
                                                             request=request)
                elif step == "reject":
                    app = actions.application_reject(application=app, actor=request.user, note=d["note"],
                                                     request=request)
                elif step == "review":
                    app = actions.application_review(application=app, actor=request.user, agreed=d["agreed"],
                                                     note=d["note"], request=request)
                else:
                    pay = actions.application_fast_pay if step == "fast_pay" else actions.application_pay
                    app = pay(application=app, actor=request.user, paid_on=d["paid_on"], channel=d["channel"],
                              note=d["note"], idempotency_key=d["idempotency_key"], today=today, request=request)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("已办理：%(status)s") % {"status": app.get_status_display()})
                return redirect("assistance:application", pk=app.pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=app, request=request)
    return render(request, "assistance/application_detail.html", {
        "app": app, "can": can, "events": app.events.select_related("actor"), "step": step,
        "approve_form": approve_form, "reject_form": reject_form, "pay_form": pay_form, "review_form": review_form,
        "payments": app.reserve_entries.select_related("recorded_by"),
    })


@login_required
def application_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_for_user(request.user, AssistanceApplication.objects.all(), pk=pk)
    if not app.attachment:
        raise Http404
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=app, request=request,
                 details={"file": "attachment"})
    return upload_response(app.attachment, f"assistance-{app.pk}-attachment")


@login_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    _officials_only(request, Role.COUNTY, Role.PREFECTURE)
    counties = list(_counties(request))
    code = request.GET.get("county") or request.POST.get("county") or (counties[0].code if counties else "")
    county = next((c for c in counties if c.code == code), None)
    if county is None:
        raise Http404
    current = actions.limits_for(county)
    form = forms.PolicyForm(request.POST or None, initial={
        "township_limit_fen": f"{current.township_fen / 100:.2f}",
        "fast_track_limit_fen": f"{current.fast_track_fen / 100:.2f}"})
    if request.method == "POST" and form.is_valid():
        try:
            actions.policy_set(county=county, actor=request.user, request=request, **form.cleaned_data)
        except PermissionDenied:
            form.add_error(None, _("只有县(市)或州民政局可以设置本县救助审批限额。"))
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("%(county)s救助审批限额已保存。") % {"county": county.name})
            return redirect(f"{reverse('assistance:policy')}?county={county.code}")
    row = AssistancePolicy.objects.filter(county=county).select_related("changed_by").first()
    return render(request, "assistance/policy.html",
                  {"form": form, "county": county, "counties": counties, "row": row, "limits": current})


# --- reserve fund -----------------------------------------------------------------------------


@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    _officials_only(request, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
    funds = {f.county_id: f for f in queries.funds_for(request.user)}
    counties = list(_counties(request))
    if not counties:  # a township sees its own county's fund
        codes = {p[:6].ljust(12, "0") for p in area_prefixes(request.user)}
        counties = list(Area.objects.filter(code__in=codes))
        funds = {f.county_id: f for f in ReserveFund.objects.filter(county__in=counties)}
    rows = [{"county": c, "fund": funds.get(c.code)} for c in counties]
    return render(request, "assistance/fund_list.html", {"rows": rows})


def _fund_for(request: HttpRequest, code: str) -> tuple[Area, ReserveFund | None]:
    """A county's fund: the county's and prefecture's officials, and townships of the county (read)."""
    county = Area.objects.filter(code=code, level=AreaLevel.COUNTY).first()
    if county is None or not (request.user.is_superuser or any(
            county.code.startswith(p) or p.startswith(county.prefix) for p in area_prefixes(
                request.user, roles=(Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)))):
        raise Http404
    return county, ReserveFund.objects.filter(county=county).first()


@login_required
@require_http_methods(["GET", "POST"])
def fund_detail(request: HttpRequest, code: str) -> HttpResponse:
    county, fund = _fund_for(request, code)
    can_allocate = request.user.is_superuser or any(county.code.startswith(p) for p in
                                                    area_prefixes(request.user, roles=(Role.COUNTY,)))
    form = forms.AllocateForm(request.POST if request.POST.get("step") == "allocate" else None,
                              initial={"entry_date": timezone.localdate(), "idempotency_key": uuid.uuid4()})
    reverse_form = forms.ReverseForm(request.POST if request.POST.get("step") == "reverse" else None)
    if request.method == "POST":
        if not can_allocate:
            raise PermissionDenied(_("只有县(市)民政可以办理本县备用金。"))
        try:
            if request.POST.get("step") == "allocate" and form.is_valid():
                actions.reserve_allocate(county=county, actor=request.user, request=request, **form.cleaned_data)
                messages.success(request, _("已拨入备用金。"))
                return redirect("assistance:fund", code=county.code)
            if request.POST.get("step") == "reverse" and reverse_form.is_valid() and fund is not None:
                entry = queries.entries_for(fund, request.user).filter(pk=request.POST.get("entry")).first()
                if entry is None:
                    raise Http404
                actions.reserve_reverse(entry=entry, reason=reverse_form.cleaned_data["reason"],
                                        entry_date=timezone.localdate(), actor=request.user, request=request)
                messages.success(request, _("已冲正。"))
                return redirect("assistance:fund", code=county.code)
        except ValidationError as exc:
            apply_form_errors(form if request.POST.get("step") == "allocate" else reverse_form, exc)
    entries = queries.entries_for(fund, request.user) if fund else ReserveEntry.objects.none()
    page = Paginator(entries.select_related("application__household__village").annotate(
        head_name=head_name_subquery("application__household_id")).order_by("-id"), 50).get_page(request.GET.get("page"))
    # A township reads its county's whole fund, but opens only its own applications.
    ids = [e.application_id for e in page.object_list if e.application_id]
    openable = set(queries.applications_for(request.user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for e in page.object_list:
        e.openable = e.application_id in openable
    return render(request, "assistance/fund_detail.html", {
        "county": county, "fund": fund, "page": page, "form": form, "reverse_form": reverse_form,
        "can_allocate": can_allocate})


@login_required
def fund_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    county, fund = _fund_for(request, code)
    if fund is None:
        raise Http404
    entries = list(queries.entries_for(fund, request.user).select_related("application__household__village"))
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=fund, request=request,
                 details={"report": "reserve_ledger", "rows": len(entries)})
    response = HttpResponse(exports.ledger_xlsx(fund, entries),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="reserve-fund-{county.code}.xlsx"'
    return response


# --- emergencies ------------------------------------------------------------------------------


@login_required
def emergency_list(request: HttpRequest) -> HttpResponse:
    events = queries.emergencies_for(request.user).select_related("county").prefetch_related("areas")
    if not (request.user.is_superuser or has_role(request.user, *OFFICIALS, Role.CADRE)):
        raise Http404
    can_declare = request.user.is_superuser or has_role(request.user, Role.COUNTY, Role.PREFECTURE)
    return render(request, "assistance/emergency_list.html",
                  {"events": events.order_by("-starts_on", "-id")[:100], "can_declare": can_declare})


@login_required
@require_http_methods(["GET", "POST"])
def emergency_new(request: HttpRequest) -> HttpResponse:
    _officials_only(request, Role.COUNTY, Role.PREFECTURE)
    counties = list(_counties(request))
    areas = scope_queryset(request.user, Area.objects.filter(level=AreaLevel.TOWNSHIP)).order_by("code")
    form = forms.EmergencyForm(request.POST or None, areas=areas,
                               initial={"starts_on": timezone.localdate(), "special_period": True})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        chosen = list(d["areas"])
        county = next((c for c in counties if chosen and chosen[0].code.startswith(c.prefix)), None)
        if county is None or any(not a.code.startswith(county.prefix) for a in chosen):
            form.add_error("areas", _("一次只能为同一个县(市)的乡镇宣布应急事件。"))
        else:
            try:
                event = actions.emergency_declare(
                    kind=d["kind"], title=d["title"], county=county, areas=chosen, starts_on=d["starts_on"],
                    ends_on=d["ends_on"], special_period=d["special_period"], description=d["description"],
                    actor=request.user, today=timezone.localdate(), request=request)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("应急事件已宣布，受影响家庭已列入点名核查。"))
                return redirect("assistance:emergency", pk=event.pk)
    return render(request, "assistance/emergency_new.html", {"form": form})


def _emergency(request: HttpRequest, pk: int) -> Emergency:
    try:
        return queries.emergencies_for(request.user).select_related("county").get(pk=pk)
    except Emergency.DoesNotExist as exc:
        raise Http404 from exc


STATUS_LABELS = dict(RollCallStatus.choices)


@login_required
@require_http_methods(["GET", "POST"])
def emergency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The live board: counts by status per village, the households still unknown, relief given."""
    event = _emergency(request, pk)
    board = queries.board(event, request.user)
    rows = queries.roll_call_rows(event, request.user)
    show = request.GET.get("show", "unknown")
    if show == "unknown":
        listed = rows.filter(latest_status__isnull=True)
    elif show in STATUS_LABELS:
        listed = rows.filter(latest_status=show)
    else:
        listed = rows
    if request.GET.get("village"):
        listed = listed.filter(village_id=request.GET["village"])
    page = Paginator(listed.annotate(head_name=head_name_subquery()), 50).get_page(request.GET.get("page"))
    can_relief = request.user.is_superuser or has_role(request.user, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP,
                                                       Role.COUNTY)
    relief_form = forms.ReliefForm(request.POST or None, households=rows.annotate(
        head_name=head_name_subquery()).order_by("village_id", "code"))
    if request.method == "POST":
        if not can_relief:
            raise PermissionDenied(_("您不能登记救助发放。"))
        if relief_form.is_valid():
            d = relief_form.cleaned_data
            try:
                actions.relief_record(emergency=event, actor=request.user, request=request, **d)
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError):
                    apply_form_errors(relief_form, exc)
                else:
                    relief_form.add_error(None, str(exc))
            else:
                messages.success(request, _("救助发放已登记。"))
                return redirect("assistance:emergency", pk=event.pk)
    can_close = not event.ends_on and (request.user.is_superuser or any(
        event.county_id.startswith(p) for p in area_prefixes(request.user, roles=(Role.COUNTY, Role.PREFECTURE))))
    return render(request, "assistance/emergency_detail.html", {
        "event": event, "board": board, "page": page, "show": show, "status_labels": STATUS_LABELS,
        "relief_form": relief_form, "can_relief": can_relief,
        "reliefs": scope_queryset(request.user, event.reliefs.select_related("household__village")).annotate(
            head_name=head_name_subquery("household_id"))[:50],
        "relief_total": queries.reliefs_total(event, request.user), "can_close": can_close,
        "areas": event.areas.all(),
    })


@login_required
@require_POST
def emergency_close(request: HttpRequest, pk: int) -> HttpResponse:
    event = _emergency(request, pk)
    try:
        actions.emergency_close(emergency=event, ends_on=timezone.localdate(), actor=request.user, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("应急事件已结束。"))
    return redirect("assistance:emergency", pk=event.pk)


@login_required
def emergency_report(request: HttpRequest, pk: int) -> HttpResponse:
    event = _emergency(request, pk)
    board = queries.board(event, request.user)
    rows = list(queries.roll_call_rows(event, request.user).select_related("village__parent").annotate(
        head_name=head_name_subquery()))
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=event, request=request,
                 details={"report": "emergency_roll_call", "rows": len(rows)})
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(exports.emergency_xlsx(event, rows, board, STATUS_LABELS),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="emergency-{event.pk}.xlsx"'
        return response
    return render(request, "assistance/emergency_report.html", {
        "event": event, "board": board, "rows": rows, "status_labels": STATUS_LABELS,
        "relief_total": queries.reliefs_total(event, request.user), "now": timezone.localtime()})


def _wants_json(request: HttpRequest) -> bool:
    return any(t in request.headers.get("Accept", "") for t in JSON_TYPES)


@require_http_methods(["GET", "POST"])
def roll_call(request: HttpRequest, pk: int) -> HttpResponse:
    """The cadre's (and village's, township's) roll call on a phone: each affected household with
    five big buttons. Works with a flaky connection: the page script queues marks made offline and
    sends them when the signal returns, each with its own token so a retry stores once."""
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse({"ok": False, "login_required": True}, status=401)
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    event = _emergency(request, pk)
    rows = queries.roll_call_rows(event, request.user)
    if request.method == "POST":
        form = forms.RollCallForm(request.POST)
        if not form.is_valid():
            if _wants_json(request):
                return JsonResponse({"ok": False, "errors": form.errors}, status=400)
            messages.error(request, _("请选择核查结果。"))
            return redirect("assistance:roll_call", pk=event.pk)
        d = form.cleaned_data
        household = rows.filter(pk=d["household"]).first()
        if household is None:
            if _wants_json(request):
                return JsonResponse({"ok": False, "error": _("该家庭不在您的核查范围内。")}, status=404)
            raise Http404
        try:
            call, created = actions.roll_call_mark(
                emergency=event, household=household, status=d["status"], actor=request.user,
                checked_at=d.get("checked_at"), note=d.get("note", ""), client_token=d.get("client_token"),
                request=request)
        except (ValidationError, PermissionDenied) as exc:
            text = "；".join(getattr(exc, "messages", [str(exc)]))
            if _wants_json(request):
                return JsonResponse({"ok": False, "error": text}, status=400)
            messages.error(request, text)
            return redirect("assistance:roll_call", pk=event.pk)
        label = STATUS_LABELS[call.status]
        if _wants_json(request):
            return JsonResponse({"ok": True, "created": created, "household_id": household.pk,
                                 "household_code": household.code, "status": call.status, "label": label,
                                 "client_token": str(call.client_token)}, status=201 if created else 200)
        messages.success(request, _("%(code)s：%(label)s") % {"code": household_text(household), "label": label})
        return redirect(f"{reverse('assistance:roll_call', args=[event.pk])}#h{household.pk}")
    village = request.GET.get("village", "")
    listed = rows.filter(village_id=village) if village else rows
    page = Paginator(listed.annotate(head_name=head_name_subquery()), 100).get_page(request.GET.get("page"))
    return render(request, "assistance/roll_call.html", {
        "event": event, "page": page, "statuses": RollCallStatus.choices, "status_labels": STATUS_LABELS,
        "villages": rows.order_by("village_id").values_list("village_id", "village__name").distinct(),
        "village": village, "counts": queries.board(event, request.user)["totals"],
        "labels_json": json.dumps({k: str(v) for k, v in STATUS_LABELS.items()}, ensure_ascii=False),
    })
