"""Read side of the services app: scoped, annotated, set-based querysets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts import areacodes
from accounts.models import Role, User
from accounts.phones import phone_for
from accounts.scoping import get_object_for_user, scope_queryset, user_roles
from beneficiaries.models import Household, HouseholdStatus, Person, Relation, WorkCapacity
from campaigns import queries as campaign_queries

from . import rules
from .models import (
    OPEN_STATUSES,
    CaseConference,
    OneCaseDecision,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ServiceProvider,
)

# --- referrals ------------------------------------------------------------------------------


def _with_subject(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """The minimum personal data a referral needs: the name and ID number of the member
    concerned (the household head when none was chosen) — masked in templates and exports."""
    head = Person.objects.filter(household=OuterRef("household_id"), relation=Relation.HEAD)
    return qs.annotate(
        subject_name=Coalesce(F("person__name"), Subquery(head.values("name")[:1])),
        subject_id_number=Coalesce(F("person__id_number"), Subquery(head.values("id_number")[:1])),
    )


def _overdue(now: dt.datetime):
    return Case(
        When(status__in=OPEN_STATUSES, due_at__lte=now, then=Value(True)), default=Value(False),
        output_field=BooleanField(),
    )


@dataclass
class ReferralFilters:
    status: str = ""  # a status, "open" or "" (all)
    department: int | None = None
    field: int | None = None
    escalated: bool = False
    overdue: bool = False
    area_prefix: str = ""  # significant digits of an area code in the user's scope


def referral_list(user: User, filters: ReferralFilters | None = None, *, now: dt.datetime) -> QuerySet[Referral]:
    """The referrals the user may see (a liaison: those of their department), overdue first,
    then by due time — one query for the page."""
    f = filters or ReferralFilters()
    qs = scope_queryset(user, Referral.objects.all()).select_related(
        "household__village", "field", "department", "escalated_to"
    )
    qs = _with_subject(qs).annotate(is_overdue=_overdue(now))
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status in ReferralStatus.values:
        qs = qs.filter(status=f.status)
    if f.department:
        qs = qs.filter(department_id=f.department)
    if f.field:
        qs = qs.filter(field_id=f.field)
    if f.escalated:
        qs = qs.filter(escalated_at__isnull=False)
    if f.overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lte=now)
    if f.area_prefix:
        qs = qs.filter(household__village__code__startswith=f.area_prefix)
    return qs.order_by("-is_overdue", "-urgent", "due_at", "id")


def get_referral_for_user(user: User, pk: int, *, now: dt.datetime) -> Referral:
    qs = _with_subject(Referral.objects.select_related(
        "household__village__parent", "field", "department", "escalated_to", "created_by", "provider", "person"
    )).annotate(is_overdue=_overdue(now))
    return get_object_for_user(user, qs, pk=pk)


def referral_timeline(referral: Referral) -> list[ReferralEvent]:
    return list(referral.events.select_related("actor").order_by("at", "id"))


def household_referrals(user: User, household: Household, *, now: dt.datetime) -> QuerySet[Referral]:
    return (
        scope_queryset(user, Referral.objects.filter(household=household))
        .select_related("field", "department")
        .annotate(is_overdue=_overdue(now))
        .order_by("-submitted_at", "-id")
    )


def household_urgent_records(user: User, household: Household) -> dict:
    return {
        "conferences": list(scope_queryset(user, CaseConference.objects.filter(household=household))
                            .select_related("recorded_by")),
        "decisions": list(scope_queryset(user, OneCaseDecision.objects.filter(household=household))
                          .select_related("recorded_by")),
    }


def referral_counts(user: User, *, now: dt.datetime) -> list[dict]:
    """Counts per department and field for the bureau: by status, overdue and escalated —
    one grouped query."""
    open_q = Q(status__in=OPEN_STATUSES)
    return list(
        scope_queryset(user, Referral.objects.all())
        .values("department__name", "department_id", "field__number", "field__name", "field_id")
        .annotate(
            total=Count("id"),
            submitted=Count("id", filter=Q(status=ReferralStatus.SUBMITTED)),
            accepted=Count("id", filter=Q(status=ReferralStatus.ACCEPTED)),
            in_progress=Count("id", filter=Q(status=ReferralStatus.IN_PROGRESS)),
            resolved=Count("id", filter=Q(status=ReferralStatus.RESOLVED)),
            declined=Count("id", filter=Q(status=ReferralStatus.DECLINED)),
            overdue=Count("id", filter=open_q & Q(due_at__lte=now)),
            escalated=Count("id", filter=Q(escalated_at__isnull=False)),
            urgent=Count("id", filter=Q(urgent=True)),
        )
        .order_by("department__name", "field__number")
    )


# --- service providers ---------------------------------------------------------------------


def village_ancestor_codes(village_code: str) -> list[str]:
    """The village and the township, county and prefecture above it (12-digit codes)."""
    return areacodes.ancestor_codes(village_code)


def providers_for_village(village_code: str, service: str = "") -> QuerySet[ServiceProvider]:
    """Active providers serving a village: one of their areas is the village or above it."""
    served = ServiceProvider.areas.through.objects.filter(
        serviceprovider_id=OuterRef("pk"), area_id__in=village_ancestor_codes(village_code)
    )
    qs = ServiceProvider.objects.filter(Exists(served), active=True)
    if service:
        qs = qs.filter(services__contains=[service])
    return qs.order_by("name")


def provider_list(user: User, *, q: str = "", kind: str = "", service: str = "", village: str = "") -> QuerySet:
    qs = scope_queryset(user, ServiceProvider.objects.all()).prefetch_related("areas").select_related("owner_area")
    if village:
        qs = qs.filter(pk__in=providers_for_village(village).values("pk"))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(contact_name__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if service:
        qs = qs.filter(services__contains=[service])
    return qs.order_by("name", "id")


# --- §4 lists for townships -----------------------------------------------------------------


def _active_members(user: User) -> QuerySet[Person]:
    return scope_queryset(user, Person.objects.filter(household__status=HouseholdStatus.ACTIVE)).select_related(
        "household__village"
    )


def education_aid(user: User, *, today: dt.date) -> QuerySet[Person]:
    """School-age members by tier (§4(3)): tier A preschool to higher education; tiers B and C
    compulsory education. Each row is annotated with nothing: the stage is computed per row
    from the birth date by rules.school_stage (pure), the filter here is SQL."""
    q = Q()
    for tier in ("A", "B", "C"):
        earliest, latest = rules.education_birth_range(tier, today)
        q |= Q(household__tier=tier, birth_date__gte=earliest, birth_date__lte=latest)
    return _active_members(user).filter(q).order_by("household__village_id", "household__code", "birth_date")


def limited_mobility_in_dry_season(user: User, *, today: dt.date) -> QuerySet[Household]:
    """Households on a water campaign's delivery schedule today (§4(5), 送水上门), with the
    campaign's end and their last water delivery — the campaigns app holds the data."""
    return campaign_queries.water_households(user, today=today)


