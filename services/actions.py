"""Writes of the services app: each state change is one keyword-only, transactional function that
validates, saves and audits. Views, the admin, the demo seeding and the daily task call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.actions import audit_record, changed_fields
from accounts.areacodes import PREFECTURE_PREFIX
from accounts.models import AREA_ROLES, Area, AuditAction, Department, Role, User
from accounts.notifications import Message, notify_many
from accounts.permissions import require
from accounts.scoping import area_prefixes, has_role, scope_queryset
from beneficiaries.models import Household, HouseholdStatus, Person, Relation

from . import rules
from .holidays import referral_deadline
from .models import (
    CaseConference,
    Field,
    OneCaseDecision,
    Referral,
    ReferralAction,
    ReferralEvent,
    ReferralStatus,
    ServiceProvider,
    liaison_department_ids,
)

_require = require  # the one permission helper (accounts/permissions.py)


def can_reach_household(actor: User, household: Household) -> bool:
    """Cadres of the household and officials whose area covers it (not liaisons: they reach a
    referral, never the household file)."""
    return scope_queryset(actor, Household.objects.filter(pk=household.pk)).exists()


def is_official_for(actor: User, household: Household) -> bool:
    if actor.is_superuser:
        return True
    return any(household.village_id.startswith(p) for p in area_prefixes(actor, AREA_ROLES))


def can_handle(actor: User, referral: Referral) -> bool:
    """The liaisons of the department a referral is addressed to handle it."""
    return actor.is_superuser or referral.department_id in liaison_department_ids(actor)


def _event(referral: Referral, *, action: str, from_status: str, to_status: str, note: str, actor: User | None,
           at: dt.datetime) -> ReferralEvent:
    return ReferralEvent.objects.create(referral=referral, action=action, from_status=from_status,
                                        to_status=to_status, note=note, actor=actor, at=at)


# --- referrals ------------------------------------------------------------------------------


def default_contact(household: Household, person: Person | None) -> str:
    if person is not None and person.phone:
        return person.phone
    head = household.members.filter(relation=Relation.HEAD).exclude(phone="").values_list("phone", flat=True).first()
    return head or ""


@transaction.atomic
def referral_create(
    *,
    actor: User,
    household: Household,
    field: Field,
    problem: str,
    department: Department | None = None,
    person: Person | None = None,
    contact: str = "",
    urgent: bool = False,
    finding=None,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> Referral:
    """Send a case of a household to the department of its field (one window receives).

    1. The sender must reach the household (its cadre, or an official over its area).
    2. The department is the field's default unless the sender chooses another (recorded).
    3. Due at the end of the field's working days, or within 24 hours when urgent.
    4. The first timeline entry and an audit row are written with it."""
    _require(can_reach_household(actor, household), _("无权为该家庭提交转介。"))
    errors: dict[str, str] = {}
    if not problem.strip():
        errors["problem"] = _("请填写困难和诉求。")
    if household.status != HouseholdStatus.ACTIVE:
        errors["problem"] = _("该家庭已退出，不能再提交转介。")
    if person is not None and person.household_id != household.pk:
        errors["person"] = _("所选成员不属于该家庭。")
    if finding is not None and finding.household_id != household.pk:
        errors["problem"] = _("该问题不属于这个家庭。")
    elif finding is not None and not finding.is_open:
        errors["problem"] = _("该问题已办结，不能再转介。")
    if errors:
        raise ValidationError(errors)
    department = department or field.route_to
    referral = Referral(
        household=household, person=person, field=field, department=department,
        rerouted=department.pk != field.route_to_id, problem=problem.strip(),
        contact=(contact.strip() or default_contact(household, person))[:20], urgent=urgent,
        submitted_at=now, finding=finding, created_by=actor,
    )
    deadline = referral_deadline(submitted_at=now, deadline_days=field.deadline_days, urgent=urgent)
    referral.due_at, referral.due_provisional = deadline.due_at, deadline.provisional
    referral.full_clean()
    referral.save()
    _event(referral, action=ReferralAction.SUBMIT, from_status="", to_status=ReferralStatus.SUBMITTED,
           note=referral.problem, actor=actor, at=now)
    if finding is not None:
        from .finding_link import mark_referred

        mark_referred(referral=referral, actor=actor, request=request)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=referral, request=request,
                 details={"household": household.code, "field": field.code, "department": department.code,
                          "urgent": urgent, "rerouted": referral.rerouted,
                          "finding": finding.pk if finding else None})
    return referral


@transaction.atomic
def referral_transition(
    *,
    actor: User,
    referral: Referral,
    to_status: str,
    note: str = "",
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> Referral:
    """Move a referral along submitted → accepted → in progress → resolved / declined.

    1. Only a liaison of the receiving department acts on it.
    2. An illegal move is refused with the names of both states; resolving needs the outcome,
       declining the reason.
    3. A conditional update on the current status makes a double submit (or two liaisons at
       once) a clear error instead of a second transition.
    4. Resolving closes the visit finding the referral came from (the loop closes where it
       opened)."""
    _require(can_handle(actor, referral), _("只有受理部门的联络员可以办理该转介。"))
    current = referral.status
    if not rules.can_transition(current, to_status):
        raise ValidationError({"to_status": _("不能从“%(a)s”变为“%(b)s”。") % {
            "a": ReferralStatus(current).label, "b": ReferralStatus(to_status).label if to_status in ReferralStatus.values
            else to_status}})
    note = note.strip()
    values: dict = {"status": to_status}
    if to_status == ReferralStatus.RESOLVED:
        if not note:
            raise ValidationError({"note": _("办结时请填写办理结果。")})
        values |= {"outcome": note, "closed_at": now}
    elif to_status == ReferralStatus.DECLINED:
        if not note:
            raise ValidationError({"note": _("不予受理时请填写理由。")})
        values |= {"decline_reason": note, "closed_at": now}
    updated = Referral.objects.filter(pk=referral.pk, status=current).update(**values)
    if updated != 1:
        raise ValidationError(_("该转介已被他人处理，请刷新后重试。"))
    _event(referral, action=rules.TRANSITIONS[current][to_status], from_status=current, to_status=to_status,
           note=note, actor=actor, at=now)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=referral, request=request,
                 details={"status": [current, to_status], "note": note[:200]})
    referral.refresh_from_db()
    if to_status == ReferralStatus.RESOLVED:
        _close_finding(referral=referral, actor=actor, now=now, request=request)
    if to_status in (ReferralStatus.RESOLVED, ReferralStatus.DECLINED) and referral.finding_id:
        from .finding_link import tell_finding_raiser

        tell_finding_raiser(referral=referral)
    return referral


def _close_finding(*, referral: Referral, actor: User, now: dt.datetime, request: HttpRequest | None) -> None:
    """The loop closes where it opened: the visit finding the referral came from is closed."""
    if referral.finding_id is None:
        return
    from .finding_link import close_finding

    close_finding(referral=referral, actor=actor, now=now, request=request)


@transaction.atomic
def referral_note(*, actor: User, referral: Referral, note: str, now: dt.datetime,
                  request: HttpRequest | None = None) -> ReferralEvent:
    """A progress note on an open referral, by its department."""
    _require(can_handle(actor, referral), _("只有受理部门的联络员可以办理该转介。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写进展情况。")})
    if not referral.is_open:
        raise ValidationError({"note": _("该转介已结束，不能再记录进展。")})
    event = _event(referral, action=ReferralAction.NOTE, from_status=referral.status, to_status=referral.status,
                   note=note.strip(), actor=actor, at=now)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=referral, request=request,
                 details={"note": note.strip()[:200]})
    return event


ESCALATE_SQL = """
WITH late AS (
    UPDATE services_referral AS r
    SET escalated_at = %(now)s,
        escalated_to_id = substr(h.village_id, 1, 6) || '000000'
    FROM beneficiaries_household AS h
    WHERE h.id = r.household_id
      AND r.status IN ('submitted', 'accepted', 'in_progress')
      AND r.due_at <= %(now)s
      AND r.escalated_at IS NULL
      AND EXISTS (SELECT 1 FROM accounts_area a WHERE a.code = substr(h.village_id, 1, 6) || '000000')
    RETURNING r.id, r.status, r.escalated_to_id, r.household_id
), logged AS (
    INSERT INTO services_referralevent (referral_id, action, from_status, to_status, note, actor_id, at)
    SELECT late.id, 'escalate', late.status, late.status, %(note)s || a.name, NULL, %(now)s
    FROM late JOIN accounts_area a ON a.code = late.escalated_to_id
    RETURNING referral_id
)
-- One row per escalated referral and county civil affairs official to tell (accounts.notifications).
SELECT late.id, late.household_id, ra.user_id
FROM late LEFT JOIN accounts_roleassignment ra ON ra.role = 'county' AND ra.area_id = late.escalated_to_id
"""


@transaction.atomic
def referrals_escalate_overdue(*, now: dt.datetime) -> int:
    """Escalate every open referral past its due time to the civil affairs office of its county,
    once (a conditional, set-based UPDATE: safe to run twice, safe with two workers). Returns the
    number escalated."""
    with connection.cursor() as cur:
        cur.execute(ESCALATE_SQL, {"now": now, "note": _("超过办理期限，已上报")})
        late = cur.fetchall()
    # The county civil affairs staff hear of it in their inbox (once per referral).
    notify_many([Message(user_id, f"referral-late:{referral_id}", _("转介超过办理期限，已上报县民政"), household_id,
                         reverse("services:referral", args=[referral_id])) for referral_id, household_id, user_id in late
                 if user_id])
    count = len({r[0] for r in late})
    if count:
        audit_record(actor=None, action=AuditAction.CHANGE, object_type="services.referral",
                     object_repr=_("转介超期上报"), details={"escalated": count, "at": now.isoformat()})
    return count


@transaction.atomic
def referral_match_provider(*, actor: User, referral: Referral, provider: ServiceProvider, now: dt.datetime,
                            request: HttpRequest | None = None) -> Referral:
    """Connect an open referral to a service provider that serves the household's village."""
    from .queries import providers_for_village

    _require(can_handle(actor, referral) or is_official_for(actor, referral.household),
             _("无权为该转介对接服务资源。"))
    if not referral.is_open:
        raise ValidationError({"provider": _("该转介已结束。")})
    if not providers_for_village(referral.household.village_id).filter(pk=provider.pk).exists():
        raise ValidationError({"provider": _("该服务资源不服务于这个村(居)。")})
    Referral.objects.filter(pk=referral.pk).update(provider=provider)
    _event(referral, action=ReferralAction.MATCH, from_status=referral.status, to_status=referral.status,
           note=provider.name, actor=actor, at=now)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=referral, request=request,
                 details={"provider": [referral.provider_id, provider.pk]})
    referral.refresh_from_db()
    return referral


