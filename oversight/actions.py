"""Writes of oversight: spot checks, inspections, problems and their rectification, assessment
settings and sign-off. Each validates, saves and audits; views and tests call these."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import areacodes
from accounts.actions import audit_record
from accounts.models import Area, AuditAction, Role, User
from accounts.scoping import area_prefixes
from beneficiaries.models import Household, HouseholdStatus
from visits import rules as visit_rules

from . import spotchecks
from .models import (
    AssessmentKind,
    AssessmentSetting,
    AssessmentSignoff,
    CheckOutcome,
    Inspection,
    InspectionHousehold,
    InspectionStatus,
    OversightProblem,
    ProblemSource,
    ProblemStatus,
    RectificationStep,
    SpotCheckDraw,
    SpotCheckItem,
)

RECTIFY_DAYS = 15


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _covers(actor: User, code: str, roles: Sequence[str]) -> bool:
    return actor.is_superuser or areacodes.in_any(code, area_prefixes(actor, roles))


def new_seed() -> int:
    return secrets.randbelow(2**31 - 1) + 1


# --- visit spot checks --------------------------------------------------------------------------


@transaction.atomic
def spot_check_draw(*, actor: User, area: Area, month: dt.date, per_cadre: int, today: dt.date,
                    seed: int | None = None, request: HttpRequest | None = None) -> SpotCheckDraw:
    """Township or county draws `per_cadre` logged visits of each cadre for `month`; the seed is
    recorded so that anyone can draw the same sample again."""
    _require(area.level in ("township", "county") and _covers(actor, area.code, (Role.TOWNSHIP, Role.COUNTY)),
             _("只有乡镇(街道)或县(市)可以在本辖区抽取回访样本。"))
    month = month.replace(day=1)
    if month > today.replace(day=1):
        raise ValidationError({"month": _("不能抽查未来月份的走访。")})
    if not 1 <= per_cadre <= 20:
        raise ValidationError({"per_cadre": _("每名干部抽查条数应在 1 到 20 之间。")})
    if SpotCheckDraw.objects.filter(area=area, month=month).exists():
        raise ValidationError({"month": _("本辖区该月已抽取过回访样本。")})
    seed = seed if seed is not None else new_seed()
    sample = spotchecks.sample_visits(area, month, per_cadre, seed)
    if not sample:
        raise ValidationError({"month": _("该月本辖区没有可抽查的走访记录。")})
    draw = SpotCheckDraw.objects.create(area=area, month=month, per_cadre=per_cadre, seed=seed, drawn_by=actor)
    SpotCheckItem.objects.bulk_create([SpotCheckItem(draw=draw, visit_id=v, cadre_id=c) for v, c in sample])
    audit_record(actor=actor, action=AuditAction.CREATE, obj=draw, request=request,
                 details={"area": area.code, "month": f"{month:%Y-%m}", "per_cadre": per_cadre, "seed": seed,
                          "items": len(sample)})
    return draw


@transaction.atomic
def spot_check_record(*, actor: User, item: SpotCheckItem, method: str, checked_on: dt.date,
                      date_confirmed: bool, person_confirmed: bool, checklist_plausible: bool,
                      location_plausible: bool | None, note: str, today: dt.date,
                      request: HttpRequest | None = None) -> SpotCheckItem:
    """Record what the re-visit or phone-back found. Any "no" is a discrepancy: it needs a note
    and opens a problem against the visit record and its cadre, to be rectified."""
    household = item.visit.household
    _require(_covers(actor, household.village_id, (Role.TOWNSHIP, Role.COUNTY)), _("无权登记该回访结果。"))
    errors = {}
    if method not in ("revisit", "phone"):
        errors["method"] = _("请选择回访方式。")
    if checked_on > today:
        errors["checked_on"] = _("回访日期不能晚于今天。")
    elif checked_on < item.visit.visited_on:
        errors["checked_on"] = _("回访日期不能早于被抽查的走访日期。")
    answers = [date_confirmed, person_confirmed, checklist_plausible]
    if location_plausible is not None:
        answers.append(location_plausible)
    outcome = CheckOutcome.CONFIRMED if all(answers) else CheckOutcome.DISCREPANCY
    if outcome == CheckOutcome.DISCREPANCY and not note.strip():
        errors["note"] = _("回访发现不属实，请说明具体情况。")
    if errors:
        raise ValidationError(errors)
    updated = SpotCheckItem.objects.filter(pk=item.pk, outcome=CheckOutcome.PENDING).update(
        outcome=outcome, method=method, checked_on=checked_on, checked_by=actor, date_confirmed=date_confirmed,
        person_confirmed=person_confirmed, checklist_plausible=checklist_plausible,
        location_plausible=location_plausible, note=note.strip(),
    )
    if updated != 1:
        raise ValidationError(_("该条走访已登记过回访结果，请刷新后查看。"))
    item.refresh_from_db()
    if outcome == CheckOutcome.DISCREPANCY:
        OversightProblem.objects.create(
            source=ProblemSource.SPOT_CHECK, area_id=areacodes.township_of(household.village_id),
            household=household, visit=item.visit, cadre=item.cadre, spot_check=item,
            description=_("回访抽查：%(date)s 的走访记录与实际不符。%(note)s") % {
                "date": item.visit.visited_on.isoformat(), "note": note.strip()},
            owner=actor, due_on=today + dt.timedelta(days=RECTIFY_DAYS), created_by=actor, created_on=today,
        )
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=item, request=request,
                 details={"outcome": outcome, "method": method, "checked_on": checked_on.isoformat()})
    return item


# --- problems and rectification -------------------------------------------------------------------


@transaction.atomic
def problem_follow_up(*, actor: User, problem: OversightProblem, note: str, closes: bool, today: dt.date,
                      request: HttpRequest | None = None) -> OversightProblem:
    """Add a rectification note; `closes` marks the problem rectified (once)."""
    _require(actor.pk == problem.owner_id or _covers(actor, problem.area_id, (Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)),
             _("无权填报该问题的整改情况。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写整改情况。")})
    if problem.status == ProblemStatus.CLOSED:
        raise ValidationError(_("该问题已整改完成。"))
    if closes:
        updated = OversightProblem.objects.filter(pk=problem.pk, status=ProblemStatus.OPEN).update(
            status=ProblemStatus.CLOSED, closed_on=today)
        if updated != 1:
            raise ValidationError(_("该问题已被他人标记为整改完成，请刷新后查看。"))
    RectificationStep.objects.create(problem=problem, note=note.strip(), closes=closes, actor=actor)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=problem, request=request,
                 details={"note": note.strip()[:200], "closes": closes})
    problem.refresh_from_db()
    return problem


# --- supervision inspections ----------------------------------------------------------------------


@transaction.atomic
def inspection_plan(*, actor: User, organiser: Area, year: int, half: int, title: str, townships: Sequence[Area],
                    team: Sequence[User], team_note: str, sample_size: int, starts_on: dt.date,
                    request: HttpRequest | None = None) -> Inspection:
    """The prefecture or a county plans a half-yearly inspection of townships in its area."""
    _require(organiser.level in ("prefecture", "county")
             and _covers(actor, organiser.code, (Role.COUNTY, Role.PREFECTURE)),
             _("只有州民政局或县(市)民政可以安排督导检查。"))
    errors = {}
    if not title.strip():
        errors["title"] = _("请填写检查名称。")
    if half not in (1, 2):
        errors["half"] = _("请选择上半年或下半年。")
    if not townships:
        errors["townships"] = _("请至少选择一个被检查的乡镇(街道)。")
    elif any(t.level != "township" or not organiser.contains(t.code) for t in townships):
        errors["townships"] = _("被检查的乡镇(街道)须在组织单位辖区内。")
    if not 1 <= sample_size <= 100:
        errors["sample_size"] = _("每乡镇抽查户数应在 1 到 100 之间。")
    if errors:
        raise ValidationError(errors)
    inspection = Inspection.objects.create(organiser=organiser, year=year, half=half, title=title.strip(),
                                           team_note=team_note.strip(), sample_size=sample_size,
                                           starts_on=starts_on, created_by=actor)
    inspection.townships.set(townships)
    inspection.team.set(team)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=inspection, request=request,
                 details={"year": year, "half": half, "townships": [t.code for t in townships],
                          "sample_size": sample_size})
    return inspection


def sample_households(inspection: Inspection, seed: int) -> list[tuple[str, int]]:
    """[(township code, household id)]: a reproducible random sample of active households of each
    inspected township (candidates ordered by id, one generator per (seed, township))."""
    out = []
    for township in inspection.townships.order_by("code"):
        ids = list(Household.objects.filter(village__code__startswith=township.prefix, status=HouseholdStatus.ACTIVE)
                   .exclude(tier="").order_by("id").values_list("id", flat=True))
        rng = random.Random(f"{seed}:{township.code}")
        out += [(township.code, hid) for hid in sorted(rng.sample(ids, min(inspection.sample_size, len(ids))))]
    return out


@transaction.atomic
def inspection_draw(*, actor: User, inspection: Inspection, seed: int | None = None,
                    request: HttpRequest | None = None) -> Inspection:
    _require(_covers(actor, inspection.organiser_id, (Role.COUNTY, Role.PREFECTURE)), _("无权操作该督导检查。"))
    seed = seed if seed is not None else new_seed()
    updated = Inspection.objects.filter(pk=inspection.pk, status=InspectionStatus.PLANNED).update(
        status=InspectionStatus.SAMPLED, seed=seed)
    if updated != 1:
        raise ValidationError(_("该检查已抽样，不能重复抽样。"))
    inspection.refresh_from_db()
    sample = sample_households(inspection, seed)
    InspectionHousehold.objects.bulk_create([
        InspectionHousehold(inspection=inspection, township_id=t, household_id=h) for t, h in sample
    ])
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=inspection, request=request,
                 details={"seed": seed, "households": len(sample)})
    return inspection


def _can_inspect(actor: User, inspection: Inspection) -> bool:
    return (_covers(actor, inspection.organiser_id, (Role.COUNTY, Role.PREFECTURE))
            or inspection.team.filter(pk=actor.pk).exists())


@transaction.atomic
def inspection_check(*, actor: User, sample: InspectionHousehold, answers: dict[str, bool | None], note: str,
                     request: HttpRequest | None = None) -> InspectionHousehold:
    """Fill in the checklist of one sampled household (may be revised until the inspection completes)."""
    inspection = sample.inspection
    _require(_can_inspect(actor, inspection), _("无权填写该检查表。"))
    if inspection.status != InspectionStatus.SAMPLED:
        raise ValidationError(_("检查已完成或尚未抽样，不能填写检查表。"))
    required = [k for k in InspectionHousehold.CHECKS if k != "custody_checked"]
    missing = [k for k in required if answers.get(k) is None]
    if missing:
        raise ValidationError({k: _("请选择“是”或“否”。") for k in missing})
    if any(answers.get(k) is False for k in InspectionHousehold.CHECKS) and not note.strip():
        raise ValidationError({"note": _("有不符合项，请写明检查情况。")})
    for k in InspectionHousehold.CHECKS:
        setattr(sample, k, answers.get(k))
    sample.note = note.strip()
    sample.checked_by = actor
    sample.checked_at = timezone.now()
    sample.save(update_fields=[*InspectionHousehold.CHECKS, "note", "checked_by", "checked_at"])
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=sample, request=request,
                 details={k: answers.get(k) for k in InspectionHousehold.CHECKS})
    return sample


@transaction.atomic
def inspection_problem(*, actor: User, inspection: Inspection, township: Area, description: str, owner: User,
                       due_on: dt.date, serious: bool, today: dt.date, sample: InspectionHousehold | None = None,
                       request: HttpRequest | None = None) -> OversightProblem:
    """A problem the inspection found, with an owner and a rectification deadline; a serious one
    is reported to the prefecture at once."""
    _require(_can_inspect(actor, inspection), _("无权登记该检查的问题。"))
    errors = {}
    if not description.strip():
        errors["description"] = _("请填写问题描述。")
    if due_on <= today:
        errors["due_on"] = _("整改期限应晚于今天。")
    if not inspection.townships.filter(pk=township.pk).exists():
        errors["township"] = _("请选择本次检查的乡镇(街道)。")
    if errors:
        raise ValidationError(errors)
    problem = OversightProblem.objects.create(
        source=ProblemSource.INSPECTION, area=township, household=sample.household if sample else None,
        inspection=inspection, description=description.strip(), serious=serious,
        reported_at=timezone.now() if serious else None, owner=owner, due_on=due_on, created_by=actor,
        created_on=today,
    )
    if serious:
        _report_to_prefecture(problem)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=problem, request=request,
                 details={"inspection": inspection.pk, "serious": serious, "owner": owner.pk,
                          "due_on": due_on.isoformat()})
    return problem


def _report_to_prefecture(problem: OversightProblem) -> int:
    """A message to every prefecture officer, once per problem (the inbox's unique key holds it)."""
    from django.urls import reverse

    from accounts.models import RoleAssignment
    from accounts.notifications import notify

    users = RoleAssignment.objects.filter(role=Role.PREFECTURE).values_list("user_id", flat=True).distinct()
    title = _("严重问题报告：%(area)s %(text)s") % {"area": problem.area.name, "text": problem.description[:60]}
    url = reverse("oversight:problem_detail", args=[problem.pk])
    return len(notify(set(users), key=f"oversight-serious:{problem.pk}", title=title[:200],
                      household=problem.household_id, url=url))


@transaction.atomic
def inspection_complete(*, actor: User, inspection: Inspection, summary: str,
                        request: HttpRequest | None = None) -> Inspection:
    _require(_covers(actor, inspection.organiser_id, (Role.COUNTY, Role.PREFECTURE)), _("无权完成该督导检查。"))
    if not summary.strip():
        raise ValidationError({"summary": _("请填写检查总结。")})
    if inspection.samples.filter(checked_at__isnull=True).exists():
        raise ValidationError(_("还有抽查家庭未填写检查表。"))
    updated = Inspection.objects.filter(pk=inspection.pk, status=InspectionStatus.SAMPLED).update(
        status=InspectionStatus.COMPLETED, summary=summary.strip(), completed_at=timezone.now())
    if updated != 1:
        raise ValidationError(_("该检查不在检查中状态。"))
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=inspection, request=request,
                 details={"status": "completed"})
    inspection.refresh_from_db()
    return inspection


