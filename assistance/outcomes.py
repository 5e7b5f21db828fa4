"""Outcomes on the §4 lists: the dilapidated-housing ledger (from visit house hazards and
surveys), help received by people on the medical, employment, legal-aid and rehabilitation lists,
and donations and volunteer activities (五社联动). Writes check role and scope, validate, audit."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.actions import audit_record, changed_fields
from accounts.models import AuditAction, Role, User
from accounts.scoping import area_prefixes, scope_queryset
from beneficiaries.models import BenefitStatus, Household, HouseholdStatus, Person, Relation
from visits.models import Safety, Visit

from .models import AidKind, AidRecord, Contribution, HousingCase, HousingSource, HousingStatus

MANAGERS = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY)


def _require_manager(actor: User, household: Household) -> None:
    if actor.is_superuser:
        return
    if not any(household.village_id.startswith(p) for p in area_prefixes(actor, roles=MANAGERS)):
        raise PermissionDenied(_("只有村(居)、乡镇(街道)或县(市)民政可以登记本辖区的清单成效。"))


# --- housing -----------------------------------------------------------------------------------


def latest_visit_house_safety():
    latest = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on", "-id")
    return Subquery(latest.values("house_safety")[:1]), Subquery(latest.values("pk")[:1])


def housing_candidates(user: User) -> QuerySet[Household]:
    """Active households whose latest visit found the house unsafe and that are not on the
    ledger yet — one query."""
    safety, visit_id = latest_visit_house_safety()
    return (
        scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE))
        .annotate(latest_house=safety, latest_visit_id=visit_id)
        .filter(latest_house=Safety.HAZARD)
        .exclude(Exists(HousingCase.objects.filter(household=OuterRef("pk"))))
        .select_related("village")
        .order_by("village_id", "code")
    )


def housing_cases(user: User) -> QuerySet[HousingCase]:
    return scope_queryset(user, HousingCase.objects.select_related("household__village__parent__parent", "updated_by"))


def housing_report(*, household: Household, source: str, actor: User, visit: Visit | None = None, note: str = "",
                   request: HttpRequest | None = None) -> HousingCase:
    _require_manager(actor, household)
    if source not in HousingSource.values:
        raise ValidationError({"source": _("请选择来源。")})
    if HousingCase.objects.filter(household=household).exists():
        raise ValidationError(_("该家庭已在危房台账中。"))
    with transaction.atomic():
        case = HousingCase.objects.create(household=household, source=source, visit=visit, note=note[:200],
                                          updated_by=actor)
        audit_record(actor=actor, action=AuditAction.CREATE, obj=case, request=request, details={"source": source})
    return case


def housing_update(*, case: HousingCase, actor: User, grade: str, appraised_on: dt.date | None, status: str,
                   renovation_year: int | None, note: str, request: HttpRequest | None = None) -> HousingCase:
    _require_manager(actor, case.household)
    if grade and appraised_on is None:
        raise ValidationError({"appraised_on": _("填写鉴定等级时须填写鉴定日期。")})
    if status in (HousingStatus.PLANNED, HousingStatus.UNDERWAY, HousingStatus.DONE) and grade not in ("C", "D"):
        raise ValidationError({"status": _("只有鉴定为C级、D级危房的才能纳入改造。")})
    if status in (HousingStatus.PLANNED, HousingStatus.UNDERWAY, HousingStatus.DONE) and not renovation_year:
        raise ValidationError({"renovation_year": _("纳入改造须填写改造年度。")})
    new = {"grade": grade, "appraised_on": appraised_on, "status": status, "renovation_year": renovation_year,
           "note": note[:200]}
    diff = changed_fields(case, new)
    with transaction.atomic():
        for key, value in new.items():
            setattr(case, key, value)
        case.updated_by = actor
        case.full_clean()
        case.save()
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=case, request=request, details=diff)
    return case


# --- aid received ------------------------------------------------------------------------------


def aid_record(*, person: Person, kind: str, received_on: dt.date, amount_fen: int, provider: str, detail: str,
               actor: User, today: dt.date, request: HttpRequest | None = None) -> AidRecord:
    _require_manager(actor, person.household)
    if kind not in AidKind.values:
        raise ValidationError({"kind": _("请选择帮扶类型。")})
    if received_on > today:
        raise ValidationError({"received_on": _("日期不能晚于今天。")})
    if amount_fen < 0:
        raise ValidationError({"amount_fen": _("金额不能为负数。")})
    if not provider.strip() or not detail.strip():
        raise ValidationError(_("请填写实施单位和内容。"))
    record = AidRecord.objects.create(person=person, kind=kind, received_on=received_on, amount_fen=amount_fen,
                                      provider=provider.strip()[:100], detail=detail.strip()[:200], recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=record, request=request,
                 details={"kind": kind, "amount_fen": amount_fen})
    return record


def aid_records(user: User, kind: str | None = None) -> QuerySet[AidRecord]:
    qs = scope_queryset(user, AidRecord.objects.select_related("person__household__village", "recorded_by"))
    return qs.filter(kind=kind) if kind else qs


def _active_people(user: User) -> QuerySet[Person]:
    return scope_queryset(user, Person.objects.filter(household__status=HouseholdStatus.ACTIVE,
                                                      household__tier__in=["A", "B", "C"]))


def _with_aid(qs: QuerySet[Person], kinds: list[str]) -> QuerySet[Person]:
    mine = AidRecord.objects.filter(person=OuterRef("pk"), kind__in=kinds)
    return qs.annotate(
        aid_count=Coalesce(Subquery(mine.order_by().values("person").annotate(n=Count("id")).values("n")[:1]),
                           Value(0), output_field=IntegerField()),
        aid_fen=Coalesce(Subquery(mine.order_by().values("person").annotate(s=Sum("amount_fen")).values("s")[:1]),
                         Value(0), output_field=IntegerField()),
    ).select_related("household__village__parent").order_by("household__village_id", "household__code", "id")


def legal_aid_eligible(user: User) -> QuerySet[Person]:
    """Legal aid (§4(9)): people of tier A households and anyone on dibao or tekun support."""
    return _with_aid(_active_people(user).filter(
        Q(household__tier="A") | Q(benefit_status__in=[BenefitStatus.DIBAO, BenefitStatus.TEKUN])),
        [AidKind.LEGAL_AID])


def rehabilitation_eligible(user: User) -> QuerySet[Person]:
    """Rehabilitation (§4(9)): people with a recorded disability."""
    return _with_aid(_active_people(user).exclude(disability_type=""), [AidKind.REHABILITATION])


def medical_aid_list(user: User) -> QuerySet[Person]:
    """The list for 医保: everyone on the roster with medical aid received, and the total."""
    return _with_aid(_active_people(user), [AidKind.MEDICAL]).filter(aid_count__gt=0)


# --- five-society linkage --------------------------------------------------------------------


def contribution_record(*, household: Household, kind: str, given_by: str, on: dt.date, description: str,
                        value_fen: int, hours: int, actor: User, today: dt.date, provider=None,
                        request: HttpRequest | None = None) -> Contribution:
    _require_manager(actor, household)
    if on > today:
        raise ValidationError({"on": _("日期不能晚于今天。")})
    if value_fen < 0 or hours < 0:
        raise ValidationError(_("金额和时长不能为负数。"))
    row = Contribution.objects.create(household=household, kind=kind, provider=provider, given_by=given_by.strip(),
                                      on=on, description=description.strip(), value_fen=value_fen, hours=hours,
                                      recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=row, request=request,
                 details={"kind": kind, "value_fen": value_fen, "hours": hours})
    return row


def contributions(user: User) -> QuerySet[Contribution]:
    return scope_queryset(user, Contribution.objects.select_related("household__village", "provider"))


def head_name_subquery(household: str = "pk"):
    """The head of household's name; `household` is the outer column holding the household id."""
    return Subquery(Person.objects.filter(household=OuterRef(household), relation=Relation.HEAD).values("name")[:1])


def is_manager(user: User) -> bool:
    return user.is_superuser or bool(area_prefixes(user, roles=MANAGERS))

