"""Writes of the roster. Every state change is one keyword-only, transactional function that
validates, saves and audits; views, the import, admin and seed all call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record, changed_fields
from accounts.models import Area, AreaLevel, AuditAction, Role, User
from accounts.otp import second_factor_passed
from accounts.permissions import require
from accounts.repeat import AlreadyDone
from accounts.scoping import area_prefixes, has_role, scope_queryset

from . import events, idnumber, rules
from .models import (
    Cadre,
    CarePlan,
    Classification,
    Household,
    HouseholdStatus,
    Pairing,
    Person,
    QuarterlyReview,
)

# Roles that maintain the roster (survey: township; decisions: county; the bureau above them).
EDITOR_ROLES = (Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
CLASSIFIER_ROLES = (Role.COUNTY, Role.PREFECTURE)
REVEAL_ROLES = (Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)

PERSON_FIELDS = (
    "name", "id_number", "relation", "phone", "benefit_status", "support_mode", "self_care",
    "disability_type", "disability_grade", "serious_illness", "work_capacity", "is_main_earner",
    "left_behind", "child_in_distress", "civil_capacity", "guardian_name", "guardian_can_act",
)


def can_edit_roster(user: User) -> bool:
    return user.is_superuser or has_role(user, *EDITOR_ROLES)


def can_classify(user: User) -> bool:
    return user.is_superuser or has_role(user, *CLASSIFIER_ROLES)


def can_reveal(user: User) -> bool:
    return user.is_superuser or has_role(user, *REVEAL_ROLES)


# The one permission helper (accounts/permissions.py); the roster's actions report refusals as
# ValidationError, which their views and the import show as messages.
_require = partial(require, error=ValidationError)


def village_in_scope(user: User, village: Area) -> bool:
    """Writes are limited to villages under the actor's area roles (cadres write no roster)."""
    if village.level != AreaLevel.VILLAGE:
        return False
    return any(village.code.startswith(p) for p in area_prefixes(user))


def _check_village(actor: User, village: Area) -> None:
    if village.level != AreaLevel.VILLAGE:
        raise ValidationError({"village": _("请选择村(居)一级的区划。")})
    if not village_in_scope(actor, village):
        raise ValidationError({"village": _("“%(v)s”不在您负责的区域内。") % {"v": village.name}})