# --- assessment -----------------------------------------------------------------------------------


@transaction.atomic
def assessment_set(*, actor: User, year: int, weights: dict[str, int], excellent: int, passing: int, reason: str,
                   request: HttpRequest | None = None) -> AssessmentSetting:
    """The prefecture sets the year's weights and thresholds; each setting is a new row."""
    from .assessment import INDICATORS

    _require(actor.is_superuser or bool(area_prefixes(actor, (Role.PREFECTURE,))), _("只有州民政局可以设置考核指标。"))
    errors = {}
    if set(weights) != set(INDICATORS) or any(w < 0 for w in weights.values()):
        errors["weights"] = _("每项指标的权重应为不小于 0 的整数。")
    elif sum(weights.values()) != 100:
        errors["weights"] = _("各项权重之和应为 100。")
    if not 0 < passing < excellent <= 100:
        errors["excellent"] = _("分数线应满足 0 < 合格 < 优秀 ≤ 100。")
    if errors:
        raise ValidationError(errors)
    setting = AssessmentSetting.objects.create(year=year, weights=weights, excellent=excellent, passing=passing,
                                               set_by=actor, reason=reason.strip())
    audit_record(actor=actor, action=AuditAction.CREATE, obj=setting, request=request,
                 details={"year": year, "weights": weights, "excellent": excellent, "passing": passing})
    return setting


