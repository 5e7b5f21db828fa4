"""Writes of the exchange app: API tokens, proposals and their decisions. Each is one keyword-only,
transactional function that validates, saves and audits; pages, the API and the cross-check call
these, and the roster itself changes only through beneficiaries.actions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import AREA_ROLES, Area, AreaLevel, AuditAction, Department, Role, User
from accounts.otp import second_factor_passed
from accounts.scoping import area_prefixes, has_role
from beneficiaries import actions as roster
from beneficiaries import idnumber
from beneficiaries.models import Household, HouseholdStatus, Person, QuarterlyReview, Relation
from services.models import Field

from .models import ApiToken, Proposal, ProposalKind, ProposalReason, ProposalStatus

# --- API tokens ----------------------------------------------------------------------------------

TOKEN_MAX_DAYS = 730  # two years at most; a department renews with a new token


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def can_manage_tokens(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.PREFECTURE)


def department_fields(department: Department):
    """The fields a department leads, is responsible for, or receives by default."""
    from django.db.models import Q

    return Field.objects.filter(
        Q(lead_departments=department) | Q(responsible_departments=department) | Q(route_to=department)
    ).distinct().order_by("number")


@transaction.atomic
def token_create(
    *, actor: User, name: str, department: Department, fields: Sequence[Field], area: Area, expires_on: dt.date,
    today: dt.date, request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Create a department's API token and return it with its secret — the only time the secret
    exists outside the caller: the database keeps its SHA-256.

    1. only the prefecture bureau creates tokens;
    2. the fields must be the department's own, the area a county or the prefecture (or a township);
    3. a technical user without password or role rows is created for the token (the audit log
       names it); the token's department is given to it at each authentication."""
    if not can_manage_tokens(actor):
        raise PermissionDenied(_("只有州民政局可以管理接口令牌。"))
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("请填写用途（对接的业务系统）。")
    if not fields:
        errors["fields"] = _("请至少选择一个帮扶领域。")
    else:
        own = set(department_fields(department).values_list("pk", flat=True))
        wrong = [f.name for f in fields if f.pk not in own]
        if wrong:
            errors["fields"] = _("“%(f)s”不是%(d)s的帮扶领域。") % {"f": "、".join(wrong), "d": department.name}
    if area.level == AreaLevel.VILLAGE:
        errors["area"] = _("数据范围请选择州、县(市)或乡镇(街道)。")
    if expires_on <= today:
        errors["expires_on"] = _("有效期须晚于今天。")
    elif expires_on > today + dt.timedelta(days=TOKEN_MAX_DAYS):
        errors["expires_on"] = _("有效期最长两年。")
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    secret = f"care_{prefix}_{secrets.token_urlsafe(32)}"
    user = User(username=f"api-{prefix}", real_name=f"{department.name}(接口)"[:50], is_active=True)
    user.set_unusable_password()
    user.save()
    end_of_day = dt.datetime.combine(expires_on, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone())
    token = ApiToken.objects.create(
        name=name.strip(), department=department, area=area, user=user, prefix=prefix,
        key_hash=token_digest(secret), expires_at=end_of_day, created_by=actor,
    )
    token.fields.set(fields)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=token, request=request, details={
        "department": department.code, "fields": sorted(f.code for f in fields), "area": area.code,
        "expires_on": expires_on.isoformat(), "prefix": prefix,
    })
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken, request: HttpRequest | None = None) -> ApiToken:
    """Revoke a token at once (a conditional update: revoking twice is an error, not a second row)."""
    if not can_manage_tokens(actor):
        raise PermissionDenied(_("只有州民政局可以管理接口令牌。"))
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if updated != 1:
        raise ValidationError(_("该令牌已经吊销。"))
    User.objects.filter(pk=token.user_id).update(is_active=False)
    token.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=token, request=request,
                 details={"revoked": True, "department": token.department.code, "prefix": token.prefix})
    return token


# --- proposals -----------------------------------------------------------------------------------

REASONS_BY_KIND = {
    ProposalKind.EXIT: (ProposalReason.INCOME_IMPROVED, ProposalReason.DEATH, ProposalReason.MOVED_OUT,
                        ProposalReason.NO_LONGER_ELIGIBLE, ProposalReason.OTHER),
    ProposalKind.ENTRY: (ProposalReason.MEETS_CRITERIA, ProposalReason.OTHER),
    ProposalKind.REENTRY: (ProposalReason.MEETS_CRITERIA, ProposalReason.OTHER),
}
PROPOSER_ROLES = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)


def county_code(village_code: str) -> str:
    return village_code[:6] + "000000"


def can_propose(user: User) -> bool:
    return user.is_superuser or has_role(user, *PROPOSER_ROLES)


def can_decide(user: User) -> bool:
    return roster.can_classify(user)


def _in_area(user: User, code: str) -> bool:
    return user.is_superuser or any(code.startswith(p) for p in area_prefixes(user, AREA_ROLES))


