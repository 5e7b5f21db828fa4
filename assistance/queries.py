"""Read side of assistance and emergencies: scoped, set-based."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import PREFIX_LENGTH, Area, User
from accounts.scoping import scope_queryset
from beneficiaries.models import Household, HouseholdStatus, Tier

from .models import AssistanceApplication, Emergency, ReserveEntry, ReserveFund, RollCall, RollCallStatus


def applications_for(user: User) -> QuerySet[AssistanceApplication]:
    return scope_queryset(user, AssistanceApplication.objects.select_related("household__village", "county",
                                                                            "raised_by"))


def emergencies_for(user: User) -> QuerySet[Emergency]:
    """Events a user meets: Emergency's own scope rule (the declaring county, and the people
    working in an affected area)."""
    return scope_queryset(user, Emergency.objects.all())


def _area_q(areas: list[Area], path: str = "village__code") -> Q:
    parts = [Q(**{f"{path}__startswith": a.code[: PREFIX_LENGTH[a.level]]}) for a in areas]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def affected_households(emergency: Emergency) -> QuerySet[Household]:
    """Active households of tier A, B or C in the event's areas."""
    return Household.objects.filter(
        _area_q(list(emergency.areas.all())),
        status=HouseholdStatus.ACTIVE,
        tier__in=[Tier.A, Tier.B, Tier.C],
    )




def roll_call_rows(emergency: Emergency, user: User) -> QuerySet[Household]:
    """The affected households the user may see, each with its latest status (None = unknown)."""
    latest = RollCall.objects.filter(emergency=emergency, household=OuterRef("pk")).order_by("-checked_at", "-id")
    return (
        scope_queryset(user, affected_households(emergency))
        .select_related("village")
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_at=Subquery(latest.values("checked_at")[:1]),
            latest_note=Subquery(latest.values("note")[:1]),
        )
        .order_by("village_id", "code")
    )


STATUS_KEYS = [s.value for s in RollCallStatus]


def board(emergency: Emergency, user: User) -> dict:
    """Counts by latest status per village, plus totals — one grouped query."""
    rows = (
        roll_call_rows(emergency, user)
        .order_by()
        .values("village_id", "village__name")
        .annotate(
            total=Count("id"),
            unknown=Count("id", filter=Q(latest_status__isnull=True)),
            **{s: Count("id", filter=Q(latest_status=s)) for s in STATUS_KEYS},
        )
        .order_by("village_id")
    )
    villages = list(rows)
    totals = {key: sum(v[key] for v in villages) for key in ["total", "unknown", *STATUS_KEYS]}
    return {"villages": villages, "totals": totals}


def reliefs_total(emergency: Emergency, user: User) -> dict:
    return scope_queryset(user, emergency.reliefs.all()).aggregate(
        count=Count("id"), amount_fen=Coalesce(Sum("amount_fen"), Value(0), output_field=IntegerField()))


def funds_for(user: User) -> QuerySet[ReserveFund]:
    return scope_queryset(user, ReserveFund.objects.select_related("county")).order_by("county_id")


def entries_for(fund: ReserveFund, user: User) -> QuerySet[ReserveEntry]:
    """The fund's lines the user may see: scoped by each line's own area, not by the fund's."""
    return scope_queryset(user, fund.entries.select_related("application__household", "recorded_by")).order_by("id")