@transaction.atomic
def assessment_sign_off(*, actor: User, county: Area, year: int, kind: str, opinion: str, today: dt.date,
                        request: HttpRequest | None = None) -> AssessmentSignoff:
    """The county reviews the computed scores and signs them off — once; the scores are kept as signed."""
    from . import assessment

    _require(county.level == "county" and _covers(actor, county.code, (Role.COUNTY,)),
             _("只有本县(市)民政可以审核签发考核结果。"))
    if kind not in AssessmentKind.values:
        raise ValidationError({"kind": _("考核类型不正确。")})
    if not opinion.strip():
        raise ValidationError({"opinion": _("请填写审核意见。")})
    if year > today.year or (year == today.year and today.month < 12):
        raise ValidationError(_("年度考核在当年12月起方可签发。"))
    setting = assessment.setting_for(year)
    if setting is None:
        raise ValidationError(_("州民政局尚未设置该年度考核指标。"))
    if AssessmentSignoff.objects.filter(county=county, year=year, kind=kind).exists():
        raise ValidationError(_("该年度考核结果已签发，不能重复签发。"))
    sheet = assessment.score_sheet(county, year, kind, setting, today)
    signoff = AssessmentSignoff.objects.create(county=county, year=year, kind=kind, setting=setting,
                                               scores=assessment.sheet_json(sheet), opinion=opinion.strip(),
                                               signed_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=signoff, request=request,
                 details={"county": county.code, "year": year, "kind": kind, "rows": len(sheet)})
    return signoff


def month_of(value: str) -> dt.date:
    """'2026-05' → 2026-05-01; ValueError otherwise."""
    return dt.date.fromisoformat(value + "-01") if len(value) == 7 else visit_rules.month_bounds(
        dt.date.fromisoformat(value))[0]