def reason_label(proposal: Proposal) -> str:
    label = str(ProposalReason(proposal.reason).label)
    return f"{label}：{proposal.reason_text}" if proposal.reason_text else label


@transaction.atomic
def proposal_create(
    *, actor: User, kind: str, reason: str, reason_text: str = "", household: Household | None = None,
    village: Area | None = None, name: str = "", id_number: str = "", address: str = "", household_code: str = "",
    today: dt.date, request: HttpRequest | None = None, effective_on: dt.date | None = None,
) -> Proposal:
    """A village committee, township or county proposes an entry, exit or re-entry (§5(4)).
    Nothing on the roster changes: the county decides in the quarterly review."""
    if not can_propose(actor):
        raise PermissionDenied(_("只有村(居)、乡镇(街道)和县(市)民政可以提出纳入或退出。"))
    errors: dict[str, str] = {}
    if kind not in REASONS_BY_KIND:
        raise ValidationError({"kind": _("提议类型不正确。")})
    if reason not in REASONS_BY_KIND[kind]:
        errors["reason"] = _("请从列表中选择理由。")
    elif reason == ProposalReason.OTHER and not reason_text.strip():
        errors["reason_text"] = _("选择“其他”时请填写具体理由。")
    if effective_on is not None and effective_on > today:
        errors["effective_on"] = _("事实发生日期不能晚于今天。")
    values: dict = {}
    if kind == ProposalKind.ENTRY:
        if village is None or village.level != AreaLevel.VILLAGE:
            errors["village"] = _("请选择村(居)一级的区划。")
        elif not _in_area(actor, village.code):
            errors["village"] = _("“%(v)s”不在您负责的区域内。") % {"v": village.name}
        if not name.strip():
            errors["name"] = _("请填写户主姓名。")
        number = idnumber.normalize(id_number)
        try:
            idnumber.parse(number, today=today)
        except ValidationError as exc:
            errors["id_number"] = "；".join(exc.messages)
        else:
            if person_by_id_number(number) is not None:
                errors["id_number"] = _("该身份证号已在花名册中登记。")
        if not household_code.strip():
            errors["household_code"] = _("请填写户编号。")
        elif Household.objects.filter(code=household_code.strip()).exists():
            errors["household_code"] = _("户编号已被使用。")
        values = {"village": village, "name": name.strip(), "id_number": number, "id_masked": idnumber.mask(number),
                  "address": address.strip(), "household_code": household_code.strip()}
        where = village.code if village is not None else ""
    else:
        if household is None or not _in_area(actor, household.village_id):
            raise PermissionDenied(_("该家庭不在您负责的区域内。"))
        if kind == ProposalKind.EXIT and household.status != HouseholdStatus.ACTIVE:
            errors["kind"] = _("该户已经退出花名册。")
        if kind == ProposalKind.REENTRY and household.status != HouseholdStatus.EXITED:
            errors["kind"] = _("该户在册，无需恢复。")
        values = {"household": household, "village_id": household.village_id}
        where = household.village_id
    if errors:
        raise ValidationError(errors)
    proposal = Proposal(kind=kind, reason=reason, reason_text=reason_text.strip(), county_id=county_code(where),
                        proposed_by=actor, effective_on=effective_on, **values)
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError as exc:
        raise ValidationError(_("已有同类提议待县(市)决定，请勿重复提出。")) from exc
    audit_record(actor=actor, action=AuditAction.CREATE, obj=proposal, request=request, details={
        "kind": kind, "reason": reason, "household": household.code if household else None,
        "village": proposal.village_id, "id_number": proposal.id_masked or None,
        "effective_on": effective_on.isoformat() if effective_on else None,
    })
    return proposal


def proposal_id_reveal(*, actor: User, proposal: Proposal, request: HttpRequest | None = None) -> str:
    """A waiting entry's full ID number, on the terms of a person's (beneficiaries.actions.id_reveal):
    the roles that may reveal, after the second factor, each reveal audited. The caller has
    fetched the proposal in the actor's scope."""
    if not roster.can_reveal(actor):
        raise PermissionDenied(_("您没有查看完整身份证号的权限。"))
    if not second_factor_passed(actor):
        raise PermissionDenied(_("查看完整身份证号前，请先完成二次验证。"))
    if not proposal.id_number:
        raise ValidationError(_("该提议没有待登记的身份证号。"))
    audit_record(actor=actor, action=AuditAction.REVEAL, obj=proposal, request=request,
                 details={"field": "id_number", "kind": proposal.kind, "village": proposal.village_id})
    return proposal.id_number


def person_by_id_number(number: str) -> Person | None:
    """The one place that finds a person by ID number (the privacy work may move the number behind
    a blind index; only this function and crosscheck.match_persons need to follow)."""
    return Person.objects.filter(id_number=number).select_related("household").first()