def winter_relief(user: User, *, today: dt.date) -> QuerySet[Household]:
    """Households in scope of a winter–spring relief campaign running today (§4(6)), with their
    assessment (口粮、衣被、取暖) — not yet assessed first."""
    return campaign_queries.winter_households(user, today=today)


def unemployed_able(user: User, *, today: dt.date) -> QuerySet[Person]:
    """Members of tier B and C households of working age, able to work and unemployed (§4(7)):
    for registration as unemployed."""
    earliest, latest = rules.birth_range(today, *rules.WORKING_AGE)
    return _active_members(user).filter(
        household__tier__in=["B", "C"], work_capacity=WorkCapacity.ABLE, employed=False,
        birth_date__gte=earliest, birth_date__lte=latest,
    ).order_by("household__village_id", "household__code", "id")


def zero_employment(user: User, *, today: dt.date) -> QuerySet[Household]:
    """Zero-employment households (§4(7)): at least one member of working age able to work, and
    no member employed."""
    earliest, latest = rules.birth_range(today, *rules.WORKING_AGE)
    able = Person.objects.filter(household=OuterRef("pk"), work_capacity=WorkCapacity.ABLE,
                                 birth_date__gte=earliest, birth_date__lte=latest)
    employed = Person.objects.filter(household=OuterRef("pk"), employed=True)
    return (
        scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE))
        .filter(Exists(able), ~Exists(employed))
        .select_related("village")
        .annotate(
            head_name=Subquery(Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
                               .values("name")[:1]),
            able_count=Subquery(able.values("household").annotate(n=Count("id")).values("n")[:1]),
        )
        .order_by("village_id", "code")
    )


def referral_contact_for(user: User, referral: Referral) -> str:
    """A referral's contact number as `user` may read it (accounts.phones.phone_for): the liaison of
    the department handling it calls the contact, so sees it in full — on the referral page and
    through the departments' API (whose token user acts as that department's liaison); everyone
    else as the phone policy says for their role."""
    must_call = any(r.role == Role.DEPARTMENT and r.department_id == referral.department_id
                    for r in user_roles(user))
    return phone_for(user, referral.contact, must_call=must_call)
