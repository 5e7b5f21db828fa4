"""The desk's household list: every overdue household once, with where it is, who its cadre is
(and their phone), its due date, days overdue and how far it has been escalated — one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Left

from accounts.models import Area, AreaLevel, User
from accounts.scoping import scope_queryset
from beneficiaries.models import Household, HouseholdStatus, Pairing

from .models import Escalation, EscalationKind, EscalationLevel
from .queries import head_name_subquery

LEVEL_LABELS = {0: "", 1: str(EscalationLevel.TOWNSHIP.label), 2: str(EscalationLevel.COUNTY.label)}


def _pairing(field: str) -> Subquery:
    return Subquery(Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).values(field)[:1])


def overdue_households(user: User, today: dt.date, area: Area | None = None) -> QuerySet[Household]:
    """Active households whose stored due date has passed, in the user's scope (and `area`),
    township by township, longest overdue first. Each household once; `escalation` is the highest
    level an open overdue escalation reached (0 none, 1 township, 2 county)."""
    qs = scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE, next_due_on__lt=today))
    if area is not None:
        qs = qs.filter(village__code__startswith=area.prefix)
    open_overdue = Escalation.objects.filter(household=OuterRef("pk"), kind=EscalationKind.OVERDUE,
                                             closed_on__isnull=True)
    return (
        qs.select_related("village", "village__parent")
        .annotate(
            head_name=head_name_subquery(),
            cadre_name=_pairing("cadre__name"),
            cadre_phone=_pairing("cadre__phone"),
            township_code=Left("village_id", 9),
            escalation=Case(
                When(Exists(open_overdue.filter(level=EscalationLevel.COUNTY)), then=Value(2)),
                When(Exists(open_overdue.filter(level=EscalationLevel.TOWNSHIP)), then=Value(1)),
                default=Value(0), output_field=IntegerField(),
            ),
        )
        .order_by("township_code", "next_due_on", "code")
    )


@dataclass
class TownshipGroup:
    township: Area | None
    households: list[Household]


def group_by_township(households: list[Household], today: dt.date) -> list[TownshipGroup]:
    """The page's rows, grouped by township (the township areas fetched in one query)."""
    for h in households:
        h.days_overdue = (today - h.next_due_on).days
        h.escalation_label = LEVEL_LABELS[h.escalation]
    townships = Area.objects.in_bulk({h.village.parent_id for h in households})
    return [
        TownshipGroup(townships.get(code), list(rows))
        for code, rows in groupby(households, key=lambda h: h.village.parent_id)
    ]


def download_areas(user: User) -> QuerySet[Area]:
    """Every county and township in scope (no truncation), for the per-area downloads."""
    from accounts.scoping import visible_areas

    return visible_areas(user).filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP]).order_by("code")