def _audit_person_diff(diff: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The audit log never holds a full ID number: old and new are masked."""
    if "id_number" in diff:
        diff["id_number"] = [idnumber.mask(v) for v in diff["id_number"]]
    return diff


# --- households and persons --------------------------------------------------------------------


@transaction.atomic
def household_create(
    *, actor: User, code: str, village: Area, address: str = "", request: HttpRequest | None = None
) -> Household:
    _require(can_edit_roster(actor), _("您没有维护花名册的权限。"))
    _check_village(actor, village)
    household = Household(code=code.strip(), village=village, address=address.strip())
    household.full_clean(exclude=["tier", "criteria"])
    household.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=household, request=request,
                 details={"village": village.code})
    return household


@transaction.atomic
def household_update(
    *, actor: User, household: Household, code: str, village: Area, address: str = "",
    request: HttpRequest | None = None,
) -> Household:
    _require(can_edit_roster(actor), _("您没有维护花名册的权限。"))
    _check_village(actor, village)
    values = {"code": code.strip(), "village": village, "address": address.strip()}
    diff = changed_fields(household, values)
    if not diff:
        return household
    for name, value in values.items():
        setattr(household, name, value)
    household.full_clean(exclude=["tier", "criteria"])
    household.save(update_fields=[*values, "updated_at"])
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=household, request=request, details=diff)
    return household


def person_values(data: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Clean a person's values: normalise the ID number and derive birth date and sex from it."""
    values = {k: data[k] for k in PERSON_FIELDS if k in data}
    number = idnumber.normalize(values.get("id_number", ""))
    facts = idnumber.parse(number, today=today)
    values.update(id_number=number, birth_date=facts.birth_date, sex=facts.sex)
    for blankable in ("phone", "support_mode", "disability_type", "left_behind", "guardian_name"):
        values[blankable] = values.get(blankable) or ""
    return values


@transaction.atomic
def person_save(
    *, actor: User, household: Household, data: dict[str, Any], today: date, person: Person | None = None,
    request: HttpRequest | None = None,
) -> Person:
    """Add a member to a household, or change one. The ID number decides birth date and sex."""
    _require(can_edit_roster(actor), _("您没有维护花名册的权限。"))
    try:
        values = person_values(data, today=today)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from exc
    creating = person is None
    if creating:
        person = Person(household=household)
        diff = {}
    else:
        diff = _audit_person_diff(changed_fields(person, values))
    for name, value in values.items():
        setattr(person, name, value)
    # Uniqueness of the ID number and the single head are held by the database (and checked
    # by the form for the screen); asking for them here would cost queries per imported row.
    person.full_clean(validate_unique=False, validate_constraints=False)
    if person.disability_grade is not None and not 1 <= person.disability_grade <= 4:
        raise ValidationError({"disability_grade": _("残疾等级应为1至4级。")})
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        raise ValidationError(_("保存失败：身份证号已登记，或该户已有户主。")) from exc
    audit_record(
        actor=actor, action=AuditAction.CREATE if creating else AuditAction.CHANGE, obj=person, request=request,
        details={"household": household.code, **({"changes": diff} if diff else {})},
    )
    return person


def suggestion_for(household: Household, today: date, members: Iterable[Person] | None = None) -> rules.Suggestion:
    people = list(members) if members is not None else list(household.members.all())
    return rules.suggest([rules.MemberFacts.of(p) for p in people], today)


@transaction.atomic
def classification_confirm(
    *, actor: User, household: Household, tier: str, criteria: Sequence[str], reason: str, today: date,
    request: HttpRequest | None = None, once: bool = False, effective_on: date | None = None,
) -> Classification:
    """A county officer confirms (or overrides) the tier of a household.

    `effective_on`: the day the facts behind the decision took effect (a department's list day),
    when earlier than the decision; the decision's day otherwise.

    `once` (the decision form): the same decision by the same officer already taken today is a
    repeated submit — ``AlreadyDone``, nothing appended (checked under the row lock).

    1. lock the household row, so two officers deciding at once are serialised;
    2. compute the rules' suggestion from the members' facts as they are now;
    3. refuse a decision that is incomplete, or an override / judgement without a reason;
    4. append the Classification and copy tier, criteria and tier_since onto the household.
    """
    _require(can_classify(actor), _("只有县(市)民政部门可以认定类别。"))
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationError(_("该户已退出花名册，不能再认定类别。"))
    criteria = sorted(set(criteria))
    if once:
        last = Classification.objects.filter(household=household).order_by("-id").first()
        if (last is not None and last.effective_on == today and last.decided_by_id == actor.pk and last.tier == tier
                and sorted(last.criteria) == criteria and last.reason == reason.strip()):
            raise AlreadyDone()
    suggestion = suggestion_for(household, today)
    problems = rules.decision_problems(tier=tier, criteria=criteria, reason=reason, suggestion=suggestion)
    if problems:
        raise ValidationError(problems)
    from_tier = household.tier
    effective = min(effective_on, today) if effective_on is not None else today
    classification = Classification.objects.create(
        household=household, suggested_tier=suggestion.tier, suggested_criteria=list(suggestion.criteria),
        from_tier=from_tier, tier=tier, criteria=criteria, reason=reason.strip(), effective_on=effective,
        decided_by=actor,
    )
    household.tier = tier
    household.criteria = criteria
    if from_tier != tier or household.tier_since is None:
        household.tier_since = effective
    household.save(update_fields=["tier", "criteria", "tier_since", "updated_at"])
    audit_record(
        actor=actor, action=AuditAction.CHANGE, obj=household, request=request,
        details={"classification": classification.pk, "from": from_tier, "to": tier, "criteria": criteria,
                 "override": classification.is_override},
    )
    _refresh_schedule(household, today)
    return classification


@transaction.atomic
def household_exit(
    *, actor: User, household: Household, reason: str, today: date, request: HttpRequest | None = None,
    effective_on: date | None = None,
) -> Household:
    """Take a household off the active roster (never deleted); its active pairing ends too.

    `effective_on` is the date of the fact the exit rests on (a death reported by a department):
    the household is off the roster from that day — schedules and reports as of any later day do
    not count it — although the decision is taken later (`today`)."""
    _require(can_edit_roster(actor), _("您没有维护花名册的权限。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写退出原因。")})
    exited_on = min(effective_on or today, today)
    updated = Household.objects.filter(pk=household.pk, status=HouseholdStatus.ACTIVE).update(
        status=HouseholdStatus.EXITED, exited_on=exited_on, exit_reason=reason.strip()[:200]
    )
    if updated != 1:
        raise ValidationError(_("该户已经退出花名册。"))
    # A pairing that began after the fact (rare) ends the day it began: never before it started.
    Pairing.objects.filter(household=household, ended_on__isnull=True).update(
        ended_on=Greatest(F("started_on"), Value(exited_on)), end_reason=_("退出花名册")
    )
    household.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=household, request=request,
                 details={"status": ["active", "exited"], "reason": reason.strip(),
                          "exited_on": exited_on.isoformat(), "decided_on": today.isoformat()})
    _refresh_schedule(household, today)
    return household


