"""The finding page (问题): its story (status changes, reassignments, new deadlines), the photos
of it put right, links to the visit it came from, the household and referrals made from it — and
the forms to handle it: status with photos, reassign, new deadline."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import audit_record
from accounts.files import upload_response
from accounts.models import AuditAction, User
from accounts.repeat import already_done, moved_on
from accounts.scoping import get_object_for_user, scope_queryset

from . import finding_actions, queries
from .checklist import FINDING_POLICY
from .finding_forms import FindingDeadlineForm, FindingReassignForm, FindingUpdateForm
from .finding_models import FindingPhoto
from .models import FindingStatus

# Kinds of finding a department takes over through a referral (转介), not as an owner.
REFERABLE_KINDS = {kind for kind, policy in FINDING_POLICY.items() if policy.referral_field}


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _page(request: HttpRequest, finding, *, form=None, reassign_form=None, deadline_form=None,
          status: int = 200) -> HttpResponse:
    from services.models import Referral

    today = timezone.localdate()
    can_manage = finding_actions.can_manage(request.user, finding)
    candidates = finding_actions.owner_candidates(finding) if can_manage else User.objects.none()
    groups = finding_actions.owner_choices(finding) if can_manage and reassign_form is None else ()
    return render(request, "visits/finding.html", {
        "finding": finding,
        "today": today,
        "is_overdue": finding.is_open and finding.due_on < today,
        "days_overdue": (today - finding.due_on).days,
        "form": form or FindingUpdateForm(),
        "can_manage": can_manage and finding.is_open,
        "reassign_form": reassign_form or FindingReassignForm(candidates=candidates, groups=groups),
        "referable": finding.kind in REFERABLE_KINDS,
        "deadline_form": deadline_form or FindingDeadlineForm(initial={"due_on": finding.due_on}),
        "events": finding.events.select_related("actor"),
        "changes": finding.changes.select_related("actor"),
        "photos": finding.photos.all(),
        "referrals": scope_queryset(request.user, Referral.objects.filter(finding=finding))
        .select_related("department", "field").order_by("-submitted_at"),
    }, status=status)


def _repeated_status(request: HttpRequest, finding, to_status: str) -> HttpResponse | None:
    """A second press of 开始处理/办结 (or a stale page after someone else closed it): the page of
    what was done, not the form's error."""
    if to_status == finding.status:
        return already_done(request, "visits:finding", finding.pk,
                            detail=_("当前状态：%(s)s") % {"s": finding.get_status_display()})
    if finding.status == FindingStatus.CLOSED:
        return moved_on(request, "visits:finding", finding.pk, state=finding.get_status_display())
    return None


def finding_page(request: HttpRequest, pk: int) -> HttpResponse:
    finding = queries.get_finding_for_user(request.user, pk)
    if request.method == "POST":
        form = FindingUpdateForm(request.POST, request.FILES)
        if form.is_valid():  # whoever sees the finding may see that it was done already
            repeated = _repeated_status(request, finding, form.cleaned_data["to_status"])
            if repeated is not None:
                return repeated
        if form.is_valid():
            try:
                finding_actions.finding_update(
                    actor=request.user, finding=finding, to_status=form.cleaned_data["to_status"],
                    note=form.cleaned_data["note"], photos=form.cleaned_data["photos"],
                    today=timezone.localdate(), request=request)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("问题状态已更新。"))
                return redirect("visits:finding", finding.pk)
        return _page(request, finding, form=form)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=finding, request=request)
    return _page(request, finding)


@login_required
@require_POST
def finding_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    finding = queries.get_finding_for_user(request.user, pk)
    form = FindingReassignForm(request.POST, candidates=finding_actions.owner_candidates(finding),
                               groups=finding_actions.owner_choices(finding))
    if form.is_valid() and finding_actions.can_manage(request.user, finding):
        if finding.status == FindingStatus.CLOSED:
            return moved_on(request, "visits:finding", finding.pk, state=finding.get_status_display())
        due_on = form.cleaned_data["due_on"]
        if form.cleaned_data["owner"].pk == finding.owner_id and due_on in (None, finding.due_on):
            return already_done(request, "visits:finding", finding.pk, detail=_("责任人：%(name)s，办结期限 %(d)s。") % {
                "name": finding.owner.display_name, "d": finding.due_on.isoformat()})
    if form.is_valid():
        try:
            finding_actions.finding_reassign(actor=request.user, finding=finding, owner=form.cleaned_data["owner"],
                                             reason=form.cleaned_data["reason"], due_on=form.cleaned_data["due_on"],
                                             today=timezone.localdate(), request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已改派给%(name)s。") % {"name": form.cleaned_data["owner"].display_name})
            return redirect("visits:finding", finding.pk)
    return _page(request, finding, reassign_form=form)


@login_required
@require_POST
def finding_deadline(request: HttpRequest, pk: int) -> HttpResponse:
    finding = queries.get_finding_for_user(request.user, pk)
    form = FindingDeadlineForm(request.POST)
    if form.is_valid() and finding_actions.can_manage(request.user, finding):
        if finding.status == FindingStatus.CLOSED:
            return moved_on(request, "visits:finding", finding.pk, state=finding.get_status_display())
        if form.cleaned_data["due_on"] == finding.due_on:
            return already_done(request, "visits:finding", finding.pk,
                                detail=_("办结期限 %(d)s。") % {"d": finding.due_on.isoformat()})
    if form.is_valid():
        try:
            finding_actions.finding_reschedule(actor=request.user, finding=finding, due_on=form.cleaned_data["due_on"],
                                               reason=form.cleaned_data["reason"], today=timezone.localdate(),
                                               request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("办结期限已调整为%(d)s。") % {"d": form.cleaned_data["due_on"].isoformat()})
            return redirect("visits:finding", finding.pk)
    return _page(request, finding, deadline_form=form)


@login_required
@require_GET
def finding_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A closure photo, only through the household's scope, audited."""
    photo = get_object_for_user(request.user, FindingPhoto.objects.select_related("finding"), pk=pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=photo, request=request,
                 details={"file": "finding_photo", "finding": photo.finding_id})
    return upload_response(photo.image, f"finding-{photo.finding_id}-photo-{photo.pk}")
