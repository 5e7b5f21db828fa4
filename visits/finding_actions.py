"""Managing a finding beyond its status (issue 10): reassign it, give it a new deadline with a
reason, keep the photos that show it was put right. Officials of the household's area do this;
each change is one conditional UPDATE (a double submit is a clear error), one FindingChange row
and an audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import areacodes
from accounts.actions import audit_record
from accounts.files import photo_as_jpeg
from accounts.models import AREA_ROLES, AuditAction, Role, RoleAssignment, User
from accounts.notifications import notify
from accounts.scoping import has_role, scope_queryset
from beneficiaries.models import Household, Pairing, Person, Relation

from .finding_models import FindingChange, FindingChangeKind, FindingPhoto
from .models import Finding, FindingStatus

MANAGER_ROLES = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)


def can_manage(actor: User, finding: Finding) -> bool:
    """Officials whose area covers the household may reassign and reschedule its findings."""
    return (actor.is_superuser or has_role(actor, *MANAGER_ROLES)) and scope_queryset(
        actor, Household.objects.filter(pk=finding.household_id)
    ).exists()


def _area_codes(finding: Finding) -> list[str]:
    return areacodes.ancestor_codes(finding.household.village_id)


def owner_candidates(finding: Finding) -> QuerySet[User]:
    """Who may be made responsible: the household's paired cadre, and the village committee,
    township, county and prefecture officials whose area covers its village."""
    officials = RoleAssignment.objects.filter(role__in=AREA_ROLES, area_id__in=_area_codes(finding)).values("user_id")
    cadres = Pairing.objects.filter(household_id=finding.household_id, ended_on__isnull=True,
                                    cadre__user__isnull=False).values("cadre__user_id")
    return User.objects.filter(Q(id__in=officials) | Q(id__in=cadres), is_active=True).order_by("real_name", "username")


def household_label(household: Household) -> str:
    """The household as a caseworker knows it: the head's name and the code."""
    head = Person.objects.filter(household=household, relation=Relation.HEAD).values_list("name", flat=True).first()
    return f"{head} {household.code}" if head else household.code


# The order in which the 改派 list groups the people responsible, nearest to the household first.
DUTY_ORDER = ("cadre", Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)


def owner_choices(finding: Finding) -> list[tuple[str, list[tuple[int, str]]]]:
    """The candidates grouped by what they are responsible for (结对干部, 村委会, 乡镇 …), each
    named with the area they serve: the 改派 list's option groups. Two queries."""
    labels = {"cadre": _("结对干部")} | {role: str(Role(role).label) for role in DUTY_ORDER[1:]}
    groups: dict[str, list[tuple[int, str]]] = {key: [] for key in DUTY_ORDER}
    seen: set[int] = set()
    for user_id, real_name, username in Pairing.objects.filter(
            household_id=finding.household_id, ended_on__isnull=True, cadre__user__is_active=True).values_list(
            "cadre__user_id", "cadre__user__real_name", "cadre__user__username"):
        groups["cadre"].append((user_id, real_name or username))
        seen.add(user_id)
    rows = (RoleAssignment.objects.filter(role__in=AREA_ROLES, area_id__in=_area_codes(finding), user__is_active=True)
            .values_list("role", "user_id", "user__real_name", "user__username", "area__name")
            .order_by("user__real_name", "user__username"))
    for role, user_id, real_name, username, area_name in rows:
        if user_id in seen:
            continue
        seen.add(user_id)
        groups[role].append((user_id, f"{real_name or username}（{area_name}）"))
    return [(labels[key], groups[key]) for key in DUTY_ORDER if groups[key]]


def _require_open_and_managed(actor: User, finding: Finding) -> None:
    if not can_manage(actor, finding):
        raise PermissionDenied(_("无权调整该问题。"))
    if finding.status == FindingStatus.CLOSED:
        raise ValidationError(_("该问题已办结，不能再调整。"))