@transaction.atomic
def household_reenter(*, actor: User, household: Household, reason: str, request: HttpRequest | None = None) -> Household:
    """Bring an exited household back onto the roster (dynamic adjustment)."""
    _require(can_edit_roster(actor), _("您没有维护花名册的权限。"))
    updated = Household.objects.filter(pk=household.pk, status=HouseholdStatus.EXITED).update(
        status=HouseholdStatus.ACTIVE, exited_on=None, exit_reason=""
    )
    if updated != 1:
        raise ValidationError(_("该户在册，无需恢复。"))
    household.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=household, request=request,
                 details={"status": ["exited", "active"], "reason": reason.strip()})
    _refresh_schedule(household, timezone.localdate())
    return household


def id_reveal(*, actor: User, person: Person, request: HttpRequest | None = None) -> str:
    """The full ID number, for roles that need it; every reveal is audited."""
    _require(can_reveal(actor), _("您没有查看完整身份证号的权限。"))
    _require(second_factor_passed(actor), _("查看完整身份证号前，请先完成二次验证。"))
    audit_record(actor=actor, action=AuditAction.REVEAL, obj=person, request=request,
                 details={"household": person.household_id})
    return person.id_number


def _refresh_schedule(household: Household, today: date) -> None:
    """A tier, pairing or status change moves the stored next due date at once (not only at the
    next 07:00 run): the roster says so through its events; visits (which owns the schedule rule)
    and the other apps built on the roster subscribe."""
    events.roster_changed(households=Household.objects.filter(pk=household.pk), today=today)


# --- cadres and pairings ----------------------------------------------------------------------

CADRE_FIELDS = ("name", "phone", "kind", "work_unit", "home_village", "agency")


@transaction.atomic
def cadre_save(
    *, actor: User, data: dict[str, Any], cadre: Cadre | None = None, request: HttpRequest | None = None
) -> Cadre:
    _require(can_edit_roster(actor), _("您没有维护帮扶干部名录的权限。"))
    values = {k: data[k] for k in CADRE_FIELDS if k in data}
    _check_village(actor, values.get("home_village") or cadre.home_village)
    creating = cadre is None
    cadre = cadre or Cadre()
    diff = changed_fields(cadre, values) if not creating else {}
    for name, value in values.items():
        setattr(cadre, name, value)
    cadre.full_clean()
    cadre.save()
    audit_record(actor=actor, action=AuditAction.CREATE if creating else AuditAction.CHANGE, obj=cadre,
                 request=request, details=diff)
    return cadre