# --- urgent cases: 个案会商, 一事一议 ---------------------------------------------------------


def _check_official(actor: User, household: Household) -> None:
    _require(is_official_for(actor, household), _("只有乡镇(街道)、县(市)、州民政工作人员可以登记。"))


def _check_referral(household: Household, referral: Referral | None) -> None:
    if referral is not None and referral.household_id != household.pk:
        raise ValidationError({"referral": _("所选转介不属于该家庭。")})


@transaction.atomic
def case_conference_record(*, actor: User, household: Household, held_on: dt.date, participants: str, topic: str,
                           decision: str, referral: Referral | None = None, today: dt.date,
                           request: HttpRequest | None = None) -> CaseConference:
    _check_official(actor, household)
    _check_referral(household, referral)
    if held_on > today:
        raise ValidationError({"held_on": _("会商日期不能晚于今天。")})
    record = CaseConference(household=household, referral=referral, held_on=held_on, participants=participants.strip(),
                            topic=topic.strip(), decision=decision.strip(), recorded_by=actor)
    record.full_clean()
    record.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=record, request=request,
                 details={"household": household.code, "referral": getattr(referral, "pk", None)})
    return record


@transaction.atomic
def one_case_decision_record(*, actor: User, household: Household, decided_on: dt.date, matter: str, decision: str,
                             approved_by: str, amount_fen: int | None = None, referral: Referral | None = None,
                             today: dt.date, request: HttpRequest | None = None) -> OneCaseDecision:
    _check_official(actor, household)
    _check_referral(household, referral)
    if decided_on > today:
        raise ValidationError({"decided_on": _("议定日期不能晚于今天。")})
    record = OneCaseDecision(household=household, referral=referral, decided_on=decided_on, matter=matter.strip(),
                             decision=decision.strip(), approved_by=approved_by.strip(), amount_fen=amount_fen,
                             recorded_by=actor)
    record.full_clean()
    record.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=record, request=request,
                 details={"household": household.code, "amount_fen": amount_fen})
    return record


