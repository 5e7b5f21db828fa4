"""Pages of the exchange app: API tokens (prefecture bureau), cross-check uploads, proposals of
entry/exit/re-entry and their decisions, data quality. Thin: scope, one action, redirect."""

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
from django.views.decorators.http import require_POST

from accounts import sheets
from accounts.actions import audit_record
from accounts.models import AuditAction
from accounts.otp import ask_for_second_factor, second_factor_passed
from accounts.repeat import already_done
from accounts.scoping import get_object_for_user
from beneficiaries import idnumber
from beneficiaries.actions import can_reveal
from beneficiaries.display import household_text
from beneficiaries.queries import get_household_for_user, get_review_for_user, villages_for_user
from beneficiaries.roster_io import write_csv

from . import actions, crosscheck, queries
from .forms import CrossCheckForm, DecisionForm, EntryProposalForm, ProposalForm, TokenForm
from .layouts import LAYOUTS
from .models import ApiToken, Proposal, ProposalKind, ProposalStatus


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- API tokens ------------------------------------------------------------------------------------


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """The prefecture bureau's tokens: list, create (the secret is shown on this response only)."""
    if not actions.can_manage_tokens(request.user):
        raise Http404
    today = timezone.localdate()
    form = TokenForm(request.POST or None, today=today)
    secret = None
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = actions.token_create(actor=request.user, today=today, request=request,
                                                   **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            form = TokenForm(today=today)
    tokens = (ApiToken.objects.select_related("department", "area", "created_by", "revoked_by")
              .prefetch_related("fields").order_by("-created_at", "-id"))
    return render(request, "exchange/tokens.html", {
        "form": form, "tokens": tokens, "secret": secret, "created": created, "now": timezone.now(),
    })


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not actions.can_manage_tokens(request.user):
        raise Http404
    token = get_object_for_user(request.user, ApiToken, pk=pk)
    if token.revoked_at is not None:  # a second press of 吊销
        return already_done(request, "exchange:tokens")
    try:
        actions.token_revoke(actor=request.user, token=token, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("令牌 %(p)s 已吊销，立即失效。") % {"p": token.prefix})
    return redirect("exchange:tokens")


# --- cross-checks ----------------------------------------------------------------------------------


@login_required
def cross_check_list(request: HttpRequest) -> HttpResponse:
    """Upload a department's list (county or bureau) and see past cross-checks."""
    if not actions.can_decide(request.user):
        raise Http404
    areas = queries.upload_areas(request.user)
    form = CrossCheckForm(request.POST or None, request.FILES or None, areas=areas,
                          initial={"area": areas.first()})
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sheets.check_upload(upload)  # the one limit of every import: size, unpacked size, rows
            records = crosscheck.read_upload(upload.read(), upload.name)
            result = crosscheck.cross_check_run(
                actor=request.user, source=form.cleaned_data["source"], area=form.cleaned_data["area"],
                records=records, filename=upload.name, today=timezone.localdate(), request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if result.ok:
                messages.success(request, _("比对完成：读取 %(n)d 行，匹配 %(m)d 人，生成 %(p)d 条提议，待季度动态调整决定。") % {
                    "n": result.check.rows, "m": result.check.matched, "p": result.check.proposals})
                return redirect("exchange:cross_check", result.check.pk)
            errors = result.errors
    return render(request, "exchange/cross_checks.html", {
        "form": form, "errors": errors, "checks": queries.cross_checks_for_user(request.user)[:50],
        "layouts": LAYOUTS,
    })


@login_required
def cross_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not actions.can_decide(request.user):
        raise Http404
    check = get_object_for_user(request.user, queries.cross_checks_for_user(request.user), pk=pk)
    proposals = queries.proposals_for_user(request.user).filter(cross_check=check).order_by("kind", "id")
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=check, request=request)
    return render(request, "exchange/cross_check_detail.html", {"check": check, "proposals": proposals})


@login_required
def cross_check_template(request: HttpRequest, source: str) -> HttpResponse:
    """An empty list in the department's own layout (the headers), as CSV."""
    layout = LAYOUTS.get(source)
    if layout is None:
        raise Http404
    response = HttpResponse(write_csv(list(layout.columns), []), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename=\"{source}.csv\""
    return response


# --- proposals: entry, exit, re-entry --------------------------------------------------------------


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    if not actions.can_propose(request.user):
        raise Http404
    status = request.GET.get("status", "")
    qs = queries.proposals_for_user(request.user)
    if status in ProposalStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "exchange/proposals.html", {"page": page, "status": status,
                                                       "statuses": ProposalStatus.choices})


@login_required
def propose(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A village committee, township or county proposes the exit or re-entry of a household."""
    if kind not in (ProposalKind.EXIT, ProposalKind.REENTRY) or not actions.can_propose(request.user):
        raise Http404
    household = get_household_for_user(request.user, pk)
    form = ProposalForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid() and Proposal.objects.filter(
            household=household, kind=kind, status=ProposalStatus.PENDING).exists():
        # A second press of 提交申请: the household's page; the proposal waits for the county.
        return already_done(request, "beneficiaries:household_detail", household.pk,
                            detail=_("%(k)s申请已提交，待县(市)民政决定。") % {"k": ProposalKind(kind).label})
    if request.method == "POST" and form.is_valid():
        try:
            actions.proposal_create(actor=request.user, kind=kind, household=household, today=timezone.localdate(),
                                    request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("已提交%(k)s申请，待县(市)民政在季度动态调整中决定。") % {
                "k": ProposalKind(kind).label})
            return redirect("beneficiaries:household_detail", household.pk)
    title = _("申请退出花名册") if kind == ProposalKind.EXIT else _("申请恢复在册")
    return render(request, "exchange/propose.html", {"form": form, "household": household, "title": title,
                                                     "kind": kind})


@login_required
def propose_entry(request: HttpRequest) -> HttpResponse:
    if not actions.can_propose(request.user):
        raise Http404
    form = EntryProposalForm(request.POST or None, villages=villages_for_user(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            actions.proposal_create(actor=request.user, kind=ProposalKind.ENTRY, today=timezone.localdate(),
                                    request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已提交纳入申请，待县(市)民政在季度动态调整中决定。"))
            return redirect("exchange:proposals")
    return render(request, "exchange/propose.html", {"form": form, "title": _("申请纳入关爱对象"), "kind": "entry"})


@login_required
@require_POST
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A county official's decision, from the quarterly review page."""
    if not actions.can_decide(request.user):
        raise Http404
    proposal = queries.get_proposal_for_user(request.user, pk)
    review = get_review_for_user(request.user, int(request.POST.get("review") or 0))
    form = DecisionForm(request.POST)
    back = reverse("beneficiaries:review_detail", args=[review.pk]) + "#proposals"
    key = f"proposal-reason-{proposal.pk}"
    if proposal.status != ProposalStatus.PENDING:
        # A second press of 同意/不同意 (or a colleague's decision a moment ago): the page of what was done.
        request.session.pop(key, None)
        return already_done(request, back, detail=_("该提议已决定：%(s)s。") % {"s": proposal.get_status_display()})
    if not form.is_valid():
        request.session[key] = request.POST.get("reason", "")
        messages.error(request, _("请选择同意或不同意，并填写决定理由。"))
        return redirect(back)
    try:
        actions.proposal_decide(actor=request.user, proposal=proposal, accept=form.cleaned_data["decision"] == "accept",
                                reason=form.cleaned_data["reason"], review=review, today=timezone.localdate(),
                                request=request)
    except (ValidationError, PermissionDenied) as exc:
        request.session[key] = form.cleaned_data["reason"]
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
    else:
        request.session.pop(key, None)
        messages.success(request, _("已决定：%(k)s %(w)s — %(d)s。") % {
            "k": proposal.get_kind_display(),
            "w": household_text(proposal.household) if proposal.household else proposal.name,
            "d": _("同意") if form.cleaned_data["decision"] == "accept" else _("不同意")})
    return redirect(back)


@login_required
@require_POST
def proposal_id_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """A waiting entry's full ID number on the quarterly review page, as a person's is revealed on
    the household page: scope first (404), then the second factor, then the audited reveal."""
    proposal = queries.get_proposal_for_user(request.user, pk)
    if not proposal.id_number:
        raise Http404
    if can_reveal(request.user) and not second_factor_passed(request.user):  # step-up, after scope
        review = request.POST.get("review", "")
        back = reverse("beneficiaries:review_detail", args=[int(review)]) if review.isdigit() else None
        return ask_for_second_factor(request, (back or reverse("exchange:proposals")) + "#proposals")
    try:
        number = actions.proposal_id_reveal(actor=request.user, proposal=proposal, request=request)
    except (ValidationError, PermissionDenied) as exc:
        raise PermissionDenied from exc
    return render(request, "exchange/partials/proposal_id_revealed.html", {"p": proposal, "number": number})


# --- data quality ----------------------------------------------------------------------------------


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    if not actions.can_propose(request.user):
        raise Http404
    code = request.GET.get("area", "")
    area = queries.get_area_for_user(request.user, code) if code else queries.default_area(request.user)
    if area is None:
        raise Http404
    which = request.GET.get("list", "")
    checks = queries.quality_checks(request.user, area, today=timezone.localdate())
    counts = {c.key: c.rows.count() for c in checks}
    current = next((c for c in checks if c.key == which), None) or next(
        (c for c in checks if counts[c.key]), checks[0])
    page = Paginator(current.rows, 50).get_page(request.GET.get("page"))
    for row in page.object_list:
        if current.kind == "person":
            row.id_masked_value = idnumber.mask(row.id_number)
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type="exchange.quality",
                 object_repr=str(current.label), request=request, details={"area": area.code, "list": current.key})
    return render(request, "exchange/quality.html", {
        "area": area, "areas": queries.quality_areas(request.user), "checks": checks, "counts": counts,
        "current": current, "page": page,
    })