def _receiving_cadre_ok(actor: User, cadre: Cadre) -> None:
    if not cadre.active:
        raise ValidationError({"cadre": _("干部“%(c)s”已离岗，不能结对。") % {"c": cadre.name}})
    if not scope_queryset(actor, Cadre.objects.filter(pk=cadre.pk)).exists():
        raise ValidationError({"cadre": _("干部“%(c)s”不在您负责的区域内。") % {"c": cadre.name}})


@transaction.atomic
def pairing_create(
    *, actor: User, household: Household, cadre: Cadre, relation: str, started_on: date,
    request: HttpRequest | None = None,
) -> Pairing:
    """Pair a cadre with a household. The household must have no active pairing (also held by
    the database: one active pairing per household)."""
    _require(can_edit_roster(actor), _("您没有安排结对帮扶的权限。"))
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationError(_("该户已退出花名册，不能结对。"))
    _receiving_cadre_ok(actor, cadre)
    pairing = Pairing(household=household, cadre=cadre, relation=relation, started_on=started_on, created_by=actor)
    pairing.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            pairing.save()
    except IntegrityError as exc:
        raise ValidationError(_("该户已有结对干部，请先结束原结对。")) from exc
    audit_record(actor=actor, action=AuditAction.CREATE, obj=pairing, request=request,
                 details={"household": household.code, "cadre": cadre.pk, "relation": relation})
    _refresh_schedule(household, timezone.localdate())
    return pairing


@transaction.atomic
def pairing_end(
    *, actor: User, pairing: Pairing, ended_on: date, reason: str, request: HttpRequest | None = None
) -> Pairing:
    _require(can_edit_roster(actor), _("您没有安排结对帮扶的权限。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写结束原因。")})
    if ended_on < pairing.started_on:
        raise ValidationError({"ended_on": _("结束日期不能早于结对日期。")})
    updated = Pairing.objects.filter(pk=pairing.pk, ended_on__isnull=True).update(
        ended_on=ended_on, end_reason=reason.strip()[:200]
    )
    if updated != 1:
        raise ValidationError(_("该结对已经结束。"))
    pairing.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=pairing, request=request,
                 details={"ended_on": str(ended_on), "reason": reason.strip()})
    return pairing