# --- service providers and field settings -----------------------------------------------------


def _provider_prefixes(actor: User) -> list[str]:
    return [PREFECTURE_PREFIX] if actor.is_superuser else area_prefixes(actor, {Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE})


def can_edit_provider(actor: User, provider: ServiceProvider) -> bool:
    """A provider is maintained by the area roles over its owner area (others may only see it)."""
    return any(provider.owner_area_id.startswith(p) for p in _provider_prefixes(actor))


@transaction.atomic
def provider_save(*, actor: User, name: str, kind: str, services: Sequence[str], areas: Sequence[Area],
                  owner_area: Area, contact_name: str = "", phone: str = "", note: str = "", active: bool = True,
                  provider: ServiceProvider | None = None, request: HttpRequest | None = None) -> ServiceProvider:
    """Register or update a service provider (五社联动). Area roles maintain the providers
    registered in their area; the areas served must lie in the actor's scope too."""
    prefixes = _provider_prefixes(actor)
    in_scope = lambda code: any(code.startswith(p) for p in prefixes)  # noqa: E731
    _require(in_scope(owner_area.code) and (provider is None or can_edit_provider(actor, provider)),
             _("无权维护该服务资源。"))
    errors = {}
    if not areas:
        errors["areas"] = _("请至少选择一个服务区域。")
    elif not all(in_scope(a.code) for a in areas):
        errors["areas"] = _("服务区域超出本人管辖范围。")
    if not services:
        errors["services"] = _("请至少选择一项服务。")
    if errors:
        raise ValidationError(errors)
    values = {"name": name.strip(), "kind": kind, "services": list(services), "contact_name": contact_name.strip(),
              "phone": phone.strip(), "note": note.strip(), "active": active}
    if provider is None:
        provider = ServiceProvider(owner_area=owner_area, created_by=actor, **values)
        diff = {k: [None, str(v)] for k, v in values.items()}
        action = AuditAction.CREATE
    else:
        diff = changed_fields(provider, values)
        for k, v in values.items():
            setattr(provider, k, v)
        action = AuditAction.CHANGE
    provider.full_clean()
    provider.save()
    provider.areas.set(areas)
    audit_record(actor=actor, action=action, obj=provider, request=request,
                 details={"changes": diff, "areas": [a.code for a in areas]})
    return provider


@transaction.atomic
def field_update(*, actor: User, field: Field, route_to: Department, deadline_days: int,
                 request: HttpRequest | None = None) -> Field:
    """The prefecture bureau sets where a field's referrals go and how many working days they have."""
    _require(actor.is_superuser or has_role(actor, Role.PREFECTURE), _("只有州民政局可以修改帮扶领域设置。"))
    new_values = {"route_to": route_to, "deadline_days": deadline_days}
    diff = changed_fields(field, new_values)
    for k, v in new_values.items():
        setattr(field, k, v)
    field.full_clean()
    field.save(update_fields=["route_to", "deadline_days"])
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=field, request=request, details={"changes": diff})
    return field