@transaction.atomic
def finding_reassign(*, actor: User, finding: Finding, owner: User, reason: str, due_on: dt.date | None = None,
                     today: dt.date | None = None, request: HttpRequest | None = None) -> FindingChange:
    """Make `owner` responsible for the finding (a person responsible in the household's area),
    optionally with a new deadline (not in the past); the new owner is told.

    1. Check: an official of the area, the finding open, a reason, an owner who is a candidate
       and not the current one, a deadline not before today.
    2. One conditional UPDATE of owner (and deadline): a concurrent change is a clear error.
    3. A FindingChange row per change (owner, deadline) and an audit event with old/new values.
    4. A notification to the new owner naming the household and the deadline."""
    _require_open_and_managed(actor, finding)
    reason = reason.strip()
    errors = {}
    if not reason:
        errors["reason"] = _("请填写改派理由。")
    if not owner_candidates(finding).filter(pk=owner.pk).exists():
        errors["owner"] = _("该人员不负责此户所在区域，不能作为责任人。")
    elif owner.pk == finding.owner_id:
        errors["owner"] = _("新责任人与原责任人相同。")
    if due_on is not None and due_on == finding.due_on:
        due_on = None
    if due_on is not None and (today is None or due_on < today):
        errors["due_on"] = _("新的办结期限不能早于今天。")
    if errors:
        raise ValidationError(errors)
    old, old_due = finding.owner, finding.due_on
    values = {"owner": owner} | ({"due_on": due_on} if due_on else {})
    if Finding.objects.filter(pk=finding.pk, owner_id=old.pk, due_on=old_due).exclude(
            status=FindingStatus.CLOSED).update(**values) != 1:
        raise ValidationError(_("该问题已被他人调整，请刷新后重试。"))
    change = FindingChange.objects.create(finding=finding, kind=FindingChangeKind.OWNER, old_value=old.display_name[:100],
                                          new_value=owner.display_name[:100], reason=reason, actor=actor)
    details = {"change": "owner", "from": old.pk, "to": owner.pk, "reason": reason}
    finding.owner = owner
    if due_on:
        FindingChange.objects.create(finding=finding, kind=FindingChangeKind.DEADLINE, old_value=old_due.isoformat(),
                                     new_value=due_on.isoformat(), reason=reason, actor=actor)
        details |= {"due_on_from": old_due.isoformat(), "due_on_to": due_on.isoformat()}
        finding.due_on = due_on
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=finding, request=request, details=details)
    household = finding.household
    notify([owner.pk], key=f"finding-owner:{finding.pk}:{change.pk}", household=household,
           url=reverse("visits:finding", args=[finding.pk]),
           title=_("%(actor)s 将问题改派给您：%(household)s（%(village)s）%(kind)s，办结期限 %(due)s。") % {
               "actor": actor.display_name, "household": household_label(household),
               "village": household.village.short_name, "kind": finding.get_kind_display(),
               "due": finding.due_on.isoformat()})
    return change


@transaction.atomic
def finding_reschedule(*, actor: User, finding: Finding, due_on: dt.date, reason: str, today: dt.date,
                       request: HttpRequest | None = None) -> FindingChange:
    """Give the finding a new deadline (not in the past), with the reason."""
    _require_open_and_managed(actor, finding)
    reason = reason.strip()
    errors = {}
    if due_on < today:
        errors["due_on"] = _("新的办结期限不能早于今天。")
    elif due_on == finding.due_on:
        errors["due_on"] = _("新的办结期限与原期限相同。")
    if not reason:
        errors["reason"] = _("请填写调整期限的理由。")
    if errors:
        raise ValidationError(errors)
    old = finding.due_on
    if Finding.objects.filter(pk=finding.pk, due_on=old).exclude(status=FindingStatus.CLOSED).update(
            due_on=due_on) != 1:
        raise ValidationError(_("该问题已被他人调整，请刷新后重试。"))
    change = FindingChange.objects.create(finding=finding, kind=FindingChangeKind.DEADLINE, old_value=old.isoformat(),
                                          new_value=due_on.isoformat(), reason=reason, actor=actor)
    finding.due_on = due_on
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=finding, request=request,
                 details={"change": "due_on", "from": old.isoformat(), "to": due_on.isoformat(), "reason": reason})
    return change


def finding_photos_add(*, actor: User, finding: Finding, photos: Sequence[UploadedFile],
                       request: HttpRequest | None = None) -> list[FindingPhoto]:
    """Keep photos of the finding put right (taken by whoever may handle it)."""
    if not scope_queryset(actor, Household.objects.filter(pk=finding.household_id)).exists():
        raise PermissionDenied(_("无权处理该问题。"))
    saved = []
    stored = []
    for photo in photos:  # re-encoded to JPEG on the server; what is not an image is refused
        try:
            stored.append(photo_as_jpeg(photo))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
    for photo in stored:
        item = FindingPhoto(finding=finding, image=photo, uploaded_by=actor)
        item.full_clean()
        item.save()
        saved.append(item)
    if saved:
        audit_record(actor=actor, action=AuditAction.CREATE, obj=finding, request=request,
                     details={"photos": [p.pk for p in saved]})
    return saved


@transaction.atomic
def finding_update(*, actor: User, finding: Finding, to_status: str, note: str, photos: Sequence[UploadedFile],
                   today: dt.date, request: HttpRequest | None = None) -> Finding:
    """A status change (visits.actions.finding_transition) with its photos, all or nothing."""
    from .actions import finding_transition

    finding_transition(actor=actor, finding=finding, to_status=to_status, note=note, today=today, request=request)
    finding_photos_add(actor=actor, finding=finding, photos=photos, request=request)
    return finding