@transaction.atomic
def pairings_reassign(
    *, actor: User, from_cadre: Cadre, to_cadre: Cadre, today: date, reason: str, cadre_leaves: bool = False,
    request: HttpRequest | None = None,
) -> int:
    """Move every active pairing of `from_cadre` (only households in the actor's scope) to
    `to_cadre` in one go — when a cadre leaves or changes post. Returns the number moved.

    1. the receiving cadre must be active and in the actor's scope;
    2. end the old pairings today with the reason (one UPDATE), keeping each relation;
    3. create the new pairings starting today (one INSERT);
    4. optionally mark the leaving cadre as left.
    """
    _require(can_edit_roster(actor), _("您没有安排结对帮扶的权限。"))
    if from_cadre.pk == to_cadre.pk:
        raise ValidationError({"cadre": _("接收干部不能是原干部本人。")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写调整原因。")})
    _receiving_cadre_ok(actor, to_cadre)
    active = scope_queryset(actor, Pairing.objects.filter(cadre=from_cadre, ended_on__isnull=True))
    moving = list(active.select_for_update().values_list("pk", "household_id", "relation"))
    Pairing.objects.filter(pk__in=[p[0] for p in moving]).update(ended_on=today, end_reason=reason.strip()[:200])
    Pairing.objects.bulk_create(
        [Pairing(household_id=h, cadre=to_cadre, relation=rel, started_on=today, created_by=actor)
         for _pk, h, rel in moving]
    )
    if cadre_leaves:
        Cadre.objects.filter(pk=from_cadre.pk).update(active=False, left_on=today)
    audit_record(
        actor=actor, action=AuditAction.CHANGE, obj=from_cadre, request=request,
        details={"reassigned_to": to_cadre.pk, "households": [p[1] for p in moving], "reason": reason.strip(),
                 "cadre_leaves": cadre_leaves},
    )
    return len(moving)


# --- one-to-one plan --------------------------------------------------------------------------

PLAN_FIELDS = ("problems", "measures", "responsible", "target_on", "status", "review_notes", "reviewed_on")


@transaction.atomic
def careplan_save(
    *, actor: User, household: Household, data: dict[str, Any], request: HttpRequest | None = None
) -> CarePlan:
    """Write the household's one-to-one plan (the paired cadre may keep it too)."""
    is_paired_cadre = Pairing.objects.filter(household=household, cadre__user=actor, ended_on__isnull=True).exists()
    _require(can_edit_roster(actor) or is_paired_cadre, _("您没有维护该户帮扶方案的权限。"))
    plan = CarePlan.objects.select_for_update().filter(household=household).first()
    creating = plan is None
    plan = plan or CarePlan(household=household)
    values = {k: data[k] for k in PLAN_FIELDS if k in data}
    diff = changed_fields(plan, values) if not creating else {}
    for name, value in values.items():
        setattr(plan, name, value)
    plan.updated_by = actor
    plan.full_clean()
    plan.save()
    audit_record(actor=actor, action=AuditAction.CREATE if creating else AuditAction.CHANGE, obj=plan,
                 request=request, details=diff)
    return plan


# --- quarterly dynamic adjustment (动态调整, §5(4)) --------------------------------------------


def _check_review_county(actor: User, county: Area) -> None:
    if county.level != AreaLevel.COUNTY:
        raise ValidationError(_("季度动态调整按县(市)开展，请选择县(市)。"))
    if not any(county.code.startswith(p) for p in area_prefixes(actor)):
        raise ValidationError(_("“%(c)s”不在您负责的区域内。") % {"c": county.name})


@transaction.atomic
def quarterly_review_start(
    *, actor: User, county: Area, today: date, request: HttpRequest | None = None
) -> QuarterlyReview:
    """Open this quarter's review of a county (or return the one already open): one per
    (county, year, quarter), held by the database."""
    _require(can_classify(actor), _("只有县(市)或州民政部门可以开展季度动态调整。"))
    _check_review_county(actor, county)
    year, quarter = rules.quarter_of(today)
    review, created = QuarterlyReview.objects.get_or_create(
        county=county, year=year, quarter=quarter, defaults={"started_by": actor}
    )
    if created:
        audit_record(actor=actor, action=AuditAction.CREATE, obj=review, request=request,
                     details={"county": county.code, "year": year, "quarter": quarter})
    return review


@transaction.atomic
def quarterly_review_complete(
    *, actor: User, review: QuarterlyReview, summary: str, counts: dict[str, int] | None = None,
    request: HttpRequest | None = None,
) -> QuarterlyReview:
    """Sign off a quarter's review with a summary — once: a conditional update, so two officers
    completing at the same moment cannot both succeed."""
    _require(can_classify(actor), _("只有县(市)或州民政部门可以完成季度动态调整。"))
    if not scope_queryset(actor, QuarterlyReview.objects.filter(pk=review.pk)).exists():
        raise ValidationError(_("该季度动态调整不在您负责的区域内。"))
    if not summary.strip():
        raise ValidationError({"summary": _("请填写本季度动态调整小结。")})
    updated = QuarterlyReview.objects.filter(pk=review.pk, completed_at__isnull=True).update(
        completed_by=actor, completed_at=timezone.now(), summary=summary.strip()
    )
    if updated != 1:
        done = QuarterlyReview.objects.select_related("completed_by").get(pk=review.pk)
        raise ValidationError(
            _("%(y)d年第%(q)d季度动态调整已于%(t)s由%(u)s完成，不能重复完成。") % {
                "y": done.year, "q": done.quarter, "t": timezone.localtime(done.completed_at).strftime("%Y-%m-%d %H:%M"),
                "u": done.completed_by.real_name or done.completed_by.username,
            }
        )
    review.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=review, request=request,
                 details={"completed": True, "summary": review.summary, "counts": counts or {}})
    return review