@transaction.atomic
def source_date(proposal: Proposal) -> dt.date | None:
    """The date the proposal's source fact took effect: the stored `effective_on` (a death, a move
    away, turning 18, a department's list day); for a death proposed before it was stored, the day
    the last of the household's members died; None when the source has no date."""
    if proposal.effective_on is not None:
        return proposal.effective_on
    dates = []
    for change in (proposal.facts or {}).get("changes", []):
        if change.get("field") == "died_on" and change.get("list"):
            try:
                dates.append(dt.date.fromisoformat(change["list"]))
            except ValueError:
                continue
    return max(dates) if dates else None


def proposal_decide(
    *, actor: User, proposal: Proposal, accept: bool, reason: str, review: QuarterlyReview | None = None,
    today: dt.date, request: HttpRequest | None = None,
) -> Proposal:
    """A county official accepts or rejects a proposal, with a reason. Accepting applies it through
    the roster's own actions — exit, re-entry, registration, fact changes and the tier decision —
    in the same transaction, so a decision that cannot be applied leaves nothing behind.

    1. only the county (or the bureau) over the proposal's county decides; once (conditional update);
    2. accepted: the change is applied; 3. the decision is audited with the proposal."""
    if not can_decide(actor) or not _in_area(actor, proposal.county_id):
        raise PermissionDenied(_("只有县(市)民政部门可以决定纳入、退出。"))
    if not reason.strip():
        raise ValidationError({"decision_reason": _("请填写决定理由。")})
    if review is not None and (review.county_id != proposal.county_id or review.is_completed):
        raise ValidationError(_("该季度动态调整已完成或不属于该县(市)。"))
    status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    updated = Proposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PENDING).update(
        status=status, decided_by=actor, decided_at=timezone.now(), decision_reason=reason.strip()[:300],
        review=review, id_number="", id_number_index=None,  # update() skips save(): clear the index too
    )
    if updated != 1:
        raise ValidationError(_("该提议已经作出决定。"))
    if accept:
        _apply(actor=actor, proposal=proposal, decision_reason=reason.strip(), today=today, request=request)
    proposal.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=proposal, request=request, details={
        "decision": status, "reason": reason.strip()[:300], "kind": proposal.kind,
        "household": proposal.household_id, "review": review.pk if review else None,
    })
    return proposal


def _apply(*, actor: User, proposal: Proposal, decision_reason: str, today: dt.date,
           request: HttpRequest | None) -> None:
    kind = proposal.kind
    if kind == ProposalKind.EXIT:
        roster.household_exit(actor=actor, household=proposal.household, reason=reason_label(proposal)[:200],
                              today=today, request=request, effective_on=source_date(proposal))
    elif kind == ProposalKind.REENTRY:
        roster.household_reenter(actor=actor, household=proposal.household, reason=reason_label(proposal),
                                 request=request)
        _apply_fact_changes(actor=actor, proposal=proposal, today=today, request=request)
    elif kind == ProposalKind.ENTRY:
        code = proposal.household_code or f"{proposal.village_id}-{proposal.pk}"
        household = roster.household_create(actor=actor, code=code, village=proposal.village,
                                            address=proposal.address, request=request)
        facts = {k: v for k, v in (proposal.facts.get("list_facts") or {}).items() if k in roster.PERSON_FIELDS}
        roster.person_save(actor=actor, household=household, today=today, request=request, data={
            **facts, "name": proposal.name, "id_number": proposal.id_number, "relation": Relation.HEAD,
        })
        Proposal.objects.filter(pk=proposal.pk).update(household=household)
    else:  # tier change or mismatch: the department's facts replace the roster's, then the tier
        _apply_fact_changes(actor=actor, proposal=proposal, today=today, request=request)
        if kind == ProposalKind.TIER_CHANGE:
            household = Household.objects.get(pk=proposal.household_id)
            suggestion = roster.suggestion_for(household, today)
            if suggestion.tier:
                roster.classification_confirm(
                    actor=actor, household=household, tier=suggestion.tier, criteria=list(suggestion.criteria),
                    reason=_("部门数据比对：%(r)s") % {"r": decision_reason}, today=today, request=request,
                    effective_on=source_date(proposal),
                )


def _apply_fact_changes(*, actor: User, proposal: Proposal, today: dt.date, request: HttpRequest | None) -> None:
    changes = [c for c in proposal.facts.get("changes", []) if c.get("field") in roster.PERSON_FIELDS]
    by_person: dict[int, dict] = {}
    for c in changes:
        by_person.setdefault(c["person"], {})[c["field"]] = c["list"]
    for person in Person.objects.filter(pk__in=by_person, household_id=proposal.household_id):
        data = {f: getattr(person, f) for f in roster.PERSON_FIELDS} | by_person[person.pk]
        roster.person_save(actor=actor, household=person.household, person=person, data=data, today=today,
                           request=request)
